using System.Text.Json;
using FashionMnist.Data;
using FashionMnist.Imaging;
using FashionMnist.Models;
using FashionMnist.Onnx;
using FashionMnist.Tests.Imaging;
using FashionMnist.Tests.Support;

namespace FashionMnist.Tests.Onnx;

/// <summary>--runtime auto|native|onnx for predict and serve, and the measured defaults table.</summary>
public sealed class RuntimeChoiceTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("fmnist-runtime-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static IClassifier TrainedMlp()
    {
        IClassifier model = ModelCatalog.Create("mlp", new Dictionary<string, string> { ["epochs"] = "1", ["validation-fraction"] = "0" });
        model.Fit(TestData.BalancedTrain(30));
        return model;
    }

    [Fact]
    public void Onnx_runtime_runs_the_in_memory_export_with_the_same_predictions()
    {
        IClassifier native = TrainedMlp();
        using var onnx = (OnnxClassifier)ModelRuntime.Apply(native, RuntimeChoice.Onnx, out var used);
        Assert.Equal(RuntimeChoice.Onnx, used);
        Assert.Equal("mlp", onnx.Name);
        ImageSet images = TestData.Test.Take(300);
        var (delta, agreement) = OnnxTestSupport.Compare(native.PredictProbabilities(images), onnx.PredictProbabilities(images));
        Assert.True(delta <= 1e-4, $"max |Δp| {delta}");
        Assert.Equal(1.0, agreement);

        Assert.Same(native, ModelRuntime.Apply(native, RuntimeChoice.Native, out used));
        Assert.Equal(RuntimeChoice.Native, used);
        var e = Assert.Throws<FashionMnistException>(() => ModelRuntime.Apply(onnx, RuntimeChoice.Native, out _));
        Assert.Contains("ONNX Runtime only", e.Message);
    }

    [Fact]
    public void A_network_with_mirror_tta_runs_its_single_view_in_onnx_runtime_and_mirrors_on_the_host()
    {
        // cnn3 averages each image with its mirror (tta on by default). On ONNX Runtime the photo TTA, which feeds its
        // own mirrors, must still cost one pass per distinct image: the export is the single view, and the wrapper
        // mirrors only when asked for the averaged prediction.
        IClassifier native = ModelCatalog.Create("cnn3", new Dictionary<string, string> { ["epochs"] = "1", ["validation-fraction"] = "0" });
        native.Fit(TestData.BalancedTrain(30), new FitContext { Seed = 3 });
        using var onnx = (MirrorAveragingOnnxClassifier)ModelRuntime.Apply(native, RuntimeChoice.Onnx, out var used);
        Assert.Equal(RuntimeChoice.Onnx, used);
        Assert.Equal("cnn3", onnx.Name);
        Assert.True(onnx.AveragesMirror);
        ImageSet images = TestData.Test.Take(300);
        var averaged = OnnxTestSupport.Compare(native.PredictProbabilities(images), onnx.PredictProbabilities(images));
        var single = new float[300 * FashionMnistClasses.Count];
        ((IMirrorAveraging)native).PredictSingleView(images, single);
        var singleView = OnnxTestSupport.Compare(single, onnx.SingleView.PredictProbabilities(images));
        Assert.True(averaged.MaxDelta <= 1e-4 && singleView.MaxDelta <= 1e-4, $"max |Δp| {averaged.MaxDelta} averaged, {singleView.MaxDelta} single view");
        Assert.Equal(1.0, averaged.Agreement);
        Assert.Equal(1.0, singleView.Agreement);
        Assert.True(OnnxTestSupport.Compare(single, native.PredictProbabilities(images)).MaxDelta > 1e-3, "the single view should differ from the averaged one");

        // A photo with the default TTA: six distinct images, the same answer as our engine.
        RgbaImage photo = ImageCodec.DecodeFile(TestImages.FixturePath("pants.jpg"));
        var pipeline = new GarmentPipeline();
        PhotoPrediction ours = new PhotoClassifier(native, pipeline, TestTimeAugmentation.Default).Classify(photo);
        var theirs = new PhotoClassifier(onnx, pipeline, TestTimeAugmentation.Default);
        Assert.Equal(6, theirs.ImagesPerPhoto);
        Assert.True(OnnxTestSupport.Compare(ours.Probabilities, theirs.Classify(photo).Probabilities).MaxDelta <= 1e-4);
        Assert.Throws<FashionMnistException>(() => ModelRuntime.Apply(onnx, RuntimeChoice.Native, out _));
    }

    [Fact]
    public void Auto_keeps_unexportable_models_on_our_engine_and_onnx_refuses_them()
    {
        IClassifier knn = ModelCatalog.Create("knn");
        knn.Fit(TestData.BalancedTrain(10));
        Assert.Same(knn, ModelRuntime.Apply(knn, RuntimeChoice.Auto, out var used));
        Assert.Equal(RuntimeChoice.Native, used);
        Assert.Throws<FashionMnistException>(() => ModelRuntime.Apply(knn, RuntimeChoice.Onnx, out _));
        Assert.Throws<FashionMnistException>(() => ModelRuntime.Parse("gpu"));
    }

    [Fact]
    public void The_defaults_table_names_only_known_runtimes_and_says_how_it_was_measured()
    {
        RuntimeDefaults defaults = ModelRuntime.Defaults;
        Assert.False(string.IsNullOrWhiteSpace(defaults.Measured));
        Assert.All(defaults.Faster, p => Assert.Contains(p.Value, new[] { "onnx", "native" }));
        Assert.All(defaults.Faster.Keys, name => Assert.True(ModelCatalog.TryGet(name, out _), $"{name} is not a catalog model"));
        foreach (var (name, runtime) in defaults.Faster)
            Assert.Equal(runtime == "onnx" ? RuntimeChoice.Onnx : RuntimeChoice.Native, defaults.Prefers(name));
        Assert.Equal(RuntimeChoice.Native, defaults.Prefers("no-such-model"));
    }

    [Fact]
    public void Cli_predict_gives_the_same_answer_on_both_runtimes_and_from_the_onnx_file()
    {
        IClassifier native = TrainedMlp();
        string fmm = Path.Combine(_folder, "mlp.fmm"), onnx = Path.Combine(_folder, "mlp.onnx");
        ModelFile.Save(native, fmm);
        OnnxExporter.Export(native, onnx);
        string photo = TestImages.FixturePath("pants.jpg");
        (int Label, double Probability) Top(params string[] args)
        {
            var result = CliRunner.Run(["predict", .. args, photo, "--json", "--top", "1"]);
            Assert.True(result.ExitCode == 0, result.ToString());
            using var json = JsonDocument.Parse(result.Stdout);
            JsonElement best = json.RootElement.GetProperty("photos")[0].GetProperty("top")[0];
            return (best.GetProperty("label").GetInt32(), best.GetProperty("probability").GetDouble());
        }
        var nativeAnswer = Top("--model", fmm, "--runtime", "native");
        foreach (var other in new[] { Top("--model", fmm, "--runtime", "onnx"), Top("--model", onnx) })
        {
            Assert.Equal(nativeAnswer.Label, other.Label);
            Assert.InRange(Math.Abs(nativeAnswer.Probability - other.Probability), 0, 1e-4);
        }
        var refused = CliRunner.Run("predict", "--model", onnx, "--runtime", "native", photo);
        Assert.Equal(2, refused.ExitCode);
        Assert.Contains("ONNX Runtime only", refused.Stderr);
    }
}
