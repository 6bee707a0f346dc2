using FashionMnist.Data;
using FashionMnist.Models;

namespace FashionMnist.Classic;

/// <summary>
/// One preprocessing step of a pipeline (scaling, HOG, PCA): learns from the training features, then maps
/// features to new features. Saved with the model, so a loaded model preprocesses as it was trained.
/// </summary>
internal interface IFeatureTransform
{
    /// <summary>Short name for logs and reports, e.g. "hog(cell=4,bins=9)" or "pca(50)".</summary>
    string Describe();

    /// <summary>Learns what the step needs (e.g. PCA components) and returns the transformed training features.</summary>
    FeatureMatrix FitTransform(FeatureMatrix features, FitContext context);

    FeatureMatrix Transform(FeatureMatrix features);

    /// <summary>Writes the step's kind and learned state; <see cref="FeatureTransforms.Read"/> reads it back.</summary>
    void Save(BinaryWriter writer);
}

/// <summary>
/// A classical model as users see it: images → preprocessing steps → a feature estimator. The steps come from the
/// options (<see cref="ClassicOptions.CreateSteps"/>), so its <see cref="Options"/> describe the whole model; the
/// fitted steps are part of the saved state. Disposing it releases the estimator's native memory (SVM, XGBoost).
/// </summary>
internal sealed class Pipeline : IClassifier, ITrainingCurves, IPixelImportances, IPreprocessingInsights
{
    private bool _disposed;

    /// <summary>An unfitted pipeline: the options' preprocessing steps in front of <paramref name="estimator"/>.</summary>
    public Pipeline(string name, ClassicOptions options, IFeatureClassifier estimator)
        : this(name, Validated(options), options.CreateSteps(), estimator)
    {
    }

    private Pipeline(string name, ClassicOptions options, IReadOnlyList<IFeatureTransform> steps, IFeatureClassifier estimator)
    {
        (Name, Options, Steps, Estimator) = (name, options, steps, estimator);
    }

    public string Name { get; }
    public ModelOptions Options { get; }
    public IReadOnlyList<IFeatureTransform> Steps { get; }
    public IFeatureClassifier Estimator { get; }
    public bool IsFitted => !_disposed && Estimator.IsFitted;

    /// <summary>The estimator's per-round curves (e.g. boosting), if it keeps them.</summary>
    public TrainingHistory? History => (Estimator as ITrainingCurves)?.History;

    /// <summary>Seconds spent in preprocessing during the last fit (reported apart from the estimator's time).</summary>
    public double PreprocessSeconds { get; private set; }

    /// <summary>"hog(...) → pca(50) → knn", for reports.</summary>
    public string Describe() => string.Join(" → ", Steps.Select(s => s.Describe()).Append(Name));

    /// <summary>One importance per pixel when the estimator keeps importances and saw the raw pixels; else null.</summary>
    public IReadOnlyList<double>? PixelImportances =>
        Steps.Count == 0 && IsFitted && Estimator is IFeatureImportances { FeatureImportances: { Count: ImageSet.PixelCount } importances }
            ? importances : null;

    /// <summary>The fitted PCA step's explained-variance curve, or null when the model has no PCA.</summary>
    public PcaInsight? Pca
    {
        get
        {
            for (int i = 0; i < Steps.Count; i++)
            {
                if (Steps[i] is not PcaTransform { ExplainedVarianceRatio.Length: > 0 } pca) continue;
                var cumulative = new double[pca.ExplainedVarianceRatio.Length];
                double sum = 0;
                for (int c = 0; c < cumulative.Length; c++) cumulative[c] = Math.Min(1, sum += pca.ExplainedVarianceRatio[c]);
                bool onHog = Steps.Take(i).Any(s => s is HogTransform);
                return new PcaInsight(cumulative, pca.Components, onHog ? "HOG features" : "pixels");
            }
            return null;
        }
    }

