using FashionMnist.Tests.Support;
using FashionMnist.Neural;
using FashionMnist.Neural.Layers;
using FashionMnist.Numerics;

namespace FashionMnist.Tests.Neural;

/// <summary>Every layer's backward pass against central finite differences (see <see cref="GradientCheck"/> for tolerances).</summary>
// Changes the process-wide ComputeThreads.Count: runs alone, so no other test fits with a thread count it did not choose.
[Collection(Isolated.Name)]
public class GradientCheckTests
{
    [Theory]
    [InlineData(3, 3, 1, nameof(Padding.Valid))]
    [InlineData(3, 3, 2, nameof(Padding.Same))]
    [InlineData(2, 3, 1, nameof(Padding.Same))]
    [InlineData(1, 1, 1, nameof(Padding.Valid))]
    public void Conv2D_weights_bias_and_input(int kh, int kw, int stride, string paddingName) // a name: Padding is internal
    {
        var padding = Enum.Parse<Padding>(paddingName);
        var shape = new Shape(2, 6, 7);
        var network = new Sequential().Input(shape).Add(new Conv2D(3, kh, kw, stride, padding)).Build(3);
        Assert.True(GradientCheck.Check(network, n: 3) >= 9);
        Assert.True(GradientCheck.CheckInputGradient(new Conv2D(3, kh, kw, stride, padding), shape, n: 3) > 40);
    }

    [Fact]
    public void Conv2D_on_large_images_takes_the_one_image_per_gemm_path_and_agrees()
    {
        var shape = new Shape(1, 28, 28); // 784 output pixels: one image per GEMM, written in place
        var network = new Sequential().Input(shape).Add(new Conv2D(2, 3, 3, 1, Padding.Same)).Build(5);
        Assert.True(GradientCheck.Check(network, n: 2) > 10);
        Assert.True(GradientCheck.CheckInputGradient(new Conv2D(2, 3, 3, 1, Padding.Same), shape, n: 2) > 10);
    }

    [Fact]
    public void Conv2D_partial_gradients_of_several_slices_add_up()
    {
        int saved = ComputeThreads.Count;
        try
        {
            ComputeThreads.Count = 3; // three batch slices, three partial weight gradients
            var network = new Sequential().Input(new Shape(2, 5, 5)).Add(new Conv2D(4, 3, 3)).Build(9);
            Assert.True(GradientCheck.Check(network, n: 5) > 40);
        }
        finally { ComputeThreads.Count = saved; }
    }

    [Fact]
    public void Conv2D_with_several_image_groups_per_slice()
    {
        int saved = ComputeThreads.Count;
        try
        {
            ComputeThreads.Count = 2; // 2 slices of 10 images; 100 output pixels -> groups of 8, 2
            var shape = new Shape(2, 12, 12);
            var network = new Sequential().Input(shape).Add(new Conv2D(3, 3, 3)).Build(4);
            Assert.True(GradientCheck.Check(network, n: 20) > 40);
            Assert.True(GradientCheck.CheckInputGradient(new Conv2D(3, 3, 3), shape, n: 20, maxEntries: 200) > 100);
        }
        finally { ComputeThreads.Count = saved; }
    }

    [Fact]
    public void Dense_weights_bias_and_input()
    {
        var network = new Sequential().Input(Shape.Flat(7)).Dense(5).Build(2);
        Assert.True(GradientCheck.Check(network, n: 4) > 30);
        Assert.True(GradientCheck.CheckInputGradient(new Dense(5), Shape.Flat(7), n: 4) > 20);
    }

    [Theory]
    [InlineData("maxpool")]
    [InlineData("avgpool")]
    [InlineData("maxpool-overlapping")]
    [InlineData("globalavgpool")]
    [InlineData("flatten")]
    [InlineData("relu")]
    [InlineData("leakyrelu")]
    [InlineData("elu")]
    [InlineData("dropout")]
    public void Parameter_free_layers_pass_the_right_input_gradient(string kind)
    {
        Layer layer = kind switch
        {
            "maxpool" => new MaxPool2D(2),
            "avgpool" => new AvgPool2D(2),
            "maxpool-overlapping" => new MaxPool2D(3, 2),
            "globalavgpool" => new GlobalAvgPool(),
            "flatten" => new Flatten(),
            "relu" => new ReLU(),
            "leakyrelu" => new LeakyReLU(0.1f),
            "elu" => new ELU(1f),
            "dropout" => new Dropout(0.4f),
            _ => throw new ArgumentException(kind),
        };
        Assert.True(GradientCheck.CheckInputGradient(layer, new Shape(3, 5, 6), n: 2) > 30);
    }

    [Theory]
    [InlineData(2, 9, 21)]  // 10 outputs per row: AVX path with an overlapping last vector, odd height and width
    [InlineData(2, 7, 11)]  // 5 per row: SSE path with overlap
    [InlineData(1, 4, 16)]  // exactly one AVX vector per row
    public void Max_pool_vector_paths_pass_the_right_input_gradient(int channels, int height, int width)
    {
        Assert.True(GradientCheck.CheckInputGradient(new MaxPool2D(2), new Shape(channels, height, width), n: 2) > 30);
    }

