using System.Text.Json;
using FashionMnist.Data;
using FashionMnist.Models;
using FashionMnist.Onnx;
using FashionMnist.Tests.Support;
using Google.Protobuf;
using Onnx;
using static FashionMnist.Onnx.OnnxGraph.Attribute;

namespace FashionMnist.Tests.Onnx;

/// <summary>
/// ONNX files from elsewhere as fmnist models: the PyTorch fixture (Fixtures/onnx, made by make_torch_fixture.py) must
/// score exactly PyTorch's own accuracy; hand-built graphs check [N,784] inputs, logits → softmax, the --input-* rules
/// and every kind of bad file (exit 2 with a message, never a crash).
/// </summary>
public class OnnxImportTests
{
    private static string Fixture(string name) => Path.Combine(AppContext.BaseDirectory, "Fixtures", "onnx", name);

    private static double TorchAccuracy()
    {
        using var json = JsonDocument.Parse(File.ReadAllText(Fixture("torch-small-cnn.json")));
        return json.RootElement.GetProperty("test_accuracy").GetDouble();
    }

    [Fact]
    public void A_pytorch_export_scores_pytorchs_own_accuracy_to_four_digits()
    {
        using var model = (OnnxClassifier)ModelFile.Load(Fixture("torch-small-cnn.onnx"));
        Assert.Equal("onnx", model.Name);
        Assert.Equal(1.0 / 255, model.OnnxOptions.Input.Scale); // a foreign file gets [0, 1] pixels by default
        double accuracy = model.Score(TestData.Test);
        Assert.Equal(TorchAccuracy(), Math.Round(accuracy, 4));
        float[] p = model.PredictProbabilities(TestData.Test.Take(50));
        Assert.True(OnnxClassifier.AreProbabilities(p), "the logits were not turned into probabilities");
    }

    [Fact]
    public void Cli_evaluate_reads_the_pytorch_file_and_input_flags_change_what_it_is_fed()
    {
        var result = CliRunner.Run("evaluate", "--model", Fixture("torch-small-cnn.onnx"), "--json", "--no-store");
        Assert.True(result.ExitCode == 0, result.ToString());
        using var json = JsonDocument.Parse(result.Stdout);
        Assert.Equal(TorchAccuracy(), Math.Round(json.RootElement.GetProperty("test_accuracy").GetDouble(), 4));

        // Pixels shifted to [-1, 0] (--input-mean 1): the ReLU network sees nothing it was trained on and fails.
        // (--input-scale 1 alone is no test: raw 0-255 pixels only rescale a ReLU net's activations, 0.791 on 2,000.)
        var shifted = CliRunner.Run("evaluate", "--model", Fixture("torch-small-cnn.onnx"), "--input-mean", "1", "--json", "--no-store", "--test-limit", "2000");
        Assert.True(shifted.ExitCode == 0, shifted.ToString());
        using var shiftedJson = JsonDocument.Parse(shifted.Stdout);
        Assert.True(shiftedJson.RootElement.GetProperty("test_accuracy").GetDouble() < 0.3, shifted.Stdout);
        Assert.Equal("1", shiftedJson.RootElement.GetProperty("parameters").GetProperty("input-mean").GetString());
    }

