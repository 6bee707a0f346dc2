using FashionMnist.Cli.Commands;
using FashionMnist.Imaging;
using FashionMnist.Tests.Support;
using Xunit.Abstractions;

namespace FashionMnist.Tests.Imaging;

/// <summary>Runs only when FMNIST_PHOTOS_DIR names a photo folder with a labels.csv (e.g. /work/shared/photos).</summary>
public sealed class PhotosDirFactAttribute : FactAttribute
{
    public PhotosDirFactAttribute()
    {
        if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable("FMNIST_PHOTOS_DIR")))
            Skip = "Set FMNIST_PHOTOS_DIR to a folder with labels.csv to measure the photo pipelines.";
    }
}

/// <summary>
/// The proxy measurement in docs/photos.md, reproducible: a throwaway MLP (784-128-10, 3 epochs on all 60,000
/// training images) scores both pipelines on a labelled photo folder.
///   FMNIST_PHOTOS_DIR=/work/shared/photos dotnet test tests/FashionMnist.Tests -c Release \
///     --filter FullyQualifiedName~PhotoProxyMeasurement --logger "console;verbosity=detailed"
/// </summary>
public sealed class PhotoProxyMeasurement(ITestOutputHelper output)
{
    [PhotosDirFact]
    public void Garment_pipeline_beats_the_seed_pipeline_on_real_photos()
    {
        string labels = Path.Combine(Environment.GetEnvironmentVariable("FMNIST_PHOTOS_DIR")!, "labels.csv");
        var model = new TinyMlp(new TinyMlpOptions { Hidden = 128, Epochs = 3, LearningRate = 0.01f });
        model.Fit(TestData.Train);
        output.WriteLine($"proxy MLP: Fashion-MNIST test accuracy {FashionMnist.Models.ClassifierExtensions.Score(model, TestData.Test):0.000}");
        var scores = new Dictionary<string, ScoreReport>();
        foreach (string pipeline in PhotoPipelines.Names)
        {
            ScoreReport report = PhotoReports.Score(new PhotoClassifier(model, PhotoPipelines.Create(pipeline)), labels,
                PhotoReports.ReadLabels(labels), top: 3, showPath: null, debugDirectory: null);
            scores[pipeline] = report;
            output.WriteLine($"{pipeline,-8} top-1 {report.Top1:0.000} top-3 {report.Top3:0.000}  " +
                             string.Join(" ", report.PerClass.Select(kv => $"{kv.Key} {kv.Value.Top1:0.00}")));
        }
        Assert.True(scores["garment"].Top1 > scores["seed"].Top1 + 0.15);
        Assert.True(scores["garment"].Top3 > scores["seed"].Top3);
    }
}
