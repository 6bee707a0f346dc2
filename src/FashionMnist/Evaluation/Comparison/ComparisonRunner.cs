using System.Diagnostics;
using FashionMnist.Data;
using FashionMnist.Evaluation.Reports;
using FashionMnist.Models;

namespace FashionMnist.Evaluation.Comparison;

/// <summary>What to compare.</summary>
public sealed record ComparisonRequest
{
    public required CompareProfile Profile { get; init; }

    /// <summary>Models to run, in order; null runs the profile's list.</summary>
    public IReadOnlyList<string>? Models { get; init; }

    /// <summary>Caps every model's training images (on top of the profile's limits).</summary>
    public int? TrainLimit { get; init; }

    /// <summary>Caps the test images (for smoke runs); null uses all 10,000.</summary>
    public int? TestLimit { get; init; }

    public int Seed { get; init; } = 42;
    public string Command { get; init; } = "";
    public IReadOnlyDictionary<string, string> DataChecksums { get; init; } = new Dictionary<string, string>();
}

/// <summary>A step of a comparison, for the progress display.</summary>
public readonly record struct CompareProgress(int Index, int Total, string Model, string Stage, ModelResult? Result = null);

/// <summary>
/// Trains each requested model on the training data, evaluates it on the test data, records every run in
/// the experiment store and gathers the <see cref="ComparisonReport"/>. Models the catalog does not know are
/// skipped with a note; a model that fails is recorded as failed and the comparison goes on.
/// </summary>
public sealed class ComparisonRunner
{
    /// <summary>Images on which train accuracy is measured (bounded: predicting is not free for KNN or SVM).</summary>
    public const int TrainAccuracySample = 10_000;

    /// <summary>Finds a model by name; the catalog by default, replaceable so tests can bring their own models.</summary>
    public Func<string, ModelDescriptor?> Resolve { get; init; } = name => ModelCatalog.TryGet(name, out var d) ? d : null;

    public ExperimentStore? Store { get; init; }
    public IProgress<CompareProgress>? Progress { get; init; }
    public Action<string>? Log { get; init; }
    public CancellationToken Cancellation { get; init; }

    public ComparisonReport Run(ComparisonRequest request, ImageSet train, ImageSet test)
    {
        var clock = Stopwatch.StartNew();
        var names = (request.Models ?? request.Profile.Models.Select(m => m.Model).ToList())
            .Select(n => n.Trim()).Where(n => n.Length > 0).Distinct(StringComparer.OrdinalIgnoreCase).ToList();
        if (names.Count == 0) throw new FashionMnistException("No models to compare", "Pass --models a,b,c or use a profile that lists models.");
        if (request.TestLimit is int testLimit) test = test.Take(testLimit);

        var skipped = new List<SkippedModel>();
        var runnable = new List<(string Name, ModelDescriptor Descriptor)>();
        foreach (string name in names)
        {
            if (Resolve(name) is ModelDescriptor descriptor) runnable.Add((name, descriptor));
            else skipped.Add(new SkippedModel(name, "not in this build's model catalog" +
                (ModelCatalog.Names.Any() ? $" (known: {string.Join(", ", ModelCatalog.Names)})" : " (no models are registered yet)")));
        }

        var environment = RunEnvironment.Current();
        var compareRun = Store?.Begin(new RunRecord
        {
            Kind = "compare", Command = request.Command, Seed = request.Seed, Environment = environment,
            DataSlice = $"train[0:{train.Count}] test[0:{test.Count}]", Preprocessing = "per model",
            Options = new Dictionary<string, string> { ["profile"] = request.Profile.Name, ["models"] = string.Join(",", names) },
        });

        var results = new List<ModelResult>();
        try
        {
            for (int i = 0; i < runnable.Count; i++)
            {
                Cancellation.ThrowIfCancellationRequested();
                var (name, descriptor) = runnable[i];
                var entry = request.Profile.Find(name) ?? new ProfileEntry(name, new Dictionary<string, string>());
                try
                {
                    var result = RunOne(i, runnable.Count, descriptor, entry, request, train, test, compareRun?.Id, environment);
                    results.Add(result);
                    Progress?.Report(new CompareProgress(i + 1, runnable.Count, descriptor.Name, "done", result));
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    string reason = e is FashionMnistException known ? known.Message : $"{e.GetType().Name}: {e.Message}";
                    skipped.Add(new SkippedModel(name, "failed: " + reason));
                    Progress?.Report(new CompareProgress(i + 1, runnable.Count, descriptor.Name, "failed: " + reason));
                }
            }
        }
        catch (Exception e) when (compareRun is not null)
        {
            Store!.Fail(compareRun, e.Message);
            throw;
        }

        var notes = new List<string> { $"Profile '{request.Profile.Name}': {request.Profile.Description}" };
        if (request.TrainLimit is int limit) notes.Add($"Training data capped at {limit:N0} images for every model (--train-limit).");
        if (test.Count < 10_000) notes.Add($"Evaluated on the first {test.Count:N0} test images only.");
        if (results.Any(r => r.TrainAccuracy is not null && r.TrainImages > TrainAccuracySample))
            notes.Add($"Train accuracy is measured on the first {TrainAccuracySample:N0} training images of each model.");

        var report = new ComparisonReport
        {
            Models = results,
            Skipped = skipped,
            Notes = notes,
            Run = new RunInfo
            {
                Command = request.Command, Profile = request.Profile.Name, Seed = request.Seed, DataChecksums = request.DataChecksums,
                Machine = environment, StartedUtc = compareRun?.StartedUtc ?? DateTimeOffset.UtcNow - clock.Elapsed,
                TotalSeconds = clock.Elapsed.TotalSeconds, Store = Store?.Path, RunId = compareRun?.Id,
            },
        };
        if (compareRun is not null)
            Store!.Complete(compareRun with
            {
                Metrics = results.ToDictionary(r => r.Name + ".accuracy", r => r.TestAccuracy),
                Notes = new Dictionary<string, string> { ["skipped"] = string.Join("; ", skipped.Select(s => $"{s.Name}: {s.Reason}")) },
            });
        return report;
    }