    [Theory]
    [InlineData(6, 0)]   // 3 windows per row: one window at a time
    [InlineData(6, 3)]   // the same path with the other tie kinds
    [InlineData(6, 5)]
    [InlineData(8, 0)]   // 4: SSE
    [InlineData(16, 0)]  // 8: AVX
    public void Max_pool_ties_send_the_gradient_to_the_first_maximum(int width, int firstWindow)
    {
        // Window k (2 columns) of a 2-row image: ties of every kind, in the order forward breaks them.
        float[][] windows = [[1, 1, 1, 1], [0, 2, 2, 2], [0, 1, 3, 3], [0, 1, 2, 4], [5, 0, 5, 0], [-1, -1, -1, -1], [7, 7, 0, 0], [0, 0, 0, 8]];
        int[] expectedWinner = [0, 1, 2, 3, 0, 0, 0, 3];
        windows = windows[firstWindow..];
        expectedWinner = expectedWinner[firstWindow..];
        var layer = new MaxPool2D(2);
        var network = new Sequential().Input(new Shape(1, 2, width)).Add(layer).Build(1);
        int outW = width / 2;
        var x = new float[2 * width];
        for (int k = 0; k < outW; k++)
        {
            float[] w = windows[k];
            (x[2 * k], x[2 * k + 1], x[width + 2 * k], x[width + 2 * k + 1]) = (w[0], w[1], w[2], w[3]);
        }
        var y = new float[outW];
        layer.Forward(x, y, 1, PassInfo.Inference);
        var dy = Enumerable.Range(1, outW).Select(v => (float)v).ToArray();
        var dx = Enumerable.Repeat(float.NaN, x.Length).ToArray();
        layer.Backward(x, y, dy, dx, 1);
        for (int k = 0; k < outW; k++)
        {
            Assert.Equal(windows[k].Max(), y[k]);
            int[] positions = [2 * k, 2 * k + 1, width + 2 * k, width + 2 * k + 1];
            for (int p = 0; p < 4; p++) Assert.Equal(p == expectedWinner[k] ? dy[k] : 0f, dx[positions[p]]);
        }
    }

    [Theory]
    [InlineData(3, 4, 4)] // 2-D: per channel over batch and pixels
    [InlineData(6, 1, 1)] // 1-D: per feature over the batch
    public void BatchNorm_in_training_mode(int channels, int height, int width)
    {
        var shape = new Shape(channels, height, width);
        var network = new Sequential().Input(shape).BatchNorm().Build(4);
        // Make gamma and beta non-trivial so a gradient mixed up between them would show.
        var bn = (BatchNorm)network.Layers[0];
        for (int c = 0; c < channels; c++) { bn.Gamma.Value[c] = 0.5f + 0.3f * c; bn.Beta.Value[c] = 0.1f * c; }
        Assert.True(GradientCheck.Check(network, n: 5) >= 2 * channels);
        var layer = new BatchNorm();
        Assert.True(GradientCheck.CheckInputGradient(layer, shape, n: 5) > 20);
    }

    [Fact]
    public void A_small_conv_net_end_to_end()
    {
        var network = new Sequential().Input(new Shape(1, 8, 8))
            .Conv2D(3, 3, padding: Padding.Same).BatchNorm().ReLU().MaxPool(2)
            .Conv2D(4, 3).ELU().Flatten().Dropout(0.2f).Dense(6).LeakyReLU(0.1f).Dense(3)
            .Build(11);
        // h = 3e-3: batch norm makes the loss strongly curved in conv0's weights, so the h = 1e-2 central difference is
        // off by O(h^2 f''') (measured for conv0.weights[6]: analytic -0.02267, central h=1e-2 -0.02656, h=3e-3 -0.02427,
        // h=1e-3 -0.02265). At 3e-3 the float rounding term (~1e-6 / 2h) is still far below the tolerance.
        Assert.True(GradientCheck.Check(network, n: 4, maxEntriesPerTensor: 15, step: 3e-3f) > 80);
    }

    [Fact]
    public void Softmax_cross_entropy_gradient_and_stability()
    {
        float[] logits = [1000f, 999f, 0f, 2f, -1f, 0.5f];
        byte[] labels = [0, 2];
        var gradient = new float[6];
        var (loss, correct) = SoftmaxCrossEntropy.Compute(logits, labels, 2, 3, 0.1f, gradient);
        Assert.True(double.IsFinite(loss));
        Assert.Equal(1, correct); // row 0 predicts class 0 (right), row 1 predicts class 0 (wrong: label 2)
        // Hand-computed row 0 with smoothing 0.1 over 3 classes: targets 0.9333, 0.0333, 0.0333.
        double lse0 = 1000 + Math.Log(1 + Math.Exp(-1) + Math.Exp(-1000));
        double expected0 = 0.9333333 * (lse0 - 1000) + 0.0333333 * (lse0 - 999) + 0.0333333 * (lse0 - 0);
        double lse1 = Math.Log(Math.Exp(2) + Math.Exp(-1) + Math.Exp(0.5));
        double expected1 = 0.0333333 * (lse1 - 2) + 0.0333333 * (lse1 + 1) + 0.9333333 * (lse1 - 0.5);
        Assert.Equal((expected0 + expected1) / 2, loss, 4);
        // Gradient of the mean loss by central differences, in double via the same routine.
        for (int i = 0; i < logits.Length; i++)
        {
            float saved = logits[i];
            logits[i] = saved + 1e-2f;
            double plus = SoftmaxCrossEntropy.Compute(logits, labels, 2, 3, 0.1f, []).MeanLoss;
            logits[i] = saved - 1e-2f;
            double minus = SoftmaxCrossEntropy.Compute(logits, labels, 2, 3, 0.1f, []).MeanLoss;
            logits[i] = saved;
            Assert.Equal((plus - minus) / 2e-2, gradient[i], 3);
        }
        var probabilities = new float[6];
        SoftmaxCrossEntropy.Softmax(logits, probabilities, 2, 3);
        Assert.All(probabilities, p => Assert.True(float.IsFinite(p)));
        Assert.Equal(1.0, probabilities[0] + probabilities[1] + probabilities[2], 5);
    }
}
