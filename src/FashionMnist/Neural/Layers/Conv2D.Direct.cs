namespace FashionMnist.Neural.Layers;

/// <summary>
/// Direct weight gradient of a 3x3 convolution over one input channel (every zoo model's first layer): im2col of a
/// 1-channel image makes a 9-row column matrix, so the GEMM is 32 x 9 x (pixels) with nothing to reuse. Here each block
/// of 8 output pixels meets its 9 shifted input vectors with 9 vector accumulators per filter. Only used when no dL/dx
/// is needed (the first layer); otherwise the im2col path runs.
/// Measured (1 thread, batch 128, CPU time): backward 1.70 -> 1.56 ms for cnn1's conv1. A direct forward pass (the 9
/// input vectors reused by all filters) was tried and dropped: 1.76 ms against im2col + GEMM's 1.45 ms, because writing
/// the 26x26x32 output dominates both.
/// </summary>
internal sealed partial class Conv2D
{
    private float[]?[] _padded = [], _directSums = [];

    /// <summary>Tests switch the direct path off to compare it with the im2col path.</summary>
    internal bool DirectAllowed { get; init; } = true;

    private bool UseDirect => DirectAllowed && _inChannels == 1 && KernelHeight == 3 && KernelWidth == 3 && Stride == 1 && _outWidth >= 8
        && Avx2.IsSupported && Fma.IsSupported;

    /// <summary>Padded plane: output size + 2 in each direction, so every 3x3 window is inside it.</summary>
    private int PaddedWidth => _outWidth + 2;
    private int PaddedPlane => (_outHeight + 2) * PaddedWidth;

    /// <summary>Copies image i into a zero-bordered plane (the 'same' padding, or a plain copy for 'valid').</summary>
    private void PadImage(ReadOnlySpan<float> image, Span<float> plane)
    {
        int height = InputShape.Height, width = InputShape.Width, pw = PaddedWidth;
        plane.Clear();
        for (int r = 0; r < height; r++)
        {
            int pr = r + _padTop;
            if ((uint)pr >= (uint)(_outHeight + 2)) continue;
            int from = Math.Max(0, -_padLeft), to = Math.Min(width, pw - _padLeft);
            image.Slice(r * width + from, to - from).CopyTo(plane.Slice(pr * pw + from + _padLeft, to - from));
        }
    }

    /// <summary>Weight and bias gradients of the direct path; per-slice partial sums added in slice order as in the im2col path.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void DirectBackward(float[] x, float[] y, float[] dy, int n, int slices, bool relu)
    {
        int outSize = OutputShape.Size, outW = _outWidth;
        EnsureDirectSlices(slices);
        // Blocks of 8 output pixels per row; a partial last block is moved back to end at the row's end, and its
        // first lanes (already counted by the previous block) are masked out.
        int blocks = (outW + 7) / 8, counted = outW / 8 * 8;
        int skip = outW % 8 == 0 ? 0 : counted - (outW - 8);
        var tailMask = Vector256.Create(0, 1, 2, 3, 4, 5, 6, 7).AsInt32();
        Vector256<float> keepTail = Avx2.CompareGreaterThan(tailMask, Vector256.Create(skip - 1)).AsSingle();
        BatchParallel.For(n, slices, (long)n * outSize * 18, (s, start, count) => DirectBackwardSlice(x, y, dy, s, start, count, relu, blocks, keepTail));
        ReducePartials(_weightPartial, slices, Weights.Gradient);
        if (Bias is not null) ReducePartials(_biasPartial, slices, Bias.Gradient);
    }

