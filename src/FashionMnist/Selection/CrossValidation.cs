using FashionMnist.Data;
using FashionMnist.Models;

namespace FashionMnist.Selection;

/// <summary>Mean and (population) standard deviation of one metric over folds, with the per-fold values.</summary>
public sealed record MetricSummary(double Mean, double Std, IReadOnlyList<double> Folds)
{
    /// <summary>The mean and population standard deviation of <paramref name="values"/> (NaN for none).</summary>
    public static MetricSummary Of(IReadOnlyList<double> values)
    {
        double mean = values.Count == 0 ? double.NaN : values.Average();
        double variance = values.Count == 0 ? double.NaN : values.Sum(v => (v - mean) * (v - mean)) / values.Count;
        return new MetricSummary(mean, Math.Sqrt(variance), values);
    }
}

/// <summary>The cross-validated scores of one candidate.</summary>
/// <param name="Candidate">The settings scored.</param>
/// <param name="Metrics">Each metric's mean, std and per-fold values.</param>
/// <param name="Folds">Cross-validation folds.</param>
/// <param name="TrainCount">Images cross-validated on.</param>
/// <param name="FitSeconds">Mean seconds to fit one fold (scikit-learn's mean_fit_time).</param>
/// <param name="ScoreSeconds">Mean seconds to predict one held-out fold (scikit-learn's mean_score_time).</param>
public sealed record CandidateResult(
    Candidate Candidate,
    IReadOnlyDictionary<string, MetricSummary> Metrics,
    int Folds,
    int TrainCount,
    double FitSeconds,
    double ScoreSeconds = 0)
{
    /// <summary>The mean accuracy over folds, the score searches rank by.</summary>
    public double MeanAccuracy => Metrics[Scores.Accuracy].Mean;
}

/// <summary>
/// How to make a model from a candidate's settings: the catalog model and fixed base settings, with the candidate's
/// settings on top. Preprocessing settings (pca, features, hog-*, scale) are options like any other.
/// </summary>
public sealed record ModelRecipe(string ModelName, IReadOnlyDictionary<string, string> BaseSettings)
{
    /// <summary>The candidate's whole options (validated).</summary>
    public ModelOptions Options(IReadOnlyDictionary<string, string> candidate)
    {
        var settings = new Dictionary<string, string>(BaseSettings, StringComparer.OrdinalIgnoreCase);
        foreach (var (name, value) in candidate) settings[name] = value;
        return ModelCatalog.Options(ModelName, settings);
    }

    /// <summary>A new unfitted model for the candidate.</summary>
    public IClassifier Create(IReadOnlyDictionary<string, string> candidate) => ModelCatalog.Create(Options(candidate));

    /// <summary>Fails early (before any fit) if a candidate's settings are unknown or invalid.</summary>
    public void Check(Candidate candidate) => Options(candidate.Settings);
}

/// <summary>Stratified k-fold cross-validation of catalog models (any family).</summary>
public static class CrossValidation
{
    /// <summary>
    /// Fits the candidate on k-1 folds and scores it on the held-out fold, k times (folds from
    /// <see cref="Splits.StratifiedKFold"/> with <paramref name="seed"/>, so every candidate sees the same folds).
    /// Each fold's model is disposed as soon as it is scored. <paramref name="onFold"/> is called after each fold.
    /// </summary>
    public static CandidateResult Evaluate(ModelRecipe recipe, Candidate candidate, ImageSet train,
        IReadOnlyList<(int[] Train, int[] Test)> folds, int seed, CancellationToken cancellation = default, Action? onFold = null)
    {
        var perMetric = Scores.Names.ToDictionary(n => n, _ => new List<double>());
        double fitSeconds = 0, scoreSeconds = 0;
        foreach (var (trainIndices, testIndices) in folds)
        {
            cancellation.ThrowIfCancellationRequested();
            ImageSet foldTrain = train.Subset(trainIndices), foldTest = train.Subset(testIndices);
            using IClassifier model = recipe.Create(candidate.Settings);
            long start = Stopwatch.GetTimestamp();
            model.Fit(foldTrain, new FitContext { Seed = seed, Cancellation = cancellation });
            fitSeconds += Stopwatch.GetElapsedTime(start).TotalSeconds;
            start = Stopwatch.GetTimestamp();
            byte[] predicted = model.Predict(foldTest);
            scoreSeconds += Stopwatch.GetElapsedTime(start).TotalSeconds;
            foreach (var (name, value) in Scores.Of(foldTest.Labels, predicted)) perMetric[name].Add(value);
            onFold?.Invoke();
        }
        int count = Math.Max(1, folds.Count);
        return new CandidateResult(candidate, perMetric.ToDictionary(kv => kv.Key, kv => MetricSummary.Of(kv.Value)),
            folds.Count, train.Count, fitSeconds / count, scoreSeconds / count);
    }
}
