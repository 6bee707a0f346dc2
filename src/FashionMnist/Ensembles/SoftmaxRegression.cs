using FashionMnist.Numerics;

namespace FashionMnist.Ensembles;

/// <summary>
/// Multinomial logistic regression, the stacking meta-model: p(k | x) = softmax(b + W x)_k, fitted by minimising the
/// mean cross-entropy + (λ / 2)·|W|² (biases not penalised) with <see cref="Lbfgs"/>.
/// The objective is convex, so the fit is deterministic and needs no seed. Sums run in double, in a fixed order.
/// </summary>
internal sealed class SoftmaxRegression
{
    public SoftmaxRegression(int features, int classes)
    {
        if (features < 1 || classes < 2) throw new ArgumentOutOfRangeException(nameof(features));
        Features = features;
        Classes = classes;
        Weights = new double[classes * features];
        Biases = new double[classes];
    }

    public int Features { get; }
    public int Classes { get; }

    /// <summary>Row-major classes x features.</summary>
    public double[] Weights { get; }
    public double[] Biases { get; }

    /// <summary>Iterations the last fit ran and the final objective, for logs and tests.</summary>
    public int Iterations { get; private set; }
    public double Objective { get; private set; }

    /// <summary>Fits on <paramref name="x"/> (n x features, row-major) and <paramref name="labels"/>, starting from zero.</summary>
    public void Fit(ReadOnlySpan<float> x, ReadOnlySpan<byte> labels, double l2, int maxIterations = 200, double tolerance = 1e-7,
        CancellationToken cancellation = default)
    {
        int n = labels.Length;
        if (x.Length != n * Features) throw new ArgumentException($"x holds {x.Length} values, not {n} x {Features}.", nameof(x));
        float[] data = x.ToArray();
        byte[] y = labels.ToArray();
        var theta = new double[Weights.Length + Biases.Length];
        (Iterations, Objective) = Lbfgs.Minimize((t, gradient) => Evaluate(data, y, t, l2, gradient), theta, maxIterations, tolerance, cancellation);
        Array.Copy(theta, Weights, Weights.Length);
        Array.Copy(theta, Weights.Length, Biases, 0, Biases.Length);
    }

    /// <summary>Writes the n x classes probabilities of <paramref name="x"/> (n x features).</summary>
    public void PredictProbabilities(ReadOnlySpan<float> x, Span<float> probabilities)
    {
        int n = x.Length / Features;
        Span<double> logits = stackalloc double[Classes];
        for (int r = 0; r < n; r++)
        {
            ReadOnlySpan<float> row = x.Slice(r * Features, Features);
            Logits(row, Weights, Biases, logits);
            Softmax(logits);
            for (int k = 0; k < Classes; k++) probabilities[r * Classes + k] = (float)logits[k];
        }
    }

    /// <summary>Mean cross-entropy + (λ/2)|W|² at <paramref name="theta"/> (weights then biases), and its gradient.</summary>
    private double Evaluate(float[] x, byte[] y, double[] theta, double l2, double[] gradient)
    {
        int n = y.Length, wLength = Weights.Length;
        var w = theta.AsSpan(0, wLength);
        var b = theta.AsSpan(wLength, Classes);
        Array.Clear(gradient);
        Span<double> p = stackalloc double[Classes];
        double loss = 0;
        for (int r = 0; r < n; r++)
        {
            ReadOnlySpan<float> row = x.AsSpan(r * Features, Features);
            Logits(row, w, b, p);
            double max = double.NegativeInfinity;
            foreach (double v in p) max = Math.Max(max, v);
            double sum = 0;
            for (int k = 0; k < Classes; k++) sum += Math.Exp(p[k] - max);
            double logSum = max + Math.Log(sum);
            loss += logSum - p[y[r]];
            for (int k = 0; k < Classes; k++)
            {
                double g = Math.Exp(p[k] - logSum) - (k == y[r] ? 1 : 0);
                gradient[wLength + k] += g;
                Span<double> gw = gradient.AsSpan(k * Features, Features);
                for (int j = 0; j < Features; j++) gw[j] += g * row[j];
            }
        }
        double penalty = 0;
        for (int i = 0; i < gradient.Length; i++) gradient[i] /= n;
        for (int i = 0; i < wLength; i++)
        {
            penalty += w[i] * w[i];
            gradient[i] += l2 * w[i];
        }
        return loss / n + 0.5 * l2 * penalty;
    }

    private void Logits(ReadOnlySpan<float> row, ReadOnlySpan<double> w, ReadOnlySpan<double> b, Span<double> logits)
    {
        for (int k = 0; k < Classes; k++)
        {
            double z = b[k];
            ReadOnlySpan<double> wk = w.Slice(k * Features, Features);
            for (int j = 0; j < Features; j++) z += wk[j] * row[j];
            logits[k] = z;
        }
    }

    private static void Softmax(Span<double> values)
    {
        double max = double.NegativeInfinity;
        foreach (double v in values) max = Math.Max(max, v);
        double sum = 0;
        for (int k = 0; k < values.Length; k++) sum += values[k] = Math.Exp(values[k] - max);
        for (int k = 0; k < values.Length; k++) values[k] /= sum;
    }

    public void Write(BinaryWriter writer)
    {
        writer.Write(Features);
        writer.Write(Classes);
        foreach (double v in Weights) writer.Write(v);
        foreach (double v in Biases) writer.Write(v);
    }

    public static SoftmaxRegression Read(BinaryReader reader)
    {
        int features = reader.ReadInt32(), classes = reader.ReadInt32();
        if (features is < 1 or > 100_000 || classes is < 2 or > 1000) throw new InvalidDataException($"meta-model of {features} x {classes} is implausible");
        var model = new SoftmaxRegression(features, classes);
        for (int i = 0; i < model.Weights.Length; i++) model.Weights[i] = reader.ReadDouble();
        for (int i = 0; i < model.Biases.Length; i++) model.Biases[i] = reader.ReadDouble();
        return model;
    }
}
