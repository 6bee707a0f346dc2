using FashionMnist.Evaluation;
using System.Diagnostics;
using System.Globalization;
using FashionMnist.Classic;
using FashionMnist.Selection;
using FashionMnist.Data;
using FashionMnist.Evaluation.Reports;
using FashionMnist.Models;

namespace FashionMnist.Experiments.Comparison;

/// <summary>What to compare.</summary>
public sealed record ComparisonRequest
{
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

    public int Seed { get; init; } = 42;
    public string Command { get; init; } = "";
    public IReadOnlyDictionary<string, string> DataChecksums { get; init; } = new Dictionary<string, string>();
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
/// Trains each requested model on the training data, evaluates it on the test data, records every run in
/// the experiment store and gathers the <see cref="ComparisonReport"/>. Models the catalog does not know (or whose
/// profile settings it rejects) are skipped with a note; a model that fails is recorded as failed and the comparison goes on.
/// </summary>
public sealed class ComparisonRunner
{
    /// <summary>Images on which train accuracy is measured (bounded: predicting is not free for KNN or SVM).</summary>
    public const int TrainAccuracySample = 5_000;

    /// <summary>Finds a model by name; the catalog by default, replaceable so tests can bring their own models.</summary>
    public Func<string, ModelDescriptor?> Resolve { get; init; } = name => ModelCatalog.TryGet(name, out var d) ? d : null;

    public ExperimentStore? Store { get; init; }
    public IProgress<CompareProgress>? Progress { get; init; }

    /// <summary>Per-epoch / per-round lines of the fits.</summary>
    public Action<string>? Log { get; init; }

    public CancellationToken Cancellation { get; init; }

    public ComparisonReport Run(ComparisonRequest request, ImageSet train, ImageSet test)
    {
        var clock = Stopwatch.StartNew();
        double cpuAtStart = ProcessCpu();
        double? machineAtStart = MachineLoad.BusySeconds();
        var entries = request.Entries();
        if (entries.Count == 0) throw new FashionMnistException("No models to compare", "Pass --models a,b,c or use a profile that lists models.");
        if (request.TestLimit is int testLimit) test = test.Take(testLimit);

        var (runnable, skipped) = Partition(entries);

        var environment = RunEnvironment.Current();
        var compareRun = Store?.Begin(new RunRecord
        {
            Kind = "compare", Command = request.Command, Seed = request.Seed, Environment = environment,
            DataSlice = $"train[0:{train.Count}] test[0:{test.Count}]", Preprocessing = "per model",
            Options = new Dictionary<string, string> { ["profile"] = request.Profile.Name, ["models"] = string.Join(",", entries.Select(e => e.Name)) },
        });

        var results = new List<ModelResult>();
        try
        {
            for (int i = 0; i < runnable.Count; i++)
            {
                Cancellation.ThrowIfCancellationRequested();
                var (entry, descriptor) = runnable[i];
                try
                {
                    var result = RunOne(i, runnable.Count, descriptor, entry, request, train, test, compareRun?.Id, environment);
                    results.Add(result);
                    Progress?.Report(new CompareProgress(i + 1, runnable.Count, entry.Name, "done", result));
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    string reason = e is FashionMnistException known ? known.Message : $"{e.GetType().Name}: {e.Message}";
                    skipped.Add(new SkippedModel(entry.Name, "failed: " + reason));
                    Progress?.Report(new CompareProgress(i + 1, runnable.Count, entry.Name, "failed: " + reason));
                }
            }
        }
        catch (Exception e) when (compareRun is not null)
        {
            Store!.Fail(compareRun, e is OperationCanceledException ? "cancelled" : e.Message);
            throw;
        }

        var notes = new List<string> { $"Profile '{request.Profile.Name}': {request.Profile.Description}" };
        if (request.TrainLimit is int limit) notes.Add($"Training data capped at {limit:N0} images for every model (--train-limit).");
        if (request.Overrides.Count > 0)
            notes.Add("Settings changed with --set: " + string.Join("; ", request.Overrides.Select(o => $"{o.Key}: {string.Join(" ", o.Value.Select(kv => $"{kv.Key}={kv.Value}"))}")) + ".");
        if (test.Count < 10_000) notes.Add($"Evaluated on the first {test.Count:N0} test images only.");
        if (results.Any(r => r.TrainAccuracy is not null && r.TrainImages > TrainAccuracySample))
            notes.Add($"Train accuracy is measured on the first {TrainAccuracySample:N0} training images of each model.");

        double ownCpu = ProcessCpu() - cpuAtStart;
        var report = new ComparisonReport
        {
            Models = results,
            Skipped = skipped,
            Notes = notes,
            Run = new RunInfo
            {
                Command = request.Command, Profile = request.Profile.Name, Seed = request.Seed, DataChecksums = request.DataChecksums,
                DataSource = request.DataSource, Machine = environment, StartedUtc = compareRun?.StartedUtc ?? DateTimeOffset.UtcNow - clock.Elapsed,
                TotalSeconds = clock.Elapsed.TotalSeconds, CpuSeconds = ownCpu, LoadAverage = MachineLoad.LoadAverage(),
                OtherCoresBusy = MachineLoad.OtherCoresBusy(machineAtStart, MachineLoad.BusySeconds(), ownCpu, clock.Elapsed.TotalSeconds),
                Store = Store?.Path, RunId = compareRun?.Id,
            },
        };
        if (compareRun is not null)
            Store!.Complete(compareRun with
            {
                Metrics = results.ToDictionary(r => r.Name + ".accuracy", r => r.TestAccuracy),
                FitSeconds = clock.Elapsed.TotalSeconds,
                Notes = new Dictionary<string, string> { ["skipped"] = string.Join("; ", skipped.Select(s => $"{s.Name}: {s.Reason}")) },
            });
        return report;
    }

