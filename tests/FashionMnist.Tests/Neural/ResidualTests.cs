using FashionMnist.Neural;
using FashionMnist.Neural.Layers;
using FashionMnist.Numerics;
using FashionMnist.Tests.Support;

namespace FashionMnist.Tests.Neural;

/// <summary>The residual block: gradients against finite differences (see <see cref="GradientCheck"/>), its sum on hand-made values, spec files.</summary>
// Changes the process-wide ComputeThreads.Count: runs alone, so no other test fits with a thread count it did not choose.
[Collection(Isolated.Name)]
public class ResidualTests
{
    [Fact]
    public void Identity_shortcut_block_gradients()
    {
        var shape = new Shape(2, 6, 6);
        var network = new Sequential().Input(shape)
            .Residual(b => b.Conv2D(2, 3, padding: Padding.Same).ELU().Conv2D(2, 3, padding: Padding.Same))
            .Flatten().Dense(3)
            .Build(5);
        Assert.False(((Residual)network.Layers[0]).HasProjection);
        Assert.True(GradientCheck.Check(network, n: 3) > 40);
        Assert.True(GradientCheck.CheckInputGradient(
            new Residual(new Sequential().Conv2D(2, 3, padding: Padding.Same).ELU().Conv2D(2, 3, padding: Padding.Same)), shape, n: 3) > 40);
    }

    [Fact]
    public void Projection_shortcut_block_gradients_with_stride_and_more_channels()
    {
        var shape = new Shape(2, 7, 7);
        // 2x7x7 -> 4x4x4: the shortcut is a 1x1 stride-2 convolution + batch norm.
        Residual Block() => new(new Sequential().Conv2D(4, 3, stride: 2, padding: Padding.Same).ELU().Conv2D(4, 3, padding: Padding.Same));
        var network = new Sequential().Input(shape).Add(Block()).Flatten().Dense(3).Build(6);
        var block = (Residual)network.Layers[0];
        Assert.True(block.HasProjection);
        Assert.Equal(new Shape(4, 4, 4), block.OutputShape);
        Assert.True(GradientCheck.Check(network, n: 3, step: 3e-3f) > 60); // batch norm on the shortcut: see A_small_conv_net_end_to_end
        Assert.True(GradientCheck.CheckInputGradient(Block(), shape, n: 3) > 40);
    }

    [Fact]
    public void Block_with_batch_norm_dropout_and_a_folded_relu_after_it()
    {
        var shape = new Shape(3, 5, 5);
        var network = new Sequential().Input(shape)
            .Conv2D(3, 3, padding: Padding.Same)
            .Residual(b => b.Conv2D(3, 3, padding: Padding.Same).BatchNorm().ELU().Dropout(0.3f).Conv2D(3, 3, padding: Padding.Same)).ReLU()
            .Flatten().Dense(2)
            .Build(8);
        Assert.True(network.Layers[1].FusedReLU); // the ReLU after the block is its epilogue (FusionTests: bit-identical to a separate ReLU)
        // ELU in the body: smooth, so only the ReLU after the sum has a kink that a finite difference could cross.
        // h = 1e-3: batch norm over 4 images makes the loss strongly curved in conv0's weights (measured for conv0.weights[30]:
        // analytic 0.9495, central h=3e-3 0.9771, h=1e-3 within tolerance), as in GradientCheckTests.A_small_conv_net_end_to_end.
        Assert.True(GradientCheck.Check(network, n: 4, maxEntriesPerTensor: 15, step: 1e-3f) > 60);
    }

    [Fact]
    public void Forward_adds_the_body_to_the_input_and_the_folded_relu_clips_the_sum()
    {
        // Body = a 1x1 convolution with weight 2 and bias -3: y = relu(2x - 3 + x) = relu(3x - 3).
        var network = new Sequential().Input(new Shape(1, 1, 4)).Residual(b => b.Conv2D(1, 1)).ReLU().Build(1);
        var conv = (Conv2D)((Residual)network.Layers[0]).Body[0];
        conv.Weights.Value[0] = 2f;
        conv.Bias!.Value[0] = -3f;
        float[] y = network.Forward([0f, 1f, 2f, 3f], 1, PassInfo.Inference);
        Assert.Equal([0f, 0f, 3f, 6f], y[..4]);
        // Backward: dL/dy = 1 where y > 0; dL/dx = dy·(2 + 1) there; conv weight gradient Σ dy·x = 2 + 3.
        var outer = new Sequential().Input(new Shape(1, 1, 4)).Conv2D(1, 1, bias: false)
            .Residual(b => b.Conv2D(1, 1)).ReLU().Build(1);
        ((Conv2D)outer.Layers[0]).Weights.Value[0] = 1f;
        var inner = (Conv2D)((Residual)outer.Layers[1]).Body[0];
        inner.Weights.Value[0] = 2f;
        inner.Bias!.Value[0] = -3f;
        outer.Forward([0f, 1f, 2f, 3f], 1, new PassInfo(true, 1));
        outer.Backward([0f, 1f, 2f, 3f], [1f, 1f, 1f, 1f], 1);
        Assert.Equal(5f, inner.Weights.Gradient[0]);
        Assert.Equal(2f, inner.Bias.Gradient[0]);
        Assert.Equal(3f * (2f + 3f), ((Conv2D)outer.Layers[0]).Weights.Gradient[0]); // dx = 3 at x = 2, 3
    }

