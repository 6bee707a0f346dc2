using FashionMnist.Neural;
using FashionMnist.Neural.Layers;

namespace FashionMnist.Tests.Neural;

/// <summary>
/// Compares a network's analytic gradients with central finite differences of L = Σ r·y for a fixed random r.
/// Everything runs in float32, so the step is h = 1e-2: the truncation error of the central difference is
/// O(h²·f''') ≈ 1e-4 for these smooth, O(1) functions, and float rounding of L (|L| ≈ 1, relative error ≈ 1e-6
/// after summing in double) divided by 2h adds ≈ 1e-4. A tolerance of 2e-3 + 2e-2·|g| sits well above both
/// and far below a wrong gradient (off by a factor or a sign). Inputs are spread on a grid 0.05 apart, so no
/// max-pool tie or ReLU kink lies within h of a sample.
/// </summary>
internal static class GradientCheck
{
    private const float Step = 1e-2f;
    private const double AbsoluteTolerance = 2e-3, RelativeTolerance = 2e-2;

    public static float[] GridInput(int count, int seed)
    {
        var rng = new SplitMix64((ulong)seed);
        var order = Enumerable.Range(0, count).ToArray();
        rng.Shuffle(order);
        // Distinct values k·0.05 + 0.025, centred on zero: never within 0.025 of 0, never within 0.05 of each other.
        return order.Select(k => (k - count / 2) * 0.05f + 0.025f).Select(v => v / Math.Max(1f, count * 0.025f) * 2f).ToArray();
    }

    /// <summary>Checks parameter and input gradients of <paramref name="network"/> on n samples; returns how many entries were checked.</summary>
    public static int Check(Sequential network, int n, int seed = 1, bool training = true, int maxEntriesPerTensor = 40, float step = Step)
    {
        int inputSize = network.InputShape.Size, outputSize = network.OutputShape.Size;
        float[] input = GridInput(n * inputSize, seed);
        var rng = new SplitMix64((ulong)seed + 99);
        float[] weights = Enumerable.Range(0, n * outputSize).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
        var pass = new PassInfo(training, 12345);

        double Loss()
        {
            float[] y = network.Forward(input, n, pass);
            double sum = 0;
            for (int i = 0; i < n * outputSize; i++) sum += (double)y[i] * weights[i];
            return sum;
        }

        // Analytic parameter gradients (Sequential skips the first layer's dx; CheckInputGradient covers dx).
        Loss();
        network.Backward(input, weights, n);
        var analytic = network.Parameters.Select(p => p.Gradient.ToArray()).ToList();
        int checkedEntries = 0;
        int index = 0;
        foreach (Parameter parameter in network.Parameters)
        {
            foreach (int i in Sample(parameter.Length, maxEntriesPerTensor, seed + index))
            {
                float saved = parameter.Value[i];
                parameter.Value[i] = saved + step;
                double plus = Loss();
                parameter.Value[i] = saved - step;
                double minus = Loss();
                parameter.Value[i] = saved;
                double numeric = (plus - minus) / (2 * step);
                AssertClose(analytic[index][i], numeric, $"{parameter.Name}[{i}]");
                checkedEntries++;
            }
            index++;
        }
        return checkedEntries;
    }

    /// <summary>Checks dL/dx of one layer by running it directly (Sequential never computes the first layer's dx).</summary>
    public static int CheckInputGradient(Layer layer, Shape inputShape, int n, int seed = 1, bool training = true, int maxEntries = 60)
    {
        var network = new Sequential().Input(inputShape).Add(layer).Build(seed);
        int inputSize = inputShape.Size, outputSize = layer.OutputShape.Size;
        float[] input = GridInput(n * inputSize, seed);
        var rng = new SplitMix64((ulong)seed + 7);
        float[] weights = Enumerable.Range(0, n * outputSize).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
        var pass = new PassInfo(training, 777);
        var output = new float[n * outputSize];
        var dx = new float[n * inputSize];

        double Loss()
        {
            layer.Forward(input, output, n, pass);
            double sum = 0;
            for (int i = 0; i < output.Length; i++) sum += (double)output[i] * weights[i];
            return sum;
        }

        Loss();
        layer.Backward(input, output, weights, dx, n);
        int count = 0;
        foreach (int i in Sample(input.Length, maxEntries, seed))
        {
            float saved = input[i];
            input[i] = saved + Step;
            double plus = Loss();
            input[i] = saved - Step;
            double minus = Loss();
            input[i] = saved;
            AssertClose(dx[i], (plus - minus) / (2 * Step), $"{layer.Kind} dx[{i}]");
            count++;
        }
        return count;
    }

    private static IEnumerable<int> Sample(int length, int max, int seed)
    {
        if (length <= max) return Enumerable.Range(0, length);
        var order = Enumerable.Range(0, length).ToArray();
        new SplitMix64((ulong)seed * 31 + 5).Shuffle(order);
        return order.Take(max);
    }

    private static void AssertClose(double analytic, double numeric, string what)
    {
        double tolerance = AbsoluteTolerance + RelativeTolerance * Math.Max(Math.Abs(analytic), Math.Abs(numeric));
        Assert.True(Math.Abs(analytic - numeric) <= tolerance,
            $"{what}: analytic {analytic:G6} vs numeric {numeric:G6} (tolerance {tolerance:G3})");
    }
}
