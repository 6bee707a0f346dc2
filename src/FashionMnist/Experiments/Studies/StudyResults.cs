using System.Text.Json;
using FashionMnist.Evaluation.Reports;
using FashionMnist.Experiments.Comparison;
using FashionMnist.Selection;

namespace FashionMnist.Experiments.Studies;

/// <summary>Turns a study's finished units back into what a comparison reports: search summaries from fold scores.</summary>
public static class StudyResults
{
    private static readonly JsonSerializerOptions s_json = new() { WriteIndented = false };

    public static string ToJson(FoldScore score) => JsonSerializer.Serialize(score, s_json);

    public static FoldScore? FoldOf(UnitState state) =>
        state.Status == UnitStatus.Done && state.ResultJson is string json ? JsonSerializer.Deserialize<FoldScore>(json, s_json) : null;

    /// <summary>
    /// The search of <paramref name="entry"/> from its done cross-validation units: every candidate with all its folds
    /// (mean ± population std, as <see cref="MetricSummary"/>), the best by mean accuracy (ties: lower index, as
    /// <see cref="SearchRunner.Rank"/>). Null when the entry has no search or no candidate finished every fold.
    /// </summary>
    public static SearchSummary? Search(ProfileEntry entry, IEnumerable<UnitState> units)
    {
        if (entry.Search is not ProfileSearch plan) return null;
        var mine = units.Where(u => u.Unit.Entry == entry.Name && u.Unit.Kind == UnitKind.Cv).ToList();
        var candidates = new List<CandidateScore>();
        double seconds = 0;
        int trainImages = 0; // the search's images: a fold's training plus held-out images
        foreach (var group in mine.GroupBy(u => u.Unit.Candidate!.Value).OrderBy(g => g.Key))
        {
            var folds = group.OrderBy(u => u.Unit.Fold).Select(FoldOf).ToList();
            seconds += group.Sum(u => u.Seconds ?? 0);
            if (folds.Any(f => f is null)) continue; // a fold failed for good: the candidate has no fair score
            trainImages = Math.Max(trainImages, folds[0]!.TrainImages + folds[0]!.TestImages);
            var accuracy = MetricSummary.Of(folds.Select(f => f!.Accuracy).ToList());
            candidates.Add(new CandidateScore(group.Key, group.First().Unit.Settings, accuracy.Mean, accuracy.Std, folds.Count, group.Sum(u => u.Seconds ?? 0))
            {
                FoldAccuracies = folds.Select(f => f!.Accuracy).ToList(),
            });
        }
        if (candidates.Count == 0) return null;
        var best = candidates.OrderByDescending(c => c.MeanAccuracy).ThenBy(c => c.Index).First();
        return new SearchSummary(plan.Grid, candidates.Count, plan.Folds, trainImages, best.Settings, best.MeanAccuracy, best.StdAccuracy, seconds)
        {
            Results = candidates,
        };
    }
}
