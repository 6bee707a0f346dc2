using System.ComponentModel;
using FashionMnist.Data;
using FashionMnist.Models;

namespace FashionMnist.Tests.Evaluation;

/// <summary>Options of the test-only nearest-centroid model.</summary>
public sealed record NearestCentroidOptions : ModelOptions
{
    [Description("Passes over the training data; each pass folds in one more chunk and records an 'epoch'.")]
    public int Passes { get; init; } = 3;

    [Description("Softmax temperature over negative squared distances (larger = softer probabilities).")]
    public double Temperature { get; init; } = 5.0;

    public override void Validate()
    {
        Require(Passes >= 1, "passes", "must be at least 1", Passes);
        Require(Temperature > 0, "temperature", "must be positive", Temperature);
    }
}

/// <summary>
/// A real but tiny classifier for evaluation tests (about 68 % on Fashion-MNIST): one mean image per class;
/// probabilities are a softmax over negative squared distances to the means. It is iterative in a
/// simple, honest way: pass p uses the first p/P of the data, so the history has genuine curves.
/// Not registered in the catalog: tests hand its descriptor to the comparison runner.
/// </summary>
public sealed class NearestCentroidClassifier(NearestCentroidOptions options) : ICheckpointable, IPixelImportances
{
    public const string ModelName = "nearest-centroid";

    public void Dispose() { }

    private float[]? _centroids;

    public static ModelDescriptor Descriptor { get; } = new(ModelName, "classic", "Nearest class mean (test-only)",
        typeof(NearestCentroidOptions), o => new NearestCentroidClassifier((NearestCentroidOptions)o),
        (o, reader) =>
        {
            var model = new NearestCentroidClassifier((NearestCentroidOptions)o);
            model._centroids = new float[FashionMnistClasses.Count * ImageSet.PixelCount];
            for (int i = 0; i < model._centroids.Length; i++) model._centroids[i] = reader.ReadSingle();
            return model;
        });

    public string Name => ModelName;
    public ModelOptions Options => options;
    public bool IsFitted => _centroids is not null;
    public TrainingHistory History { get; } = new();

    /// <summary>Per-pixel spread of the class means: pixels where classes differ most matter most.</summary>
    public double[]? FeatureImportances { get; private set; }

    IReadOnlyList<double>? IPixelImportances.PixelImportances => FeatureImportances;

    public void Fit(ImageSet train, FitContext? context = null)
    {
        History.Clear();
        int passes = options.Passes;
        for (int pass = 1; pass <= passes; pass++)
        {
            var clock = System.Diagnostics.Stopwatch.StartNew();
            ImageSet seen = train.Take(Math.Max(FashionMnistClasses.Count, train.Count * pass / passes));
            _centroids = Means(seen);
            var probabilities = this.PredictProbabilities(seen);
            double loss = FashionMnist.Evaluation.ProbabilityMetrics.LogLoss(probabilities, seen.Labels);
            History.Add(new EpochMetrics(pass, loss, this.Score(seen), null, null, clock.Elapsed.TotalSeconds));
        }
        var importances = new double[ImageSet.PixelCount];
        for (int p = 0; p < ImageSet.PixelCount; p++)
        {
            double mean = 0, square = 0;
            for (int c = 0; c < FashionMnistClasses.Count; c++) { double v = _centroids![c * ImageSet.PixelCount + p]; mean += v; square += v * v; }
            mean /= FashionMnistClasses.Count;
            importances[p] = square / FashionMnistClasses.Count - mean * mean;
        }
        double total = importances.Sum();
        FeatureImportances = importances.Select(v => v / total).ToArray();
    }

    public void PredictProbabilities(ImageSet images, Span<float> probabilities)
    {
        var centroids = _centroids ?? throw new InvalidOperationException("Not fitted.");
        Span<double> scores = stackalloc double[FashionMnistClasses.Count];
        for (int i = 0; i < images.Count; i++)
        {
            ReadOnlySpan<byte> image = images.Image(i);
            for (int c = 0; c < FashionMnistClasses.Count; c++)
            {
                double distance = 0;
                for (int p = 0; p < ImageSet.PixelCount; p++)
                {
                    double d = image[p] / 255.0 - centroids[c * ImageSet.PixelCount + p];
                    distance += d * d;
                }
                scores[c] = -distance / options.Temperature;
            }
            double max = double.NegativeInfinity;
            foreach (double s in scores) max = Math.Max(max, s);
            double sum = 0;
            for (int c = 0; c < scores.Length; c++) sum += scores[c] = Math.Exp(scores[c] - max);
            for (int c = 0; c < scores.Length; c++) probabilities[i * FashionMnistClasses.Count + c] = (float)(scores[c] / sum);
        }
    }

    public void SaveState(BinaryWriter writer)
    {
        foreach (float v in _centroids ?? throw new InvalidOperationException("Not fitted.")) writer.Write(v);
    }

    private static float[] Means(ImageSet set)
    {
        var sums = new double[FashionMnistClasses.Count * ImageSet.PixelCount];
        var counts = new int[FashionMnistClasses.Count];
        for (int i = 0; i < set.Count; i++)
        {
            int label = set.Labels[i];
            counts[label]++;
            ReadOnlySpan<byte> image = set.Image(i);
            for (int p = 0; p < ImageSet.PixelCount; p++) sums[label * ImageSet.PixelCount + p] += image[p] / 255.0;
        }
        var means = new float[sums.Length];
        for (int c = 0; c < FashionMnistClasses.Count; c++)
            for (int p = 0; p < ImageSet.PixelCount; p++)
                means[c * ImageSet.PixelCount + p] = counts[c] == 0 ? 0 : (float)(sums[c * ImageSet.PixelCount + p] / counts[c]);
        return means;
    }
}
