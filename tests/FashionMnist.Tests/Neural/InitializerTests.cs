using FashionMnist.Neural;

namespace FashionMnist.Tests.Neural;

public class InitializerTests
{
    // fan_in 288 (a 3x3 conv over 32 channels), 64 filters.
    [Theory]
    [InlineData(Initializer.He)]
    [InlineData(Initializer.Glorot)]
    [InlineData(Initializer.Torch)]
    public void Weights_have_the_scale_of_their_initialiser(Initializer kind)
    {
        (double std, double bound) = kind switch
        {
            Initializer.He => (Math.Sqrt(2.0 / 288), double.PositiveInfinity),            // normal: 0.0833, unbounded
            Initializer.Glorot => (Math.Sqrt(6.0 / 864) / Math.Sqrt(3), Math.Sqrt(6.0 / 864)), // uniform: 0.0481, ±0.0833
            _ => (1 / Math.Sqrt(288) / Math.Sqrt(3), 1 / Math.Sqrt(288)),                    // uniform: 0.0340, ±0.0589
        };
        var weights = new float[288 * 64];
        var random = new SplitMix64(5);
        Initializers.Fill(weights, kind, fanIn: 288, fanOut: 64 * 9, ref random);
        double mean = weights.Average(w => (double)w);
        double measured = Math.Sqrt(weights.Average(w => (w - mean) * (w - mean)));
        Assert.InRange(mean, -0.003, 0.003);
        Assert.InRange(measured, std * 0.97, std * 1.03);
        Assert.True(weights.Max(w => Math.Abs(w)) <= bound);
    }
}
