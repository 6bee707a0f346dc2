using FashionMnist.Classic;
using System.Diagnostics;
using FashionMnist.Data;
using FashionMnist.Models;

namespace FashionMnist.Selection;

/// <summary>Mean and (population) standard deviation of one metric over folds, with the per-fold values.</summary>
public sealed record MetricSummary(double Mean, double Std, IReadOnlyList<double> Folds)
{
    public static MetricSummary Of(IReadOnlyList<double> values)
    {
        double mean = values.Count == 0 ? double.NaN : values.Average();
        double variance = values.Count == 0 ? double.NaN : values.Sum(v => (v - mean) * (v - mean)) / values.Count;
        return new MetricSummary(mean, Math.Sqrt(variance), values);
    }
}

/// <summary>The cross-validated scores of one candidate.</summary>
public sealed record CandidateResult(
    Candidate Candidate,
    IReadOnlyDictionary<string, MetricSummary> Metrics,
    int Folds,
    int TrainCount,
    double FitSeconds)
{
    public double MeanAccuracy => Metrics[Scores.Accuracy].Mean;
}

/// <summary>
/// How to make a model from a candidate's settings: the catalog model, fixed base settings and preprocessing,
/// with the candidate's settings on top. Candidate names in <see cref="Preprocessing.Keys"/> (pca, scale,
/// features, hog-*) set the preprocessing of a classic model; all others are model options.
/// </summary>
public sealed record ModelRecipe(string ModelName, IReadOnlyDictionary<string, string> BaseSettings, Preprocessing BasePreprocessing)
{
    public IClassifier Create(IReadOnlyDictionary<string, string> candidate)
    {
        var descriptor = ModelCatalog.Get(ModelName);
        var settings = new Dictionary<string, string>(BaseSettings, StringComparer.OrdinalIgnoreCase);
        var preprocessingSettings = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, value) in candidate)
        {
            if (Preprocessing.IsKey(name) && ClassicModel.IsClassic(descriptor)) preprocessingSettings[name] = value;
            else settings[name] = value;
        }
        var preprocessing = preprocessingSettings.Count == 0 ? BasePreprocessing : BasePreprocessing.With(preprocessingSettings);
        IClassifier model = descriptor.Create(OptionBinder.Bind(descriptor.OptionsType, settings, descriptor.Name));
        if (!preprocessing.IsNone && model is Pipeline pipeline) pipeline.WithSteps(preprocessing.CreateSteps());
        return model;
    }

    /// <summary>Fails early (before any fit) if a candidate's settings are unknown or invalid.</summary>
    public void Check(Candidate candidate) => Create(candidate.Settings);
}

/// <summary>Stratified k-fold cross-validation of catalog models (any family).</summary>
public static class CrossValidation
{
    /// <summary>
    /// Fits the candidate on k-1 folds and scores it on the held-out fold, k times (folds from
    /// <see cref="Splits.StratifiedKFold"/> with <paramref name="seed"/>, so every candidate sees the same folds).
    /// <paramref name="onFold"/> is called after each fold.
    /// </summary>
    public static CandidateResult Evaluate(ModelRecipe recipe, Candidate candidate, ImageSet train,
        IReadOnlyList<(int[] Train, int[] Test)> folds, int seed, CancellationToken cancellation = default, Action? onFold = null)
    {
        var perMetric = Scores.Names.ToDictionary(n => n, _ => new List<double>());
        var clock = Stopwatch.StartNew();
        foreach (var (trainIndices, testIndices) in folds)
        {
            cancellation.ThrowIfCancellationRequested();
            ImageSet foldTrain = train.Subset(trainIndices), foldTest = train.Subset(testIndices);
            IClassifier model = recipe.Create(candidate.Settings);
            model.Fit(foldTrain, new FitContext { Seed = seed, Cancellation = cancellation });
            byte[] predicted = model.Predict(foldTest);
            foreach (var (name, value) in Scores.All(predicted, foldTest.Labels)) perMetric[name].Add(value);
            onFold?.Invoke();
        }
        return new CandidateResult(candidate, perMetric.ToDictionary(kv => kv.Key, kv => MetricSummary.Of(kv.Value)),
            folds.Count, train.Count, clock.Elapsed.TotalSeconds);
    }
}