    public void Fit(ImageSet train, FitContext? context = null)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentNullException.ThrowIfNull(train);
        context ??= FitContext.Default;
        context.Cancellation.ThrowIfCancellationRequested();
        var clock = Stopwatch.StartNew();
        FeatureMatrix features = FeatureMatrix.FromImages(train);
        foreach (var step in Steps)
        {
            features = step.FitTransform(features, context);
            context.Cancellation.ThrowIfCancellationRequested();
        }
        // An early-stopping estimator must see the validation images through the same steps.
        if (context.Validation is { HasLabels: true } validation && Estimator is IEarlyStoppingEstimator early)
            early.SetValidation(Transform(validation), validation.Labels);
        PreprocessSeconds = clock.Elapsed.TotalSeconds;
        Estimator.Fit(features, train.Labels, context);
    }

    public void PredictProbabilities(ImageSet images, Span<float> probabilities)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (!Estimator.IsFitted)
            throw new FashionMnistException($"Model '{Name}' is not fitted", "Fit it (fmnist train) or load a trained model first.");
        Estimator.PredictProbabilities(Transform(images), probabilities);
    }

    /// <summary>The features the estimator sees for these images.</summary>
    public FeatureMatrix Transform(ImageSet images)
    {
        FeatureMatrix features = FeatureMatrix.FromImages(images);
        foreach (var step in Steps) features = step.Transform(features);
        return features;
    }

    public void SaveState(BinaryWriter writer)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        writer.Write(Steps.Count);
        foreach (var step in Steps) step.Save(writer);
        Estimator.SaveState(writer);
    }

    /// <summary>Releases the estimator's native resources; a second call does nothing.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        (Estimator as IDisposable)?.Dispose();
    }

    /// <summary>
    /// Reads what <see cref="SaveState"/> wrote; <paramref name="loadEstimator"/> reads the estimator's part. The options
    /// take their preprocessing from the saved steps (older files kept it only there).
    /// </summary>
    public static Pipeline Load(string name, ClassicOptions options, BinaryReader reader, Func<BinaryReader, IFeatureClassifier> loadEstimator)
    {
        int count = reader.ReadInt32();
        if (count is < 0 or > 16) throw new InvalidDataException($"Implausible pipeline step count {count}.");
        var steps = new List<IFeatureTransform>(count);
        for (int i = 0; i < count; i++) steps.Add(FeatureTransforms.Read(reader));
        return new Pipeline(name, options.WithPreprocessingOf(steps), steps, loadEstimator(reader));
    }

    private static ClassicOptions Validated(ClassicOptions options)
    {
        options.Validate();
        return options;
    }
}

/// <summary>
/// Reads saved pipeline steps back by their kind tag. The table of kinds is fixed here (not filled by
/// registration), so loading a model never depends on which static initialisers have run.
/// A new step kind adds one line to <see cref="s_readers"/> and writes the same tag first in its Save.
/// </summary>
internal static class FeatureTransforms
{
    private static readonly IReadOnlyDictionary<string, Func<BinaryReader, IFeatureTransform>> s_readers =
        new Dictionary<string, Func<BinaryReader, IFeatureTransform>>(StringComparer.Ordinal)
        {
            [FeatureScaler.Kind] = FeatureScaler.Read,
            [HogTransform.Kind] = HogTransform.Read,
            [HogTransform.KindV2] = HogTransform.ReadV2,
            [PcaTransform.Kind] = PcaTransform.Read,
        };

    /// <summary>The step kinds a model file may contain.</summary>
    public static IEnumerable<string> Kinds => s_readers.Keys;

    public static IFeatureTransform Read(BinaryReader reader)
    {
        string kind = reader.ReadString();
        return s_readers.TryGetValue(kind, out var read) ? read(reader)
            : throw new InvalidDataException($"unknown preprocessing step '{kind}' (known: {string.Join(", ", s_readers.Keys)})");
    }
}
