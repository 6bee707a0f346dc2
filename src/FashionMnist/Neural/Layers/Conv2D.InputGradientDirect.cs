namespace FashionMnist.Neural.Layers;

/// <summary>
/// The input gradient of stride-1 convolutions without the column matrix. The GEMM path computes every column-gradient
/// entry col[(c, ki, kj), p] = Σ_f W[f, c, ki, kj] · dy[f, p] (a 9·C x pixels matrix: 903 KB per image for cnn-deep's
/// 28x28x32 conv, written out, then read back by the fold) and the fold (<see cref="Col2ImRows"/>) sums each input
/// pixel's taps onto 0 in (ki, kj) order. Measured (1 thread, 128 images, that conv): GEMM 11.0 + fold 4.5 CPU-ms against
/// a 7.9 ms FLOP floor. Here dy is copied into zero-bordered planes (kh - 1 rows and kw - 1 columns of zeros around it),
/// so that, counting input pixels along "extended" rows as wide as those planes (q = iy · width + ix), tap (ki, kj) of
/// filter f reads plane f at q + (kh - 1 - ki) · width + (kw - 1 - kj) for every q. The forward pass's register block
/// (<see cref="BroadcastBlock"/>: 8 channels x 48 pixels, the weights as broadcasts) then computes one tap's column
/// entries for 48 pixels as the same FMA chain over the filters from zero that the GEMM forms, and adds them to the
/// pixels' sums held in an L1/L2-resident buffer, tap after tap in the fold's order. Taps that fall outside dy read the
/// zero border: their chain is +0 (a chain from +0 never gives −0), which adds nothing, as the fold's masked and skipped
/// taps add nothing. So dL/dx is the GEMM path's, bit for bit (tested), without the column matrix or the fold.
/// </summary>
internal sealed partial class Conv2D
{
    private float[]?[] _paddedGradient = [], _extendedGradient = [];
    private float[]? _weightsByTap;
    private int[]? _gradientOffsets;

    /// <summary>Tests switch the direct input gradient off to compare it with the GEMM + fold path.</summary>
    internal bool DirectInputGradientAllowed { get; init; } = true;

    /// <summary>
    /// Channels in blocks of 8; one K block in the GEMM (≤ <see cref="Numerics.ManagedGemm.KcMax"/> filters), so its
    /// column entries are single chains; and blocks (<see cref="BroadcastBlockAt"/>) that compute at most 1/6 more pixels
    /// than the input has. Measured (1 thread, 128 images, whole backward interleaved with the GEMM + fold path, loaded
    /// machine): 28x28x32 → 32 22.6 against 27.1 CPU-ms (848 pixels computed for 784); 14x14 (224 for 196) 64 → 64 22.0
    /// against 23.8, 32 → 64 11.8 against 11.8; 7x7 (96 for 49) 13.4 against 11.8, a loss, so it keeps the GEMM.
    /// </summary>
    internal bool UseDirectInputGradient => DirectInputGradientAllowed && Stride == 1 && _inChannels % 8 == 0
        && Filters <= Numerics.ManagedGemm.KcMax && GradientExtendedPixels >= BroadcastPixels && Avx512F.IsSupported
        && BroadcastComputedPixels(GradientExtendedPixels) * 6 <= InputShape.Height * InputShape.Width * 7;

    /// <summary>dy's zero-bordered plane: the input's size plus kernel - 1 in each direction.</summary>
    private (int Height, int Width) GradientPlane => (InputShape.Height + KernelHeight - 1, InputShape.Width + KernelWidth - 1);

    /// <summary>Input pixels along the extended rows, up to the last real one.</summary>
    private int GradientExtendedPixels => (InputShape.Height - 1) * GradientPlane.Width + InputShape.Width;

    /// <summary>Weights as taps x filters x channels and each (tap, filter)'s read offset, once per pass (before the slices run).</summary>
    private void PrepareDirectInputGradient(int slices)
    {
        int taps = KernelHeight * KernelWidth, channels = _inChannels, filters = Filters;
        float[] byTap = Ensure(ref _weightsByTap, (long)taps * filters * channels), weights = Weights.Value;
        for (int f = 0; f < filters; f++)
            for (int c = 0; c < channels; c++)
                for (int t = 0; t < taps; t++)
                    byTap[((long)t * filters + f) * channels + c] = weights[(f * channels + c) * taps + t];
        var (height, width) = GradientPlane;
        int[] offsets = Ensure(ref _gradientOffsets, (long)taps * filters);
        for (int ki = 0, t = 0; ki < KernelHeight; ki++)
            for (int kj = 0; kj < KernelWidth; kj++, t++)
                for (int f = 0; f < filters; f++)
                    offsets[t * filters + f] = f * height * width + (KernelHeight - 1 - ki) * width + (KernelWidth - 1 - kj);
        if (_paddedGradient.Length < slices)
        {
            Array.Resize(ref _paddedGradient, slices);
            Array.Resize(ref _extendedGradient, slices);
        }
    }

    /// <summary>dL/dx of one image (overwritten, every pixel) from its dy (masked by y &gt; 0 with a fused ReLU).</summary>
    private unsafe void DirectInputGradient(float[] dy, float[] y, int image, float[] dx, int s, bool relu)
    {
        int filters = Filters, channels = _inChannels, taps = KernelHeight * KernelWidth;
        int outSize = OutputShape.Size, outW = _outWidth, inH = InputShape.Height, inW = InputShape.Width;
        var (height, width) = GradientPlane;
        int plane = height * width, extended = GradientExtendedPixels;
        int top = KernelHeight - 1 - _padTop, left = KernelWidth - 1 - _padLeft;
        // The borders are never written, so they stay the zeros the array was created with.
        float[] padded = Ensure(ref _paddedGradient[s], (long)filters * plane);
        float[] sums = Ensure(ref _extendedGradient[s], (long)channels * extended);
        for (int f = 0; f < filters; f++)
            for (int oy = 0; oy < _outHeight; oy++)
            {
                int at = image * outSize + f * _outPixels + oy * outW;
                Span<float> target = padded.AsSpan(f * plane + (oy + top) * width + left, outW);
                if (relu) Kernels.MaskByPositive(y.AsSpan(at, outW), dy.AsSpan(at, outW), target);
                else dy.AsSpan(at, outW).CopyTo(target);
            }
        fixed (float* pPadded = padded, pSums = sums, pWeights = _weightsByTap, pDx = dx)
        fixed (int* pOffsets = _gradientOffsets)
        {
            for (int q0 = 0; q0 < extended; q0 += BroadcastPixels)
            {
                var (q, narrow) = BroadcastBlockAt(q0, extended);
                for (int c0 = 0; c0 < channels; c0 += 8)
                    for (int t = 0; t < taps; t++)
                        if (narrow)
                            BroadcastBlock8x32(pPadded + q, pOffsets + t * filters, filters, pWeights + (long)t * filters * channels + c0, channels,
                                pSums + (long)c0 * extended + q, extended, accumulate: t > 0);
                        else
                            BroadcastBlock(pPadded + q, pOffsets + t * filters, filters, pWeights + (long)t * filters * channels + c0, channels,
                                pSums + (long)c0 * extended + q, extended, accumulate: t > 0);
            }
            float* target = pDx + (long)image * InputShape.Size;
            for (int c = 0; c < channels; c++)
                for (int iy = 0; iy < inH; iy++)
                    new ReadOnlySpan<float>(pSums + (long)c * extended + iy * width, inW).CopyTo(new Span<float>(target + (c * inH + iy) * inW, inW));
        }
    }
}
