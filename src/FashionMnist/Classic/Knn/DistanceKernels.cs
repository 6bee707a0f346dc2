namespace FashionMnist.Classic.Knn;

/// <summary>
/// Blocks of distances (or dot products) between query rows and training rows, each row zero-padded to a
/// stride that is a multiple of 64 bytes (so every vector load is whole and the padding adds 0).
/// L1 on bytes: the sum of absolute differences instruction (vpsadbw) on 64 bytes at a time (AVX-512BW),
/// 32 (AVX2) or a portable 16-byte path; L1 on floats: |q - t| with 512/256-bit vectors;
/// byte dot products for exact integer L2: AVX-VNNI vpdpbusd.
/// The 2x2 micro-kernel compares two queries with two training rows per pass, so every loaded vector is used twice.
/// </summary>
internal static unsafe class DistanceKernels
{
    public const int ByteStrideMultiple = 64;
    public const int FloatStrideMultiple = 16;

    public static string ByteInstructionSet =>
        Avx512BW.IsSupported ? "AVX-512BW vpsadbw" : Avx2.IsSupported ? "AVX2 vpsadbw" : "Vector128";

    /// <summary>distances[i * trainCount + j] = L1(query i, train j) for byte rows of <paramref name="stride"/> bytes.</summary>
    public static void Bytes(byte* queries, int queryCount, byte* train, int trainCount, int stride, int* distances) =>
        Tiles<ByteL1, byte, byte, int>(queries, queryCount, train, trainCount, stride, distances);

    /// <summary>True when <see cref="Dots"/> can run: the AVX-VNNI u8 x s8 dot-product instruction (vpdpbusd).</summary>
    public static bool HasByteDot => AvxVnni.IsSupported;

    /// <summary>
    /// dots[i * trainCount + j] = sum over columns of query[i] (unsigned bytes) x train[j] (signed bytes), exact in int32,
    /// with AVX-VNNI vpdpbusd: 32 byte products per instruction, 4x the multiply-adds of a float FMA. Callers store
    /// training pixels as p - 128 (signed) and add back 128 x sum(query).
    /// </summary>
    public static void Dots(byte* queries, int queryCount, sbyte* train, int trainCount, int stride, int* dots)
    {
        if (!AvxVnni.IsSupported) throw new PlatformNotSupportedException("AVX-VNNI is not available.");
        Tiles<ByteDot, byte, sbyte, int>(queries, queryCount, train, trainCount, stride, dots);
    }

    /// <summary>distances[i * trainCount + j] = L1(query i, train j) for float rows of <paramref name="stride"/> floats.</summary>
    public static void Floats(float* queries, int queryCount, float* train, int trainCount, int stride, float* distances) =>
        Tiles<FloatL1, float, float, float>(queries, queryCount, train, trainCount, stride, distances);

    /// <summary>A 2x2 micro-kernel (two queries against two training rows, every loaded vector used twice) and the one-pair kernel for the edges.</summary>
    private interface ITileKernel<TQuery, TTrain, TResult>
        where TQuery : unmanaged where TTrain : unmanaged where TResult : unmanaged
    {
        static abstract void Pair(TQuery* q0, TQuery* q1, TTrain* t0, TTrain* t1, int stride, TResult* d0, TResult* d1);
        static abstract TResult One(TQuery* q, TTrain* t, int stride);
    }

    /// <summary>results[i * trainCount + j] = kernel(query i, train j): 2x2 tiles, then the odd row and column one pair at a time.</summary>
    private static void Tiles<TKernel, TQuery, TTrain, TResult>(TQuery* queries, int queryCount, TTrain* train, int trainCount, int stride, TResult* results)
        where TKernel : ITileKernel<TQuery, TTrain, TResult> where TQuery : unmanaged where TTrain : unmanaged where TResult : unmanaged
    {
        int i = 0;
        for (; i + 1 < queryCount; i += 2)
        {
            TQuery* q0 = queries + (long)i * stride, q1 = q0 + stride;
            TResult* d0 = results + i * trainCount, d1 = d0 + trainCount;
            int j = 0;
            for (; j + 1 < trainCount; j += 2)
            {
                TTrain* t0 = train + (long)j * stride, t1 = t0 + stride;
                TKernel.Pair(q0, q1, t0, t1, stride, d0 + j, d1 + j);
            }
            if (j < trainCount)
            {
                TTrain* t = train + (long)j * stride;
                d0[j] = TKernel.One(q0, t, stride);
                d1[j] = TKernel.One(q1, t, stride);
            }
        }
        if (i < queryCount)
        {
            TQuery* q = queries + (long)i * stride;
            TResult* d = results + i * trainCount;
            for (int j = 0; j < trainCount; j++) d[j] = TKernel.One(q, train + (long)j * stride, stride);
        }
    }

