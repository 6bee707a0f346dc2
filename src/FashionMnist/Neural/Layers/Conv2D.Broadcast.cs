namespace FashionMnist.Neural.Layers;

/// <summary>
/// The forward pass of stride-1 convolutions without unfolding the images at all. Output pixels are counted along
/// "extended" rows as wide as the (padded) input: pixel q = oy * inputWidth + ox, so tap (c, ki, kj) reads input float
/// q + (c * height + ki) * width + kj for every q: 48 consecutive output pixels meet 48 consecutive input floats per tap.
/// A register block of 8 filters x 48 pixels (24 zmm accumulators) takes per tap 3 loads of the input and 8 broadcasts
/// of the weights (transposed once per pass to taps x filters), 24 FMAs; the columns ox &gt;= outW of each extended row
/// are computed and dropped (7 % extra work for 28-wide rows, 15 % for 11-wide). The packed path instead copies the
/// unfolded image (9x the input) into B panels used by only Filters / 8 kernel calls each: 60 % of the FLOP rate for
/// cnn-deep's 32-filter 28x28 convs.
/// The K blocks of the GEMM are kept (taps summed in order within blocks of ≤ 384, blocks added in order), so every
/// output is the GEMM's sum, bit for bit (tested against im2col).
/// </summary>
internal sealed partial class Conv2D
{
    private const int BroadcastPixels = 48;

    /// <summary>The block width of <see cref="BroadcastBlock4x64"/>, for planes that 48-pixel blocks fit badly.</summary>
    private const int WideBroadcastPixels = 64;

    private float[]? _weightsT, _transposedFrom;
    private float[]?[] _extended = [];
    private int[]? _tapOffsets;

    /// <summary>Tests switch the broadcast kernel off to compare it with the packed path.</summary>
    internal bool BroadcastAllowed { get; init; } = true;

    /// <summary>Output pixels along the extended rows, up to the last real one.</summary>
    private int ExtendedPixels => (_outHeight - 1) * PackedPlane.Width + _outWidth;

    private bool UseBroadcast => BroadcastAllowed && UsePacked && Filters % 8 == 0 && ExtendedPixels >= BroadcastPixels && Avx512F.IsSupported;

    /// <summary>
    /// Whether one image's extended rows take 64-pixel blocks of 4 filters (<see cref="BroadcastBlock4x64"/>) instead of
    /// 48-pixel blocks of 8: when that computes at least a quarter fewer pixels. cnn-deep's 7x7 'same' conv has 61 extended
    /// pixels, two 48-blocks (96 computed for 49 outputs: 44 % of the FMA peak) or one 64-block. Only on a zero-bordered
    /// copy (<see cref="PaddedImage"/> leaves room after it), since a block may read past the last extended pixel.
    /// </summary>
    internal bool UseWideBroadcast => WideBroadcastAllowed && PadsForPacking
        && RoundUp(ExtendedPixels, WideBroadcastPixels) * 4 <= RoundUp(ExtendedPixels, BroadcastPixels) * 3;

    /// <summary>Tests switch the 64-pixel blocks off to compare them with the 48-pixel ones.</summary>
    internal bool WideBroadcastAllowed { get; init; } = true;

    /// <summary>Floats between two filters' extended rows in the per-slice buffer: whole blocks, so a 64-pixel block's store stays in its row.</summary>
    private int ExtendedStride => UseWideBroadcast ? RoundUp(ExtendedPixels, WideBroadcastPixels) : ExtendedPixels;

    private static int RoundUp(int value, int multiple) => (value + multiple - 1) / multiple * multiple;

