namespace FashionMnist.Neural.Layers;

/// <summary>
/// The input gradient's fold (col2im) of stride-1 convolutions, written per input row instead of per column row.
/// <see cref="Col2ImAdd"/> adds every row of the column gradient onto the image: runs of 11 floats for cnn3's conv2,
/// each a read-modify-write overlapping the previous tap's by one float, so most loads wait for a store they partly
/// overlap (store-forwarding stalls: 3.1 of conv2's 13.6 backward CPU-ms per 128 images went there). Here each
/// 16-float chunk of an input row sums its kh x kw contributions in a register (masked loads: lanes a tap does not
/// reach read nothing) and is stored once, so nothing is re-read and the image needs no clearing first.
/// The contributions are added in the same order as <see cref="Col2ImAdd"/> adds them (tap (ki, kj) ascending, onto
/// 0), so the input gradient is bit-identical to it (tested).
/// </summary>
internal sealed partial class Conv2D
{
    /// <summary>Tests switch the row-wise fold off to compare it with <see cref="Col2ImAdd"/>.</summary>
    internal bool RowFoldAllowed { get; init; } = true;

    /// <summary>Up to 4 chunks of 16 per input row (rows up to 64 wide) with a precomputed mask per (chunk, kj).</summary>
    private bool UseRowFold => RowFoldAllowed && Stride == 1 && Avx512F.IsSupported && InputShape.Width <= 64 && KernelWidth <= 16;

    /// <summary>image = the fold of columns[., columnOffset ..] (overwrites; every pixel is written).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private unsafe void Col2ImRows(float[] columns, int columnOffset, int stride, Span<float> image)
    {
        int height = InputShape.Height, width = InputShape.Width, outH = _outHeight, outW = _outWidth;
        int kh = KernelHeight, kw = KernelWidth, chunks = (width + 15) / 16;
        // masks[chunk * kw + kj]: lanes ix of the chunk that tap column kj reaches (0 <= ix + padLeft - kj < outW, ix < width).
        Vector512<float>* masks = stackalloc Vector512<float>[chunks * kw];
        Vector512<float>* stores = stackalloc Vector512<float>[chunks];
        Vector512<int> lane = Vector512.Create(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
        for (int chunk = 0; chunk < chunks; chunk++)
        {
            Vector512<int> ix = lane + Vector512.Create(chunk * 16);
            Vector512<int> inside = Vector512.LessThan(ix, Vector512.Create(width));
            stores[chunk] = inside.AsSingle();
            for (int kj = 0; kj < kw; kj++)
            {
                Vector512<int> ox = ix + Vector512.Create(_padLeft - kj);
                masks[chunk * kw + kj] = (inside & Vector512.GreaterThanOrEqual(ox, Vector512<int>.Zero) & Vector512.LessThan(ox, Vector512.Create(outW))).AsSingle();
            }
        }
        fixed (float* cols = columns, img = image)
        {
            float* baseColumn = cols + columnOffset;
            for (int c = 0; c < _inChannels; c++)
            for (int iy = 0; iy < height; iy++)
            {
                float* target = img + (c * height + iy) * width;
                for (int chunk = 0; chunk < chunks; chunk++)
                {
                    Vector512<float> sum = Vector512<float>.Zero;
                    int x0 = chunk * 16;
                    for (int ki = 0; ki < kh; ki++)
                    {
                        int oy = iy + _padTop - ki;
                        if ((uint)oy >= (uint)outH) continue;
                        // Tap (c, ki, kj)'s column row, at output row oy, shifted so lane ix reads output column ix + padLeft - kj.
                        float* row = baseColumn + (long)((c * kh + ki) * kw) * stride + oy * outW + x0 + _padLeft;
                        for (int kj = 0; kj < kw; kj++, row += stride)
                            sum += Avx512F.MaskLoad(row - kj, masks[chunk * kw + kj], Vector512<float>.Zero);
                    }
                    Avx512F.MaskStore(target + x0, stores[chunk], sum);
                }
            }
        }
    }
}
