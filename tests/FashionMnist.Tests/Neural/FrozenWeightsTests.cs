using FashionMnist.Neural;
using FashionMnist.Neural.Layers;

namespace FashionMnist.Tests.Neural;

/// <summary>
/// Inference with frozen weights (<see cref="Sequential.FreezeWeights"/>, opened by NeuralClassifier.Predict): dense
/// layers multiply against their weights packed once into GEMM panels. The outputs must be the ordinary multiply's bit
/// for bit, on layers wider and narrower than a panel, with row counts that leave partial kernel tiles; a scope must
/// see weights changed (and announced by WeightsChanged) before it opened, and training passes inside it must be untouched.
/// </summary>
public class FrozenWeightsTests
{
    private static Sequential Create() =>
        new Sequential().Input(new Shape(1, 28, 28)).Flatten().Dense(256).ReLU().Dropout(0.2f).Dense(40).ReLU().Dense(33).Dense(10).Build(13);

    private static float[] Input(int n, ulong seed)
    {
        var rng = new SplitMix64(seed);
        return Enumerable.Range(0, n * 784).Select(_ => (float)rng.NextGaussian()).ToArray();
    }

    private static int[] Bits(float[] output, int n) => output.AsSpan(0, n * 10).ToArray().Select(BitConverter.SingleToInt32Bits).ToArray();

    [Fact]
    public void Frozen_inference_equals_the_ordinary_multiply_bit_for_bit()
    {
        Sequential network = Create();
        foreach (var dense in network.Layers.OfType<Dense>())
        {
            var rng = new SplitMix64((ulong)dense.Index);
            for (int i = 0; i < dense.Bias!.Length; i++) dense.Bias.Value[i] = (float)rng.NextGaussian() * 0.1f;
        }
        foreach (int n in new[] { 1, 7, 13, 300 })
        {
            float[] input = Input(n, (ulong)n);
            int[] plain = Bits(network.Forward(input, n, PassInfo.Inference), n);
            int[] frozen;
            using (network.FreezeWeights())
            {
                frozen = Bits(network.Forward(input, n, PassInfo.Inference), n);
                Assert.Equal(frozen, Bits(network.Forward(input, n, PassInfo.Inference), n)); // the packed weights reused
            }
            Assert.Equal(plain, frozen);
            Assert.Contains(plain, b => b != 0);
        }
    }

    [Fact]
    public void A_new_scope_sees_changed_weights_and_training_passes_ignore_the_scope()
    {
        Sequential network = Create(), reference = Create();
        const int n = 9;
        float[] input = Input(n, 3);
        int[] before;
        using (network.FreezeWeights()) before = Bits(network.Forward(input, n, PassInfo.Inference), n);
        var first = (Dense)network.Layers[1];
        for (int i = 0; i < first.Weights.Length; i += 7) first.Weights.Value[i] += 0.5f;
        network.WeightsChanged(); // weights written directly: the packed copy is kept across scopes until told
        first.Weights.Value.CopyTo(((Dense)reference.Layers[1]).Weights.Value, 0);
        int[] after;
        using (network.FreezeWeights()) after = Bits(network.Forward(input, n, PassInfo.Inference), n);
        Assert.NotEqual(before, after);
        Assert.Equal(Bits(reference.Forward(input, n, PassInfo.Inference), n), after);

        using (network.FreezeWeights())
        {
            network.Forward(input, n, PassInfo.Inference); // packs the weights
            for (int i = 0; i < first.Weights.Length; i += 5) first.Weights.Value[i] -= 0.25f;
            for (int i = 0; i < first.Weights.Length; i += 5) ((Dense)reference.Layers[1]).Weights.Value[i] -= 0.25f;
            var pass = new PassInfo(true, 11);
            Assert.Equal(Bits(reference.Forward(input, n, pass), n), Bits(network.Forward(input, n, pass), n));
        }
    }
}
