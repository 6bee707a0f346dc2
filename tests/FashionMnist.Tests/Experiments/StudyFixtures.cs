using System.Collections.Concurrent;
using FashionMnist.Evaluation.Reports;
using FashionMnist.Experiments.Comparison;
using FashionMnist.Experiments.Studies;

namespace FashionMnist.Tests.Experiments;

/// <summary>
/// A small study with hand-computable outcomes, and an executor that computes them without fitting anything:
/// entry "tuned" searches a=1,2,3 with 2 folds (candidate index 1, a=2, scores best: 0.90 and 0.92), entry "plain" has no search.
/// </summary>
internal static class StudyFixtures
{
    public static readonly ProfileEntry Tuned = new("tuned-model", new Dictionary<string, string> { ["b"] = "7" })
    {
        Label = "tuned", Search = new ProfileSearch("a=1,2,3", Folds: 2),
    };

    public static readonly ProfileEntry Plain = new("plain", new Dictionary<string, string>());

    public static StudyPlan Plan(string? name = null, int seed = 42)
    {
        var profile = new CompareProfile("test", "a hand-made study", [Tuned, Plain]);
        var request = new ComparisonRequest { Profile = profile, Seed = seed, Command = "fmnist compare --profile test" };
        return StudyPlan.Create(request, request.Entries(), name);
    }

    /// <summary>Fold accuracy of candidate <paramref name="candidate"/> on <paramref name="fold"/>: a=2 wins with mean 0.91, std 0.01.</summary>
    public static double FoldAccuracy(int candidate, int fold) => candidate switch
    {
        1 => 0.90 + 0.02 * fold,
        0 => 0.80 + 0.01 * fold,
        _ => 0.85,
    };
}

/// <summary>Computes <see cref="StudyFixtures"/>' results; counts every unit it ran; can be slowed down or made to fail.</summary>
internal sealed class FakeExecutor : IUnitExecutor
{
    public ConcurrentBag<string> Ran { get; } = [];
    public TimeSpan Delay { get; init; }
    public Func<StudyUnit, bool>? FailWhen { get; init; }

    public UnitResult Run(StudyUnit unit, UnitInputs inputs, CancellationToken cancellation)
    {
        if (Delay > TimeSpan.Zero && cancellation.WaitHandle.WaitOne(Delay)) cancellation.ThrowIfCancellationRequested();
        Ran.Add(unit.Key);
        if (FailWhen?.Invoke(unit) == true) throw new InvalidOperationException("made to fail");
        if (unit.Kind == UnitKind.Cv)
            return new UnitResult { Fold = new FoldScore(StudyFixtures.FoldAccuracy(unit.Candidate!.Value, unit.Fold!.Value), 0.5, 0.01, 100, 50) };
        var parameters = new Dictionary<string, string>(inputs.Entry.Settings);
        if (inputs.Search is SearchSummary search) foreach (var (k, v) in search.Best) parameters[k] = v;
        return new UnitResult
        {
            Model = new ModelResult
            {
                Name = inputs.Entry.Name, CatalogModel = inputs.Entry.Model, Family = "classic", Parameters = parameters,
                TestAccuracy = inputs.Entry.Name == "tuned" ? 0.93 : 0.81, MacroF1 = 0.8, TrainSeconds = 0.5, PredictSecondsPer10k = 0.1,
                TrainImages = 100, TestImages = 50, Search = inputs.Search,
            },
        };
    }
}
