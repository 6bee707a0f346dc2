using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace FashionMnist.Neural;

/// <summary>
/// Small vectorised loops the layers share: bias + ReLU epilogues, ReLU gradient masks, byte-to-float input
/// conversion and the counter-based dropout mask. Vector256 paths with scalar tails (the scalar code computes
/// the same float operations, so a result never depends on where a vector boundary falls).
/// </summary>
internal static class Kernels
{
    /// <summary>y = y + bias, then max(y, 0) when <paramref name="relu"/>.</summary>
    public static void AddBias(Span<float> y, float bias, bool relu) => AddBias(y, bias, y, relu);

    /// <summary>target = source + bias, then max(·, 0) when <paramref name="relu"/> (source and target may be the same).</summary>
    public static void AddBias(ReadOnlySpan<float> source, float bias, Span<float> target, bool relu)
    {
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var b = Vector256.Create(bias);
            ref float src = ref Unsafe.AsRef(in source[0]);
            ref float dst = ref target[0];
            for (; i <= source.Length - 8; i += 8)
            {
                var v = Vector256.LoadUnsafe(ref src, (nuint)i) + b;
                if (relu) v = Max0(v);
                v.StoreUnsafe(ref dst, (nuint)i);
            }
        }
        for (; i < source.Length; i++)
        {
            float v = source[i] + bias;
            target[i] = relu && !(v > 0f) ? 0f : v;
        }
    }

    /// <summary>row = row + bias (element-wise), then max(row, 0) when <paramref name="relu"/>.</summary>
    public static void AddBias(Span<float> row, ReadOnlySpan<float> bias, bool relu)
    {
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            ref float r = ref row[0];
            ref float b = ref Unsafe.AsRef(in bias[0]);
            for (; i <= row.Length - 8; i += 8)
            {
                var v = Vector256.LoadUnsafe(ref r, (nuint)i) + Vector256.LoadUnsafe(ref b, (nuint)i);
                if (relu) v = Max0(v);
                v.StoreUnsafe(ref r, (nuint)i);
            }
        }
        for (; i < row.Length; i++)
        {
            float v = row[i] + bias[i];
            row[i] = relu && !(v > 0f) ? 0f : v;
        }
    }

    /// <summary>y = max(y, 0).</summary>
    public static void ReLU(Span<float> y)
    {
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            ref float r = ref y[0];
            for (; i <= y.Length - 8; i += 8) Max0(Vector256.LoadUnsafe(ref r, (nuint)i)).StoreUnsafe(ref r, (nuint)i);
        }
        for (; i < y.Length; i++) if (!(y[i] > 0f)) y[i] = 0f;
    }

    /// <summary>target = y &gt; 0 ? dy : 0 (the gradient through a ReLU whose output is y).</summary>
    public static void MaskByPositive(ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> target)
    {
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            ref float py = ref Unsafe.AsRef(in y[0]);
            ref float pd = ref Unsafe.AsRef(in dy[0]);
            ref float pt = ref target[0];
            for (; i <= y.Length - 8; i += 8)
            {
                var keep = Vector256.GreaterThan(Vector256.LoadUnsafe(ref py, (nuint)i), Vector256<float>.Zero);
                (Vector256.LoadUnsafe(ref pd, (nuint)i) & keep).StoreUnsafe(ref pt, (nuint)i);
            }
        }
        for (; i < y.Length; i++) target[i] = y[i] > 0f ? dy[i] : 0f;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Max0(Vector256<float> v) => v & Vector256.GreaterThan(v, Vector256<float>.Zero);

    /// <summary>destination = pixels * scale + offset (input standardisation), vectorised byte → float.</summary>
    public static unsafe void BytesToFloats(ReadOnlySpan<byte> pixels, Span<float> destination, float scale, float offset)
    {
        if (destination.Length < pixels.Length) throw new ArgumentException("Destination is shorter than the pixels.", nameof(destination));
        int i = 0;
        fixed (byte* p = pixels)
        fixed (float* d = destination)
        {
            if (Avx2.IsSupported)
            {
                var s = Vector256.Create(scale);
                var o = Vector256.Create(offset);
                for (; i <= pixels.Length - 8; i += 8)
                {
                    Vector256<float> v = Avx.ConvertToVector256Single(Avx2.ConvertToVector256Int32(p + i));
                    Avx.Store(d + i, v * s + o);
                }
            }
            for (; i < pixels.Length; i++) d[i] = p[i] * scale + offset;
        }
    }

    /// <summary>
    /// The dropout decision for element <c>index</c> under <c>key</c>: a murmur3-style 32-bit finaliser of
    /// (index, key). Counter-based, so any element's mask can be recomputed (backward needs no stored mask) and
    /// threads never share a generator. Returns the 32 random bits; the element is kept when they are ≥ the threshold.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static uint DropoutBits(uint index, uint keyLow, uint keyHigh)
    {
        uint x = index * 0x9E3779B1u + keyLow;
        x ^= x >> 16;
        x *= 0x85EBCA6Bu;
        x ^= keyHigh;
        x ^= x >> 13;
        x *= 0xC2B2AE35u;
        x ^= x >> 16;
        return x;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<uint> DropoutBits(Vector256<uint> index, Vector256<uint> keyLow, Vector256<uint> keyHigh)
    {
        var x = index * Vector256.Create(0x9E3779B1u) + keyLow;
        x ^= Vector256.ShiftRightLogical(x, 16);
        x *= Vector256.Create(0x85EBCA6Bu);
        x ^= keyHigh;
        x ^= Vector256.ShiftRightLogical(x, 13);
        x *= Vector256.Create(0xC2B2AE35u);
        x ^= Vector256.ShiftRightLogical(x, 16);
        return x;
    }

    /// <summary>
    /// target[i] = keep(first + i) ? source[i] * scale : 0 for i in the span, where keep is
    /// <see cref="DropoutBits(uint, uint, uint)"/> ≥ <paramref name="threshold"/>. Used for the forward pass (source = x) and the
    /// backward pass (source = dy): both recompute the same mask.
    /// </summary>
    public static void Dropout(ReadOnlySpan<float> source, Span<float> target, uint first, ulong key, uint threshold, float scale)
    {
        uint keyLow = (uint)key, keyHigh = (uint)(key >> 32);
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var lanes = Vector256.Create(0u, 1u, 2u, 3u, 4u, 5u, 6u, 7u);
            var kl = Vector256.Create(keyLow);
            var kh = Vector256.Create(keyHigh);
            // Unsigned >= via the sign flip, which every Vector256 integer compare supports.
            var flip = Vector256.Create(0x8000_0000u);
            var limit = Vector256.Create(threshold ^ 0x8000_0000u).AsInt32();
            var s = Vector256.Create(scale);
            ref float src = ref Unsafe.AsRef(in source[0]);
            ref float dst = ref target[0];
            for (; i <= source.Length - 8; i += 8)
            {
                Vector256<uint> bits = DropoutBits(Vector256.Create(first + (uint)i) + lanes, kl, kh);
                var keep = Vector256.GreaterThanOrEqual((bits ^ flip).AsInt32(), limit).AsSingle();
                ((Vector256.LoadUnsafe(ref src, (nuint)i) * s) & keep).StoreUnsafe(ref dst, (nuint)i);
            }
        }
        for (; i < source.Length; i++)
            target[i] = DropoutBits(first + (uint)i, keyLow, keyHigh) >= threshold ? source[i] * scale : 0f;
    }
}
