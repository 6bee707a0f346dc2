using FashionMnist.Neural;
using FashionMnist.Neural.Layers;

namespace FashionMnist.Tests.Neural;

/// <summary>
/// The convolution's backward kernels (<c>Conv2D.InputGradient.cs</c>) against the reference path they replace (bit for
/// bit where the sums keep their order), against the definition evaluated naively in double, and on a case small
/// enough to check by hand.
/// </summary>
public class ConvolutionBackwardTests
{
    public static TheoryData<int, int, int, int, int, int, string, int> Shapes => new()
    {
        // channels, height, width, filters, kernel h, kernel w, padding, batch
        { 32, 13, 13, 8, 3, 3, "Valid", 7 },   // cnn3 conv2's input: 13-wide rows, one chunk
        { 16, 5, 5, 12, 3, 3, "Valid", 40 },   // conv3: 5x5 inputs, many images per group
        { 3, 28, 28, 4, 3, 3, "Same", 3 },     // cnn-deep: 28-wide rows = two chunks, padded borders
        { 2, 7, 35, 3, 3, 5, "Same", 2 },      // three chunks, non-square kernel, odd padding
        { 2, 6, 9, 3, 2, 4, "Valid", 3 },      // even kernel
        { 5, 4, 4, 2, 1, 1, "Valid", 2 },      // 1x1 kernel: the fold is a copy
        { 2, 4, 4, 3, 4, 4, "Valid", 2 },      // kernel = input: 1x1 output
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Row_fold_input_gradient_equals_the_column_fold_bit_for_bit_and_the_definition(int channels, int height, int width, int filters,
        int kh, int kw, string paddingName, int n)
    {
        var padding = Enum.Parse<Padding>(paddingName);
        var shape = new Shape(channels, height, width);
        Conv2D Build(bool rowFold) =>
            (Conv2D)new Sequential().Input(shape).Add(new Conv2D(filters, kh, kw, 1, padding) { RowFoldAllowed = rowFold }).Build(4).Layers[0];
        Conv2D fast = Build(true), reference = Build(false);
        var rng = new SplitMix64(17);
        float[] x = Enumerable.Range(0, n * shape.Size).Select(_ => (float)rng.NextGaussian()).ToArray();
        int outSize = fast.OutputShape.Size;
        float[] y = new float[n * outSize];
        float[] dy = Enumerable.Range(0, n * outSize).Select(_ => (float)rng.NextGaussian()).ToArray();
        // Stale values in dx must not leak into the result (the row fold overwrites instead of clearing and adding).
        float[] dxFast = Enumerable.Repeat(float.NaN, n * shape.Size).ToArray(), dxReference = new float[n * shape.Size];
        fast.Forward(x, y, n, new PassInfo(true, 1));
        fast.Backward(x, y, dy, dxFast, n);
        reference.Backward(x, y, dy, dxReference, n);
        Assert.Equal(dxReference.Select(BitConverter.SingleToInt32Bits), dxFast.Select(BitConverter.SingleToInt32Bits));

        int oh = fast.OutputShape.Height, ow = fast.OutputShape.Width;
        int padTop = padding == Padding.Same ? (oh - 1 + kh - height) / 2 : 0, padLeft = padding == Padding.Same ? (ow - 1 + kw - width) / 2 : 0;
        float[] w = fast.Weights.Value;
        for (int i = 0; i < n; i++)
            for (int c = 0; c < channels; c++)
                for (int iy = 0; iy < height; iy++)
                    for (int ix = 0; ix < width; ix++)
                    {
                        double sum = 0, size = 0;
                        for (int f = 0; f < filters; f++)
                            for (int ki = 0; ki < kh; ki++)
                                for (int kj = 0; kj < kw; kj++)
                                {
                                    int oy = iy + padTop - ki, ox = ix + padLeft - kj;
                                    if ((uint)oy >= (uint)oh || (uint)ox >= (uint)ow) continue;
                                    double product = (double)w[((f * channels + c) * kh + ki) * kw + kj] * dy[i * outSize + (f * oh + oy) * ow + ox];
                                    sum += product;
                                    size += Math.Abs(product);
                                }
                        float actual = dxFast[i * shape.Size + (c * height + iy) * width + ix];
                        Assert.True(Math.Abs(actual - sum) <= 1e-6 * (size + 1), $"image {i} ({c},{iy},{ix}): {actual} vs {sum}");
                    }
    }

    [Fact]
    public void Input_gradient_of_a_2x2_kernel_by_hand()
    {
        // One 3x3 image, one 2x2 filter [1 2; 3 4], valid: dL/dy = [1 0; 0 1] puts the kernel at (0,0) and at (1,1).
        var conv = (Conv2D)new Sequential().Input(new Shape(1, 3, 3)).Add(new Conv2D(1, 2, 2)).Build(1).Layers[0];
        float[] x = [1, 2, 3, 4, 5, 6, 7, 8, 9];
        new float[] { 1, 2, 3, 4 }.CopyTo(conv.Weights.Value, 0);
        float[] y = new float[4], dx = new float[9];
        conv.Forward(x, y, 1, new PassInfo(true, 1));
        conv.Backward(x, y, [1, 0, 0, 1], dx, 1);
        Assert.Equal([1, 2, 0, 3, 5, 2, 0, 3, 4], dx);
        // dL/dW = x[0..1, 0..1] + x[1..2, 1..2] = [1+5, 2+6; 4+8, 5+9].
        Assert.Equal([6, 8, 12, 14], conv.Weights.Gradient);
    }
}
