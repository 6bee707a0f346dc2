namespace FashionMnist.Neural.Layers;

/// <summary>
/// Inference through conv → (ReLU) → 2x2/2 max-pool in one pass (<see cref="Sequential"/> plans it for inference passes
/// only; training keeps the layers apart, as the pool's backward needs the full-size conv output). Each group of images
/// is multiplied into the per-thread GEMM buffer as in <see cref="Forward"/>, and the bias, the 2x2 maximum and the
/// ReLU go from there straight into the pooled output: the full-size activation (cnn3's first conv: 86 KB per image,
/// 4x the pooled one) is never written to memory and read back. Same additions and maxima in the same order as the
/// separate layers (bias added to each of the four values, vertical then horizontal maximum), so bit-identical (tested).
/// </summary>
internal sealed partial class Conv2D
{
    /// <summary>Whether this convolution can pool its own output for <paramref name="pool"/> (2x2, stride 2).</summary>
    internal static bool CanPoolInto(MaxPool2D pool) => pool.Size == 2 && pool.Stride == 2;

    /// <summary>y (n x pooled shape) = maxpool2x2(conv(x) + bias), then ReLU when <paramref name="relu"/>.</summary>
    internal void ForwardPooled(float[] x, float[] y, int n, bool relu)
    {
        int slices = BatchParallel.Slices(n);
        EnsureSlices(slices);
        bool packed = UsePacked, broadcast = UseBroadcast, winograd = UseWinograd(pooled: true);
        SelectWeights(training: false);
        if (broadcast) PrepareBroadcast();
        if (winograd) PrepareWinograd();
        PrepareWeightPanels(packed && !broadcast && !winograd);
        BatchParallel.For(n, slices, (long)n * OutputShape.Size * _kernelSize, (s, start, count) =>
            ForwardPooledRange(x, y, s, start, count, relu, packed, broadcast, winograd));
    }

    /// <summary><see cref="ForwardPooled"/> of rows [start, start + count) with slice <paramref name="slice"/>'s scratch (after <see cref="PrepareRows"/>).</summary>
    internal void ForwardPooledRows(float[] x, float[] y, int slice, int start, int count, bool relu) =>
        ForwardPooledRange(x, y, slice, start, count, relu, UsePacked, UseBroadcast, UseWinograd(pooled: true));

    private void ForwardPooledRange(float[] x, float[] y, int s, int start, int count, bool relu, bool packed, bool broadcast, bool winograd)
    {
        int inSize = InputShape.Size;
        int pooledHeight = _outHeight / 2, pooledWidth = _outWidth / 2, pooledSize = Filters * pooledHeight * pooledWidth;
        if (winograd)
        {
            ForwardWinograd(x, s, start, count, y, pooled: true, relu, 0, Filters);
            return;
        }
        if (broadcast)
        {
            ForwardBroadcastPooled(x, s, start, count, y, pooledHeight, pooledWidth, relu, 0, Filters);
            return;
        }
        float[] columns = packed ? [] : Ensure(ref _columns[s], (long)_kernelSize * _group * _outPixels);
        float[] gathered = Ensure(ref _gathered[s], (long)Filters * _group * _outPixels);
        for (int first = start; first < start + count; first += _group)
        {
            int g = Math.Min(_group, start + count - first), width = g * _outPixels;
            if (packed) ForwardPacked(x, s, first, g, gathered);
            else
            {
                for (int j = 0; j < g; j++) Im2Col(x.AsSpan((first + j) * inSize, inSize), columns, j * _outPixels, width);
                NeuralGemm.Multiply(false, false, Filters, width, _kernelSize, 1f, _forwardWeights, _kernelSize, columns, width, 0f, gathered, width);
            }
            for (int j = 0; j < g; j++)
                PoolGroupImage(gathered, width, j, y, (first + j) * pooledSize, pooledHeight, pooledWidth, relu);
        }
    }

    /// <summary>Bias + 2x2 max (+ ReLU) of image j's planes in the GEMM output (row f, columns j*outPixels ...) into y.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private unsafe void PoolGroupImage(float[] gathered, int width, int j, float[] y, int outOffset, int outH, int outW, bool relu)
    {
        fixed (float* pg = gathered, py = y)
        {
            for (int f = 0; f < Filters; f++)
            {
                float bias = ForwardBias(f);
                float* plane = pg + (long)f * width + j * _outPixels;
                MaxPool2D.PoolPlane<WithBias>(plane, _outWidth, py + outOffset + f * outH * outW, outH, outW, bias, relu);
            }
        }
    }
}
