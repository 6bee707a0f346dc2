using FashionMnist.Evaluation;
using FashionMnist.Classic;
using FashionMnist.Selection;
using FashionMnist.Data;
using FashionMnist.Evaluation.Reports;
using FashionMnist.Models;

namespace FashionMnist.Experiments.Comparison;

/// <summary>What to compare.</summary>
public sealed record ComparisonRequest
{
    /// <summary>The models to compare, their settings, searches and training limits (e.g. <see cref="CompareProfiles.Quick"/>).</summary>
    public required CompareProfile Profile { get; init; }

    /// <summary>Models to run (entry labels or catalog names), in order; null runs the profile's list.</summary>
    public IReadOnlyList<string>? Models { get; init; }

    /// <summary>Extra settings per entry (label or catalog name → "name=value"), over the profile's.</summary>
    public IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> Overrides { get; init; } =
        new Dictionary<string, IReadOnlyDictionary<string, string>>();

    /// <summary>Caps every model's training images (on top of the profile's limits).</summary>
    public int? TrainLimit { get; init; }

    /// <summary>Caps the test images (for smoke runs); null uses all 10,000.</summary>
    public int? TestLimit { get; init; }

    /// <summary>The seed of every fit, search split and subset.</summary>
    public int Seed { get; init; } = 42;
    /// <summary>The command line shown in the report so a reader can reproduce it (free text from a program).</summary>
    public string Command { get; init; } = "";
    /// <summary>Data file name → checksums and verification, shown in the report.</summary>
    public IReadOnlyDictionary<string, string> DataChecksums { get; init; } = new Dictionary<string, string>();
    /// <summary>Where the data came from, for the report.</summary>
    public string? DataSource { get; init; }

    /// <summary>The entries this request runs: the profile's selection with the overrides applied.</summary>
    public IReadOnlyList<ProfileEntry> Entries()
    {
        var entries = Profile.Select(Models);
        foreach (var key in Overrides.Keys)
            if (!entries.Any(e => Matches(e, key)))
                throw new FashionMnistException($"--set {key}:... names no model of this comparison",
                    $"Use one of: {string.Join(", ", entries.Select(e => e.Name))}.");
        return entries.Select(e => Overrides.Where(o => Matches(e, o.Key)).Aggregate(e, (entry, o) => entry.With(o.Value))).ToList();
    }

    private static bool Matches(ProfileEntry entry, string key) =>
        string.Equals(entry.Name, key, StringComparison.OrdinalIgnoreCase) || string.Equals(entry.Model, key, StringComparison.OrdinalIgnoreCase);
}

/// <summary>A step of a comparison, for the progress display.</summary>
public readonly record struct CompareProgress(int Index, int Total, string Model, string Stage, ModelResult? Result = null);

/// <summary>
/// One entry of a comparison at a time: which entries this build can run (<see cref="Partition"/>), an entry's search
/// (when the study does not run it as units), and its refit as one <see cref="ExperimentRunner"/> unit turned into the
/// report's <see cref="ModelResult"/>. The whole comparison is <see cref="Studies.ComparisonStudy"/>.
/// </summary>
internal sealed class ComparisonRunner
{
    /// <summary>Images on which train accuracy is measured (bounded: predicting is not free for KNN or SVM).</summary>
    public const int TrainAccuracySample = 5_000;

    /// <summary>
    /// Finds a model by name: the catalog by default (which <see cref="ModelCatalog.Register"/> extends); replaceable so
    /// a test can bring models that stay out of the process-wide catalog.
    /// </summary>
    public Func<string, ModelDescriptor?> Resolve { get; init; } = name => ModelCatalog.TryGet(name, out var d) ? d : null;

    public ExperimentStore? Store { get; init; }
    public IProgress<CompareProgress>? Progress { get; init; }

    /// <summary>Per-epoch / per-round lines of the fits.</summary>
    public Action<string>? Log { get; init; }

    public CancellationToken Cancellation { get; init; }

    /// <summary>
    /// The entries this build can run (with their model), and those it cannot, with why: a model the catalog does not
    /// know, or settings (or a search candidate's settings) its option binder rejects. Checked before any fit.
    /// </summary>
    public (List<(ProfileEntry Entry, ModelDescriptor Descriptor)> Runnable, List<SkippedModel> Skipped) Partition(IReadOnlyList<ProfileEntry> entries)
    {
        var skipped = new List<SkippedModel>();
        var runnable = new List<(ProfileEntry Entry, ModelDescriptor Descriptor)>();
        foreach (var entry in entries)
        {
            if (Resolve(entry.Model) is not ModelDescriptor descriptor)
            {
                skipped.Add(new SkippedModel(entry.Name, "not in this build's model catalog" +
                    (ModelCatalog.Names.Any() ? $" (known: {string.Join(", ", ModelCatalog.Names)})" : " (no models are registered yet)")));
                continue;
            }
            try
            {
                // Options are checked before any fit (without making the model: that is the fit's business).
                _ = OptionBinder.Bind(descriptor.OptionsType, entry.Settings, descriptor.Name);
                if (entry.Search is ProfileSearch search)
                    foreach (var candidate in ParameterSpace.Parse(search.Grid).All())
                        _ = OptionBinder.Bind(descriptor.OptionsType, Merge(entry.Settings, candidate.Settings), descriptor.Name);
                runnable.Add((entry, descriptor));
            }
            catch (FashionMnistException e)
            {
                skipped.Add(new SkippedModel(entry.Name, $"the profile's settings do not fit this build's {entry.Model}: {e.Message}"));
            }
        }
        return (runnable, skipped);
    }