    /// <summary>The pass's weights (<see cref="SelectWeights"/>) as taps x filters and each tap's input offset, once per pass (before the slices run).</summary>
    private void PrepareBroadcast()
    {
        int taps = _kernelSize, filters = Filters;
        float[] weights = _forwardWeights;
        if (!ReferenceEquals(_transposedFrom, weights)) // kept until the weights change (WeightsChanged) or the pass switches between folded and plain
        {
            float[] transposed = Ensure(ref _weightsT, (long)taps * filters);
            for (int f = 0; f < filters; f++)
                for (int t = 0; t < taps; t++)
                    transposed[t * filters + f] = weights[f * taps + t];
            _transposedFrom = weights;
        }
        int[] offsets = Ensure(ref _tapOffsets, taps);
        var (height, width) = PackedPlane;
        for (int c = 0, t = 0; c < _inChannels; c++)
            for (int ki = 0; ki < KernelHeight; ki++)
                for (int kj = 0; kj < KernelWidth; kj++, t++)
                    offsets[t] = (c * height + ki) * width + kj;
        if (_extended.Length < _columns.Length) Array.Resize(ref _extended, _columns.Length);
    }

    /// <summary>
    /// Conv (+ bias, + ReLU when <paramref name="relu"/>) of images first .. first + g into y (NCHW, as the layer's
    /// output): the same values as <see cref="ForwardPacked"/> followed by the bias pass, bit for bit. Each 8-filter
    /// block's extended rows are turned into output rows right after they are computed, while they are in L1
    /// (8 x 726 floats for cnn3's conv1), instead of copying all filters' planes into a GEMM-shaped buffer first.
    /// Only filters <paramref name="filterStart"/> .. <paramref name="filterEnd"/> (whole blocks of 8): a thread's share
    /// of one image (Conv2D.FilterSplit.cs).
    /// </summary>
    private unsafe void ForwardBroadcast(float[] x, int s, int first, int g, float[] y, bool relu, int filterStart, int filterEnd)
    {
        int width = PackedPlane.Width, outSize = OutputShape.Size, extended = ExtendedStride;
        float[] yExt = Ensure(ref _extended[s], 8L * extended), padded = PaddedImage(s);
        fixed (float* px = x, pPadded = padded, py = y, pExt = yExt)
        {
            for (int j = 0; j < g; j++)
            {
                float* image = BroadcastImage(x, px, first + j, padded, pPadded);
                for (int f0 = filterStart; f0 < filterEnd; f0 += 8)
                {
                    BroadcastFilters(image, f0, pExt);
                    for (int f = f0; f < f0 + 8; f++)
                        RowsWithBias(pExt + (long)(f - f0) * extended, width, py + (long)(first + j) * outSize + f * _outPixels,
                            _outHeight, _outWidth, ForwardBias(f), relu);
                }
            }
        }
    }

    /// <summary>
    /// target (rows x cols) = the extended rows at <paramref name="source"/> (<paramref name="sourceRow"/> apart) + bias, then
    /// ReLU when <paramref name="relu"/>: the same operations as Kernels.AddBias per row, but in whole 16-float vectors
    /// (a call per 14- or 28-float row cost as much as its arithmetic: 896 calls per image for cnn-deep's 14x14x64 conv).
    /// A row's last vector runs past its end onto the following rows' first floats, which their stores write again, and
    /// reads as far into the following extended rows; rows whose vectors would end past the plane (or past this filter's
    /// extended rows) take the exact path, so nothing is read or written outside them.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void RowsWithBias(float* source, int sourceRow, float* target, int rows, int cols, float bias, bool relu)
    {
        var b = Vector512.Create(bias);
        int span = (cols + 15) / 16 * 16, extended = (rows - 1) * sourceRow + cols;
        for (int oy = 0; oy < rows; oy++)
        {
            float* from = source + (long)oy * sourceRow, to = target + (long)oy * cols;
            if (oy * cols + span > rows * cols || oy * sourceRow + span > extended)
            {
                Kernels.AddBias(new ReadOnlySpan<float>(from, cols), bias, new Span<float>(to, cols), relu);
                continue;
            }
            for (int c = 0; c < cols; c += 16)
            {
                var v = Vector512.Load(from + c) + b;
                if (relu) v &= Vector512.GreaterThan(v, Vector512<float>.Zero);
                v.Store(to + c);
            }
        }
    }

