namespace FashionMnist.Neural.Layers;

/// <summary>
/// The weight gradient of stride-1 convolutions with 3-wide kernels, without im2col and without GEMM packing.
/// dW[f, (c, ki, kj)] = Σ over images and output pixels of dy[f, oy, ox] · x[c, oy + ki, ox + kj]. The GEMM path
/// unfolds the images (im2col), then transposes that unfolded matrix into B panels, because both operands keep the
/// pixels contiguous and the GEMM needs them across: two passes over a matrix 9 x the input, the bigger cost for
/// cnn-deep's 28x28 convs (im2col 6.0 + GEMM 14.9 CPU-ms per 128 images against a 10.6 ms FLOP floor). Here dy is
/// transposed instead (pixels x filters: 1/9 of the data), and a register block of 12 taps (4 kernel rows (c, ki) x 3
/// kj) by 32 filters (24 zmm accumulators) walks the output pixels: per pixel, two loads of dy and 12 broadcasts of
/// input values (the 3 taps of a kernel row are 3 neighbouring input floats), 24 FMAs. The accumulators hold dW^T
/// entries directly: no horizontal sums, no unfolded matrix. 'Same' padding reads zero-bordered copies of the images
/// (<see cref="PadForPacking"/>).
/// Summation order: each dW element is summed over the slice's images and pixels in order, one product at a time
/// (the GEMM summed K blocks of 303-392 pixels, then added them): deterministic, but not the GEMM path's bits.
/// </summary>
internal sealed partial class Conv2D
{
    /// <summary>Output pixels per register-block pass: its dy block (256 x 32 floats) stays in L1.</summary>
    private const int TapBlockPixels = 256;

    /// <summary>Output pixels per chunk of images whose dy is transposed (and input padded) together.</summary>
    private const int TapChunkPixels = 1024;

    private float[]?[] _transposedGradient = [], _tapPadded = [];
    private int[]?[] _segments = [];
    private float[]? _weightGradientT;

    /// <summary>Tests switch the tap kernel off to compare it with im2col + GEMM.</summary>
    internal bool TapKernelAllowed { get; init; } = true;

    private bool UseTapKernel => TapKernelAllowed && Stride == 1 && KernelWidth == 3 && Filters % 32 == 0
        && Avx512F.IsSupported && Avx.IsSupported;

    /// <summary>Kernel rows (c, ki) rounded up to the 4 a register block takes; the partials hold RoundUp(rows, 4) x 3 taps x filters.</summary>
    private int TapRows => (_inChannels * KernelHeight + 3) / 4 * 4;

    private void EnsureTapSlices(int slices)
    {
        if (_transposedGradient.Length >= slices) return;
        Array.Resize(ref _transposedGradient, slices);
        Array.Resize(ref _tapPadded, slices);
        Array.Resize(ref _segments, slices);
    }

