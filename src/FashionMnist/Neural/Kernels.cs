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
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
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
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
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
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
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
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
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
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
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
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
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

    /// <summary>Σ (x − mean)² of a plane, in float SIMD lanes (the caller sums planes in double).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static double SumSquaredDeviations(ReadOnlySpan<float> x, float mean)
    {
        int i = 0;
        float total = 0;
        if (Vector256.IsHardwareAccelerated && x.Length >= 8)
        {
            var m = Vector256.Create(mean);
            var acc = Vector256<float>.Zero;
            ref float px = ref Unsafe.AsRef(in x[0]);
            for (; i <= x.Length - 8; i += 8)
            {
                var d = Vector256.LoadUnsafe(ref px, (nuint)i) - m;
                acc += d * d;
            }
            total = Vector256.Sum(acc);
        }
        for (; i < x.Length; i++)
        {
            float d = x[i] - mean;
            total += d * d;
        }
        return total;
    }

    /// <summary>target = source·scale + shift, then max(·, 0) when <paramref name="relu"/> (batch norm's normalisation).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void ScaleShift(ReadOnlySpan<float> source, float scale, float shift, Span<float> target, bool relu)
    {
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var a = Vector256.Create(scale);
            var b = Vector256.Create(shift);
            ref float src = ref Unsafe.AsRef(in source[0]);
            ref float dst = ref target[0];
            for (; i <= source.Length - 8; i += 8)
            {
                var v = Vector256.LoadUnsafe(ref src, (nuint)i) * a + b;
                if (relu) v = Max0(v);
                v.StoreUnsafe(ref dst, (nuint)i);
            }
        }
        for (; i < source.Length; i++)
        {
            float v = source[i] * scale + shift;
            target[i] = relu && !(v > 0f) ? 0f : v;
        }
    }

    /// <summary>
    /// Batch norm backward sums over a plane: Σ g and Σ g·(x − mean), where g = dy, or with a fused ReLU g = y &gt; 0 ? dy : 0.
    /// y &gt; 0 is tested as x·scale + shift &gt; 0 (<paramref name="scale"/> and <paramref name="shift"/> as the forward
    /// pass's <see cref="ScaleShift"/> had them: the same float operations, so the same test), which spares reading y:
    /// the pass is memory-bound (a 28x28x32 batch norm reads 3 x 12.8 MB at batch 128).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static (double SumG, double SumGCentered) GradientSums(ReadOnlySpan<float> x, ReadOnlySpan<float> dy, float mean, bool relu, float scale, float shift)
    {
        int i = 0;
        float sumG = 0, sumGx = 0;
        if (Vector256.IsHardwareAccelerated && x.Length >= 8)
        {
            var m = Vector256.Create(mean);
            var a = Vector256.Create(scale);
            var b = Vector256.Create(shift);
            Vector256<float> accG = Vector256<float>.Zero, accGx = Vector256<float>.Zero;
            ref float px = ref Unsafe.AsRef(in x[0]);
            ref float pd = ref Unsafe.AsRef(in dy[0]);
            for (; i <= x.Length - 8; i += 8)
            {
                var g = Vector256.LoadUnsafe(ref pd, (nuint)i);
                var v = Vector256.LoadUnsafe(ref px, (nuint)i);
                if (relu) g &= Vector256.GreaterThan(v * a + b, Vector256<float>.Zero);
                accG += g;
                accGx += g * (v - m);
            }
            sumG = Vector256.Sum(accG);
            sumGx = Vector256.Sum(accGx);
        }
        for (; i < x.Length; i++)
        {
            float g = relu && !(x[i] * scale + shift > 0f) ? 0f : dy[i];
            sumG += g;
            sumGx += g * (x[i] - mean);
        }
        return (sumG, sumGx);
    }

    /// <summary>dx = scale·(g − meanDy − x̂·meanDyXhat) with x̂ = (x − mean)·invStd and g as in <see cref="GradientSums"/> (ReLU test from x).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void BatchNormInputGradient(ReadOnlySpan<float> x, ReadOnlySpan<float> dy, Span<float> dx,
        float mean, float invStd, float scale, float meanDy, float meanDyXhat, bool relu, float normScale, float normShift)
    {
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var vm = Vector256.Create(mean); var vi = Vector256.Create(invStd); var vs = Vector256.Create(scale);
            var vmd = Vector256.Create(meanDy); var vmx = Vector256.Create(meanDyXhat);
            var a = Vector256.Create(normScale); var b = Vector256.Create(normShift);
            ref float px = ref Unsafe.AsRef(in x[0]);
            ref float pd = ref Unsafe.AsRef(in dy[0]);
            ref float pdx = ref dx[0];
            for (; i <= x.Length - 8; i += 8)
            {
                var g = Vector256.LoadUnsafe(ref pd, (nuint)i);
                var v = Vector256.LoadUnsafe(ref px, (nuint)i);
                if (relu) g &= Vector256.GreaterThan(v * a + b, Vector256<float>.Zero);
                var xhat = (v - vm) * vi;
                (vs * (g - vmd - xhat * vmx)).StoreUnsafe(ref pdx, (nuint)i);
            }
        }
        for (; i < x.Length; i++)
        {
            float g = relu && !(x[i] * normScale + normShift > 0f) ? 0f : dy[i];
            float xhat = (x[i] - mean) * invStd;
            dx[i] = scale * (g - meanDy - xhat * meanDyXhat);
        }
    }
}
