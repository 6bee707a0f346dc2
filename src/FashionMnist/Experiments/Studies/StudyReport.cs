using System.Text.Json;
using FashionMnist.Evaluation;
using FashionMnist.Evaluation.Reports;

namespace FashionMnist.Experiments.Studies;

/// <summary>
/// Builds a study's <see cref="ComparisonReport"/> from whatever the store holds: every entry whose refit is done
/// appears once (with its search's cross-validation results and the worker that ran it); every other planned entry is
/// listed under "Not run" with how far it got. Any machine with access to the store can build it.
/// </summary>
internal static class StudyReport
{
    /// <summary>
    /// The report of <c>study</c>. <c>testSet</c> gives the test set the study scored, and is called only when the study has
    /// an ensemble row (which needs its labels and images); without it, or when it fails, the report has no ensemble row
    /// and says why.
    /// </summary>
    public static ComparisonReport Build(ExperimentStore store, string study, Func<Data.ImageSet>? testSet = null)
    {
        var found = UnitQueue.Find(store, study)
            ?? throw new FashionMnistException($"The store {store.Path} has no study named '{study}'",
                UnitQueue.Studies(store) is { Count: > 0 } names ? $"It has: {string.Join(", ", names)}." : "Run `fmnist compare --store ...` first.");
        StudySpec spec;
        try { spec = StudySpec.Parse(found.PlanJson); }
        catch (JsonException e)
        {
            throw new FashionMnistException($"The study '{study}' in {store.Path} was written in a form this fmnist cannot read: {e.Message}",
                "Build the report with the fmnist version that ran the study.", ExitCodes.BadInput, e);
        }
        var units = new UnitQueue(store, study).Units();
        var models = new List<ModelResult>();
        var skipped = new List<SkippedModel>(spec.Skipped);
        RunEnvironment? machine = null;
        foreach (var specEntry in spec.Entries)
        {
            var entry = specEntry.ToEntry();
            var mine = units.Where(u => u.Unit.Entry == entry.Name).ToList();
            var refit = mine.FirstOrDefault(u => u.Unit.Kind == UnitKind.Refit);
            if (refit is { Status: UnitStatus.Done, ResultJson: string json })
            {
                var model = JsonSerializer.Deserialize<ModelResult>(json, ReportWriter.JsonOptions)!;
                if (model.Search is SearchSummary search && search.Results.Count == 0)
                    model = model with { Search = StudyResults.Search(entry, mine) ?? search };
                models.Add(model with { Worker = refit.Worker ?? model.Worker });
                if (machine is null && refit.RunId is Guid runId)
                    machine = store.List().FirstOrDefault(r => r.Id == runId)?.Environment;
                continue;
            }
            var failedForGood = mine.FirstOrDefault(u => u.Status == UnitStatus.Failed && u.Attempts >= UnitQueue.MaxAttempts);
            int done = mine.Count(u => u.Status == UnitStatus.Done);
            skipped.Add(new SkippedModel(entry.Name, failedForGood is not null
                ? $"failed: {failedForGood.Error} (unit {failedForGood.Unit.Key}, {failedForGood.Attempts} tries)"
                : $"not finished yet: {done} of {mine.Count} units done"));
        }

        var notes = new List<string> { $"Profile '{spec.Profile}': {spec.ProfileDescription}" };
        if (spec.EnsembleOf.Count > 1)
        {
            string? why = "the test set was not loaded";
            Data.ImageSet? test = null;
            try { test = testSet?.Invoke(); }
            catch (FashionMnistException e) { why = $"the test set could not be loaded ({e.Problem})"; }
            var row = test is null ? null : EnsembleRow.Build(spec.EnsembleOf, models, units, test.Take(spec.TestLimit ?? int.MaxValue), out why);
            if (row is not null) models.Add(row);
            else notes.Add($"No ensemble row ({string.Join(", ", spec.EnsembleOf)}): {why}.");
        }

        var workers = units.Where(u => u.Status == UnitStatus.Done && u.Worker is not null)
            .GroupBy(u => u.Worker!.Describe())
            .Select(g => new WorkerShare(g.Key, g.Count(), g.Sum(u => u.Seconds ?? 0)))
            .OrderBy(w => w.Worker, StringComparer.Ordinal).ToList();
        DateTimeOffset started = found.Created;
        DateTimeOffset? last = units.Where(u => u.FinishedUtc is not null).Select(u => u.FinishedUtc!.Value).DefaultIfEmpty().Max();
        if (spec.TrainLimit is int limit) notes.Add($"Training data capped at {limit:N0} images for every model (--train-limit).");
        if (spec.Overrides.Count > 0)
            notes.Add("Settings changed with --set: " + string.Join("; ", spec.Overrides.Select(o => $"{o.Key}: {string.Join(" ", o.Value.Select(kv => $"{kv.Key}={kv.Value}"))}")) + ".");
        if (spec.TestLimit is int testLimit && testLimit < 10_000) notes.Add($"Evaluated on the first {testLimit:N0} test images only.");
        if (models.Any(r => r.TrainAccuracy is not null && r.TrainImages > Comparison.ComparisonRunner.TrainAccuracySample))
            notes.Add($"Train accuracy is measured on the first {Comparison.ComparisonRunner.TrainAccuracySample:N0} training images of each model.");
        int cvUnits = units.Count(u => u.Unit.Kind == UnitKind.Cv);
        notes.Add($"Study '{study}': {units.Count(u => u.Status == UnitStatus.Done)} of {units.Count} units done " +
                  $"({cvUnits} cross-validation folds, {units.Count - cvUnits} refits) by {workers.Count} worker{(workers.Count == 1 ? "" : "s")}.");

        return new ComparisonReport
        {
            Models = models,
            Skipped = skipped,
            Notes = notes,
            Run = new RunInfo
            {
                Command = found.Command, Profile = spec.Profile, Seed = spec.Seed, DataChecksums = spec.DataChecksums, DataSource = spec.DataSource,
                Machine = machine ?? RunEnvironment.Current(), StartedUtc = started,
                TotalSeconds = last is DateTimeOffset end && end > started ? (end - started).TotalSeconds : 0,
                Store = store.Path, RunId = StudyWorker.CompareRunId(study), Study = study, Workers = workers,
                UnitSeconds = units.Sum(u => u.Status == UnitStatus.Done ? u.Seconds ?? 0 : 0),
            },
        };
    }

    /// <summary>The study to report when none is named: the store's only one, or its newest (said in <paramref name="note"/>).</summary>
    public static string Choose(ExperimentStore store, out string? note)
    {
        var names = UnitQueue.Studies(store);
        if (names.Count == 0)
            throw new FashionMnistException($"The store {store.Path} holds no study",
                "Run `fmnist compare` with this --store first (a study is recorded from version 2 of the store on).");
        note = names.Count > 1 ? $"The store holds {names.Count} studies; this is the newest, '{names[0]}' (others: {string.Join(", ", names.Skip(1))}; choose with --study)." : null;
        return names[0];
    }
}
