using FashionMnist.Data;
using FashionMnist.Models;
using FashionMnist.Numerics;

namespace FashionMnist.Evaluation;

/// <summary>
/// A fitted temperature and class prior, and the penalty it was fitted with (∞: temperature only); with a
/// <see cref="Matrix"/> (10 x 10, row-major) the matrix form, fitted with <see cref="MatrixPenalty"/> (∞: no matrix).
/// </summary>
internal sealed record CalibrationFit(double Temperature, IReadOnlyList<double> LogPrior, double Penalty, int Iterations, double Objective)
{
    /// <summary>The matrix of the matrix form (then <see cref="Temperature"/> is 10 / its trace), or null.</summary>
    public IReadOnlyList<double>? Matrix { get; init; }

    /// <summary>The penalty that pulled the matrix toward a multiple of the identity; ∞ without a matrix.</summary>
    public double MatrixPenalty { get; init; } = double.PositiveInfinity;

    /// <summary>The calibrated n x 10 probabilities of <paramref name="probabilities"/> (n x 10).</summary>
    public float[] Apply(ReadOnlySpan<float> probabilities) => PhotoCalibrationFit.Apply(probabilities, Temperature, LogPrior, Matrix);
}

/// <summary>
/// One penalty pair's cross-validated scores: the out-of-fold log loss it is chosen by, and top-1/top-3 beside it.
/// <see cref="MatrixPenalty"/> is ∞ for the temperature and prior forms.
/// </summary>
internal sealed record PenaltyScore(double Penalty, double LogLoss, double Top1, double Top3)
{
    public double MatrixPenalty { get; init; } = double.PositiveInfinity;
}

/// <summary>What <see cref="PhotoCalibrationFit.Select"/> found: the fit on every sample with the chosen penalty, the grid,
/// and the chosen penalty's out-of-fold calibrated probabilities (n x 10: each sample calibrated by fits that did not see it,
/// averaged over the repeats of the cross-validation).</summary>
internal sealed record CalibrationSelection(CalibrationFit Fit, IReadOnlyList<PenaltyScore> Grid, float[] OutOfFold, int Folds, int Repeats);

/// <summary>
/// Fits a <see cref="PhotoCalibration"/>: a temperature T and per-class offsets b such that softmax(ln p / T + b) gives the
/// right labels of labelled photos a high probability. It minimises the mean of −ln Σ_{k right} q_k (a photo may have
/// several right labels) + (λ/2)|b|² with <see cref="Lbfgs"/>, from T = 1, b = 0, over θ = (ln(1/T), b) so T stays positive.
/// λ = ∞ fits the temperature alone (temperature scaling). The penalty keeps the offsets finite for classes no photo has
/// (Bag) and splits an offset shared by classes that are always right together (the three shoe classes) evenly; λ is chosen
/// by k-fold cross-validation over the labelled photos (<see cref="Select"/>), which also tries the matrix form
/// (<see cref="FitMatrix"/>: W·ln p + b) and keeps whichever form predicts the held-out folds better. Deterministic: no seed but the folds'.
/// <para>The objective is not convex when photos have several right labels (−ln of a sum of softmax terms), so the fit
/// is a local minimum reached from the identity calibration; with one right label per photo it is convex in (1/T, b).</para>
/// </summary>
internal static class PhotoCalibrationFit
{
    private const int Classes = FashionMnistClasses.Count;

    /// <summary>Penalties tried by default, strongest first (ties go to the stronger): ∞ is temperature scaling alone.</summary>
    public static IReadOnlyList<double> DefaultPenalties { get; } = [double.PositiveInfinity, 1, 0.3, 0.1, 0.03, 0.01, 0.003, 0.001, 0.0003, 0.0001];

    /// <summary>
    /// Matrix penalties μ tried after the prior's penalty is chosen, strongest first. On the 196 tuning photos the
    /// out-of-fold log loss was lowest at 0.03-0.1 for cnn-photo seeds and their votes (docs/photos.md); below 0.01 the
    /// 110 weights start to learn the folds.
    /// </summary>
    public static IReadOnlyList<double> DefaultMatrixPenalties { get; } = [1, 0.3, 0.1, 0.03, 0.01];

