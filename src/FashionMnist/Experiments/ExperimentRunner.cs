using System.Security.Cryptography;
using FashionMnist.Classic;
using FashionMnist.Data;
using FashionMnist.Evaluation;
using FashionMnist.Models;

namespace FashionMnist.Experiments;

/// <summary>
/// The one experiment loop: fit → time → predict → evaluate → save → record. Every command that trains or scores a
/// model runs it (train, search's refit, compare, evaluate, study workers), so every model file carries the same
/// metadata and every run record the same metrics. A failure marks the run failed in the store and disposes the
/// model; nothing is saved unless the whole unit succeeded.
/// </summary>
public sealed class ExperimentRunner
{
    /// <summary>Where runs are recorded; null records nothing.</summary>
    public ExperimentStore? Store { get; init; }

    /// <summary>The machine facts recorded with each run (measured once per process when null).</summary>
    public RunEnvironment? Environment { get; init; }

    /// <summary>Progress of the fit (batches, trees, rounds).</summary>
    public IProgress<FitProgress>? Progress { get; init; }

    /// <summary>One line per epoch or round.</summary>
    public Action<string>? Log { get; init; }

    /// <summary>"fitting", "evaluating", "saving": what the unit is doing now.</summary>
    public Action<string>? Stage { get; init; }

    /// <summary>Cancels the fit (and with it the run, which is then recorded as failed).</summary>
    public CancellationToken Cancellation { get; init; }

    /// <summary>Fits the requested model, evaluates it, saves it if asked, and records the run.</summary>
    public ExperimentResult Run(ExperimentRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var descriptor = request.Descriptor ?? ModelCatalog.DescriptorOf(request.Options);
        request.Options.Validate();
        if (request.SavePath is string path) AtomicFile.CheckWritable(path);
        if (request.CheckpointPath is string checkpointPath) AtomicFile.CheckWritable(checkpointPath, "The checkpoint path");
        RequireLabels(request.Test);

        var run = Store?.Begin(Record(request, descriptor.Name, request.Options));
        IClassifier? model = null;
        try
        {
            model = ModelCatalog.Create(descriptor, request.Options);
            Stage?.Invoke($"training on {request.Train.Count:N0} images");
            double cpuStart = ProcessCpuSeconds();
            long start = Stopwatch.GetTimestamp();
            model.Fit(request.Train, new FitContext
            {
                Seed = request.Seed, Progress = Progress, Log = Log, Cancellation = Cancellation,
                CheckpointPath = model is ICheckpointable ? request.CheckpointPath : null, Resume = request.Resume,
            });
            double fitSeconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
            double fitCpuSeconds = ProcessCpuSeconds() - cpuStart;

            var result = Finish(request, model, run, fitSeconds, fitCpuSeconds);
            model = null; // the result owns it now
            return result;
        }
        catch (Exception e)
        {
            model?.Dispose();
            if (run is not null) TryFail(run, e);
            throw;
        }
    }

    /// <summary>Scores an already fitted model (e.g. loaded from a file) on the request's test images and records it.</summary>
    /// <remarks>The caller keeps ownership of <paramref name="model"/>: the result's Dispose disposes it too.</remarks>
    public ExperimentResult Evaluate(IClassifier model, ExperimentRequest request)
    {
        ArgumentNullException.ThrowIfNull(model);
        RequireLabels(request.Test);
        var run = Store?.Begin(Record(request with { Kind = "evaluate" }, model.Name, model.Options));
        try
        {
            return Finish(request with { SavePath = null, TrainAccuracySample = 0 }, model, run, 0, 0);
        }
        catch (Exception e)
        {
            if (run is not null) TryFail(run, e);
            throw;
        }
    }

    /// <summary>The photo calibration of the model's recipe when its options are the ones it was fitted for (cnn-photo with photo-repeats=0), else null.</summary>
    private static PhotoCalibration? RecipeCalibration(IClassifier model) =>
        ModelCatalog.TryGet(model.Name, out var descriptor) ? descriptor.RecipePhotoCalibration?.Invoke(model.Options) : null;

