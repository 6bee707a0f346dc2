using System.Globalization;
using FashionMnist.Cli.Commands;
using FashionMnist.Ensembles;
using FashionMnist.Imaging;
using FashionMnist.Models;
using Xunit.Abstractions;

namespace FashionMnist.Tests.Imaging;

/// <summary>Runs only when FMNIST_PHOTO_MODELS names model files and FMNIST_PHOTO_LABELS a labels.csv.</summary>
public sealed class PhotoModelsFactAttribute : FactAttribute
{
    public PhotoModelsFactAttribute()
    {
        if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable("FMNIST_PHOTO_MODELS"))
            || string.IsNullOrEmpty(Environment.GetEnvironmentVariable("FMNIST_PHOTO_LABELS")))
            Skip = "Set FMNIST_PHOTO_MODELS=a.fmm,b.fmm and FMNIST_PHOTO_LABELS=.../tune.csv to compare photo test-time variants.";
    }
}

/// <summary>
/// Issue 16's photo screening harness: each model (and their soft vote, when there are several) scored on a labelled photo
/// folder with each test-time augmentation variant, top-1 / top-3 and per source class. Score the tuning part
/// (bench/accuracy/photo-split.sh) while choosing, the held-out part once at the end:
///   FMNIST_PHOTO_MODELS=a.fmm,b.fmm FMNIST_PHOTO_LABELS=/tmp/fmnist-photo-split/tune.csv dotnet test tests/FashionMnist.Tests \
///     -c Release --filter FullyQualifiedName~PhotoVariantsMeasurement --logger "console;verbosity=detailed"
/// FMNIST_PHOTO_VARIANTS=default,wide narrows the variants. FMNIST_PHOTO_PIPELINES scores garment pipeline options instead,
/// each with the default test-time augmentation: "base;smooth:SmoothRadius=0.3;b08m45:BorderFraction=0.08,TargetMean=0.45"
/// (name:Option=value,..., separated by ';'; a name alone is the defaults). FMNIST_PHOTO_OUT=dir also writes each pipeline's
/// predictions there (model-name.tsv: file, source class, top class, top-1 right, top-3 right) to compare photo by photo.
/// </summary>
public sealed class PhotoVariantsMeasurement(ITestOutputHelper output)
{
    private static readonly Dictionary<string, TestTimeAugmentation> Variants = new()
    {
        ["none"] = TestTimeAugmentation.None,
        ["default"] = TestTimeAugmentation.Default,
        ["wide"] = TestTimeAugmentation.Default with { AspectScales = [1.0, 0.75] },
        ["wider"] = TestTimeAugmentation.Default with { AspectScales = [1.0, 0.75, 0.55] },
        ["squeezed"] = TestTimeAugmentation.Default with { AspectScales = [0.75] },
    };

    [PhotoModelsFact]
    public void Score_models_and_their_vote_with_each_variant()
    {
        string labels = Environment.GetEnvironmentVariable("FMNIST_PHOTO_LABELS")!;
        string[] files = Environment.GetEnvironmentVariable("FMNIST_PHOTO_MODELS")!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        string[] wanted = (Environment.GetEnvironmentVariable("FMNIST_PHOTO_VARIANTS") ?? string.Join(",", Variants.Keys)).Split(',');
        var photos = PhotoReports.ReadLabels(labels);
        var models = files.Select(f => (Name: Path.GetFileNameWithoutExtension(f), Model: ModelFile.Load(f))).ToList();
        if (files.Length > 1)
        {
            var vote = ModelCatalog.Create(new EnsembleOptions { Members = string.Join(",", files) });
            vote.Fit(FashionMnist.Tests.Support.TestData.BalancedTrain(1));
            models.Add(("soft vote", vote));
        }
        try
        {
            string? pipelines = Environment.GetEnvironmentVariable("FMNIST_PHOTO_PIPELINES");
            if (!string.IsNullOrEmpty(pipelines))
            {
                foreach (var (name, model) in models)
                    foreach (string spec in pipelines.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                    {
                        var classifier = new PhotoClassifier(model, new GarmentPipeline(ParseOptions(spec)), TestTimeAugmentation.Default);
                        var report = PhotoReports.Score(classifier, labels, photos, top: 3, showPath: null, debugDirectory: null);
                        if (Environment.GetEnvironmentVariable("FMNIST_PHOTO_OUT") is { Length: > 0 } outDir)
                            File.WriteAllLines(Path.Combine(outDir, $"{name}-{spec.Split(':')[0]}.tsv"), report.Predictions.Select(p =>
                                $"{p.File}\t{p.SourceClass}\t{p.Top[0].Name}\t{(p.Top1Correct ? 1 : 0)}\t{(p.Top3Correct ? 1 : 0)}"));
                        output.WriteLine($"{name,-24} {spec.Split(':')[0],-12} top-1 {report.Top1:0.000} top-3 {report.Top3:0.000}  "
                            + string.Join(" ", report.PerClass.Select(kv => $"{kv.Key} {kv.Value.Top1:0.00}/{kv.Value.Top3:0.00}")));
                    }
                return;
            }
            foreach (var (name, model) in models)
                foreach (string variant in wanted)
                {
                    var classifier = new PhotoClassifier(model, new GarmentPipeline(), Variants[variant]);
                    var report = PhotoReports.Score(classifier, labels, photos, top: 3, showPath: null, debugDirectory: null);
                    output.WriteLine($"{name,-24} {variant,-9} views {classifier.ImagesPerPhoto,2}  top-1 {report.Top1:0.000} top-3 {report.Top3:0.000}  "
                        + string.Join(" ", report.PerClass.Select(kv => $"{kv.Key} {kv.Value.Top1:0.00}/{kv.Value.Top3:0.00}")));
                }
        }
        finally
        {
            foreach (var (_, model) in models) model.Dispose();
        }
    }

    /// <summary>"name:Option=value,Option=value" (a <see cref="GarmentPipelineOptions"/> property per pair) as options.</summary>
    private static GarmentPipelineOptions ParseOptions(string spec)
    {
        var options = new GarmentPipelineOptions();
        int colon = spec.IndexOf(':');
        if (colon < 0) return options;
        foreach (string pair in spec[(colon + 1)..].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            string[] parts = pair.Split('=', 2);
            var property = typeof(GarmentPipelineOptions).GetProperty(parts[0])
                ?? throw new ArgumentException($"GarmentPipelineOptions has no option '{parts[0]}'.");
            object value = property.PropertyType.IsEnum
                ? Enum.Parse(property.PropertyType, parts[1])
                : Convert.ChangeType(parts[1], property.PropertyType, CultureInfo.InvariantCulture);
            options = options with { }; // init-only properties: set on a fresh copy
            property.SetValue(options, value);
        }
        return options;
    }
}