    private ModelResult RunOne(int index, int total, ModelDescriptor descriptor, ProfileEntry entry, ComparisonRequest request,
        ImageSet fullTrain, ImageSet test, Guid? parent, RunEnvironment environment)
    {
        int limit = Math.Min(entry.TrainLimit ?? int.MaxValue, request.TrainLimit ?? int.MaxValue);
        ImageSet train = fullTrain.Take(limit);
        ModelOptions options = OptionBinder.Bind(descriptor.OptionsType, entry.Settings, descriptor.Name);
        var settings = OptionBinder.ToSettings(options);

        var run = Store?.Begin(new RunRecord
        {
            Kind = "train", Model = descriptor.Name, ParentId = parent, Command = request.Command, Seed = request.Seed,
            Options = settings, DataSlice = RunRecordExtensions.DescribeSlice(train, test), Environment = environment,
            Preprocessing = "model default",
        });
        try
        {
            IClassifier model = descriptor.Create(options);
            Progress?.Report(new CompareProgress(index, total, descriptor.Name, $"training on {train.Count:N0} images"));
            var context = new FitContext { Seed = request.Seed, Cancellation = Cancellation, Log = Log };
            var fitClock = Stopwatch.StartNew();
            model.Fit(train, context);
            double fitSeconds = fitClock.Elapsed.TotalSeconds;

            Progress?.Report(new CompareProgress(index, total, descriptor.Name, $"evaluating on {test.Count:N0} test images"));
            var predictClock = Stopwatch.StartNew();
            float[] probabilities = model.PredictProbabilities(test);
            double predictSeconds = predictClock.Elapsed.TotalSeconds;
            var evaluation = ModelEvaluation.FromProbabilities(probabilities, test.Labels);

            ImageSet trainSample = train.Take(TrainAccuracySample);
            double trainAccuracy = ModelEvaluation.FromProbabilities(model.PredictProbabilities(trainSample), trainSample.Labels).Accuracy;
            var history = (model as IIterativeClassifier)?.History;
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

            var result = new ModelResult
            {
                Name = descriptor.Name, Family = descriptor.Family, Summary = descriptor.Summary, Parameters = settings,
                TestAccuracy = evaluation.Accuracy, MacroF1 = evaluation.Metrics.MacroAverage.F1,
                TopTwoAccuracy = evaluation.TopTwoAccuracy, LogLoss = evaluation.LogLoss, ExpectedCalibrationError = evaluation.ExpectedCalibrationError,
                TrainSeconds = fitSeconds, PredictSecondsPer10k = test.Count == 0 ? 0 : predictSeconds * 10_000 / test.Count,
                ModelSizeBytes = size, PerClass = evaluation.Metrics.PerClass, Confusion = evaluation.Metrics.Confusion.ToRows(),
                Epochs = epochs.ToList(), TrainAccuracy = trainAccuracy, ValidationAccuracy = validationAccuracy,
                ExplainedVariance = ModelInsights.CumulativeExplainedVariance(model), FeatureImportances = ModelInsights.FeatureImportances(model),
                Misclassified = Misclassified(test, evaluation, ReportHtml.GalleryImagesPerModel),
                TrainImages = train.Count, TestImages = test.Count,
                Note = train.Count < fullTrain.Count ? $"first {train.Count:N0} training images" + (entry.Note is null ? "" : $" ({entry.Note})") : null,
                RunId = run?.Id,
            };
            if (run is not null)
            {
                var metrics = new Dictionary<string, double>(evaluation.Scalars) { ["train_accuracy"] = trainAccuracy, ["overfitting_gap"] = trainAccuracy - evaluation.Accuracy };
                if (validationAccuracy is double v) metrics["validation_accuracy"] = v;
                metrics["model_size_bytes"] = size;
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
