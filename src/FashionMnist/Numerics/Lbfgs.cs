namespace FashionMnist.Numerics;

/// <summary>
/// Limited-memory BFGS for small smooth problems (the stacking meta-model, the photo calibration): 10 pairs, backtracking
/// Armijo line search, restart from steepest descent when the direction is not a descent one. Deterministic: sums run
/// in double, in a fixed order.
/// </summary>
internal static class Lbfgs
{
    private const int History = 10;

    /// <summary>The objective at θ; writes its gradient into the second argument.</summary>
    public delegate double Objective(double[] theta, double[] gradient);

    /// <summary>
    /// Minimises <paramref name="objective"/> from <paramref name="theta"/> (updated in place) until an iteration lowers it by
    /// less than <paramref name="tolerance"/> × max(1, |f|), or <paramref name="maxIterations"/>. Returns (iterations, final value).
    /// </summary>
    public static (int Iterations, double Value) Minimize(Objective objective, double[] theta, int maxIterations, double tolerance,
        CancellationToken cancellation = default)
    {
        int size = theta.Length;
        var x = (double[])theta.Clone();
        var gradient = new double[size];
        double f = objective(x, gradient);
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
                for (int i = 0; i < size; i++) next[i] = x[i] + step * direction[i];
                fNext = objective(next, nextGradient);
                if (fNext <= f + 1e-4 * step * slope || step < 1e-10) break;
                step *= 0.5;
            }
            var sk = new double[size];
            var tk = new double[size];
            for (int i = 0; i < size; i++) { sk[i] = next[i] - x[i]; tk[i] = nextGradient[i] - gradient[i]; }
            if (Dot(sk, tk) > 1e-12)
            {
                s.Add(sk);
                t.Add(tk);
                if (s.Count > History) { s.RemoveAt(0); t.RemoveAt(0); }
            }
            double change = f - fNext;
            (x, next) = (next, x);
            (gradient, nextGradient) = (nextGradient, gradient);
            f = fNext;
            if (change >= 0 && change < tolerance * Math.Max(1, Math.Abs(f))) { iteration++; break; }
        }
        Array.Copy(x, theta, size);
        return (iteration, f);
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
}