    /// <summary>
    /// <see cref="ForwardBroadcast"/> followed by bias, 2x2/2 max and ReLU (<see cref="ForwardPooled"/>): each 8-filter
    /// block is pooled straight from its extended rows (row stride = the input width) while in L1, so the full-size
    /// activation is never written out. Same values in the same order as the separate steps, so the same bits.
    /// Filters <paramref name="filterStart"/> .. <paramref name="filterEnd"/> only, as <see cref="ForwardBroadcast"/>.
    /// </summary>
    private unsafe void ForwardBroadcastPooled(float[] x, int s, int first, int g, float[] y, int pooledHeight, int pooledWidth, bool relu,
        int filterStart, int filterEnd)
    {
        int width = PackedPlane.Width, extended = ExtendedStride, pooledPlane = pooledHeight * pooledWidth;
        float[] yExt = Ensure(ref _extended[s], 8L * extended), padded = PaddedImage(s);
        fixed (float* px = x, pPadded = padded, py = y, pExt = yExt)
        {
            for (int j = 0; j < g; j++)
            {
                float* image = BroadcastImage(x, px, first + j, padded, pPadded);
                float* output = py + (long)(first + j) * Filters * pooledPlane;
                for (int f0 = filterStart; f0 < filterEnd; f0 += 8)
                {
                    BroadcastFilters(image, f0, pExt);
                    for (int f = f0; f < f0 + 8; f++)
                        MaxPool2D.PoolPlane<WithBias>(pExt + (long)(f - f0) * extended, width, output + f * pooledPlane, pooledHeight, pooledWidth,
                            ForwardBias(f), relu);
                }
            }
        }
    }

    /// <summary>Image <paramref name="index"/>'s plane for the broadcast kernel: in place, or its zero-bordered copy ('same') in <paramref name="padded"/>.</summary>
    private unsafe float* BroadcastImage(float[] x, float* px, int index, float[] padded, float* pPadded)
    {
        if (!PadsForPacking) return px + (long)index * InputShape.Size;
        var (height, width) = PackedPlane;
        PadForPacking(x.AsSpan(index * InputShape.Size, InputShape.Size), padded.AsSpan(0, _inChannels * height * width), height, width);
        return pPadded;
    }

    private float[] PaddedImage(int s)
    {
        var (height, width) = PackedPlane;
        // + WideBroadcastPixels: a 64-pixel block of the last tap reads up to 63 floats past its first pixel.
        return PadsForPacking ? Ensure(ref _paddedGroup[s], (long)_inChannels * height * width + WideBroadcastPixels) : [];
    }

    /// <summary>
    /// Extended rows of filters f0 .. f0 + 8 for one image into <paramref name="yExt"/> (8 planes of ExtendedStride):
    /// 4x64 blocks where <see cref="UseWideBroadcast"/>, else 8x48 blocks with the last one overlapping (8x32 when the
    /// rest fits, <see cref="BroadcastBlockAt"/>); taps in the GEMM's K blocks, added in order.
    /// </summary>
    private unsafe void BroadcastFilters(float* image, int f0, float* yExt)
    {
        int filters = Filters, extended = ExtendedPixels, taps = _kernelSize;
        int kBlocks = (taps + Numerics.ManagedGemm.KcMax - 1) / Numerics.ManagedGemm.KcMax, kStep = (taps + kBlocks - 1) / kBlocks;
        fixed (float* pw = _weightsT)
        fixed (int* pOffsets = _tapOffsets)
        {
            if (UseWideBroadcast)
            {
                int stride = ExtendedStride;
                for (int q = 0; q < extended; q += WideBroadcastPixels)
                    for (int half = 0; half < 8; half += 4)
                        for (int k0 = 0; k0 < taps; k0 += kStep)
                            BroadcastBlock4x64(image + q, pOffsets + k0, Math.Min(kStep, taps - k0), pw + (long)k0 * filters + f0 + half, filters,
                                yExt + (long)half * stride + q, stride, accumulate: k0 > 0);
                return;
            }
            for (int q0 = 0; q0 < extended; q0 += BroadcastPixels)
            {
                var (q, narrow) = BroadcastBlockAt(q0, extended);
                for (int k0 = 0; k0 < taps; k0 += kStep)
                    if (narrow)
                        BroadcastBlock8x32(image + q, pOffsets + k0, Math.Min(kStep, taps - k0), pw + (long)k0 * filters + f0, filters,
                            yExt + q, extended, accumulate: k0 > 0);
                    else
                        BroadcastBlock(image + q, pOffsets + k0, Math.Min(kStep, taps - k0), pw + (long)k0 * filters + f0, filters,
                            yExt + q, extended, accumulate: k0 > 0);
            }
        }
    }