    private static Dictionary<string, string> Merge(IReadOnlyDictionary<string, string> settings, IReadOnlyDictionary<string, string> over)
    {
        var merged = new Dictionary<string, string>(settings, StringComparer.OrdinalIgnoreCase);
        foreach (var (name, value) in over) merged[name] = value;
        return merged;
    }

    /// <summary>
    /// One entry's fit on its training data and evaluation on the test set: its search first (recorded as a search run),
    /// unless <paramref name="tuned"/> gives the options already tuned (a study's refit unit: the search ran as separate
    /// units); then the <see cref="ExperimentRunner"/> unit and what the report shows. Records nothing itself when
    /// <see cref="Store"/> is null. <paramref name="testProbabilities"/> are the model's test-set probabilities (the
    /// ensemble row keeps a member's).
    /// </summary>
    public ModelResult RunEntry(ProfileEntry entry, ComparisonRequest request, ImageSet fullTrain, ImageSet test, SearchSummary? tuned,
        out float[] testProbabilities)
    {
        var descriptor = Resolve(entry.Model)
            ?? throw new FashionMnistException($"{entry.Model} is not in this build's model catalog", "Run the study with the fmnist build its other workers use.");
        if (request.TestLimit is int testLimit) test = test.Take(testLimit);
        var environment = RunEnvironment.Current();
        int limit = Math.Min(entry.TrainLimit ?? int.MaxValue, request.TrainLimit ?? int.MaxValue);
        ImageSet train = fullTrain.Take(limit);

        SearchSummary? search = tuned;
        var settings = new Dictionary<string, string>(entry.Settings, StringComparer.OrdinalIgnoreCase);
        if (tuned is not null)
        {
            foreach (var (name, value) in tuned.Best) settings[name] = value;
        }
        else if (entry.Search is ProfileSearch plan)
        {
            search = Search(descriptor, entry, plan, train, request.Seed, request.Command, environment);
            foreach (var (name, value) in search.Best) settings[name] = value;
        }

        var runner = new ExperimentRunner
        {
            Store = Store, Environment = environment, Log = Log, Cancellation = Cancellation,
            Stage = stage => Progress?.Report(new CompareProgress(0, 1, entry.Name, stage)),
        };
        using var result = runner.Run(new ExperimentRequest
        {
            Options = OptionBinder.Bind(descriptor.OptionsType, settings, descriptor.Name), Descriptor = descriptor, Train = train, Test = test, Seed = request.Seed,
            Label = entry.Name, Command = request.Command, TrainAccuracySample = TrainAccuracySample,
        });
        var model = result.Model;
        var evaluation = result.Evaluation;
        testProbabilities = evaluation.Probabilities;
        var pca = (model as IPreprocessingInsights)?.Pca;
        var options = model.Options;
        return new ModelResult
        {
            Name = entry.Name, CatalogModel = descriptor.Name, Family = descriptor.Family, Summary = descriptor.Summary,
            Pipeline = options is ClassicOptions { HasNoPreprocessing: false } classic ? $"{classic.DescribePreprocessing()} → {descriptor.Name}" : null,
            Parameters = OptionBinder.ToEffectiveSettings(options),
            TestAccuracy = evaluation.Accuracy, MacroF1 = evaluation.Metrics.MacroAverage.F1,
            TopTwoAccuracy = evaluation.TopTwoAccuracy, LogLoss = evaluation.LogLoss, ExpectedCalibrationError = evaluation.ExpectedCalibrationError,
            TrainSeconds = result.FitSeconds, TrainCpuSeconds = result.FitCpuSeconds, Search = search,
            PredictSecondsPer10k = result.PredictSecondsPer10k,
            ModelSizeBytes = result.ModelBytes, PerClass = evaluation.Metrics.PerClass, Confusion = evaluation.Metrics.Confusion.ToRows(),
            Epochs = model.TrainingHistory()?.Epochs.ToList() ?? [], TrainAccuracy = result.TrainAccuracy, ValidationAccuracy = result.ValidationAccuracy,
            ExplainedVariance = pca?.Cumulative, PcaComponents = pca?.Components, PcaInput = pca?.Input,
            FeatureImportances = (model as IPixelImportances)?.PixelImportances,
            Misclassified = Misclassified(test, evaluation, ReportHtml.GalleryImagesPerModel),
            TrainImages = train.Count, TestImages = test.Count,
            Note = Describe(entry, train.Count, fullTrain.Count, search),
            RunId = result.Run?.Id,
        };
    }