    /// <summary>
    /// One slice's images: all padded first, then image by image (its padded plane stays in L1) and per filter 9 + 1
    /// vector accumulators over every block, kept in memory between images (a method, not a lambda, so
    /// AggressiveOptimization applies). Filter by filter over all images instead re-read every padded image from L2
    /// once per filter (230 KB per 64 images): cnn-deep's first conv ran at 30 GFLOP/s. Each accumulator still adds
    /// its images, rows and blocks in the same order, so the same bits.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private unsafe void DirectBackwardSlice(float[] x, float[] y, float[] dy, int s, int start, int count, bool relu, int blocks, Vector256<float> keepTail)
    {
        int inSize = InputShape.Size, outSize = OutputShape.Size, outW = _outWidth, outH = _outHeight, pw = PaddedWidth, plane = PaddedPlane;
        {
            float[] padded = Ensure(ref _padded[s], (long)plane * count);
            float[] weightGrad = Ensure(ref _weightPartial[s], Weights.Length);
            float[] biasGrad = Ensure(ref _biasPartial[s], Filters);
            float[] sums = Ensure(ref _directSums[s], Filters * 80L);
            Array.Clear(sums, 0, Filters * 80);
            for (int j = 0; j < count; j++) PadImage(x.AsSpan((start + j) * inSize, inSize), padded.AsSpan(j * plane, plane));
            fixed (float* pin = padded, pdy = dy, py = y, pSums = sums)
            {
                for (int j = 0; j < count; j++)
                {
                    float* image = pin + (long)j * plane;
                    for (int f = 0; f < Filters; f++)
                    {
                        float* a = pSums + f * 80L;
                        Vector256<float> g0 = Avx.LoadVector256(a), g1 = Avx.LoadVector256(a + 8), g2 = Avx.LoadVector256(a + 16);
                        Vector256<float> g3 = Avx.LoadVector256(a + 24), g4 = Avx.LoadVector256(a + 32), g5 = Avx.LoadVector256(a + 40);
                        Vector256<float> g6 = Avx.LoadVector256(a + 48), g7 = Avx.LoadVector256(a + 56), g8 = Avx.LoadVector256(a + 64);
                        Vector256<float> gb = Avx.LoadVector256(a + 72);
                        long at = (long)(start + j) * outSize + f * _outPixels;
                        for (int oy = 0; oy < outH; oy++)
                        for (int block = 0; block < blocks; block++)
                        {
                            int ox = Math.Min(8 * block, outW - 8);
                            Vector256<float> d = Avx.LoadVector256(pdy + at + oy * outW + ox);
                            if (relu) d = Avx.And(d, Avx.CompareGreaterThan(Avx.LoadVector256(py + at + oy * outW + ox), Vector256<float>.Zero));
                            if (8 * block > outW - 8) d = Avx.And(d, keepTail);
                            float* p = image + oy * pw + ox;
                            gb = Avx.Add(gb, d);
                            g0 = Fma.MultiplyAdd(d, Avx.LoadVector256(p), g0);
                            g1 = Fma.MultiplyAdd(d, Avx.LoadVector256(p + 1), g1);
                            g2 = Fma.MultiplyAdd(d, Avx.LoadVector256(p + 2), g2);
                            g3 = Fma.MultiplyAdd(d, Avx.LoadVector256(p + pw), g3);
                            g4 = Fma.MultiplyAdd(d, Avx.LoadVector256(p + pw + 1), g4);
                            g5 = Fma.MultiplyAdd(d, Avx.LoadVector256(p + pw + 2), g5);
                            g6 = Fma.MultiplyAdd(d, Avx.LoadVector256(p + 2 * pw), g6);
                            g7 = Fma.MultiplyAdd(d, Avx.LoadVector256(p + 2 * pw + 1), g7);
                            g8 = Fma.MultiplyAdd(d, Avx.LoadVector256(p + 2 * pw + 2), g8);
                        }
                        Avx.Store(a, g0); Avx.Store(a + 8, g1); Avx.Store(a + 16, g2); Avx.Store(a + 24, g3); Avx.Store(a + 32, g4);
                        Avx.Store(a + 40, g5); Avx.Store(a + 48, g6); Avx.Store(a + 56, g7); Avx.Store(a + 64, g8); Avx.Store(a + 72, gb);
                    }
                }
                for (int f = 0; f < Filters; f++)
                {
                    float* a = pSums + f * 80L;
                    for (int k = 0; k < 9; k++) weightGrad[f * 9 + k] = Vector256.Sum(Avx.LoadVector256(a + 8 * k));
                    biasGrad[f] = Vector256.Sum(Avx.LoadVector256(a + 72));
                }
            }
        }
    }

    private void EnsureDirectSlices(int slices)
    {
        EnsureSlices(slices);
        if (_padded.Length < slices) Array.Resize(ref _padded, slices);
        if (_directSums.Length < slices) Array.Resize(ref _directSums, slices);
    }
}