    /// <summary>Fits T and b on <paramref name="probabilities"/> (n x 10, the photo path's averaged outputs) and the right labels' masks.</summary>
    public static CalibrationFit Fit(ReadOnlySpan<float> probabilities, ReadOnlySpan<ushort> acceptable, double penalty,
        int maxIterations = 1000, double tolerance = 1e-12)
    {
        int n = acceptable.Length;
        if (probabilities.Length != n * Classes) throw new ArgumentException($"{probabilities.Length} probabilities for {n} samples.", nameof(probabilities));
        if (n == 0) throw new ArgumentException("No samples to fit on.", nameof(acceptable));
        if (!(penalty >= 0)) throw new ArgumentOutOfRangeException(nameof(penalty), penalty, "The penalty must be 0 or more (∞: temperature only).");
        double[] logs = Logs(probabilities);
        ushort[] masks = acceptable.ToArray();
        foreach (ushort mask in masks)
            if (mask == 0 || mask >> Classes != 0) throw new ArgumentException($"Mask {mask} names no label or one outside 0-9.", nameof(acceptable));
        var theta = new double[1 + Classes];
        var (iterations, objective) = Lbfgs.Minimize((t, gradient) => Objective(logs, masks, t, penalty, gradient), theta, maxIterations, tolerance);
        return new CalibrationFit(Math.Exp(-theta[0]), theta[1..], penalty, iterations, objective);
    }