    /// <summary>Runs the entry's grid search (recorded as a search run) and returns the winner.</summary>
    private SearchSummary Search(ModelDescriptor descriptor, ProfileEntry entry, ProfileSearch plan, ImageSet train,
        int seed, string command, RunEnvironment environment)
    {
        ImageSet searchTrain = train.Take(plan.TrainLimit ?? int.MaxValue);
        var space = ParameterSpace.Parse(plan.Grid);
        var searchPlan = new SearchPlan
        {
            Recipe = new ModelRecipe(descriptor.Name, entry.Settings),
            Space = space, Folds = plan.Folds, Seed = seed,
        };
        var run = Store?.Begin(new RunRecord
        {
            Kind = "search", Model = descriptor.Name, Command = command, Seed = seed, Environment = environment,
            Options = new Dictionary<string, string>(entry.Settings) { ["grid"] = plan.Grid, ["cv"] = plan.Folds.ToString(CultureInfo.InvariantCulture) },
            DataSlice = $"train[0:{searchTrain.Count}] ({plan.Folds}-fold CV)",
            Preprocessing = OptionBinder.Bind(descriptor.OptionsType, entry.Settings, descriptor.Name) is ClassicOptions classic ? classic.DescribePreprocessing() : "none",
            Notes = new Dictionary<string, string> { ["label"] = entry.Name },
        });
        try
        {
            Progress?.Report(new CompareProgress(0, 1, entry.Name,
                $"searching {space.Count} candidates x {plan.Folds} folds on {searchTrain.Count:N0} images"));
            var clock = Stopwatch.StartNew();
            var progress = Log is null ? null : new CandidateLog(Log);
            var outcome = SearchRunner.Run(searchPlan, searchTrain, progress, Cancellation);
            var best = outcome.Best ?? throw new FashionMnistException($"The search for {entry.Name} scored no candidate", "Check the profile's grid.");
            var accuracy = best.Metrics[Scores.Accuracy];
            var summary = new SearchSummary(plan.Grid, outcome.Results.Count, plan.Folds, searchTrain.Count, best.Candidate.Settings,
                accuracy.Mean, accuracy.Std, clock.Elapsed.TotalSeconds, run?.Id);
            if (run is not null)
                Store!.Complete(run with
                {
                    FitSeconds = summary.Seconds, FoldScores = accuracy.Folds,
                    Metrics = new Dictionary<string, double>
                    {
                        ["cv_accuracy"] = accuracy.Mean, ["cv_accuracy_std"] = accuracy.Std,
                        ["cv_macro_f1"] = best.Metrics[Scores.MacroF1].Mean, ["candidates"] = outcome.Results.Count,
                    },
                    Notes = new Dictionary<string, string>(run.Notes) { ["best"] = best.Candidate.Describe() },
                });
            return summary;
        }
        catch (Exception e) when (run is not null)
        {
            Store!.Fail(run, e is OperationCanceledException ? "cancelled" : e.Message);
            throw;
        }
    }

    /// <summary>What the reader must know about how this model was trained: subsets, reduced schedules, tuning.</summary>
    private static string? Describe(ProfileEntry entry, int trainCount, int fullCount, SearchSummary? search)
    {
        var parts = new List<string>();
        if (entry.Note is not null) parts.Add(entry.Note);
        if (trainCount < fullCount && !(entry.Note ?? "").Contains($"{trainCount:N0} images", StringComparison.Ordinal))
            parts.Add($"first {trainCount:N0} training images");
        if (search is not null)
            parts.Add($"tuned: {string.Join(" ", search.Best.Select(kv => $"{kv.Key}={kv.Value}"))} " +
                      $"(CV accuracy {search.MeanAccuracy.ToString("0.0000", CultureInfo.InvariantCulture)} ± {search.StdAccuracy.ToString("0.0000", CultureInfo.InvariantCulture)}, " +
                      $"{search.Candidates} candidates x {search.Folds} folds on {search.TrainImages:N0} images)");
        return parts.Count == 0 ? null : string.Join("; ", parts);
    }

    /// <summary>Turns the search's candidate-fold progress into a log line every few folds.</summary>
    private sealed class CandidateLog(Action<string> log) : IProgress<FitProgress>
    {
        private long _last = -1;

        public void Report(FitProgress value)
        {
            if (value.Done == _last || (value.Done % 5 != 0 && value.Done != value.Total)) return;
            _last = value.Done;
            log($"search: {value.Done}/{value.Total} candidate-folds{(value.Detail is null ? "" : $" ({value.Detail})")}");
        }
    }

    /// <summary>The wrongly classified test images the model was most sure about.</summary>
    public static IReadOnlyList<MisclassifiedExample> Misclassified(ImageSet test, ModelEvaluation evaluation, int count)
    {
        var wrong = new List<MisclassifiedExample>();
        for (int i = 0; i < test.Count; i++)
        {
            int predicted = evaluation.Predicted[i];
            if (predicted == test.Labels[i]) continue;
            double confidence = evaluation.Probabilities[i * FashionMnistClasses.Count + predicted];
            wrong.Add(new MisclassifiedExample(i, test.Image(i).ToArray(), test.Labels[i], predicted, confidence));
        }
        return wrong.OrderByDescending(w => w.Confidence).ThenBy(w => w.Index).Take(count).ToList();
    }
}