    private ExperimentResult Finish(ExperimentRequest request, IClassifier model, RunRecord? run, double fitSeconds, double fitCpuSeconds)
    {
        Stage?.Invoke($"evaluating on {request.Test.Count:N0} test images");
        Cancellation.ThrowIfCancellationRequested();
        long start = Stopwatch.GetTimestamp();
        float[] probabilities = model.PredictProbabilities(request.Test);
        double predictSeconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
        var evaluation = ModelEvaluation.FromProbabilities(probabilities, request.Test.Labels);

        double? trainAccuracy = null;
        if (request.TrainAccuracySample > 0 && request.Train.HasLabels)
        {
            ImageSet sample = request.Train.Take(request.TrainAccuracySample);
            trainAccuracy = ModelEvaluation.FromProbabilities(model.PredictProbabilities(sample), sample.Labels).Accuracy;
        }
        double? validationAccuracy = ValidationAccuracy(model.TrainingHistory());

        // One serialisation gives the size and, when asked, the file: what is measured is what is saved.
        byte[] file;
        PhotoCalibration? calibration = RecipeCalibration(model);
        using (var buffer = new MemoryStream())
        {
            ModelFile.Write(model, buffer, request.Kind == "evaluate" ? null : Metadata(request, evaluation, fitSeconds), calibration);
            file = buffer.ToArray();
        }
        string? savedTo = null;
        if (request.SavePath is string path)
        {
            Stage?.Invoke("saving");
            AtomicFile.WriteAllBytes(path, file);
            savedTo = Path.GetFullPath(path);
            // The model file is the run's result: a checkpoint only serves to resume an unfinished run.
            if (request.CheckpointPath is string usedCheckpoint) DeleteCheckpoint(usedCheckpoint);
        }

        // One list of the result's fields, with the store's record once it has one.
        ExperimentResult Result(RunRecord? record) => new()
        {
            Model = model, Evaluation = evaluation, FitSeconds = fitSeconds, FitCpuSeconds = fitCpuSeconds,
            PredictSeconds = predictSeconds, TrainAccuracy = trainAccuracy, ValidationAccuracy = validationAccuracy,
            ModelBytes = file.LongLength, ModelPath = savedTo, PhotoCalibration = calibration,
            TrainImages = request.Train.Count, TestImages = request.Test.Count, Run = record,
        };
        var result = Result(null);
        if (run is null) return result;
        var metrics = new Dictionary<string, double>(evaluation.Scalars)
        {
            ["model_size_bytes"] = file.LongLength,
            ["predict_seconds_per_10k"] = result.PredictSecondsPer10k,
        };
        if (fitSeconds > 0) metrics["fit_cpu_seconds"] = fitCpuSeconds;
        if (trainAccuracy is double train)
        {
            metrics["train_accuracy"] = train;
            metrics["overfitting_gap"] = train - evaluation.Accuracy;
        }
        if (validationAccuracy is double validation) metrics["validation_accuracy"] = validation;
        var notes = new Dictionary<string, string>(run.Notes);
        if (savedTo is not null) notes["model_path"] = savedTo;
        var finished = Store!.Complete(run.WithEvaluation(evaluation) with
        {
            Metrics = metrics, Notes = notes,
            FitSeconds = fitSeconds > 0 ? fitSeconds : null, PredictSeconds = predictSeconds,
            Epochs = model.TrainingHistory()?.Epochs.ToList() ?? [],
        });
        return Result(finished);
    }

    /// <summary>The run as it starts: what is run, on what, by which command.</summary>
    private RunRecord Record(ExperimentRequest request, string modelName, ModelOptions options)
    {
        var notes = new Dictionary<string, string>(request.Metadata);
        if (request.Label is string label) notes["label"] = label;
        return new RunRecord
        {
            Kind = request.Kind, Model = modelName, ParentId = request.ParentId, Command = request.Command, Seed = request.Seed,
            Options = OptionBinder.ToEffectiveSettings(options),
            Preprocessing = options is ClassicOptions classic ? classic.DescribePreprocessing() : "none",
            DataSlice = request.Kind == "evaluate" ? $"test[0:{request.Test.Count}]" : RunRecordExtensions.DescribeSlice(request.Train, request.Test),
            Environment = Environment ?? RunEnvironment.Current(),
            Notes = notes,
        };
    }

    /// <summary>The model file's metadata: how, on what and how well the model was trained.</summary>
    private static Dictionary<string, string> Metadata(ExperimentRequest request, ModelEvaluation evaluation, double fitSeconds)
    {
        var metadata = new Dictionary<string, string>(request.Metadata)
        {
            ["seed"] = request.Seed.ToString(CultureInfo.InvariantCulture),
            ["train_count"] = request.Train.Count.ToString(CultureInfo.InvariantCulture),
            ["train_sha256"] = ContentHash(request.Train),
            ["test_count"] = request.Test.Count.ToString(CultureInfo.InvariantCulture),
            ["test_accuracy"] = evaluation.Accuracy.ToString("R", CultureInfo.InvariantCulture),
            ["train_seconds"] = fitSeconds.ToString("R", CultureInfo.InvariantCulture),
        };
        if (request.Label is string label) metadata["label"] = label;
        return metadata;
    }

    /// <summary>SHA-256 of the training images and labels, so a model file names exactly the data it learned from.</summary>
    public static string ContentHash(ImageSet images)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(images.Pixels);
        if (images.HasLabels) hash.AppendData(images.Labels);
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    private static double? ValidationAccuracy(TrainingHistory? history)
    {
        var epochs = history?.Epochs ?? [];
        double? accuracy = epochs.LastOrDefault(e => e.ValidationAccuracy is not null)?.ValidationAccuracy;
        if (history?.BestEpoch is int best && epochs.FirstOrDefault(e => e.Epoch == best)?.ValidationAccuracy is double atBest)
            accuracy = atBest;
        return accuracy;
    }

    private static void RequireLabels(ImageSet test)
    {
        if (!test.HasLabels || test.Count == 0)
            throw new FashionMnistException("The evaluation images have no labels (or there are none)", "Evaluate on labelled images, such as the test set.");
    }

    /// <summary>Marks the run failed (or cancelled); the store failing too must not hide why the run failed.</summary>
    private void TryFail(RunRecord run, Exception error)
    {
        try
        {
            string reason = error is OperationCanceledException ? "cancelled"
                : error is FashionMnistException known ? known.Message : $"{error.GetType().Name}: {error.Message}";
            Store!.Fail(run, reason);
        }
        catch (Exception)
        {
            // Keep the original error.
        }
    }

    private static double ProcessCpuSeconds()
    {
        using var self = Process.GetCurrentProcess();
        return self.TotalProcessorTime.TotalSeconds;
    }

    private void DeleteCheckpoint(string path)
    {
        try { File.Delete(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Log?.Invoke($"warning: could not delete the finished run's checkpoint '{path}': {e.Message}");
        }
    }
}
