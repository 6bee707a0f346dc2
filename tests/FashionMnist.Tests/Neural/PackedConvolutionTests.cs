using FashionMnist.Neural;
using FashionMnist.Neural.Layers;

namespace FashionMnist.Tests.Neural;

/// <summary>
/// The forward pass that unfolds images straight into the GEMM's packed panels (<c>Conv2D.Packed.cs</c>) against the
/// im2col + GEMM path (bit for bit: same products, same order) and against naive loops (float tolerance), on shapes
/// that exercise grouped images, runs split by panel boundaries, a partial last panel, 1-3 wide outputs, non-square
/// kernels and fused ReLU. Winograd is switched off here (its inference rounds differently: WinogradConvolutionTests).
/// </summary>
public class PackedConvolutionTests
{
    public static TheoryData<int, int, int, int, int, int, int, bool> Shapes => new()
    {
        // channels, height, width, filters, kernel h, kernel w, batch, relu
        { 1, 28, 28, 32, 3, 3, 5, false },  // cnn3 conv1: 26-wide rows, two images per GEMM
        { 32, 13, 13, 64, 3, 3, 7, true },  // conv2: 11-wide rows, five images side by side, runs split by panels
        { 64, 5, 5, 128, 3, 3, 40, true },  // conv3: 3x3 outputs, 37 images per group then a group of 3
        { 3, 7, 9, 5, 2, 3, 3, false },     // odd everything
        { 2, 4, 4, 3, 4, 4, 2, true },      // kernel = input: 1x1 output
        { 5, 6, 40, 7, 1, 1, 1, false },    // 1x1 kernel, 40-wide rows longer than a panel
        { 4, 3, 35, 6, 3, 1, 3, false },    // rows of 35 cross panel boundaries
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Packed_forward_equals_im2col_bit_for_bit_and_the_naive_convolution(int channels, int height, int width, int filters,
        int kh, int kw, int n, bool relu)
    {
        var shape = new Shape(channels, height, width);
        Sequential Build(bool packed)
        {
            var network = new Sequential().Input(shape).Add(new Conv2D(filters, kh, kw) { PackedAllowed = packed, WinogradAllowed = false });
            if (relu) network.ReLU();
            return network.Build(3);
        }
        Sequential packed = Build(true), plain = Build(false);
        var conv = (Conv2D)packed.Layers[0];
        var rng = new SplitMix64(11);
        float[] bias = conv.Bias!.Value;
        for (int f = 0; f < bias.Length; f++) bias[f] = (float)rng.NextGaussian() * 0.1f;
        bias.CopyTo(((Conv2D)plain.Layers[0]).Bias!.Value, 0);
        float[] input = Enumerable.Range(0, n * shape.Size).Select(_ => (float)rng.NextGaussian()).ToArray();

        float[] a = packed.Forward(input, n, PassInfo.Inference).AsSpan(0, n * packed.OutputShape.Size).ToArray();
        float[] b = plain.Forward(input, n, PassInfo.Inference).AsSpan(0, n * plain.OutputShape.Size).ToArray();
        Assert.Equal(b.Select(BitConverter.SingleToInt32Bits), a.Select(BitConverter.SingleToInt32Bits));

        int oh = height - kh + 1, ow = width - kw + 1;
        float[] w = conv.Weights.Value;
        for (int i = 0; i < n; i++)
            for (int f = 0; f < filters; f++)
                for (int oy = 0; oy < oh; oy++)
                    for (int ox = 0; ox < ow; ox++)
                    {
                        double sum = bias[f], size = Math.Abs(bias[f]);
                        for (int c = 0; c < channels; c++)
                            for (int ki = 0; ki < kh; ki++)
                                for (int kj = 0; kj < kw; kj++)
                                {
                                    double product = (double)w[((f * channels + c) * kh + ki) * kw + kj] * input[i * shape.Size + (c * height + oy + ki) * width + ox + kj];
                                    sum += product;
                                    size += Math.Abs(product);
                                }
                        if (relu) sum = Math.Max(sum, 0);
                        float actual = a[i * filters * oh * ow + (f * oh + oy) * ow + ox];
                        Assert.True(Math.Abs(actual - sum) <= 1e-6 * (size + 1), $"image {i} filter {f} ({oy},{ox}): {actual} vs {sum}");
                    }
    }

    [Fact]
    public void Same_padded_convolutions_pack_padded_copies_and_agree_with_im2col_bit_for_bit_while_strided_ones_keep_im2col()
    {
        foreach (var (channels, height, width, filters, kh, kw, stride, padding, n) in new[]
        {
            (3, 9, 8, 4, 3, 3, 1, Padding.Same, 4),     // grouped small images
            (4, 28, 28, 6, 3, 3, 1, Padding.Same, 2),   // cnn-deep's first block: one image per GEMM, 28-wide runs
            (5, 7, 7, 9, 3, 3, 1, Padding.Same, 20),    // cnn-deep's last conv: 7x7, many images per group
            (2, 6, 11, 3, 3, 5, 1, Padding.Same, 3),    // non-square kernel: different top/left padding
            (2, 5, 6, 3, 2, 2, 1, Padding.Same, 3),     // even kernel: padding only at the bottom/right
            (3, 9, 8, 4, 3, 3, 2, Padding.Valid, 4),    // strided: im2col
        })
        {
            Sequential Build(bool packed)
            {
                var network = new Sequential().Input(new Shape(channels, height, width))
                    .Add(new Conv2D(filters, kh, kw, stride, padding) { PackedAllowed = packed, WinogradAllowed = false });
                return (stride == 1 ? network.ReLU() : network).Build(5);
            }
            var rng = new SplitMix64(2);
            float[] input = Enumerable.Range(0, n * channels * height * width).Select(_ => (float)rng.NextGaussian()).ToArray();
            Sequential a = Build(true), b = Build(false);
            foreach (var pass in new[] { PassInfo.Inference, new PassInfo(true, 3) })
                Assert.Equal(b.Forward(input, n, pass).AsSpan(0, n * b.OutputShape.Size).ToArray().Select(BitConverter.SingleToInt32Bits),
                    a.Forward(input, n, pass).AsSpan(0, n * a.OutputShape.Size).ToArray().Select(BitConverter.SingleToInt32Bits));
        }
    }

    [Fact]
    public void Broadcast_forward_equals_the_packed_and_im2col_paths_bit_for_bit()
    {
        // Conv2D.Broadcast.cs keeps the GEMM's K blocks, so its sums are the packed path's and im2col's to the bit.
        foreach (var (channels, height, width, filters, kh, kw, padding, n) in new[]
        {
            (1, 28, 28, 32, 3, 3, Padding.Valid, 3),   // cnn3 conv1: 9 taps
            (32, 13, 13, 64, 3, 3, Padding.Valid, 7),  // conv2: 11-wide rows in 13-wide extended rows, an overlapping last block
            (3, 28, 28, 32, 3, 3, Padding.Same, 2),    // cnn-deep's first block, padded copies
            (64, 14, 14, 16, 3, 3, Padding.Same, 2),   // 576 taps: two K blocks added as the GEMM adds them; a last block of 32 pixels
            (3, 9, 10, 16, 3, 5, Padding.Same, 3),     // 3x5 kernel
            (2, 8, 7, 8, 2, 2, Padding.Valid, 2),      // exactly one 48-pixel block
            (64, 7, 7, 16, 3, 3, Padding.Same, 3),     // cnn-deep's 7x7 conv: one 64-pixel block of 4 filters, two K blocks
            (3, 6, 9, 8, 3, 3, Padding.Same, 2),       // 53 extended pixels: a 64-pixel block too
        })
        {
            var shape = new Shape(channels, height, width);
            Sequential Build(bool broadcast, bool packed) => new Sequential().Input(shape)
                .Add(new Conv2D(filters, kh, kw, 1, padding) { BroadcastAllowed = broadcast, PackedAllowed = packed, WinogradAllowed = false }).ReLU().MaxPool(2).Build(9);
            Sequential fast = Build(true, true), packedOnly = Build(false, true), plain = Build(false, false);
            var conv = (Conv2D)fast.Layers[0];
            Assert.Equal(height * width < 64 && padding == Padding.Same, conv.UseWideBroadcast);
            var rng = new SplitMix64(4);
            for (int f = 0; f < filters; f++) conv.Bias!.Value[f] = (float)rng.NextGaussian() * 0.1f;
            conv.Bias!.Value.CopyTo(((Conv2D)packedOnly.Layers[0]).Bias!.Value, 0);
            conv.Bias!.Value.CopyTo(((Conv2D)plain.Layers[0]).Bias!.Value, 0);
            float[] input = Enumerable.Range(0, n * shape.Size).Select(_ => (float)rng.NextGaussian()).ToArray();
            // Inference runs conv + ReLU + pool in one pass (Conv2D.Pooled.cs); training runs the layers one by one.
            foreach (var pass in new[] { PassInfo.Inference, new PassInfo(true, 2) })
            {
                int size = n * fast.OutputShape.Size;
                int[] a = fast.Forward(input, n, pass).AsSpan(0, size).ToArray().Select(BitConverter.SingleToInt32Bits).ToArray();
                Assert.Equal(packedOnly.Forward(input, n, pass).AsSpan(0, size).ToArray().Select(BitConverter.SingleToInt32Bits), a);
                Assert.Equal(plain.Forward(input, n, pass).AsSpan(0, size).ToArray().Select(BitConverter.SingleToInt32Bits), a);
            }
        }
    }
}
