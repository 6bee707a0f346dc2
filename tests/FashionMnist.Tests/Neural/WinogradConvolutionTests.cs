using FashionMnist.Neural;
using FashionMnist.Neural.Layers;
using FashionMnist.Tests.Support;
using Xunit.Abstractions;

namespace FashionMnist.Tests.Neural;

/// <summary>
/// Inference by Winograd F(2x2, 3x3) (<c>Conv2D.Winograd.cs</c>) against the direct paths on the zoo's conv shapes:
/// within float rounding of the direct sums, the same bits for any batch split (row ranges of any size, as threads
/// take them), and never on training passes.
/// </summary>
public class WinogradConvolutionTests(ITestOutputHelper output)
{
    public static TheoryData<int, int, int, bool, bool, int> Shapes => new()
    {
        // channels, size, filters, 'same' padding, pool after, batch
        { 32, 13, 64, false, true, 7 },   // cnn3 conv2: 11x11 pooled to 5x5 (the odd last row and column dropped)
        { 32, 28, 32, true, true, 3 },    // cnn-deep block 1: 14 tiles across
        { 32, 14, 64, true, false, 5 },   // cnn-deep conv 3: unpooled 14x14
        { 64, 7, 128, true, true, 11 },   // cnn-deep's last conv: 7x7 pooled to 3x3, groups of several images
        { 64, 12, 64, false, false, 2 },  // cnn4: 10x10 unpooled
        { 8, 6, 8, false, false, 1 },     // fewer tiles than one 48-tile block
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Winograd_inference_agrees_with_the_direct_convolution(int channels, int size, int filters, bool same, bool pool, int n)
    {
        var shape = new Shape(channels, size, size);
        Sequential Build(bool winograd)
        {
            var network = new Sequential().Input(shape).Add(new Conv2D(filters, 3, 3, 1, same ? Padding.Same : Padding.Valid) { WinogradAllowed = winograd }).ReLU();
            return (pool ? network.MaxPool(2) : network).Build(7);
        }
        Sequential fast = Build(true), direct = Build(false);
        var conv = (Conv2D)fast.Layers[0];
        Assert.True(conv.UseWinograd(pool));
        var rng = new SplitMix64(5);
        for (int f = 0; f < filters; f++) conv.Bias!.Value[f] = (float)rng.NextGaussian() * 0.1f;
        conv.Bias!.Value.CopyTo(((Conv2D)direct.Layers[0]).Bias!.Value, 0);
        float[] input = Enumerable.Range(0, n * shape.Size).Select(_ => Math.Max(0f, (float)rng.NextGaussian())).ToArray();
        int outSize = fast.OutputShape.Size;

        float[] a = fast.Forward(input, n, PassInfo.Inference).AsSpan(0, n * outSize).ToArray();
        float[] b = direct.Forward(input, n, PassInfo.Inference).AsSpan(0, n * outSize).ToArray();
        // Outputs are sums of ~9 x channels products of size ~1 (He weights, half-normal inputs): a few ulps of that scale.
        double scale = b.Max(Math.Abs), worst = a.Zip(b, (p, q) => Math.Abs(p - q)).Max();
        Assert.True(worst <= 2e-6 * scale, $"max difference {worst} for outputs up to {scale}");
        Assert.NotEqual(b.Select(BitConverter.SingleToInt32Bits), a.Select(BitConverter.SingleToInt32Bits)); // it did run Winograd

        // Row ranges of any size (threads' slices, one image at a time) give the same bits.
        fast.PrepareRows(2, n);
        for (int start = 0; start < n; start += 2)
        {
            int count = Math.Min(2, n - start);
            float[] rows = fast.ForwardRows(input, start / 2 % 2, start, count);
            Assert.Equal(a.AsSpan(start * outSize, count * outSize).ToArray().Select(BitConverter.SingleToInt32Bits),
                rows.AsSpan(start * outSize, count * outSize).ToArray().Select(BitConverter.SingleToInt32Bits));
        }

        // Training passes keep the direct sums, bit for bit.
        var training = new PassInfo(true, 1);
        Assert.Equal(direct.Forward(input, n, training).AsSpan(0, n * outSize).ToArray().Select(BitConverter.SingleToInt32Bits),
            fast.Forward(input, n, training).AsSpan(0, n * outSize).ToArray().Select(BitConverter.SingleToInt32Bits));
    }

    /// <summary>cnn3's layers, and a cnn-deep-like stack with batch norms folded into 'same' convs at inference.</summary>
    private static Sequential Network(bool deep, bool winograd)
    {
        Conv2D Conv(int filters, Padding padding) => new(filters, 3, 3, 1, padding, Initializer.He, useBias: !deep) { WinogradAllowed = winograd };
        var network = new Sequential();
        if (!deep)
            return network.Add(Conv(32, Padding.Valid)).ReLU().MaxPool(2).Add(Conv(64, Padding.Valid)).ReLU().MaxPool(2)
                .Add(Conv(128, Padding.Valid)).ReLU().Flatten().Dense(128).ReLU().Dense(10).Build(3);
        return network.Add(Conv(32, Padding.Same)).BatchNorm().ReLU().Add(Conv(32, Padding.Same)).BatchNorm().ReLU().MaxPool(2)
            .Add(Conv(64, Padding.Same)).BatchNorm().ReLU().Add(Conv(64, Padding.Same)).BatchNorm().ReLU().MaxPool(2)
            .Add(Conv(128, Padding.Same)).BatchNorm().ReLU().MaxPool(2).Flatten().Dense(10).Build(3);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Trained_networks_give_the_same_classes_and_probabilities_within_1e5_on_real_test_images(bool deep)
    {
        Sequential fast = Network(deep, winograd: true), direct = Network(deep, winograd: false);
        // A few hundred Adam steps on real images, so the weights (and batch-norm statistics) are a classifier's, not noise.
        var optimizer = Optimizer.Create(OptimizerKind.Adam, fast.Parameters.ToList(), 0f);
        const int batch = 64, n = 1000;
        var input = new float[n * 784];
        var labels = new byte[batch];
        var gradient = new float[batch * 10];
        for (int step = 0; step < (deep ? 120 : 200); step++)
        {
            int first = step * batch;
            InputBatch.Convert(TestData.Train.Pixels.AsSpan(first * 784, batch * 784), input);
            TestData.Train.Labels.AsSpan(first, batch).CopyTo(labels);
            SoftmaxCrossEntropy.Compute(fast.Forward(input, batch, new PassInfo(true, (ulong)step)), labels, batch, 10, 0f, gradient);
            fast.Backward(input, gradient, batch);
            optimizer.Step(2e-3f);
        }
        foreach (var (from, to) in fast.Parameters.Zip(direct.Parameters)) from.Value.CopyTo(to.Value, 0);
        foreach (var (from, to) in fast.States.Zip(direct.States)) from.CopyTo(to, 0);
        fast.WeightsChanged();
        direct.WeightsChanged();

        InputBatch.Convert(TestData.Test.Pixels.AsSpan(0, n * 784), input);
        float[] p = new float[n * 10], q = new float[n * 10];
        SoftmaxCrossEntropy.Softmax(fast.Forward(input, n, PassInfo.Inference), p, n, 10);
        SoftmaxCrossEntropy.Softmax(direct.Forward(input, n, PassInfo.Inference), q, n, 10);
        double worst = p.Zip(q, (a, b) => Math.Abs(a - b)).Max();
        int correct = 0;
        for (int i = 0; i < n; i++)
        {
            int a = ArgMax(p.AsSpan(i * 10, 10)), b = ArgMax(q.AsSpan(i * 10, 10));
            Assert.Equal(b, a);
            correct += a == TestData.Test.Labels[i] ? 1 : 0;
        }
        output.WriteLine($"largest probability difference {worst:E2}, accuracy {correct / (double)n:P1}");
        Assert.True(correct > 0.7 * n, $"the network only reached {correct} of {n}: not trained enough to test");
        Assert.True(worst <= 1e-5, $"largest probability difference {worst}");
    }

    private static int ArgMax(ReadOnlySpan<float> values)
    {
        int best = 0;
        for (int i = 1; i < values.Length; i++) if (values[i] > values[best]) best = i;
        return best;
    }

    [Theory]
    [InlineData(64, 7, 128, true, true)]    // cnn-deep's last conv: 9 tiles per image, 16- and 32-tile blocks for 1-3 images
    [InlineData(32, 13, 64, false, true)]   // cnn3 conv2: 25 tiles, one image in a 32-tile block
    [InlineData(8, 6, 16, false, false)]    // unpooled 4x4 output: 4 tiles
    public void Narrow_blocks_for_few_tiles_give_the_bits_of_the_48_tile_block(int channels, int size, int filters, bool same, bool pool)
    {
        var shape = new Shape(channels, size, size);
        Sequential Build(bool narrow)
        {
            var network = new Sequential().Input(shape).Add(new Conv2D(filters, 3, 3, 1, same ? Padding.Same : Padding.Valid) { NarrowWinogradBlocksAllowed = narrow }).ReLU();
            return (pool ? network.MaxPool(2) : network).Build(9);
        }
        Sequential narrow = Build(true), wide = Build(false);
        Assert.True(((Conv2D)narrow.Layers[0]).UseWinograd(pool));
        var rng = new SplitMix64(6);
        foreach (int n in new[] { 1, 2, 3 })
        {
            float[] input = Enumerable.Range(0, n * shape.Size).Select(_ => Math.Max(0f, (float)rng.NextGaussian())).ToArray();
            int[] Bits(Sequential network) =>
                network.Forward(input, n, PassInfo.Inference).AsSpan(0, n * network.OutputShape.Size).ToArray().Select(BitConverter.SingleToInt32Bits).ToArray();
            int[] expected = Bits(wide);
            Assert.Contains(expected, b => b != 0);
            Assert.Equal(expected, Bits(narrow));
        }
    }
}
