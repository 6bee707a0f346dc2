using System.ComponentModel;
using FashionMnist;
using FashionMnist.Classic;
using FashionMnist.Data;
using FashionMnist.Evaluation;
using FashionMnist.Evaluation.Reports;
using FashionMnist.Experiments;
using FashionMnist.Experiments.Comparison;
using FashionMnist.Experiments.Studies;
using FashionMnist.Models;

// Typed options: a model's options record is the whole model, preprocessing included, with no strings to parse.
var svm = new SvmOptions { C = 10, Features = FeatureKind.Hog, Pca = PcaSize.Components(100) };
using var unfitted = ModelCatalog.Create(svm); // validated: C = -1 is "Option 'c' must be a number greater than 0, got -1. ..."
Console.WriteLine($"{unfitted.Name}: C={svm.C}, preprocessing {svm.DescribePreprocessing()}");

// A model of your own joins the catalog: by name, from its options, in model files and in the experiment runner.
ModelCatalog.Register(new CentroidFamily());

var data = FashionMnistData.Load();
string path = Path.Combine(Path.GetTempPath(), "custom-centroid.fmm");
using var result = new ExperimentRunner().Run(new ExperimentRequest
{
    Options = new CentroidOptions { Sharpness = 20 },
    Train = data.Train.Take(10_000),
    Test = data.Test,
    SavePath = path,
});
Console.WriteLine($"{result.Model.Name}: accuracy {result.Evaluation.Accuracy:F4}, fit {result.FitSeconds:F2} s");

// A comparison (what `fmnist compare` runs), your model beside a built-in one: a study of resumable units recorded in
// an experiment store (SQLite here, PostgreSQL to share it between machines), then a report (HTML, Markdown, JSON).
var profile = new CompareProfile("mine", "the centroid against a small forest",
[
    new("centroid", new Dictionary<string, string> { ["sharpness"] = "20" }),
    new("random-forest", new Dictionary<string, string> { ["trees"] = "20" }),
]);
string folder = Directory.CreateTempSubdirectory("custom-study-").FullName;
using (var store = ExperimentStore.Open(Path.Combine(folder, "runs.db")))
{
    var request = new ComparisonRequest { Profile = profile, TrainLimit = 5_000, TestLimit = 2_000, Seed = 1 };
    ComparisonReport report = new ComparisonStudy { Store = store }.Run(request, data.Train, data.Test).Report!;
    foreach (ModelResult row in report.Leaderboard) Console.WriteLine($"{row.Name}: test accuracy {row.TestAccuracy:F4} on {row.TestImages:N0} images");
    Console.WriteLine($"report: {ReportWriter.Write(report, Path.Combine(folder, "report")).Html}");
}

using var reloaded = ModelFile.Load(path);
double after = ModelEvaluation.Evaluate(reloaded, data.Test).Accuracy;
Console.WriteLine($"accuracy before reload: {result.Evaluation.Accuracy}");
Console.WriteLine($"accuracy after reload:  {after}");

/// <summary>Options of the nearest-centroid model: every property is a settable option (--set sharpness=20).</summary>
public sealed record CentroidOptions : ModelOptions
{
    [Description("How fast probability falls with the squared distance to a class centroid.")]
    public double Sharpness { get; init; } = 10;

    public override void Validate() =>
        Require(double.IsFinite(Sharpness) && Sharpness > 0, "sharpness", "must be a positive number", Sharpness);
}

/// <summary>Predicts the class whose mean image is nearest (squared distance of pixels in [0, 1]).</summary>
public sealed class CentroidClassifier(CentroidOptions options) : IClassifier
{
    private float[]? _centroids; // 10 x 784

    public string Name => "centroid";
    public ModelOptions Options => options;
    public bool IsFitted => _centroids is not null;

    public void Fit(ImageSet train, FitContext? context = null)
    {
        var sums = new double[FashionMnistClasses.Count * ImageSet.PixelCount];
        var counts = new int[FashionMnistClasses.Count];
        for (int i = 0; i < train.Count; i++)
        {
            (context ?? FitContext.Default).Cancellation.ThrowIfCancellationRequested();
            int label = train.Labels[i];
            counts[label]++;
            ReadOnlySpan<byte> image = train.Image(i);
            for (int p = 0; p < image.Length; p++) sums[label * ImageSet.PixelCount + p] += image[p] / 255.0;
        }
        _centroids = sums.Select((sum, k) => (float)(sum / Math.Max(1, counts[k / ImageSet.PixelCount]))).ToArray();
    }

    public void PredictProbabilities(ImageSet images, Span<float> probabilities)
    {
        var centroids = _centroids ?? throw new FashionMnistException("Model 'centroid' is not fitted", "Fit it first.");
        Span<double> distance = stackalloc double[FashionMnistClasses.Count];
        for (int i = 0; i < images.Count; i++)
        {
            ReadOnlySpan<byte> image = images.Image(i);
            for (int c = 0; c < distance.Length; c++)
            {
                double sum = 0;
                for (int p = 0; p < image.Length; p++)
                {
                    double d = image[p] / 255.0 - centroids[c * ImageSet.PixelCount + p];
                    sum += d * d;
                }
                distance[c] = sum / image.Length;
            }
            double nearest = double.MaxValue, total = 0;
            foreach (double d in distance) nearest = Math.Min(nearest, d);
            Span<float> row = probabilities.Slice(i * distance.Length, distance.Length);
            for (int c = 0; c < row.Length; c++)
            {
                row[c] = (float)Math.Exp(-options.Sharpness * (distance[c] - nearest) * 100);
                total += row[c];
            }
            for (int c = 0; c < row.Length; c++) row[c] = (float)(row[c] / total);
        }
    }

    public void SaveState(BinaryWriter writer)
    {
        var centroids = _centroids ?? throw new FashionMnistException("Model 'centroid' is not fitted", "Fit it first.");
        foreach (float value in centroids) writer.Write(value);
    }

    public static CentroidClassifier Load(CentroidOptions options, BinaryReader reader)
    {
        var model = new CentroidClassifier(options) { _centroids = new float[FashionMnistClasses.Count * ImageSet.PixelCount] };
        for (int i = 0; i < model._centroids.Length; i++) model._centroids[i] = reader.ReadSingle();
        return model;
    }

    public void Dispose() { }
}

/// <summary>Tells the catalog how to make and load the model.</summary>
public sealed class CentroidFamily : IModelFamily
{
    public IEnumerable<ModelDescriptor> Models =>
    [
        new("centroid", "mine", "Nearest class centroid", typeof(CentroidOptions),
            options => new CentroidClassifier((CentroidOptions)options),
            (options, reader) => CentroidClassifier.Load((CentroidOptions)options, reader)),
    ];
}
