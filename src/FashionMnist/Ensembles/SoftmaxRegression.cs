namespace FashionMnist.Ensembles;

/// <summary>
/// Multinomial logistic regression, the stacking meta-model: p(k | x) = softmax(b + W x)_k, fitted by minimising the
/// mean cross-entropy + (λ / 2)·|W|² (biases not penalised) with L-BFGS (10 pairs, backtracking Armijo line search).
/// The objective is convex, so the fit is deterministic and needs no seed. Sums run in double, in a fixed order.
/// </summary>
public sealed class SoftmaxRegression
{
    private const int History = 10;

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
        int size = Weights.Length + Biases.Length;
        var theta = new double[size];
        var gradient = new double[size];
        double f = Evaluate(data, y, theta, l2, gradient);
        var s = new List<double[]>();
        var t = new List<double[]>();
        var direction = new double[size];
        var next = new double[size];
        var nextGradient = new double[size];
        int iteration = 0;
        for (; iteration < maxIterations; iteration++)
        {
            cancellation.ThrowIfCancellationRequested();
            TwoLoop(gradient, s, t, direction);
            double slope = Dot(gradient, direction);
            if (slope >= 0) // not a descent direction (numerical trouble): restart from steepest descent
            {
                s.Clear();
                t.Clear();
                for (int i = 0; i < size; i++) direction[i] = -gradient[i];
                slope = Dot(gradient, direction);
            }
            double step = 1, fNext;
            while (true)
            {
                for (int i = 0; i < size; i++) next[i] = theta[i] + step * direction[i];
                fNext = Evaluate(data, y, next, l2, nextGradient);
                if (fNext <= f + 1e-4 * step * slope || step < 1e-10) break;
                step *= 0.5;
            }
            var sk = new double[size];
            var tk = new double[size];
            for (int i = 0; i < size; i++) { sk[i] = next[i] - theta[i]; tk[i] = nextGradient[i] - gradient[i]; }
            if (Dot(sk, tk) > 1e-12)
            {
                s.Add(sk);
                t.Add(tk);
                if (s.Count > History) { s.RemoveAt(0); t.RemoveAt(0); }
            }
            double change = f - fNext;
            (theta, next) = (next, theta);
            (gradient, nextGradient) = (nextGradient, gradient);
            f = fNext;
            if (change >= 0 && change < tolerance * Math.Max(1, Math.Abs(f))) { iteration++; break; }
        }
        Array.Copy(theta, Weights, Weights.Length);
        Array.Copy(theta, Weights.Length, Biases, 0, Biases.Length);
        Iterations = iteration;
        Objective = f;
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

    /// <summary>L-BFGS two-loop recursion: direction = −H·g from the stored pairs (s, y = Δgradient).</summary>
    private static void TwoLoop(double[] gradient, List<double[]> s, List<double[]> t, double[] direction)
    {
        int m = s.Count;
        var alpha = new double[m];
        for (int i = 0; i < gradient.Length; i++) direction[i] = -gradient[i];
        for (int k = m - 1; k >= 0; k--)
        {
            alpha[k] = Dot(s[k], direction) / Dot(t[k], s[k]);
            for (int i = 0; i < direction.Length; i++) direction[i] -= alpha[k] * t[k][i];
        }
        if (m > 0)
        {
            double scale = Dot(s[m - 1], t[m - 1]) / Dot(t[m - 1], t[m - 1]);
            for (int i = 0; i < direction.Length; i++) direction[i] *= scale;
        }
        for (int k = 0; k < m; k++)
        {
            double beta = Dot(t[k], direction) / Dot(t[k], s[k]);
            for (int i = 0; i < direction.Length; i++) direction[i] += (alpha[k] - beta) * s[k][i];
        }
    }

    private static double Dot(double[] a, double[] b)
    {
        double sum = 0;
        for (int i = 0; i < a.Length; i++) sum += a[i] * b[i];
        return sum;
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