    /// <summary>
    /// One slice's weight and bias gradient partials: _weightPartial[s] as taps x filters (dW transposed), _biasPartial[s].
    /// </summary>
    private unsafe void TapWeightGradientSlice(float[] x, float[] y, float[] dy, int s, int start, int count, bool relu)
    {
        int filters = Filters, pixels = _outPixels, outSize = OutputShape.Size, outW = _outWidth;
        var (height, width) = PackedPlane;
        bool pad = PadsForPacking;
        int imageFloats = pad ? _inChannels * height * width : InputShape.Size;
        int chunkImages = Math.Clamp(TapChunkPixels / pixels, 1, count);
        int rowsPerSegment = Math.Max(1, TapBlockPixels / outW);
        float[] partial = Ensure(ref _weightPartial[s], (long)TapRows * 3 * filters);
        float[] bias = Ensure(ref _biasPartial[s], filters);
        float[] transposed = Ensure(ref _transposedGradient[s], (long)chunkImages * pixels * filters);
        float[] padded = pad ? Ensure(ref _tapPadded[s], (long)chunkImages * imageFloats) : [];
        // Segments (image, first row, rows) of at most TapBlockPixels, then block boundaries: a block is consecutive
        // segments of at most TapBlockPixels in all (whole small images, or row ranges of a big one).
        int maxSegments = chunkImages * ((_outHeight + rowsPerSegment - 1) / rowsPerSegment);
        int[] segments = Ensure(ref _segments[s], (long)maxSegments * 3);
        Array.Clear(partial);
        Array.Clear(bias, 0, filters);
        Span<int> rowOffsets = stackalloc int[TapRows];
        for (int r = 0; r < TapRows; r++)
        {
            int row = Math.Min(r, _inChannels * KernelHeight - 1); // padding rows repeat a real row; their sums are never read
            rowOffsets[r] = (row / KernelHeight * height + row % KernelHeight) * width;
        }
        fixed (float* px = x, pPadded = padded, pT = transposed, pPartial = partial)
        fixed (int* pSeg = segments, pRows = rowOffsets)
        {
            for (int first = 0; first < count; first += chunkImages)
            {
                int g = Math.Min(chunkImages, count - first);
                for (int j = 0; j < g; j++)
                {
                    int image = start + first + j;
                    TransposeGradient(dy, y, image * outSize, pT + (long)j * pixels * filters, relu, bias);
                    if (pad) PadForPacking(x.AsSpan(image * InputShape.Size, InputShape.Size), padded.AsSpan(j * imageFloats, imageFloats), height, width);
                }
                float* chunkX = pad ? pPadded : px + (long)(start + first) * InputShape.Size;
                // Plan: segments as (image, first row, rows); a block ends before it would pass TapBlockPixels.
                int segmentCount = 0;
                for (int j = 0; j < g; j++)
                    for (int oy = 0; oy < _outHeight; oy += rowsPerSegment)
                    {
                        int* seg = pSeg + segmentCount++ * 3;
                        seg[0] = j;
                        seg[1] = oy;
                        seg[2] = Math.Min(rowsPerSegment, _outHeight - oy);
                    }
                for (int fb = 0; fb < filters; fb += 32)
                {
                    for (int from = 0; from < segmentCount;)
                    {
                        int to = from, blockPixels = 0;
                        while (to < segmentCount && (to == from || blockPixels + pSeg[to * 3 + 2] * outW <= TapBlockPixels))
                            blockPixels += pSeg[to++ * 3 + 2] * outW;
                        for (int rb = 0; rb < TapRows; rb += 4)
                            TapBlock(pPartial + (long)rb * 3 * filters + fb, filters, chunkX, imageFloats, pRows + rb,
                                pT + fb, pixels, pSeg + from * 3, to - from, outW, width);
                        from = to;
                    }
                }
            }
        }
    }