    /// <summary>
    /// y[r, 0..48) (=|+=) Σ over the taps of w[t, r] · x[offset_t + 0..48) for the 8 filters r; y rows are
    /// <paramref name="yRow"/> apart, w rows <paramref name="filters"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void BroadcastBlock(float* x, int* offsets, int taps, float* w, int filters, float* y, int yRow, bool accumulate)
    {
        Vector512<float> a00 = default, a01 = default, a02 = default, a10 = default, a11 = default, a12 = default;
        Vector512<float> a20 = default, a21 = default, a22 = default, a30 = default, a31 = default, a32 = default;
        Vector512<float> a40 = default, a41 = default, a42 = default, a50 = default, a51 = default, a52 = default;
        Vector512<float> a60 = default, a61 = default, a62 = default, a70 = default, a71 = default, a72 = default;
        for (int t = 0; t < taps; t++, w += filters)
        {
            float* p = x + offsets[t];
            Vector512<float> x0 = Vector512.Load(p), x1 = Vector512.Load(p + 16), x2 = Vector512.Load(p + 32), b;
            b = Vector512.Create(w[0]); a00 = Avx512F.FusedMultiplyAdd(b, x0, a00); a01 = Avx512F.FusedMultiplyAdd(b, x1, a01); a02 = Avx512F.FusedMultiplyAdd(b, x2, a02);
            b = Vector512.Create(w[1]); a10 = Avx512F.FusedMultiplyAdd(b, x0, a10); a11 = Avx512F.FusedMultiplyAdd(b, x1, a11); a12 = Avx512F.FusedMultiplyAdd(b, x2, a12);
            b = Vector512.Create(w[2]); a20 = Avx512F.FusedMultiplyAdd(b, x0, a20); a21 = Avx512F.FusedMultiplyAdd(b, x1, a21); a22 = Avx512F.FusedMultiplyAdd(b, x2, a22);
            b = Vector512.Create(w[3]); a30 = Avx512F.FusedMultiplyAdd(b, x0, a30); a31 = Avx512F.FusedMultiplyAdd(b, x1, a31); a32 = Avx512F.FusedMultiplyAdd(b, x2, a32);
            b = Vector512.Create(w[4]); a40 = Avx512F.FusedMultiplyAdd(b, x0, a40); a41 = Avx512F.FusedMultiplyAdd(b, x1, a41); a42 = Avx512F.FusedMultiplyAdd(b, x2, a42);
            b = Vector512.Create(w[5]); a50 = Avx512F.FusedMultiplyAdd(b, x0, a50); a51 = Avx512F.FusedMultiplyAdd(b, x1, a51); a52 = Avx512F.FusedMultiplyAdd(b, x2, a52);
            b = Vector512.Create(w[6]); a60 = Avx512F.FusedMultiplyAdd(b, x0, a60); a61 = Avx512F.FusedMultiplyAdd(b, x1, a61); a62 = Avx512F.FusedMultiplyAdd(b, x2, a62);
            b = Vector512.Create(w[7]); a70 = Avx512F.FusedMultiplyAdd(b, x0, a70); a71 = Avx512F.FusedMultiplyAdd(b, x1, a71); a72 = Avx512F.FusedMultiplyAdd(b, x2, a72);
        }
        Put(y, a00, a01, a02, accumulate);
        Put(y + yRow, a10, a11, a12, accumulate);
        Put(y + 2 * (long)yRow, a20, a21, a22, accumulate);
        Put(y + 3 * (long)yRow, a30, a31, a32, accumulate);
        Put(y + 4 * (long)yRow, a40, a41, a42, accumulate);
        Put(y + 5 * (long)yRow, a50, a51, a52, accumulate);
        Put(y + 6 * (long)yRow, a60, a61, a62, accumulate);
        Put(y + 7 * (long)yRow, a70, a71, a72, accumulate);
    }

