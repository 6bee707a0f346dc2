using FashionMnist.Neural;
using FashionMnist.Neural.Layers;

namespace FashionMnist.Tests.Neural;

/// <summary>
/// Folding a ReLU into its neighbour (conv/dense epilogue, or max-pool after it) must not change a single bit:
/// every case runs the same network fused and unfused on the same data and compares outputs, parameter
/// gradients and, through a layer in front, input gradients.
/// </summary>
public class FusionTests
{
    public static TheoryData<string> Networks => new() { "conv-relu-pool", "conv-relu", "dense-relu", "bn-relu-pool", "odd-pool", "pool3", "conv-bn-relu", "residual-relu" };

    private static Sequential Create(string name, bool fuse)
    {
        var network = name switch
        {
            "conv-relu-pool" => new Sequential { FuseReLUs = fuse, FoldNorms = false }.Input(new Shape(2, 20, 22)) /* pooled rows of 9: AVX path */.Conv2D(4, 3).Conv2D(5, 3).ReLU().MaxPool(2).Flatten().Dense(3),
            "conv-relu" => new Sequential { FuseReLUs = fuse, FoldNorms = false }.Input(new Shape(1, 9, 9)).Conv2D(3, 3).ReLU().Conv2D(2, 3, padding: Padding.Same).ReLU().Flatten().Dense(3),
            "dense-relu" => new Sequential { FuseReLUs = fuse, FoldNorms = false }.Input(new Shape(1, 4, 5)).Flatten().Dense(7).ReLU().Dropout(0.3f).Dense(6).ReLU().Dense(3),
            "bn-relu-pool" => new Sequential { FuseReLUs = fuse, FoldNorms = false }.Input(new Shape(2, 8, 8)).Conv2D(3, 3, padding: Padding.Same, bias: false).BatchNorm().ReLU().MaxPool(2).Flatten().Dense(3),
            "odd-pool" => new Sequential { FuseReLUs = fuse, FoldNorms = false }.Input(new Shape(2, 9, 11)).Conv2D(3, 2).ReLU().MaxPool(2).Flatten().Dense(3),
            "pool3" => new Sequential { FuseReLUs = fuse, FoldNorms = false }.Input(new Shape(2, 9, 9)).Conv2D(3, 2).ReLU().MaxPool(3, 2).Flatten().Dense(3),
            "conv-bn-relu" => new Sequential { FuseReLUs = fuse, FoldNorms = false }.Input(new Shape(2, 8, 8)).Conv2D(3, 3).BatchNorm().ReLU().Conv2D(2, 3).Flatten().Dense(4).BatchNorm().ReLU().Dense(3),
            "residual-relu" => new Sequential { FuseReLUs = fuse, FoldNorms = false }.Input(new Shape(2, 6, 6)).Conv2D(2, 3, padding: Padding.Same)
                .Residual(b => b.Conv2D(2, 3, padding: Padding.Same, bias: false).BatchNorm().ReLU().Conv2D(3, 3, stride: 2, padding: Padding.Same)).ReLU()
                .Flatten().Dense(3),
            _ => throw new ArgumentException(name),
        };
        return network.Build(21);
    }

    [Theory]
    [MemberData(nameof(Networks))]
    public void Fused_and_unfused_networks_agree_bit_for_bit(string name)
    {
        Sequential fused = Create(name, fuse: true), plain = Create(name, fuse: false);
        const int n = 6;
        var rng = new SplitMix64(5);
        float[] input = Enumerable.Range(0, n * fused.InputShape.Size).Select(_ => (float)rng.NextGaussian()).ToArray();
        float[] gradient = Enumerable.Range(0, n * fused.OutputShape.Size).Select(_ => (float)rng.NextGaussian()).ToArray();
        foreach (bool training in new[] { true, false })
        {
            var pass = new PassInfo(training, 99);
            float[] a = fused.Forward(input, n, pass).AsSpan(0, n * 3).ToArray();
            float[] b = plain.Forward(input, n, pass).AsSpan(0, n * 3).ToArray();
            Assert.Equal(b, a);
            if (!training) continue;
            fused.Backward(input, gradient, n);
            plain.Backward(input, gradient, n);
            var fusedGradients = fused.Parameters.Select(p => p.Gradient).ToList();
            var plainGradients = plain.Parameters.Select(p => p.Gradient).ToList();
            for (int i = 0; i < fusedGradients.Count; i++) Assert.Equal(plainGradients[i], fusedGradients[i]);
        }
    }

    [Fact]
    public void Fusion_really_folds_the_relus()
    {
        var network = Create("conv-relu-pool", fuse: true);
        Assert.True(network.Layers[3].FusedReLU); // the max-pool took the ReLU before it
        Assert.False(network.Layers[1].FusedReLU); // so the conv did not
        var dense = Create("dense-relu", fuse: true);
        Assert.True(dense.Layers[1].FusedReLU);
        Assert.True(dense.Layers[4].FusedReLU);
        Assert.False(Create("dense-relu", fuse: false).Layers[1].FusedReLU);
    }

    [Theory]
    [InlineData(28, nameof(Padding.Valid), true)]   // 26 wide: 3 blocks of 8 + an overlapping last block
    [InlineData(28, nameof(Padding.Same), false)]   // 28 wide, no bias
    [InlineData(10, nameof(Padding.Valid), true)]   // exactly one block
    public void Direct_first_layer_weight_gradient_matches_im2col(int side, string paddingName, bool bias) // a name: Padding is internal
    {
        var padding = Enum.Parse<Padding>(paddingName);
        Sequential Build(bool direct) => new Sequential().Input(new Shape(1, side, side))
            .Add(new Conv2D(5, 3, 3, 1, padding, Initializer.He, bias) { DirectAllowed = direct }).ReLU().MaxPool(2).Flatten().Dense(3).Build(8);
        Sequential fast = Build(true), reference = Build(false);
        const int n = 5;
        var rng = new SplitMix64(3);
        float[] input = Enumerable.Range(0, n * side * side).Select(_ => (float)rng.NextGaussian()).ToArray();
        float[] gradient = Enumerable.Range(0, n * 3).Select(_ => (float)rng.NextGaussian()).ToArray();
        var pass = new PassInfo(true, 1);
        float[] a = fast.Forward(input, n, pass).AsSpan(0, n * 3).ToArray();
        float[] b = reference.Forward(input, n, pass).AsSpan(0, n * 3).ToArray();
        for (int i = 0; i < a.Length; i++) Assert.Equal(b[i], a[i], 1e-4f);
        fast.Backward(input, gradient, n);
        reference.Backward(input, gradient, n);
        var fastGradients = fast.Parameters.Select(p => p.Gradient).ToList();
        var referenceGradients = reference.Parameters.Select(p => p.Gradient).ToList();
        for (int t = 0; t < fastGradients.Count; t++)
        for (int i = 0; i < fastGradients[t].Length; i++)
            Assert.Equal(referenceGradients[t][i], fastGradients[t][i], 1e-3f + 1e-4f * Math.Abs(referenceGradients[t][i]));
    }
}
