using FashionMnist.Data;
using FashionMnist.Models;
using FashionMnist.Numerics;

namespace FashionMnist.Evaluation;

/// <summary>A fitted temperature and class prior, and the penalty it was fitted with (∞: temperature only).</summary>
internal sealed record CalibrationFit(double Temperature, IReadOnlyList<double> LogPrior, double Penalty, int Iterations, double Objective)
{
    /// <summary>The calibrated n x 10 probabilities of <paramref name="probabilities"/> (n x 10).</summary>
    public float[] Apply(ReadOnlySpan<float> probabilities) => PhotoCalibrationFit.Apply(probabilities, Temperature, LogPrior);
}

/// <summary>One penalty's cross-validated scores: the out-of-fold log loss it is chosen by, and top-1/top-3 beside it.</summary>
internal sealed record PenaltyScore(double Penalty, double LogLoss, double Top1, double Top3);

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
/// by k-fold cross-validation over the labelled photos (<see cref="Select"/>). Deterministic: no seed but the folds'.
/// <para>The objective is not convex when photos have several right labels (−ln of a sum of softmax terms), so the fit
/// is a local minimum reached from the identity calibration; with one right label per photo it is convex in (1/T, b).</para>
/// </summary>
internal static class PhotoCalibrationFit
{
    private const int Classes = FashionMnistClasses.Count;

    /// <summary>Penalties tried by default, strongest first (ties go to the stronger): ∞ is temperature scaling alone.</summary>
    public static IReadOnlyList<double> DefaultPenalties { get; } = [double.PositiveInfinity, 1, 0.3, 0.1, 0.03, 0.01, 0.003, 0.001, 0.0003, 0.0001];

    /// <summary>Fits T and b on <paramref name="probabilities"/> (n x 10, the photo path's averaged outputs) and the right labels' masks.</summary>
    public static CalibrationFit Fit(ReadOnlySpan<float> probabilities, ReadOnlySpan<ushort> acceptable, double penalty,
        int maxIterations = 1000, double tolerance = 1e-12)
    {
        int n = acceptable.Length;
        if (probabilities.Length != n * Classes) throw new ArgumentException($"{probabilities.Length} probabilities for {n} samples.", nameof(probabilities));
        if (n == 0) throw new ArgumentException("No samples to fit on.", nameof(acceptable));
        if (!(penalty >= 0)) throw new ArgumentOutOfRangeException(nameof(penalty), penalty, "The penalty must be 0 or more (∞: temperature only).");
        var logs = new double[n * Classes];
        for (int i = 0; i < logs.Length; i++) logs[i] = Math.Log(Math.Max(probabilities[i], PhotoCalibration.ProbabilityFloor));
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
        int folds, int seed, IReadOnlyList<double>? penalties = null, int repeats = 1)
    {
        penalties ??= DefaultPenalties;
        if (penalties.Count == 0) throw new ArgumentException("No penalty to try.", nameof(penalties));
        ArgumentOutOfRangeException.ThrowIfLessThan(repeats, 1);
        int n = acceptable.Length;
        var assignments = Enumerable.Range(0, repeats).Select(r => Folds(groups, folds, seed + r)).ToList();
        PenaltyScore? best = null;
        float[]? bestOutOfFold = null;
        var grid = new List<PenaltyScore>();
        foreach (double penalty in penalties)
        {
            double logLoss = 0, top1 = 0, top3 = 0;
            var meanOutOfFold = new float[n * Classes];
            foreach (int[] assignment in assignments)
            {
                float[] outOfFold = OutOfFold(probabilities, acceptable, assignment, folds, penalty);
                logLoss += AcceptableLabelMetrics.LogLoss(outOfFold, acceptable);
                top1 += AcceptableLabelMetrics.TopK(outOfFold, acceptable, 1);
                top3 += AcceptableLabelMetrics.TopK(outOfFold, acceptable, 3);
                for (int i = 0; i < outOfFold.Length; i++) meanOutOfFold[i] += outOfFold[i] / repeats;
            }
            var score = new PenaltyScore(penalty, logLoss / repeats, top1 / repeats, top3 / repeats);
            grid.Add(score);
            if (best is null || score.LogLoss < best.LogLoss) (best, bestOutOfFold) = (score, meanOutOfFold);
        }
        return new CalibrationSelection(Fit(probabilities, acceptable, best!.Penalty), grid, bestOutOfFold!, folds, repeats);
    }

    /// <summary>Each sample's probabilities calibrated by the fit on the other folds (n x 10).</summary>
    private static float[] OutOfFold(ReadOnlySpan<float> probabilities, ReadOnlySpan<ushort> acceptable, int[] assignment, int folds, double penalty)
    {
        int n = acceptable.Length;
        var outOfFold = new float[n * Classes];
        for (int f = 0; f < folds; f++)
        {
            int[] train = Enumerable.Range(0, n).Where(i => assignment[i] != f).ToArray();
            int[] test = Enumerable.Range(0, n).Where(i => assignment[i] == f).ToArray();
            CalibrationFit fit = Fit(Rows(probabilities, train), Pick(acceptable, train), penalty);
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

    /// <summary>softmax(ln p / T + b) per row.</summary>
    internal static float[] Apply(ReadOnlySpan<float> probabilities, double temperature, IReadOnlyList<double> logPrior)
    {
        var calibration = new PhotoCalibration { Temperature = temperature, LogPrior = logPrior, Pipeline = "any", Views = 1 };
        var result = new float[probabilities.Length];
        for (int r = 0; r < probabilities.Length / Classes; r++)
            calibration.Apply(probabilities.Slice(r * Classes, Classes), result.AsSpan(r * Classes, Classes));
        return result;
    }

    /// <summary>Mean −ln Σ_{k right} softmax(z)_k + (λ/2)|b|², z = e^u·ln p + b, θ = (u, b); its gradient into <paramref name="gradient"/>.</summary>
    private static double Objective(double[] logs, ushort[] masks, double[] theta, double penalty, double[] gradient)
    {
        int n = masks.Length;
        double scale = Math.Exp(theta[0]);
        Array.Clear(gradient);
        Span<double> z = stackalloc double[Classes];
        double loss = 0;
        for (int i = 0; i < n; i++)
        {
            ReadOnlySpan<double> l = logs.AsSpan(i * Classes, Classes);
            double max = double.NegativeInfinity, maxRight = double.NegativeInfinity;
            for (int k = 0; k < Classes; k++)
            {
                z[k] = scale * l[k] + theta[1 + k];
                max = Math.Max(max, z[k]);
                if ((masks[i] >> k & 1) != 0) maxRight = Math.Max(maxRight, z[k]);
            }
            double all = 0, right = 0;
            for (int k = 0; k < Classes; k++)
            {
                all += Math.Exp(z[k] - max);
                if ((masks[i] >> k & 1) != 0) right += Math.Exp(z[k] - maxRight);
            }
            double logAll = max + Math.Log(all), logRight = maxRight + Math.Log(right);
            loss += logAll - logRight;
            for (int k = 0; k < Classes; k++)
            {
                // d/dz_k of lse(z) − lse_right(z): softmax over all classes minus softmax over the right ones.
                double g = Math.Exp(z[k] - logAll) - ((masks[i] >> k & 1) != 0 ? Math.Exp(z[k] - logRight) : 0);
                gradient[0] += g * scale * l[k];
                gradient[1 + k] += g;
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