    [Fact]
    public void Residual_network_is_thread_count_independent_in_its_outputs()
    {
        int saved = ComputeThreads.Count;
        try
        {
            float[] Run(int threads)
            {
                ComputeThreads.Count = threads;
                var network = ArchitectureSpec.Parse(Spec).Build(3);
                float[] input = GradientCheck.GridInput(6 * 784, 4);
                return network.Forward(input, 6, PassInfo.Inference)[..60];
            }
            Assert.Equal(Run(1), Run(3));
        }
        finally { ComputeThreads.Count = saved; }
    }

    private const string Spec = """
        layers:
          - conv2d: {filters: 4, kernel: 3, padding: same}
          - relu
          - residual:
              layers:
                - conv2d: {filters: 4, kernel: 3, padding: same, bias: false}
                - batchnorm
                - relu
                - conv2d: {filters: 4, kernel: 3, padding: same}
          - relu
          - maxpool2d: {size: 2}
          - residual: [conv2d: {filters: 8, kernel: 3, stride: 2, padding: same}, batchnorm]
          - globalavgpool
          - dense: {units: 10}
        """;

    [Fact]
    public void Spec_files_hold_residual_blocks_and_write_them_back()
    {
        Sequential network = ArchitectureSpec.Parse(Spec).Build(1);
        Assert.Equal(8, network.Layers.Count);
        var first = Assert.IsType<Residual>(network.Layers[2]);
        Assert.Equal(4, first.Body.Count);
        Assert.False(first.HasProjection);
        var second = Assert.IsType<Residual>(network.Layers[5]);
        Assert.True(second.HasProjection);
        Assert.Equal(new Shape(8, 7, 7), second.OutputShape);
        string written = ArchitectureSpec.Write(network);
        Sequential again = ArchitectureSpec.Parse(written).Build(1);
        Assert.Equal(network.Describe(), again.Describe());
        Assert.Equal(written, ArchitectureSpec.Write(again));
        // Same seed, same initial weights, inside the blocks too; another seed differs.
        Assert.Equal(network.Parameters.SelectMany(p => p.Value), again.Parameters.SelectMany(p => p.Value));
        Assert.NotEqual(network.Parameters.SelectMany(p => p.Value), ArchitectureSpec.Parse(Spec).Build(2).Parameters.SelectMany(p => p.Value));
    }

    [Theory]
    [InlineData("layers:\n  - residual\n", "layer 1 (residual) has no layers")]
    [InlineData("layers:\n  - residual: {layer: [relu]}\n", "layer 1 (residual) has no parameter 'layer'")]
    [InlineData("layers:\n  - residual: {layers: 3}\n", "layer 1 (residual): 'layers' must be a list")]
    [InlineData("layers:\n  - residual: {layers: [relu, bogus]}\n", "layer 1.2: unknown layer 'bogus'")]
    [InlineData("layers:\n  - residual: [dense: {units: 10}]\n  - dense: {units: 10}\n", "Layer 1 (residual) gets input 1x28x28: in its body, layer 1 (dense) gets input 1x28x28")]
    [InlineData("layers:\n  - residual: [conv2d: {filters: 2, kernel: 5}]\n  - flatten\n  - dense: {units: 10}\n", "which a 1x1 strided convolution on the shortcut cannot match")]
    [InlineData("layers:\n  - residual: [conv2d: {filters: 2}, globalavgpool]\n  - dense: {units: 10}\n", "its body ends flat")]
    public void Residual_spec_mistakes_are_clear(string spec, string expected)
    {
        var error = Assert.Throws<FashionMnistException>(() => ArchitectureSpec.Parse(spec, "net.yaml").Build(1));
        Assert.Contains(expected, error.Message);
    }
}