    /// <summary>
    /// Chooses the penalty by <paramref name="folds"/>-fold cross-validation, stratified by <paramref name="groups"/> (a photo's
    /// source class: each fold holds about 1/k of every group), repeated <paramref name="repeats"/> times with the fold seeds
    /// <paramref name="seed"/>, <paramref name="seed"/>+1, ...; by the out-of-fold log loss averaged over the repeats; then
    /// fits on every sample. Why repeats: on a couple of hundred photos one fold split moves the out-of-fold top-1 by
    /// several points (the vote of two cnn-photo seeds: 0.735 with one split, 0.704 with another), enough to change the
    /// chosen penalty and the out-of-sample figures reported. The returned out-of-fold probabilities are each sample's
    /// mean over the repeats (every one from a fit that did not see the sample); the grid's scores are means over repeats.
    /// </summary>
    public static CalibrationSelection Select(ReadOnlySpan<float> probabilities, ReadOnlySpan<ushort> acceptable, IReadOnlyList<int> groups,
        int folds, int seed, IReadOnlyList<double>? penalties = null, int repeats = 1, IReadOnlyList<double>? matrixPenalties = null, int copies = 1)
    {
        penalties ??= DefaultPenalties;
        matrixPenalties ??= [];
        if (penalties.Count == 0) throw new ArgumentException("No penalty to try.", nameof(penalties));
        ArgumentOutOfRangeException.ThrowIfLessThan(repeats, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(copies, 1);
        int rows = acceptable.Length;
        if (rows % copies != 0 || groups.Count != rows) throw new ArgumentException($"{rows} rows, {groups.Count} groups and {copies} copies do not match.", nameof(copies));
        // Pooled copies (several models' outputs on the same photos, row r is photo r mod n) share a photo's fold, so no
        // photo is fitted on through one model and scored through another.
        int photos = rows / copies;
        var assignments = Enumerable.Range(0, repeats).Select(r =>
        {
            int[] byPhoto = Folds(groups.Take(photos).ToList(), folds, seed + r);
            return Enumerable.Range(0, rows).Select(i => byPhoto[i % photos]).ToArray();
        }).ToList();
        var grid = new List<(PenaltyScore Score, float[] OutOfFold)>();
        foreach (double penalty in penalties)
            grid.Add(Score(probabilities, acceptable, assignments, folds, penalty, double.PositiveInfinity));
        double chosen = grid.MinBy(g => g.Score.LogLoss).Score.Penalty;
        if (double.IsFinite(chosen)) // a matrix without a prior would be a new form to justify; the matrices extend the chosen prior
            foreach (double mu in matrixPenalties)
                grid.Add(Score(probabilities, acceptable, assignments, folds, chosen, mu));
        var best = grid.MinBy(g => g.Score.LogLoss);
        CalibrationFit fit = double.IsPositiveInfinity(best.Score.MatrixPenalty)
            ? Fit(probabilities, acceptable, best.Score.Penalty)
            : FitMatrix(probabilities, acceptable, best.Score.Penalty, best.Score.MatrixPenalty);
        return new CalibrationSelection(fit, [.. grid.Select(g => g.Score)], best.OutOfFold, folds, repeats);
    }

    /// <summary>One penalty pair's out-of-fold scores, averaged over the fold assignments (the repeats).</summary>
    private static (PenaltyScore, float[]) Score(ReadOnlySpan<float> probabilities, ReadOnlySpan<ushort> acceptable, List<int[]> assignments,
        int folds, double penalty, double matrixPenalty)
    {
        int repeats = assignments.Count;
        double logLoss = 0, top1 = 0, top3 = 0;
        var meanOutOfFold = new float[acceptable.Length * Classes];
        foreach (int[] assignment in assignments)
        {
            float[] outOfFold = OutOfFold(probabilities, acceptable, assignment, folds, penalty, matrixPenalty);
            logLoss += AcceptableLabelMetrics.LogLoss(outOfFold, acceptable);
            top1 += AcceptableLabelMetrics.TopK(outOfFold, acceptable, 1);
            top3 += AcceptableLabelMetrics.TopK(outOfFold, acceptable, 3);
            for (int i = 0; i < outOfFold.Length; i++) meanOutOfFold[i] += outOfFold[i] / repeats;
        }
        return (new PenaltyScore(penalty, logLoss / repeats, top1 / repeats, top3 / repeats) { MatrixPenalty = matrixPenalty }, meanOutOfFold);
    }

    /// <summary>Each sample's probabilities calibrated by the fit on the other folds (n x 10).</summary>
    private static float[] OutOfFold(ReadOnlySpan<float> probabilities, ReadOnlySpan<ushort> acceptable, int[] assignment, int folds,
        double penalty, double matrixPenalty)
    {
        int n = acceptable.Length;
        var outOfFold = new float[n * Classes];
        for (int f = 0; f < folds; f++)
        {
            int[] train = Enumerable.Range(0, n).Where(i => assignment[i] != f).ToArray();
            int[] test = Enumerable.Range(0, n).Where(i => assignment[i] == f).ToArray();
            CalibrationFit fit = double.IsPositiveInfinity(matrixPenalty)
                ? Fit(Rows(probabilities, train), Pick(acceptable, train), penalty)
                : FitMatrix(Rows(probabilities, train), Pick(acceptable, train), penalty, matrixPenalty);
            float[] calibrated = fit.Apply(Rows(probabilities, test));
            for (int j = 0; j < test.Length; j++) calibrated.AsSpan(j * Classes, Classes).CopyTo(outOfFold.AsSpan(test[j] * Classes));
        }
        return outOfFold;
    }

    /// <summary>
    /// Fold of each sample, stratified by group (<see cref="Splits.StratifiedFoldOf"/>); a group smaller than the fold
    /// count would leave some folds without it, so it is refused.
    /// </summary>
    internal static int[] Folds(IReadOnlyList<int> groups, int folds, int seed)
    {
        if (folds < 2) throw new ArgumentOutOfRangeException(nameof(folds), folds, "Cross-validation needs at least 2 folds.");
        foreach (var group in groups.GroupBy(g => g).Where(g => g.Count() < folds))
            throw new ArgumentException($"Group {group.Key} has {group.Count()} samples, fewer than the {folds} folds.", nameof(groups));
        return Splits.StratifiedFoldOf(groups, folds, seed);
    }

    /// <summary>softmax(ln p / T + b), or softmax(W·ln p + b) with a matrix, per row.</summary>
    internal static float[] Apply(ReadOnlySpan<float> probabilities, double temperature, IReadOnlyList<double> logPrior, IReadOnlyList<double>? matrix = null)
    {
        var calibration = new PhotoCalibration { Temperature = temperature, LogPrior = logPrior, Matrix = matrix, Pipeline = "any", Views = 1 };
        var result = new float[probabilities.Length];
        for (int r = 0; r < probabilities.Length / Classes; r++)
            calibration.Apply(probabilities.Slice(r * Classes, Classes), result.AsSpan(r * Classes, Classes));
        return result;
    }

    /// <summary>
    /// The matrix form: W (10 x 10) and b minimising the mean −ln Σ_{k right} softmax(W·ln p + b)_k + (λ/2)|b|² +
    /// (μ/2)|W − a·I|², a = trace(W)/10: the penalty pulls W toward a temperature (any a, unpenalised) and lets the data
    /// move evidence between classes only as far as it pays. Starts from the prior form's fit at λ (W = I/T, its b);
    /// deterministic.
    /// <para>It learns only what the labels can tell (<see cref="MatrixShape"/>). Classes that every photo's labels take or
    /// leave together (the three shoe classes: any is right for a shoe) share their rows' weights on other classes and one
    /// offset, and only a common temperature among themselves, so their order stays the model's: free, a fit on photos of
    /// shoes made every Sneaker and Ankle boot of Fashion-MNIST's test set a Sandal (recall 0.98 -> 0.37, 0.97 -> 0.18).
    /// A class no photo has (Bag) keeps offset 0, no weight on other classes and no other class takes weight from it:
    /// free, its recall on Fashion-MNIST's test images went from 0.995 to 0.000. Without such classes and ties, μ → ∞
    /// gives the prior form's fit back.</para>
    /// </summary>
    public static CalibrationFit FitMatrix(ReadOnlySpan<float> probabilities, ReadOnlySpan<ushort> acceptable, double penalty, double matrixPenalty,
        int maxIterations = 2000, double tolerance = 1e-12)
    {
        if (!(matrixPenalty > 0) || double.IsInfinity(matrixPenalty))
            throw new ArgumentOutOfRangeException(nameof(matrixPenalty), matrixPenalty, "The matrix penalty must be positive and finite.");
        CalibrationFit start = Fit(probabilities, acceptable, penalty, maxIterations, tolerance); // also checks the inputs
        double[] logs = Logs(probabilities);
        ushort[] masks = acceptable.ToArray();
        var shape = new MatrixShape(masks);
        var theta = new double[Classes * Classes + Classes];
        for (int k = 0; k < Classes; k++)
        {
            theta[k * Classes + k] = 1 / start.Temperature;
            theta[Classes * Classes + k] = shape.Present(k) ? shape.Group(k).Average(m => start.LogPrior[m]) : 0;
        }
        var (iterations, objective) = Lbfgs.Minimize((t, gradient) =>
        {
            double value = MatrixObjective(logs, masks, t, penalty, matrixPenalty, gradient);
            shape.Constrain(gradient); // tied parameters move together and fixed ones not at all (they start equal / at their value)
            return value;
        }, theta, maxIterations, tolerance);
        double trace = 0;
        for (int k = 0; k < Classes; k++) trace += theta[k * Classes + k];
        return new CalibrationFit(Classes / trace, theta[(Classes * Classes)..], penalty, iterations, objective)
        {
            Matrix = theta[..(Classes * Classes)], MatrixPenalty = matrixPenalty,
        };
    }

    /// <summary>The matrix form's objective and its gradient; θ = (W row-major, b).</summary>
    private static double MatrixObjective(double[] logs, ushort[] masks, double[] theta, double penalty, double matrixPenalty, double[] gradient)
    {
        int n = masks.Length, bias = Classes * Classes;
        Array.Clear(gradient);
        Span<double> z = stackalloc double[Classes];
        double loss = 0;
        Span<double> dz = stackalloc double[Classes];
        for (int i = 0; i < n; i++)
        {
            ReadOnlySpan<double> l = logs.AsSpan(i * Classes, Classes);
            for (int k = 0; k < Classes; k++)
            {
                double v = theta[bias + k];
                for (int j = 0; j < Classes; j++) v += theta[k * Classes + j] * l[j];
                z[k] = v;
            }
            loss += RightLabelLoss(z, masks[i], dz);
            for (int k = 0; k < Classes; k++)
            {
                for (int j = 0; j < Classes; j++) gradient[k * Classes + j] += dz[k] * l[j];
                gradient[bias + k] += dz[k];
            }
        }
        for (int i = 0; i < gradient.Length; i++) gradient[i] /= n;
        double objective = loss / n;
        double mean = 0;
        for (int k = 0; k < Classes; k++) mean += theta[k * Classes + k] / Classes;
        for (int k = 0; k < Classes; k++)
            for (int j = 0; j < Classes; j++)
            {
                // d/dW of (μ/2)|W − aI|² with a = trace/10 is μ(W − aI): the trace's own term sums to zero.
                double d = theta[k * Classes + j] - (k == j ? mean : 0);
                objective += 0.5 * matrixPenalty * d * d;
                gradient[k * Classes + j] += matrixPenalty * d;
            }
        for (int k = 0; k < Classes; k++)
        {
            objective += 0.5 * penalty * theta[bias + k] * theta[bias + k];
            gradient[bias + k] += penalty * theta[bias + k];
        }
        return objective;
    }

    /// <summary>Mean −ln Σ_{k right} softmax(z)_k + (λ/2)|b|², z = e^u·ln p + b, θ = (u, b); its gradient into <paramref name="gradient"/>.</summary>
    private static double Objective(double[] logs, ushort[] masks, double[] theta, double penalty, double[] gradient)
    {
        int n = masks.Length;
        double scale = Math.Exp(theta[0]);
        Array.Clear(gradient);
        Span<double> z = stackalloc double[Classes];
        double loss = 0;
        Span<double> dz = stackalloc double[Classes];
        for (int i = 0; i < n; i++)
        {
            ReadOnlySpan<double> l = logs.AsSpan(i * Classes, Classes);
            for (int k = 0; k < Classes; k++) z[k] = scale * l[k] + theta[1 + k];
            loss += RightLabelLoss(z, masks[i], dz);
            for (int k = 0; k < Classes; k++)
            {
                gradient[0] += dz[k] * scale * l[k];
                gradient[1 + k] += dz[k];
            }
        }
        for (int i = 0; i < gradient.Length; i++) gradient[i] /= n;
        double objective = loss / n;
        for (int k = 0; k < Classes; k++)
        {
            if (double.IsPositiveInfinity(penalty)) gradient[1 + k] = 0; // temperature only: b stays 0
            else
            {
                objective += 0.5 * penalty * theta[1 + k] * theta[1 + k];
                gradient[1 + k] += penalty * theta[1 + k];
            }
        }
        return objective;
    }

    /// <summary>ln(max(p, floor)) of every probability: what both forms' objectives work on.</summary>
    private static double[] Logs(ReadOnlySpan<float> probabilities)
    {
        var logs = new double[probabilities.Length];
        for (int i = 0; i < logs.Length; i++) logs[i] = Math.Log(Math.Max(probabilities[i], PhotoCalibration.ProbabilityFloor));
        return logs;
    }

    /// <summary>
    /// One photo's −ln Σ_{k right} softmax(z)_k = lse(z) − lse_right(z), and its gradient by z into <paramref name="dz"/>:
    /// softmax over all classes minus softmax over the right ones. Both forms' objectives are this after their own z.
    /// </summary>
    private static double RightLabelLoss(ReadOnlySpan<double> z, ushort mask, Span<double> dz)
    {
        double max = double.NegativeInfinity, maxRight = double.NegativeInfinity;
        for (int k = 0; k < Classes; k++)
        {
            max = Math.Max(max, z[k]);
            if ((mask >> k & 1) != 0) maxRight = Math.Max(maxRight, z[k]);
        }
        double all = 0, right = 0;
        for (int k = 0; k < Classes; k++)
        {
            all += Math.Exp(z[k] - max);
            if ((mask >> k & 1) != 0) right += Math.Exp(z[k] - maxRight);
        }
        double logAll = max + Math.Log(all), logRight = maxRight + Math.Log(right);
        for (int k = 0; k < Classes; k++)
            dz[k] = Math.Exp(z[k] - logAll) - ((mask >> k & 1) != 0 ? Math.Exp(z[k] - logRight) : 0);
        return logAll - logRight;
    }

    private static float[] Rows(ReadOnlySpan<float> probabilities, int[] rows)
    {
        var result = new float[rows.Length * Classes];
        for (int j = 0; j < rows.Length; j++) probabilities.Slice(rows[j] * Classes, Classes).CopyTo(result.AsSpan(j * Classes));
        return result;
    }

    private static ushort[] Pick(ReadOnlySpan<ushort> values, int[] rows)
    {
        var result = new ushort[rows.Length];
        for (int j = 0; j < rows.Length; j++) result[j] = values[rows[j]];
        return result;
    }
}
