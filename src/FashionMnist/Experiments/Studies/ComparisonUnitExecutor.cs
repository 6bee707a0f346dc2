using FashionMnist.Classic;
using FashionMnist.Data;
using FashionMnist.Experiments.Comparison;
using FashionMnist.Models;
using FashionMnist.Selection;

namespace FashionMnist.Experiments.Studies;

/// <summary>
/// Runs a study's units with the code a comparison uses: a cross-validation unit is one fold of
/// <see cref="CrossValidation.Evaluate"/> (the same stratified folds for every candidate, from the seed); a refit unit is
/// <see cref="ComparisonRunner.RunEntry"/>, i.e. one <see cref="ExperimentRunner"/> unit (recorded by the study worker, in the
/// same transaction that marks the unit done).
/// </summary>
internal sealed class ComparisonUnitExecutor(ImageSet train, ImageSet test) : IUnitExecutor
{
    /// <summary>Per-epoch / per-round lines of the fits.</summary>
    public Action<string>? Log { get; init; }

    public IProgress<CompareProgress>? Progress { get; init; }

    /// <summary>Finds a model by name; the catalog by default.</summary>
    public Func<string, ModelDescriptor?> Resolve { get; init; } = name => ModelCatalog.TryGet(name, out var d) ? d : null;

    /// <summary>The stratified folds of one search's data, computed once per (data size, folds, seed).</summary>
    private readonly Dictionary<(int Count, int Folds, int Seed), IReadOnlyList<(int[] Train, int[] Test)>> _folds = [];

    public UnitResult Run(StudyUnit unit, UnitInputs inputs, CancellationToken cancellation)
    {
        var entry = inputs.Entry;
        var request = inputs.Request;
        ImageSet entryTrain = train.Take(Math.Min(entry.TrainLimit ?? int.MaxValue, request.TrainLimit ?? int.MaxValue));
        if (unit.Kind == UnitKind.Refit)
        {
            var runner = new ComparisonRunner { Resolve = Resolve, Log = Log, Progress = Progress, Cancellation = cancellation };
            // The full training set: the entry's limits are applied inside, where the report's note says how many images it had.
            var model = runner.RunEntry(entry, request, train, test, inputs.Search, out float[] probabilities);
            bool ensembleMember = request.Profile.EnsembleOf.Contains(entry.Name, StringComparer.OrdinalIgnoreCase);
            return new UnitResult { Model = model, TestProbabilities = ensembleMember ? probabilities : null };
        }

        var search = entry.Search ?? throw new InvalidOperationException($"{unit.Key} is a cross-validation unit of an entry without a search.");
        var descriptor = Resolve(entry.Model)
            ?? throw new FashionMnistException($"{entry.Model} is not in this build's model catalog", "Run the study with the fmnist build its other workers use.");
        ImageSet searchTrain = entryTrain.Take(search.TrainLimit ?? int.MaxValue);
        var key = (searchTrain.Count, search.Folds, request.Seed);
        if (!_folds.TryGetValue(key, out var folds)) _folds[key] = folds = Splits.StratifiedKFold(searchTrain.Labels, search.Folds, request.Seed);
        var fold = folds[unit.Fold!.Value];
        var recipe = new ModelRecipe(descriptor.Name, entry.Settings);
        var scored = CrossValidation.Evaluate(recipe, new Candidate(unit.Candidate!.Value, unit.Settings), searchTrain, [fold], request.Seed, cancellation);
        return new UnitResult
        {
            Fold = new FoldScore(scored.Metrics[Scores.Accuracy].Mean, scored.Metrics[Scores.MacroF1].Mean, scored.FitSeconds, fold.Train.Length, fold.Test.Length),
        };
    }
}
