using FashionMnist.Neural;
using FashionMnist.Neural.Layers;

namespace FashionMnist.Tests.Neural;

/// <summary>
/// Inference through conv → (ReLU) → 2x2 max-pool in one pass (<c>Conv2D.Pooled.cs</c>) gives the same bits as the
/// separate layers, on every pooling path (AVX rows of 8+ outputs, SSE rows of 4-7, scalar rows of 1-3, odd sizes
/// that drop the last row and column, 'same' padding through im2col), and training passes are untouched.
/// </summary>
public class PooledConvolutionTests
{
    public static TheoryData<string> Networks => new() { "cnn3-like", "no-relu", "same-padding", "narrow", "scalar", "relu-after-pool" };

    private static Sequential Create(string name, bool fuse)
    {
        var s = new Sequential { FusePooling = fuse };
        var network = name switch
        {
            "cnn3-like" => s.Input(new Shape(1, 28, 28)).Conv2D(8, 3).ReLU().MaxPool(2).Conv2D(6, 3).ReLU().MaxPool(2).Conv2D(5, 3).ReLU().Flatten().Dense(3),
            "no-relu" => s.Input(new Shape(2, 21, 21)).Conv2D(4, 3).MaxPool(2).Flatten().Dense(3),
            "same-padding" => s.Input(new Shape(3, 15, 17)).Conv2D(4, 3, padding: Padding.Same).ReLU().MaxPool(2).Flatten().Dense(3),
            "narrow" => s.Input(new Shape(2, 13, 15)).Conv2D(3, 3, 3).ReLU().MaxPool(2).Flatten().Dense(3),     // 11x13 → 5x6 (SSE)
            "scalar" => s.Input(new Shape(2, 7, 7)).Conv2D(3, 2).ReLU().MaxPool(2).Flatten().Dense(3),         // 6x6 → 3x3: scalar rows
            "relu-after-pool" => s.Input(new Shape(1, 10, 10)).Conv2D(3, 3).MaxPool(2).ReLU().Flatten().Dense(3), // 8x8 → 4x4, ReLU folded elsewhere
            _ => throw new ArgumentException(name),
        };
        return network.Build(7);
    }

    [Theory]
    [MemberData(nameof(Networks))]
    public void Pooled_inference_equals_separate_layers_bit_for_bit(string name)
    {
        Sequential fused = Create(name, fuse: true), plain = Create(name, fuse: false);
        foreach (int n in new[] { 1, 5, 40 })
        {
            var rng = new SplitMix64((ulong)n);
            float[] input = Enumerable.Range(0, n * fused.InputShape.Size).Select(_ => (float)rng.NextGaussian()).ToArray();
            foreach (bool training in new[] { false, true })
            {
                var pass = new PassInfo(training, 3);
                float[] a = fused.Forward(input, n, pass).AsSpan(0, n * 3).ToArray();
                float[] b = plain.Forward(input, n, pass).AsSpan(0, n * 3).ToArray();
                Assert.Equal(b.Select(BitConverter.SingleToInt32Bits), a.Select(BitConverter.SingleToInt32Bits));
            }
        }
    }

    [Fact]
    public void The_pooled_pass_really_runs_and_backward_needs_a_training_pass()
    {
        Sequential network = Create("cnn3-like", fuse: true);
        var calls = new List<int>();
        network.Observer = new Recorder(calls);
        var input = new float[2 * 784];
        network.Forward(input, 2, PassInfo.Inference);
        Assert.Equal([0, 3, 6, 9], calls); // conv1 (pool 2 inside), conv2 (pool 5 inside), conv3 (+ReLU), dense; flatten skipped
        Assert.Throws<InvalidOperationException>(() => network.Backward(input, new float[6], 2));
        calls.Clear();
        network.Forward(input, 2, new PassInfo(true, 1));
        Assert.Contains(2, calls); // training: the pools run as layers
        network.Backward(input, new float[6], 2);
    }

    [Fact]
    public void Inference_chunks_are_sized_by_what_inference_writes()
    {
        Sequential network = Create("cnn3-like", fuse: true);
        Assert.Equal(8 * 13 * 13, network.LargestInferenceActivation); // not conv1's 8 x 26 x 26: it pools inside its pass
        Assert.Equal(8 * 26 * 26, Create("cnn3-like", fuse: false).LargestInferenceActivation);
    }

    private sealed class Recorder(List<int> calls) : ILayerObserver
    {
        public void Begin(int layer, bool backward) { if (!backward) calls.Add(layer); }
        public void End(int layer, bool backward) { }
    }
}