    private readonly struct ByteL1 : ITileKernel<byte, byte, int>
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void Pair(byte* q0, byte* q1, byte* t0, byte* t1, int stride, int* d0, int* d1)
        {
            if (Avx512BW.IsSupported) Sad2x2Avx512(q0, q1, t0, t1, stride, d0, d1);
            else if (Avx2.IsSupported) Sad2x2Avx2(q0, q1, t0, t1, stride, d0, d1);
            else
            {
                d0[0] = SadPortable(q0, t0, stride); d0[1] = SadPortable(q0, t1, stride);
                d1[0] = SadPortable(q1, t0, stride); d1[1] = SadPortable(q1, t1, stride);
            }
        }

        public static int One(byte* q, byte* t, int stride) => Sad(q, t, stride);
    }

    private readonly struct ByteDot : ITileKernel<byte, sbyte, int>
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void Pair(byte* q0, byte* q1, sbyte* t0, sbyte* t1, int stride, int* d0, int* d1)
        {
            Vector256<int> a00 = default, a01 = default, a10 = default, a11 = default;
            for (int o = 0; o < stride; o += 32)
            {
                var x0 = Vector256.Load(q0 + o);
                var x1 = Vector256.Load(q1 + o);
                var y0 = Vector256.Load(t0 + o);
                var y1 = Vector256.Load(t1 + o);
                a00 = AvxVnni.MultiplyWideningAndAdd(a00, x0, y0);
                a01 = AvxVnni.MultiplyWideningAndAdd(a01, x0, y1);
                a10 = AvxVnni.MultiplyWideningAndAdd(a10, x1, y0);
                a11 = AvxVnni.MultiplyWideningAndAdd(a11, x1, y1);
            }
            d0[0] = Vector256.Sum(a00); d0[1] = Vector256.Sum(a01);
            d1[0] = Vector256.Sum(a10); d1[1] = Vector256.Sum(a11);
        }

        public static int One(byte* q, sbyte* t, int stride) => Dot(q, t, stride);
    }

    private readonly struct FloatL1 : ITileKernel<float, float, float>
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void Pair(float* q0, float* q1, float* t0, float* t1, int stride, float* d0, float* d1)
        {
            if (Vector512.IsHardwareAccelerated) Vector512Ops.Accumulate(q0, q1, t0, t1, stride, d0, d1);
            else Vector256Ops.Accumulate(q0, q1, t0, t1, stride, d0, d1);
        }

        public static float One(float* q, float* t, int stride) => AbsDiff(q, t, stride);
    }

    private static int Dot(byte* a, sbyte* b, int stride)
    {
        var acc = Vector256<int>.Zero;
        for (int o = 0; o < stride; o += 32)
            acc = AvxVnni.MultiplyWideningAndAdd(acc, Vector256.Load(a + o), Vector256.Load(b + o));
        return Vector256.Sum(acc);
    }

    /// <summary>L1 distance between two padded byte rows.</summary>
    public static int Sad(byte* a, byte* b, int stride)
    {
        if (Avx512BW.IsSupported)
        {
            var acc = Vector512<ulong>.Zero;
            for (int o = 0; o < stride; o += 64)
                acc += Avx512BW.SumAbsoluteDifferences(Vector512.Load(a + o), Vector512.Load(b + o)).AsUInt64();
            return (int)Vector512.Sum(acc);
        }
        if (Avx2.IsSupported)
        {
            var acc = Vector256<ulong>.Zero;
            for (int o = 0; o < stride; o += 32)
                acc += Avx2.SumAbsoluteDifferences(Vector256.Load(a + o), Vector256.Load(b + o)).AsUInt64();
            return (int)Vector256.Sum(acc);
        }
        return SadPortable(a, b, stride);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Sad2x2Avx512(byte* q0, byte* q1, byte* t0, byte* t1, int stride, int* d0, int* d1)
    {
        Vector512<ulong> a00 = default, a01 = default, a10 = default, a11 = default;
        for (int o = 0; o < stride; o += 64)
        {
            var x0 = Vector512.Load(q0 + o);
            var x1 = Vector512.Load(q1 + o);
            var y0 = Vector512.Load(t0 + o);
            var y1 = Vector512.Load(t1 + o);
            a00 += Avx512BW.SumAbsoluteDifferences(x0, y0).AsUInt64();
            a01 += Avx512BW.SumAbsoluteDifferences(x0, y1).AsUInt64();
            a10 += Avx512BW.SumAbsoluteDifferences(x1, y0).AsUInt64();
            a11 += Avx512BW.SumAbsoluteDifferences(x1, y1).AsUInt64();
        }
        d0[0] = (int)Vector512.Sum(a00);
        d0[1] = (int)Vector512.Sum(a01);
        d1[0] = (int)Vector512.Sum(a10);
        d1[1] = (int)Vector512.Sum(a11);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Sad2x2Avx2(byte* q0, byte* q1, byte* t0, byte* t1, int stride, int* d0, int* d1)
    {
        Vector256<ulong> a00 = default, a01 = default, a10 = default, a11 = default;
        for (int o = 0; o < stride; o += 32)
        {
            var x0 = Vector256.Load(q0 + o);
            var x1 = Vector256.Load(q1 + o);
            var y0 = Vector256.Load(t0 + o);
            var y1 = Vector256.Load(t1 + o);
            a00 += Avx2.SumAbsoluteDifferences(x0, y0).AsUInt64();
            a01 += Avx2.SumAbsoluteDifferences(x0, y1).AsUInt64();
            a10 += Avx2.SumAbsoluteDifferences(x1, y0).AsUInt64();
            a11 += Avx2.SumAbsoluteDifferences(x1, y1).AsUInt64();
        }
        d0[0] = (int)Vector256.Sum(a00);
        d0[1] = (int)Vector256.Sum(a01);
        d1[0] = (int)Vector256.Sum(a10);
        d1[1] = (int)Vector256.Sum(a11);
    }

    /// <summary>Any CPU: |a-b| as max-min per byte, widened to 16-bit sums, flushed to 32 bits before they can overflow.</summary>
    internal static int SadPortable(byte* a, byte* b, int stride)
    {
        uint total = 0;
        var acc = Vector128<ushort>.Zero;
        int sinceFlush = 0;
        for (int o = 0; o < stride; o += 16)
        {
            var x = Vector128.Load(a + o);
            var y = Vector128.Load(b + o);
            var diff = Vector128.Max(x, y) - Vector128.Min(x, y);
            var (lo, hi) = Vector128.Widen(diff);
            acc += lo + hi;
            if (++sinceFlush == 64) // 64 x 2 x 255 < 65536
            {
                total += Vector128.Sum(Vector128.WidenLower(acc) + Vector128.WidenUpper(acc));
                acc = Vector128<ushort>.Zero;
                sinceFlush = 0;
            }
        }
        total += Vector128.Sum(Vector128.WidenLower(acc) + Vector128.WidenUpper(acc));
        return (int)total;
    }

    public static float AbsDiff(float* a, float* b, int stride)
    {
        var acc = Vector256<float>.Zero;
        for (int o = 0; o < stride; o += 8)
            acc += Vector256.Abs(Vector256.Load(a + o) - Vector256.Load(b + o));
        return Vector256.Sum(acc);
    }

    private static class Vector512Ops
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void Accumulate(float* q0, float* q1, float* t0, float* t1, int stride, float* d0, float* d1)
        {
            Vector512<float> a00 = default, a01 = default, a10 = default, a11 = default;
            for (int o = 0; o < stride; o += 16)
            {
                var x0 = Vector512.Load(q0 + o);
                var x1 = Vector512.Load(q1 + o);
                var y0 = Vector512.Load(t0 + o);
                var y1 = Vector512.Load(t1 + o);
                a00 += Vector512.Abs(x0 - y0);
                a01 += Vector512.Abs(x0 - y1);
                a10 += Vector512.Abs(x1 - y0);
                a11 += Vector512.Abs(x1 - y1);
            }
            d0[0] = Vector512.Sum(a00); d0[1] = Vector512.Sum(a01);
            d1[0] = Vector512.Sum(a10); d1[1] = Vector512.Sum(a11);
        }
    }

    private static class Vector256Ops
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void Accumulate(float* q0, float* q1, float* t0, float* t1, int stride, float* d0, float* d1)
        {
            Vector256<float> a00 = default, a01 = default, a10 = default, a11 = default;
            for (int o = 0; o < stride; o += 8)
            {
                var x0 = Vector256.Load(q0 + o);
                var x1 = Vector256.Load(q1 + o);
                var y0 = Vector256.Load(t0 + o);
                var y1 = Vector256.Load(t1 + o);
                a00 += Vector256.Abs(x0 - y0);
                a01 += Vector256.Abs(x0 - y1);
                a10 += Vector256.Abs(x1 - y0);
                a11 += Vector256.Abs(x1 - y1);
            }
            d0[0] = Vector256.Sum(a00); d0[1] = Vector256.Sum(a01);
            d1[0] = Vector256.Sum(a10); d1[1] = Vector256.Sum(a11);
        }
    }
}
