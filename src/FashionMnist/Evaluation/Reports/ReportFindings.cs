using FashionMnist.Data;

namespace FashionMnist.Evaluation.Reports;

/// <summary>The few sentences a reader wants first, computed from the results (not written by hand).</summary>
internal static class ReportFindings
{
    public static IReadOnlyList<string> For(ComparisonReport report)
    {
        var findings = new List<string>();
        var board = report.Leaderboard;
        if (board.Count == 0)
        {
            findings.Add("No model was run.");
            return findings;
        }
        var best = board[0];
        findings.Add($"Best test accuracy: {best.Name} with {Percent(best.TestAccuracy)} (macro F1 {Fixed(best.MacroF1, 4)}).");
        if (board.Count > 1)
        {
            var fastest = board.MinBy(m => m.TrainSeconds)!;
            findings.Add($"Fastest to train: {fastest.Name} ({Duration(fastest.TrainSeconds)}, {Percent(fastest.TestAccuracy)}).");
            // The cheapest model within one percentage point of the best.
            var frugal = board.Where(m => m.TestAccuracy >= best.TestAccuracy - 0.01).MinBy(m => m.TrainSeconds)!;
            if (frugal != best)
                findings.Add($"{frugal.Name} comes within one point of the best ({Percent(frugal.TestAccuracy)}) in {Duration(frugal.TrainSeconds)} instead of {Duration(best.TrainSeconds)}.");
        }
        var withClasses = report.Models.Where(m => m.PerClass.Count == FashionMnistClasses.Count).ToList();
        if (withClasses.Count > 0)
        {
            var meanF1 = Enumerable.Range(0, FashionMnistClasses.Count)
                .Select(c => (Class: c, F1: withClasses.Average(m => m.PerClass[c].F1))).OrderBy(x => x.F1).ToList();
            findings.Add($"Hardest class: {FashionMnistClasses.Name(meanF1[0].Class)} (mean F1 {Fixed(meanF1[0].F1, 3)} across models); " +
                         $"easiest: {FashionMnistClasses.Name(meanF1[^1].Class)} ({Fixed(meanF1[^1].F1, 3)}).");
        }
        var pair = MostConfusedOverall(report.Models);
        if (pair is { } p)
            findings.Add($"Most confused pair over all models: {FashionMnistClasses.Name(p.Actual)} taken for {FashionMnistClasses.Name(p.Predicted)} ({p.Count} test images in total).");
        // Only models trained in epochs or rounds: KNN and fully grown forests are perfect on their training images by design.
        var overfit = report.Models.Where(m => m.OverfittingGap is not null && m.Epochs.Count > 0).MaxBy(m => m.OverfittingGap!.Value);
        if (overfit is not null && overfit.OverfittingGap > 0.02)
            findings.Add($"Largest train–test gap of the models trained in epochs or rounds: {overfit.Name}, {Points(overfit.OverfittingGap!.Value)} (train {Percent(overfit.TrainAccuracy!.Value)}, test {Percent(overfit.TestAccuracy)}).");
        if (report.Models.Any(m => m.TrainImages > 0 && m.TrainImages < 60_000))
            findings.Add("Some models were trained on a subset of the 60,000 training images (see the leaderboard); their numbers are lower than a full run would give.");
        return findings;
    }

    /// <summary>The off-diagonal confusion cell with the largest count summed over all models.</summary>
    public static ConfusedPair? MostConfusedOverall(IEnumerable<ModelResult> models)
    {
        var sum = new ConfusionMatrixAccumulator(FashionMnistClasses.Count);
        bool any = false;
        foreach (var m in models.Where(m => m.Confusion is not null))
        {
            sum.Add(m.Confusion!);
            any = true;
        }
        return any ? sum.ToMatrix().MostConfusedPairs(1).FirstOrDefault() : null;
    }

    public static string Percent(double share) => (share * 100).ToString("0.00", CultureInfo.InvariantCulture) + " %";
    public static string Points(double share) => (share * 100).ToString("0.0", CultureInfo.InvariantCulture) + " points";
    public static string Fixed(double value, int decimals) => value.ToString("F" + decimals.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);

    public static string Duration(double seconds) => seconds switch
    {
        < 1 => (seconds * 1000).ToString("0", CultureInfo.InvariantCulture) + " ms",
        < 100 => seconds.ToString("0.0", CultureInfo.InvariantCulture) + " s",
        < 3600 => (seconds / 60).ToString("0.0", CultureInfo.InvariantCulture) + " min",
        _ => (seconds / 3600).ToString("0.0", CultureInfo.InvariantCulture) + " h",
    };

    public static string Bytes(long bytes) => bytes switch
    {
        <= 0 => "–",
        < 1024 => bytes.ToString(CultureInfo.InvariantCulture) + " B",
        < 1024 * 1024 => (bytes / 1024.0).ToString("0.0", CultureInfo.InvariantCulture) + " KiB",
        _ => (bytes / (1024.0 * 1024)).ToString("0.0", CultureInfo.InvariantCulture) + " MiB",
    };

    private sealed class ConfusionMatrixAccumulator(int classes)
    {
        private readonly int[][] _rows = Enumerable.Range(0, classes).Select(_ => new int[classes]).ToArray();

        public void Add(int[][] rows)
        {
            for (int r = 0; r < Math.Min(rows.Length, _rows.Length); r++)
                for (int c = 0; c < Math.Min(rows[r].Length, _rows.Length); c++) _rows[r][c] += rows[r][c];
        }

        public ConfusionMatrix ToMatrix() => ConfusionMatrix.FromRows(_rows);
    }
}
