using System.Diagnostics;
using FashionMnist.Data;
using FashionMnist.Models;

namespace FashionMnist.Classic;

/// <summary>
/// One preprocessing step of a pipeline (scaling, HOG, PCA): learns from the training features, then maps
/// features to new features. Saved with the model, so a loaded model preprocesses as it was trained.
/// </summary>
public interface IFeatureTransform
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
/// A classical model as users see it: images → preprocessing steps → a feature estimator.
/// Its <see cref="Name"/> and <see cref="Options"/> are the estimator's, so "knn" with or without HOG
/// is still "knn"; the steps are part of the saved state.
/// </summary>
public sealed class Pipeline : IClassifier, ITrainingCurves
{
    public Pipeline(string name, ModelOptions options, IReadOnlyList<IFeatureTransform> steps, IFeatureClassifier estimator)
    {
        Name = name;
        Options = options;
        Steps = steps;
        Estimator = estimator;
    }

    public string Name { get; }
    public ModelOptions Options { get; }
    public IReadOnlyList<IFeatureTransform> Steps { get; private set; }
    public IFeatureClassifier Estimator { get; }
    public bool IsFitted => Estimator.IsFitted;

    /// <summary>The estimator's per-round curves (e.g. boosting), if it keeps them.</summary>
    public TrainingHistory? History => (Estimator as ITrainingCurves)?.History;

    /// <summary>Seconds spent in preprocessing during the last fit (reported apart from the estimator's time).</summary>
    public double PreprocessSeconds { get; private set; }

    /// <summary>"hog(...) → pca(50) → knn", for reports.</summary>
    public string Describe() => string.Join(" → ", Steps.Select(s => s.Describe()).Append(Name));

    /// <summary>Replaces the preprocessing steps (before fitting).</summary>
    public Pipeline WithSteps(IReadOnlyList<IFeatureTransform> steps)
    {
        Steps = steps;
        return this;
    }

    public void Fit(ImageSet train, FitContext? context = null)
    {
        context ??= FitContext.Default;
        var clock = Stopwatch.StartNew();
        FeatureMatrix features = FeatureMatrix.FromImages(train);
        foreach (var step in Steps) features = step.FitTransform(features, context);
        // An early-stopping estimator must see the validation images through the same steps.
        if (context.Validation is { HasLabels: true } validation && Estimator is IEarlyStoppingEstimator early)
            early.SetValidation(Transform(validation), validation.Labels);
        PreprocessSeconds = clock.Elapsed.TotalSeconds;
        Estimator.Fit(features, train.Labels, context);
    }

    public void PredictProbabilities(ImageSet images, Span<float> probabilities) =>
        Estimator.PredictProbabilities(Transform(images), probabilities);

    /// <summary>The features the estimator sees for these images.</summary>
    public FeatureMatrix Transform(ImageSet images)
    {
        FeatureMatrix features = FeatureMatrix.FromImages(images);
        foreach (var step in Steps) features = step.Transform(features);
        return features;
    }

    public void SaveState(BinaryWriter writer)
    {
        writer.Write(Steps.Count);
        foreach (var step in Steps) step.Save(writer);
        Estimator.SaveState(writer);
    }

    /// <summary>Reads what <see cref="SaveState"/> wrote; <paramref name="loadEstimator"/> reads the estimator's part.</summary>
    public static Pipeline Load(string name, ModelOptions options, BinaryReader reader, Func<BinaryReader, IFeatureClassifier> loadEstimator)
    {
        int count = reader.ReadInt32();
        if (count is < 0 or > 16) throw new InvalidDataException($"Implausible pipeline step count {count}.");
        var steps = new List<IFeatureTransform>(count);
        for (int i = 0; i < count; i++) steps.Add(FeatureTransforms.Read(reader));
        return new Pipeline(name, options, steps, loadEstimator(reader));
    }
}

/// <summary>
/// Reads saved pipeline steps back by their kind tag. The table of kinds is fixed here (not filled by
/// registration), so loading a model never depends on which static initialisers have run.
/// A new step kind adds one line to <see cref="s_readers"/> and writes the same tag first in its Save.
/// </summary>
public static class FeatureTransforms
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
