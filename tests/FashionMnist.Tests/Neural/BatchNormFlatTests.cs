using FashionMnist.Neural;
using FashionMnist.Neural.Layers;

namespace FashionMnist.Tests.Neural;

/// <summary>
/// Batch norm over flat inputs (after a dense layer) runs 8 channels at a time; each lane must do the per-channel loop's
/// arithmetic exactly, so training keeps its bits: outputs, running statistics, gamma/beta gradients and dL/dx.
/// </summary>
public class BatchNormFlatTests
{
    [Theory]
    [InlineData(20, 7, false)]  // two 8-channel blocks and a tail of 4 (or per slice: blocks and tails)
    [InlineData(256, 128, true)] // cnn-deep's dense batch norm, ReLU folded in
    [InlineData(5, 3, true)]    // fewer channels than a block: the per-channel loop alone
    public void Eight_channels_at_a_time_equal_the_per_channel_loop_bit_for_bit(int channels, int n, bool relu)
    {
        Sequential Build(bool flat)
        {
            var network = new Sequential().Input(new Shape(1, 1, 4)).Flatten().Dense(channels, bias: false)
                .Add(new BatchNorm { FlatPathAllowed = flat });
            if (relu) network.ReLU();
            return network.Dense(3).Build(11);
        }
        Sequential fast = Build(true), reference = Build(false);
        var rng = new SplitMix64(3);
        float[] input = Enumerable.Range(0, n * 4).Select(_ => (float)rng.NextGaussian()).ToArray();
        float[] gradient = Enumerable.Range(0, n * 3).Select(_ => (float)rng.NextGaussian()).ToArray();
        for (int step = 0; step < 2; step++) // the second step starts from updated running statistics
        {
            float[] a = fast.Forward(input, n, new PassInfo(true, 5)).AsSpan(0, n * 3).ToArray();
            float[] b = reference.Forward(input, n, new PassInfo(true, 5)).AsSpan(0, n * 3).ToArray();
            Assert.Equal(Bits(b), Bits(a));
            fast.Backward(input, gradient, n);
            reference.Backward(input, gradient, n);
            var fastGradients = fast.Parameters.Select(p => p.Gradient).ToList();
            var referenceGradients = reference.Parameters.Select(p => p.Gradient).ToList();
            for (int i = 0; i < fastGradients.Count; i++) Assert.Equal(Bits(referenceGradients[i]), Bits(fastGradients[i]));
            var fastStates = fast.States.ToList();
            var referenceStates = reference.States.ToList();
            for (int i = 0; i < fastStates.Count; i++) Assert.Equal(Bits(referenceStates[i]), Bits(fastStates[i]));
        }
        // Inference uses the running statistics through the per-channel loop either way.
        Assert.Equal(Bits(reference.Forward(input, n, PassInfo.Inference).AsSpan(0, n * 3).ToArray()),
            Bits(fast.Forward(input, n, PassInfo.Inference).AsSpan(0, n * 3).ToArray()));
    }

    private static IEnumerable<int> Bits(float[] values) => values.Select(BitConverter.SingleToInt32Bits);
}
