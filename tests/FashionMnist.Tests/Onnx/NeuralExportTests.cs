using Xunit.Abstractions;
using FashionMnist.Data;
using FashionMnist.Models;
using FashionMnist.Neural;
using FashionMnist.Tests.Support;

namespace FashionMnist.Tests.Onnx;

/// <summary>
/// Every zoo network and a custom spec using every exportable layer: trained briefly on real images, exported, run in
/// ONNX Runtime on 1,000 test images: probabilities within 1e-4 of PredictProbabilities and the same argmax on all.
/// </summary>
public class NeuralExportTests(ITestOutputHelper output)
{
    private static ImageSet Test1000 => TestData.Test.Take(1000);

    private static IClassifier Train(string name, Dictionary<string, string>? extra = null)
    {
        var settings = new Dictionary<string, string> { ["epochs"] = "1", ["validation-fraction"] = "0" };
        if (extra is not null) foreach (var (k, v) in extra) settings[k] = v;
        IClassifier model = ModelCatalog.Create(name, settings);
        model.Fit(TestData.BalancedTrain(40), new FitContext { Seed = 7 });
        return model;
    }

    [Theory]
    [InlineData("mlp")]
    [InlineData("cnn1")]
    [InlineData("cnn3")]   // mirror TTA on by default: the graph runs both views
    [InlineData("cnn4")]   // batch norm after convs and after the dense layer
    [InlineData("cnn-deep")] // 'same' padding, batch norm, TTA
    public void Zoo_model_export_matches_our_engine_in_onnx_runtime(string name)
    {
        IClassifier model = Train(name);
        var (delta, agreement, _) = OnnxTestSupport.ExportAndCompare(model, Test1000);
        output.WriteLine($"{name}: max |Δp| {delta:E2}, argmax agreement {agreement:P2}");
        Assert.True(delta <= 1e-4, $"{name}: max |Δp| {delta:E2}");
        Assert.Equal(1.0, agreement);
    }

    [Fact]
    public void Mirror_tta_is_inside_the_graph()
    {
        // The same weights with and without TTA give different ORT outputs, each matching its own engine's.
        IClassifier plain = Train("mlp", new() { ["tta"] = "false" });
        var mirrored = (NeuralClassifier)ModelCatalog.Create("mlp", new Dictionary<string, string> { ["tta"] = "true" });
        var withTta = NeuralClassifier.Load("mlp", (NeuralOptions)mirrored.Options, Zoo.Mlp, StateReader((NeuralClassifier)plain));
        ImageSet images = Test1000;
        float[] a = OnnxTestSupport.RunInOnnxRuntime(OnnxExporter(plain), images);
        float[] b = OnnxTestSupport.RunInOnnxRuntime(OnnxExporter(withTta), images);
        Assert.True(OnnxTestSupport.Compare(a, b).MaxDelta > 1e-3, "TTA changed nothing: the mirror is missing from the graph");
        Assert.True(OnnxTestSupport.Compare(withTta.PredictProbabilities(images), b).MaxDelta <= 1e-4);
    }

    [Fact]
    public void Custom_spec_with_every_exportable_layer_matches()
    {
        string spec = Path.Combine(Path.GetTempPath(), $"fmnist-onnx-spec-{Guid.NewGuid():N}.yaml");
        File.WriteAllText(spec, """
            layers:
              - conv2d: {filters: 8, kernel: 3, padding: same, stride: 2}
              - batchnorm
              - leakyrelu: {alpha: 0.1}
              - conv2d: {filters: 12, kernel: 3x2, bias: false}
              - elu: {alpha: 0.7}
              - avgpool2d: {size: 2}
              - maxpool2d: {size: 3, stride: 1}
              - dropout: {rate: 0.2}
              - conv2d: {filters: 16, kernel: 1}
              - relu
              - globalavgpool
              - dense: {units: 24}
              - batchnorm
              - relu
              - dense: {units: 10}
            """);
        try
        {
            IClassifier model = Train("custom", new() { ["spec"] = spec });
            var (delta, agreement, _) = OnnxTestSupport.ExportAndCompare(model, Test1000);
            output.WriteLine($"custom: max |Δp| {delta:E2}, argmax agreement {agreement:P2}");
            Assert.True(delta <= 1e-4, $"custom: max |Δp| {delta:E2}");
            Assert.Equal(1.0, agreement);
        }
        finally
        {
            File.Delete(spec);
        }
    }

    private static byte[] OnnxExporter(IClassifier model) => FashionMnist.Onnx.OnnxExporter.Export(model);

    private static BinaryReader StateReader(NeuralClassifier model)
    {
        var stream = new MemoryStream();
        var writer = new BinaryWriter(stream);
        model.SaveState(writer);
        writer.Flush();
        stream.Position = 0;
        return new BinaryReader(stream);
    }
}