    /// <summary>
    /// acc[t, 0..32) += Σ dyT[p, 0..32) · x_t(p) over the segments' pixels, for the 12 taps t = (row r &lt; 4, kj &lt; 3) of
    /// the rows at <paramref name="rowOffsets"/>; acc rows are <paramref name="filters"/> apart.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void TapBlock(float* acc, int filters, float* x, int imageFloats, int* rowOffsets,
        float* dyT, int pixels, int* segments, int segmentCount, int outW, int rowStride)
    {
        long tap = filters;
        Vector512<float> a00 = Vector512.Load(acc), a01 = Vector512.Load(acc + 16);
        Vector512<float> a10 = Vector512.Load(acc + tap), a11 = Vector512.Load(acc + tap + 16);
        Vector512<float> a20 = Vector512.Load(acc + 2 * tap), a21 = Vector512.Load(acc + 2 * tap + 16);
        Vector512<float> a30 = Vector512.Load(acc + 3 * tap), a31 = Vector512.Load(acc + 3 * tap + 16);
        Vector512<float> a40 = Vector512.Load(acc + 4 * tap), a41 = Vector512.Load(acc + 4 * tap + 16);
        Vector512<float> a50 = Vector512.Load(acc + 5 * tap), a51 = Vector512.Load(acc + 5 * tap + 16);
        Vector512<float> a60 = Vector512.Load(acc + 6 * tap), a61 = Vector512.Load(acc + 6 * tap + 16);
        Vector512<float> a70 = Vector512.Load(acc + 7 * tap), a71 = Vector512.Load(acc + 7 * tap + 16);
        Vector512<float> a80 = Vector512.Load(acc + 8 * tap), a81 = Vector512.Load(acc + 8 * tap + 16);
        Vector512<float> a90 = Vector512.Load(acc + 9 * tap), a91 = Vector512.Load(acc + 9 * tap + 16);
        Vector512<float> aA0 = Vector512.Load(acc + 10 * tap), aA1 = Vector512.Load(acc + 10 * tap + 16);
        Vector512<float> aB0 = Vector512.Load(acc + 11 * tap), aB1 = Vector512.Load(acc + 11 * tap + 16);
        int o0 = rowOffsets[0], o1 = rowOffsets[1], o2 = rowOffsets[2], o3 = rowOffsets[3];
        for (int sgm = 0; sgm < segmentCount; sgm++)
        {
            int image = segments[sgm * 3], firstRow = segments[sgm * 3 + 1], rows = segments[sgm * 3 + 2];
            float* d = dyT + ((long)image * pixels + (long)firstRow * outW) * filters;
            float* xRow = x + (long)image * imageFloats + (long)firstRow * rowStride;
            for (int oy = 0; oy < rows; oy++, xRow += rowStride)
            {
                float* p0 = xRow + o0, p1 = xRow + o1, p2 = xRow + o2, p3 = xRow + o3;
                for (int ox = 0; ox < outW; ox++, d += filters)
                {
                    Vector512<float> d0 = Vector512.Load(d), d1 = Vector512.Load(d + 16), b;
                    b = Vector512.Create(p0[ox]); a00 = Avx512F.FusedMultiplyAdd(d0, b, a00); a01 = Avx512F.FusedMultiplyAdd(d1, b, a01);
                    b = Vector512.Create(p0[ox + 1]); a10 = Avx512F.FusedMultiplyAdd(d0, b, a10); a11 = Avx512F.FusedMultiplyAdd(d1, b, a11);
                    b = Vector512.Create(p0[ox + 2]); a20 = Avx512F.FusedMultiplyAdd(d0, b, a20); a21 = Avx512F.FusedMultiplyAdd(d1, b, a21);
                    b = Vector512.Create(p1[ox]); a30 = Avx512F.FusedMultiplyAdd(d0, b, a30); a31 = Avx512F.FusedMultiplyAdd(d1, b, a31);
                    b = Vector512.Create(p1[ox + 1]); a40 = Avx512F.FusedMultiplyAdd(d0, b, a40); a41 = Avx512F.FusedMultiplyAdd(d1, b, a41);
                    b = Vector512.Create(p1[ox + 2]); a50 = Avx512F.FusedMultiplyAdd(d0, b, a50); a51 = Avx512F.FusedMultiplyAdd(d1, b, a51);
                    b = Vector512.Create(p2[ox]); a60 = Avx512F.FusedMultiplyAdd(d0, b, a60); a61 = Avx512F.FusedMultiplyAdd(d1, b, a61);
                    b = Vector512.Create(p2[ox + 1]); a70 = Avx512F.FusedMultiplyAdd(d0, b, a70); a71 = Avx512F.FusedMultiplyAdd(d1, b, a71);
                    b = Vector512.Create(p2[ox + 2]); a80 = Avx512F.FusedMultiplyAdd(d0, b, a80); a81 = Avx512F.FusedMultiplyAdd(d1, b, a81);
                    b = Vector512.Create(p3[ox]); a90 = Avx512F.FusedMultiplyAdd(d0, b, a90); a91 = Avx512F.FusedMultiplyAdd(d1, b, a91);
                    b = Vector512.Create(p3[ox + 1]); aA0 = Avx512F.FusedMultiplyAdd(d0, b, aA0); aA1 = Avx512F.FusedMultiplyAdd(d1, b, aA1);
                    b = Vector512.Create(p3[ox + 2]); aB0 = Avx512F.FusedMultiplyAdd(d0, b, aB0); aB1 = Avx512F.FusedMultiplyAdd(d1, b, aB1);
                }
            }
        }
        a00.Store(acc); a01.Store(acc + 16);
        a10.Store(acc + tap); a11.Store(acc + tap + 16);
        a20.Store(acc + 2 * tap); a21.Store(acc + 2 * tap + 16);
        a30.Store(acc + 3 * tap); a31.Store(acc + 3 * tap + 16);
        a40.Store(acc + 4 * tap); a41.Store(acc + 4 * tap + 16);
        a50.Store(acc + 5 * tap); a51.Store(acc + 5 * tap + 16);
        a60.Store(acc + 6 * tap); a61.Store(acc + 6 * tap + 16);
        a70.Store(acc + 7 * tap); a71.Store(acc + 7 * tap + 16);
        a80.Store(acc + 8 * tap); a81.Store(acc + 8 * tap + 16);
        a90.Store(acc + 9 * tap); a91.Store(acc + 9 * tap + 16);
        aA0.Store(acc + 10 * tap); aA1.Store(acc + 10 * tap + 16);
        aB0.Store(acc + 11 * tap); aB1.Store(acc + 11 * tap + 16);
    }

    /// <summary>
    /// target[p, f] = dy[f, p] (masked by y &gt; 0 with a fused ReLU) for one image, in 8 x 8 register transposes;
    /// bias[f] += Σ_p of the same values (each filter's pixels in order).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private unsafe void TransposeGradient(float[] dy, float[] y, int offset, float* target, bool relu, float[] bias)
    {
        int filters = Filters, pixels = _outPixels, full = pixels / 8 * 8;
        fixed (float* pdy = dy, py = y, pb = bias)
        {
            for (int f0 = 0; f0 < filters; f0 += 8)
            {
                float* src = pdy + offset + (long)f0 * pixels, ys = py + offset + (long)f0 * pixels;
                for (int p = 0; p < full; p += 8)
                {
                    Vector256<float> r0 = Row(src, ys, 0, p), r1 = Row(src, ys, pixels, p), r2 = Row(src, ys, 2 * pixels, p), r3 = Row(src, ys, 3 * pixels, p);
                    Vector256<float> r4 = Row(src, ys, 4 * pixels, p), r5 = Row(src, ys, 5 * pixels, p), r6 = Row(src, ys, 6 * pixels, p), r7 = Row(src, ys, 7 * pixels, p);
                    Vector256<float> t0 = Avx.UnpackLow(r0, r1), t1 = Avx.UnpackHigh(r0, r1), t2 = Avx.UnpackLow(r2, r3), t3 = Avx.UnpackHigh(r2, r3);
                    Vector256<float> t4 = Avx.UnpackLow(r4, r5), t5 = Avx.UnpackHigh(r4, r5), t6 = Avx.UnpackLow(r6, r7), t7 = Avx.UnpackHigh(r6, r7);
                    Vector256<float> s0 = Avx.Shuffle(t0, t2, 0x44), s1 = Avx.Shuffle(t0, t2, 0xEE), s2 = Avx.Shuffle(t1, t3, 0x44), s3 = Avx.Shuffle(t1, t3, 0xEE);
                    Vector256<float> s4 = Avx.Shuffle(t4, t6, 0x44), s5 = Avx.Shuffle(t4, t6, 0xEE), s6 = Avx.Shuffle(t5, t7, 0x44), s7 = Avx.Shuffle(t5, t7, 0xEE);
                    float* d = target + (long)p * filters + f0;
                    Avx.Permute2x128(s0, s4, 0x20).Store(d);
                    Avx.Permute2x128(s1, s5, 0x20).Store(d + filters);
                    Avx.Permute2x128(s2, s6, 0x20).Store(d + 2 * filters);
                    Avx.Permute2x128(s3, s7, 0x20).Store(d + 3 * filters);
                    Avx.Permute2x128(s0, s4, 0x31).Store(d + 4 * filters);
                    Avx.Permute2x128(s1, s5, 0x31).Store(d + 5 * filters);
                    Avx.Permute2x128(s2, s6, 0x31).Store(d + 6 * filters);
                    Avx.Permute2x128(s3, s7, 0x31).Store(d + 7 * filters);
                }
                for (int p = full; p < pixels; p++)
                    for (int r = 0; r < 8; r++)
                    {
                        float v = src[r * pixels + p];
                        target[(long)p * filters + f0 + r] = relu && !(ys[r * pixels + p] > 0f) ? 0f : v;
                    }
                // Bias: each filter's masked row summed in order (8 lanes, then the lanes, then the tail).
                for (int r = 0; r < 8 && Bias is not null; r++)
                {
                    Vector256<float> sum = Vector256<float>.Zero;
                    for (int p = 0; p < full; p += 8) sum += Row(src, ys, r * pixels, p);
                    float total = Vector256.Sum(sum);
                    for (int p = full; p < pixels; p++) total += relu && !(ys[r * pixels + p] > 0f) ? 0f : src[r * pixels + p];
                    pb[f0 + r] += total;
                }
            }
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        Vector256<float> Row(float* src, float* ys, int row, int p)
        {
            Vector256<float> v = Vector256.Load(src + row + p);
            return relu ? v & Vector256.GreaterThan(Vector256.Load(ys + row + p), Vector256<float>.Zero) : v;
        }
    }

    /// <summary>Adds the slices' (taps x filters) partials in slice order, then writes the sum as filters x taps.</summary>
    private void ReduceTapPartials(int slices)
    {
        int taps = _kernelSize, filters = Filters;
        float[] total = Ensure(ref _weightGradientT, (long)taps * filters);
        ReducePartials(_weightPartial, slices, total.AsSpan(0, taps * filters));
        float[] gradient = Weights.Gradient;
        for (int t = 0; t < taps; t++)
            for (int f = 0; f < filters; f++)
                gradient[f * taps + t] = total[t * filters + f];
    }
}