    [Fact]
    public void Metadata_keys_set_the_input_scaling_and_flags_override_them()
    {
        var model = ModelProto.Parser.ParseFrom(File.ReadAllBytes(Fixture("torch-small-cnn.onnx")));
        model.MetadataProps.Add(new StringStringEntryProto { Key = OnnxContract.InputScaleKey, Value = "1" });
        model.MetadataProps.Add(new StringStringEntryProto { Key = OnnxContract.InputMeanKey, Value = "2.5" });
        model.MetadataProps.Add(new StringStringEntryProto { Key = OnnxContract.InputStdKey, Value = "4" });
        string path = TempFile(model.ToByteArray());
        try
        {
            using (var fromMetadata = (OnnxClassifier)ModelFile.Load(path))
                Assert.Equal((1.0, 2.5, 4.0), fromMetadata.OnnxOptions.Input);
            using var overridden = (OnnxClassifier)ModelFile.Load(path, new Dictionary<string, string> { ["input-scale"] = "0.00392156862745098", ["input-mean"] = "0", ["input-std"] = "1" });
            Assert.Equal(TorchAccuracy(), Math.Round(overridden.Score(TestData.Test), 4));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void A_flat_input_logits_model_is_fed_784_values_and_softmaxed()
    {
        // logits = x · W with W[p, c] = 1 for pixel p = c (x in [0, 1]): hand-computable softmax of the first 10 pixels.
        var graph = new OnnxGraph("flat");
        string x = graph.Input("x", ImageSet.PixelCount);
        var w = new float[ImageSet.PixelCount * 10];
        for (int c = 0; c < 10; c++) w[c * 10 + c] = 1f;
        graph.NodeWithOutputs("MatMul", [x, graph.Constant("w", w, ImageSet.PixelCount, 10)], ["logits"], []);
        graph.Output("logits", TensorProto.Types.DataType.Float, 10);
        string path = TempFile(graph.ToModel(new Dictionary<string, string>()).ToByteArray());
        try
        {
            using var model = ModelFile.Load(path) as OnnxClassifier ?? throw new InvalidOperationException();
            ImageSet images = TestData.Test.Take(3);
            float[] p = model.PredictProbabilities(images);
            for (int i = 0; i < images.Count; i++)
            {
                double[] logits = Enumerable.Range(0, 10).Select(c => images.Pixels[i * ImageSet.PixelCount + c] / 255.0).ToArray();
                double sum = logits.Sum(Math.Exp);
                for (int c = 0; c < 10; c++) Assert.Equal(Math.Exp(logits[c]) / sum, p[i * 10 + c], 5);
            }
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void An_fmnist_export_is_recognised_and_gets_raw_pixels()
    {
        IClassifier mlp = ModelCatalog.Create("mlp", new Dictionary<string, string> { ["epochs"] = "1", ["validation-fraction"] = "0" });
        mlp.Fit(TestData.BalancedTrain(30));
        string path = TempFile(OnnxExporter.Export(mlp), ".onnx");
        try
        {
            using var imported = (OnnxClassifier)ModelFile.Load(path);
            Assert.Equal("mlp", imported.Name);
            Assert.Equal(1.0, imported.OnnxOptions.Input.Scale);
            ImageSet images = TestData.Test.Take(500);
            var (delta, agreement) = OnnxTestSupport.Compare(mlp.PredictProbabilities(images), imported.PredictProbabilities(images));
            Assert.True(delta <= 1e-4, $"max |Δp| {delta}");
            Assert.Equal(1.0, agreement);
            Assert.Equal("mlp", ModelFile.ReadHeader(path).ModelName);
        }
        finally
        {
            File.Delete(path);
        }
    }

    public static TheoryData<string, string> BadFiles => new()
    {
        { "not-protobuf", "is not an ONNX model" },
        { "unknown-op", "ONNX Runtime cannot load" },
        { "rgb-input", "not float32 [N,1,28,28] or [N,784]" },
        { "five-classes", "no float32 [N,10] output" },
    };

    [Theory]
    [MemberData(nameof(BadFiles))]
    public void Bad_onnx_files_are_exit_2_with_a_clear_message(string kind, string expected)
    {
        byte[] bytes = kind switch
        {
            "not-protobuf" => "this is not a model\n"u8.ToArray(),
            "unknown-op" => Model(g => g.NodeWithOutputs("NoSuchOperator", [g.Input("x", 1, 28, 28)], ["y"], []), 10),
            "rgb-input" => Model(g => g.NodeWithOutputs("GlobalAveragePool", [g.Input("x", 3, 28, 28)], ["y"], []), 3, 1, 1),
            "five-classes" => Model(g => g.NodeWithOutputs("MatMul",
                [g.Node("Flatten", [g.Input("x", 1, 28, 28)], Int("axis", 1)), g.Constant("w", new float[ImageSet.PixelCount * 5], ImageSet.PixelCount, 5)], ["y"], []), 5),
            _ => throw new ArgumentOutOfRangeException(nameof(kind)),
        };
        string path = TempFile(bytes, ".onnx");
        try
        {
            var e = Assert.Throws<FashionMnistException>(() => ModelFile.Load(path));
            Assert.Contains(expected, e.Message);
            Assert.Equal(ExitCodes.BadInput, e.ExitCode);
            var cli = CliRunner.Run("evaluate", "--model", path, "--no-store", "--test-limit", "10");
            Assert.Equal(2, cli.ExitCode);
            Assert.Contains(expected, cli.Stderr);
            Assert.DoesNotContain("   at ", cli.Stderr);
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static byte[] Model(Action<OnnxGraph> build, params long[] outputDims)
    {
        var graph = new OnnxGraph("bad");
        build(graph);
        graph.Output("y", TensorProto.Types.DataType.Float, outputDims);
        return graph.ToModel(new Dictionary<string, string>()).ToByteArray();
    }

    private static string TempFile(byte[] bytes, string extension = ".onnx")
    {
        string path = Path.Combine(Path.GetTempPath(), $"fmnist-import-{Guid.NewGuid():N}{extension}");
        File.WriteAllBytes(path, bytes);
        return path;
    }
}

/// <summary>`fmnist compare --models mlp,onnx:PATH`: an ONNX file is evaluated beside a model the comparison trains.</summary>
public class OnnxCompareTests
{
    [Fact]
    public void Compare_evaluates_an_onnx_file_beside_a_trained_model()
    {
        string folder = Path.Combine(Path.GetTempPath(), $"fmnist-onnx-compare-{Guid.NewGuid():N}");
        Directory.CreateDirectory(folder);
        try
        {
            string fixture = Path.Combine(AppContext.BaseDirectory, "Fixtures", "onnx", "torch-small-cnn.onnx");
            var result = CliRunner.Run("compare", "--models", $"mlp,onnx:{fixture}", "--set", "mlp:epochs=1", "--train-limit", "600",
                "--test-limit", "1000", "--store", Path.Combine(folder, "runs.db"), "--out", Path.Combine(folder, "report"), "--json");
            Assert.True(result.ExitCode == 0, result.ToString());
            using var json = JsonDocument.Parse(result.Stdout);
            var rows = json.RootElement.GetProperty("leaderboard").EnumerateArray().ToList();
            Assert.Equal(2, rows.Count);
            JsonElement imported = rows.Single(r => r.GetProperty("name").GetString() == $"onnx:{fixture}");
            Assert.Equal("imported", imported.GetProperty("family").GetString());
            using var model = (OnnxClassifier)ModelFile.Load(fixture);
            Assert.Equal(model.Score(TestData.Test.Take(1000)), imported.GetProperty("test_accuracy").GetDouble(), 6);

            var missing = CliRunner.Run("compare", "--models", "mlp,onnx:/no/such.onnx", "--store", Path.Combine(folder, "runs.db"), "--out", Path.Combine(folder, "r2"));
            Assert.Equal(2, missing.ExitCode);
            Assert.Contains("does not exist", missing.Stderr);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