    /// <summary>
    /// The entries this build can run (with their model), and those it cannot, with why: a model the catalog does not
    /// know, or settings (or a search candidate's settings) its option binder or the preprocessing rejects. Checked before any fit.
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
                // Options and preprocessing are checked before any fit (without making the model: that is the fit's business).
                CheckSettings(descriptor, entry, entry.Settings);
                if (entry.Search is ProfileSearch search)
                    foreach (var candidate in ParameterSpace.Parse(search.Grid).All()) CheckSettings(descriptor, entry, candidate.Settings);
                runnable.Add((entry, descriptor));
            }
            catch (FashionMnistException e)
            {
                skipped.Add(new SkippedModel(entry.Name, $"the profile's settings do not fit this build's {entry.Model}: {e.Message}"));
            }
        }

        return (runnable, skipped);
    }

    /// <summary>Model options and preprocessing settings from an entry's settings over its preprocessing.</summary>
    private static (Dictionary<string, string> Options, Dictionary<string, string> Preprocessing) Split(ProfileEntry entry, IReadOnlyDictionary<string, string> settings)
    {
        var options = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        var preprocessing = new Dictionary<string, string>(entry.Preprocessing, StringComparer.OrdinalIgnoreCase);
        foreach (var (name, value) in settings)
        {
            if (Preprocessing.IsKey(name)) preprocessing[name] = value;
            else options[name] = value;
        }
        return (options, preprocessing);
    }

    /// <summary>Throws a <see cref="FashionMnistException"/> if the model would reject the settings or the preprocessing.</summary>
    private static void CheckSettings(ModelDescriptor descriptor, ProfileEntry entry, IReadOnlyDictionary<string, string> settings)
    {
        var (options, preprocessing) = Split(entry, settings);
        _ = OptionBinder.Bind(descriptor.OptionsType, options, descriptor.Name);
        if (preprocessing.Count == 0) return;
        if (!ClassicModel.IsClassic(descriptor))
            throw new FashionMnistException($"{descriptor.Name} takes no preprocessing ({string.Join(", ", preprocessing.Keys)})", "Preprocessing is for classic models only.");
        _ = Preprocessing.None.With(preprocessing);
    }

    /// <summary>A new unfitted model for the entry with these option (and preprocessing) settings.</summary>
    private static IClassifier CreateModel(ModelDescriptor descriptor, ProfileEntry entry, IReadOnlyDictionary<string, string> settings)
    {
        var (options, preprocessing) = Split(entry, settings);
        IClassifier model = descriptor.Create(OptionBinder.Bind(descriptor.OptionsType, options, descriptor.Name));
        if (preprocessing.Count > 0)
        {
            if (model is not Pipeline pipeline)
                throw new FashionMnistException($"{descriptor.Name} takes no preprocessing ({string.Join(", ", preprocessing.Keys)})",
                    "Preprocessing is for classic models only.");
            pipeline.WithSteps(Preprocessing.None.With(preprocessing).CreateSteps());
        }
        return model;
    }

    /// <summary>
    /// One entry's fit on its training data and evaluation on the test set, with its options already tuned when
    /// <paramref name="tuned"/> is given (a study's refit unit: the search ran as separate units). Records nothing itself
    /// when <see cref="Store"/> is null.
    /// </summary>
    public ModelResult RunEntry(ProfileEntry entry, ComparisonRequest request, ImageSet train, ImageSet test, SearchSummary? tuned)
    {
        var descriptor = Resolve(entry.Model)
            ?? throw new FashionMnistException($"{entry.Model} is not in this build's model catalog", "Run the study with the fmnist build its other workers use.");
        if (request.TestLimit is int testLimit) test = test.Take(testLimit);
        return RunOne(0, 1, descriptor, entry, request, train, test, null, RunEnvironment.Current(), tuned);
    }

    private ModelResult RunOne(int index, int total, ModelDescriptor descriptor, ProfileEntry entry, ComparisonRequest request,
        ImageSet fullTrain, ImageSet test, Guid? parent, RunEnvironment environment, SearchSummary? tuned = null)
    {
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
            search = Search(index, total, descriptor, entry, plan, train, request.Seed, parent, request.Command, environment);
            foreach (var (name, value) in search.Best) settings[name] = value;
        }

        var (optionSettings, preprocessingSettings) = Split(entry, settings);
        var options = new Dictionary<string, string>(OptionBinder.ToSettings(OptionBinder.Bind(descriptor.OptionsType, optionSettings, descriptor.Name)));
        string? pipelineText = preprocessingSettings.Count > 0 ? $"{Preprocessing.None.With(preprocessingSettings).Describe()} → {descriptor.Name}" : null;
        var run = Store?.Begin(new RunRecord
        {
            Kind = "train", Model = descriptor.Name, ParentId = parent, Command = request.Command, Seed = request.Seed,
            Options = options, DataSlice = RunRecordExtensions.DescribeSlice(train, test), Environment = environment,
            Preprocessing = pipelineText ?? "none",
            Notes = new Dictionary<string, string> { ["label"] = entry.Name },
        });
        try
        {
            IClassifier model = CreateModel(descriptor, entry, settings);
            Progress?.Report(new CompareProgress(index, total, entry.Name, $"training on {train.Count:N0} images"));
            var context = new FitContext { Seed = request.Seed, Cancellation = Cancellation, Log = Log };
            var cpu = ProcessCpu();
            var fitClock = Stopwatch.StartNew();
            model.Fit(train, context);
            double fitSeconds = fitClock.Elapsed.TotalSeconds;
            double fitCpuSeconds = ProcessCpu() - cpu;

            Progress?.Report(new CompareProgress(index, total, entry.Name, $"evaluating on {test.Count:N0} test images"));
            var predictClock = Stopwatch.StartNew();
            float[] probabilities = model.PredictProbabilities(test);
            double predictSeconds = predictClock.Elapsed.TotalSeconds;
            var evaluation = ModelEvaluation.FromProbabilities(probabilities, test.Labels);

            ImageSet trainSample = train.Take(TrainAccuracySample);
            double trainAccuracy = ModelEvaluation.FromProbabilities(model.PredictProbabilities(trainSample), trainSample.Labels).Accuracy;
            var history = model.TrainingHistory();
            var epochs = history?.Epochs ?? [];
            double? validationAccuracy = epochs.LastOrDefault(e => e.ValidationAccuracy is not null)?.ValidationAccuracy;
            if (history?.BestEpoch is int best && epochs.FirstOrDefault(e => e.Epoch == best)?.ValidationAccuracy is double atBest)
                validationAccuracy = atBest;

            long size;
            using (var buffer = new MemoryStream())
            {
                ModelFile.Write(model, buffer);
                size = buffer.Length;
            }
            var pca = ModelInsights.Pca(model);

            var result = new ModelResult
            {
                Name = entry.Name, CatalogModel = descriptor.Name, Family = descriptor.Family, Summary = descriptor.Summary,
                Pipeline = model is Pipeline { Steps.Count: > 0 } fitted ? fitted.Describe() : pipelineText, Parameters = options,
                TestAccuracy = evaluation.Accuracy, MacroF1 = evaluation.Metrics.MacroAverage.F1,
                TopTwoAccuracy = evaluation.TopTwoAccuracy, LogLoss = evaluation.LogLoss, ExpectedCalibrationError = evaluation.ExpectedCalibrationError,
                TrainSeconds = fitSeconds, TrainCpuSeconds = fitCpuSeconds, Search = search,
                PredictSecondsPer10k = test.Count == 0 ? 0 : predictSeconds * 10_000 / test.Count,
                ModelSizeBytes = size, PerClass = evaluation.Metrics.PerClass, Confusion = evaluation.Metrics.Confusion.ToRows(),
                Epochs = epochs.ToList(), TrainAccuracy = trainAccuracy, ValidationAccuracy = validationAccuracy,
                ExplainedVariance = pca?.Cumulative, PcaComponents = pca?.Components, PcaInput = pca?.Input,
                FeatureImportances = ModelInsights.FeatureImportances(model),
                Misclassified = Misclassified(test, evaluation, ReportHtml.GalleryImagesPerModel),
                TrainImages = train.Count, TestImages = test.Count,
                Note = Describe(entry, train.Count, fullTrain.Count, search),
                RunId = run?.Id,
            };
            if (run is not null)
            {
                var metrics = new Dictionary<string, double>(evaluation.Scalars)
                {
                    ["train_accuracy"] = trainAccuracy, ["overfitting_gap"] = trainAccuracy - evaluation.Accuracy,
                    ["model_size_bytes"] = size, ["fit_cpu_seconds"] = fitCpuSeconds,
                    ["predict_seconds_per_10k"] = result.PredictSecondsPer10k,
                };
                if (validationAccuracy is double v) metrics["validation_accuracy"] = v;
                Store!.Complete(run.WithEvaluation(evaluation) with
                {
                    Metrics = metrics,
                    FitSeconds = fitSeconds, PredictSeconds = predictSeconds, Epochs = epochs.ToList(),
                });
            }
            return result;
        }
        catch (Exception e) when (run is not null)
        {
            Store!.Fail(run, e is OperationCanceledException ? "cancelled" : e.Message);
            throw;
        }
    }

    /// <summary>Runs the entry's grid search (recorded as a search run) and returns the winner.</summary>
    private SearchSummary Search(int index, int total, ModelDescriptor descriptor, ProfileEntry entry, ProfileSearch plan, ImageSet train,
        int seed, Guid? parent, string command, RunEnvironment environment)
    {
        ImageSet searchTrain = train.Take(plan.TrainLimit ?? int.MaxValue);
        var space = ParameterSpace.Parse(plan.Grid);
        var searchPlan = new SearchPlan
        {
            Recipe = new ModelRecipe(descriptor.Name, entry.Settings, Preprocessing.None.With(entry.Preprocessing)),
            Space = space, Folds = plan.Folds, Seed = seed,
        };
        var run = Store?.Begin(new RunRecord
        {
            Kind = "search", Model = descriptor.Name, ParentId = parent, Command = command, Seed = seed, Environment = environment,
            Options = new Dictionary<string, string>(entry.Settings) { ["grid"] = plan.Grid, ["cv"] = plan.Folds.ToString(CultureInfo.InvariantCulture) },
            DataSlice = $"train[0:{searchTrain.Count}] ({plan.Folds}-fold CV)",
            Preprocessing = Preprocessing.None.With(entry.Preprocessing).Describe(),
            Notes = new Dictionary<string, string> { ["label"] = entry.Name },
        });
        try
        {
            Progress?.Report(new CompareProgress(index, total, entry.Name,
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

    private static double ProcessCpu()
    {
        using var self = Process.GetCurrentProcess();
        return self.TotalProcessorTime.TotalSeconds;
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