    /// <summary>
    /// Where the block of the 48-pixel step starting at <paramref name="q0"/> goes: whole 48-pixel blocks, then a last
    /// block ending at the last pixel (overlapping the one before), of 32 pixels when the rest fits in 32: 14x14 'same'
    /// planes (222 extended pixels) compute 224 pixels instead of 240. Overlapping pixels are computed again, the same way.
    /// </summary>
    private static (int Q, bool Narrow) BroadcastBlockAt(int q0, int extended)
    {
        int left = extended - q0;
        if (left >= BroadcastPixels) return (q0, false);
        return left <= 32 ? (extended - 32, true) : (extended - BroadcastPixels, false);
    }

    /// <summary>Pixels the blocks of <see cref="BroadcastBlockAt"/> compute over an extended plane (overlaps counted twice).</summary>
    private static int BroadcastComputedPixels(int extended)
    {
        int total = 0;
        for (int q0 = 0; q0 < extended; q0 += BroadcastPixels) total += BroadcastBlockAt(q0, extended).Narrow ? 32 : BroadcastPixels;
        return total;
    }

    /// <summary><see cref="BroadcastBlock"/> for 8 filters x 32 pixels (a plane's last block): the same chains, the same bits.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void BroadcastBlock8x32(float* x, int* offsets, int taps, float* w, int filters, float* y, int yRow, bool accumulate)
    {
        Vector512<float> a00 = default, a01 = default, a10 = default, a11 = default, a20 = default, a21 = default, a30 = default, a31 = default;
        Vector512<float> a40 = default, a41 = default, a50 = default, a51 = default, a60 = default, a61 = default, a70 = default, a71 = default;
        for (int t = 0; t < taps; t++, w += filters)
        {
            float* p = x + offsets[t];
            Vector512<float> x0 = Vector512.Load(p), x1 = Vector512.Load(p + 16), b;
            b = Vector512.Create(w[0]); a00 = Avx512F.FusedMultiplyAdd(b, x0, a00); a01 = Avx512F.FusedMultiplyAdd(b, x1, a01);
            b = Vector512.Create(w[1]); a10 = Avx512F.FusedMultiplyAdd(b, x0, a10); a11 = Avx512F.FusedMultiplyAdd(b, x1, a11);
            b = Vector512.Create(w[2]); a20 = Avx512F.FusedMultiplyAdd(b, x0, a20); a21 = Avx512F.FusedMultiplyAdd(b, x1, a21);
            b = Vector512.Create(w[3]); a30 = Avx512F.FusedMultiplyAdd(b, x0, a30); a31 = Avx512F.FusedMultiplyAdd(b, x1, a31);
            b = Vector512.Create(w[4]); a40 = Avx512F.FusedMultiplyAdd(b, x0, a40); a41 = Avx512F.FusedMultiplyAdd(b, x1, a41);
            b = Vector512.Create(w[5]); a50 = Avx512F.FusedMultiplyAdd(b, x0, a50); a51 = Avx512F.FusedMultiplyAdd(b, x1, a51);
            b = Vector512.Create(w[6]); a60 = Avx512F.FusedMultiplyAdd(b, x0, a60); a61 = Avx512F.FusedMultiplyAdd(b, x1, a61);
            b = Vector512.Create(w[7]); a70 = Avx512F.FusedMultiplyAdd(b, x0, a70); a71 = Avx512F.FusedMultiplyAdd(b, x1, a71);
        }
        Put(y, a00, a01, accumulate);
        Put(y + yRow, a10, a11, accumulate);
        Put(y + 2 * (long)yRow, a20, a21, accumulate);
        Put(y + 3 * (long)yRow, a30, a31, accumulate);
        Put(y + 4 * (long)yRow, a40, a41, accumulate);
        Put(y + 5 * (long)yRow, a50, a51, accumulate);
        Put(y + 6 * (long)yRow, a60, a61, accumulate);
        Put(y + 7 * (long)yRow, a70, a71, accumulate);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Put(float* y, Vector512<float> v0, Vector512<float> v1, bool accumulate)
    {
        Put(y, v0, accumulate);
        Put(y + 16, v1, accumulate);
    }

    /// <summary>
    /// <see cref="BroadcastBlock"/> for 4 filters x 64 pixels (16 accumulators; per tap 4 loads, 4 broadcasts, 16 FMAs):
    /// each output is the same chain of FMAs over the taps from zero, so the same bits.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void BroadcastBlock4x64(float* x, int* offsets, int taps, float* w, int filters, float* y, int yRow, bool accumulate)
    {
        Vector512<float> a00 = default, a01 = default, a02 = default, a03 = default, a10 = default, a11 = default, a12 = default, a13 = default;
        Vector512<float> a20 = default, a21 = default, a22 = default, a23 = default, a30 = default, a31 = default, a32 = default, a33 = default;
        for (int t = 0; t < taps; t++, w += filters)
        {
            float* p = x + offsets[t];
            Vector512<float> x0 = Vector512.Load(p), x1 = Vector512.Load(p + 16), x2 = Vector512.Load(p + 32), x3 = Vector512.Load(p + 48), b;
            b = Vector512.Create(w[0]); a00 = Avx512F.FusedMultiplyAdd(b, x0, a00); a01 = Avx512F.FusedMultiplyAdd(b, x1, a01); a02 = Avx512F.FusedMultiplyAdd(b, x2, a02); a03 = Avx512F.FusedMultiplyAdd(b, x3, a03);
            b = Vector512.Create(w[1]); a10 = Avx512F.FusedMultiplyAdd(b, x0, a10); a11 = Avx512F.FusedMultiplyAdd(b, x1, a11); a12 = Avx512F.FusedMultiplyAdd(b, x2, a12); a13 = Avx512F.FusedMultiplyAdd(b, x3, a13);
            b = Vector512.Create(w[2]); a20 = Avx512F.FusedMultiplyAdd(b, x0, a20); a21 = Avx512F.FusedMultiplyAdd(b, x1, a21); a22 = Avx512F.FusedMultiplyAdd(b, x2, a22); a23 = Avx512F.FusedMultiplyAdd(b, x3, a23);
            b = Vector512.Create(w[3]); a30 = Avx512F.FusedMultiplyAdd(b, x0, a30); a31 = Avx512F.FusedMultiplyAdd(b, x1, a31); a32 = Avx512F.FusedMultiplyAdd(b, x2, a32); a33 = Avx512F.FusedMultiplyAdd(b, x3, a33);
        }
        Put(y, a00, a01, a02, accumulate);
        Put(y + 48, a03, accumulate);
        Put(y + yRow, a10, a11, a12, accumulate);
        Put(y + yRow + 48, a13, accumulate);
        Put(y + 2 * (long)yRow, a20, a21, a22, accumulate);
        Put(y + 2 * (long)yRow + 48, a23, accumulate);
        Put(y + 3 * (long)yRow, a30, a31, a32, accumulate);
        Put(y + 3 * (long)yRow + 48, a33, accumulate);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Put(float* y, Vector512<float> v, bool accumulate)
    {
        if (accumulate) v = Vector512.Load(y) + v;
        v.Store(y);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Put(float* y, Vector512<float> v0, Vector512<float> v1, Vector512<float> v2, bool accumulate)
    {
        if (accumulate)
        {
            v0 = Vector512.Load(y) + v0;
            v1 = Vector512.Load(y + 16) + v1;
            v2 = Vector512.Load(y + 32) + v2;
        }
        v0.Store(y);
        v1.Store(y + 16);
        v2.Store(y + 32);
    }
}
