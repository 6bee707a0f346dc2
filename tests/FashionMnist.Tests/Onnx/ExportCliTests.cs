using System.Text.Json;
using FashionMnist.Models;
using FashionMnist.Onnx;
using FashionMnist.Tests.Support;
using Onnx;

namespace FashionMnist.Tests.Onnx;

/// <summary>`fmnist export` as a user runs it: the file, its metadata, and the errors that leave no file behind.</summary>
public class ExportCliTests
{
    private static string Folder()
    {
        string folder = Path.Combine(Path.GetTempPath(), $"fmnist-export-{Guid.NewGuid():N}");
        Directory.CreateDirectory(folder);
        return folder;
    }

    private static string Save(string folder, string name, Dictionary<string, string> settings)
    {
        IClassifier model = ModelCatalog.Create(name, settings);
        model.Fit(TestData.BalancedTrain(20));
        string path = Path.Combine(folder, $"{name}.fmm");
        ModelFile.Save(model, path, new Dictionary<string, string> { ["seed"] = "5" });
        return path;
    }

    [Fact]
    public void Export_writes_a_checked_file_with_the_contract_and_metadata()
    {
        string folder = Folder();
        try
        {
            string fmm = Save(folder, "mlp", new() { ["epochs"] = "1", ["hidden"] = "32", ["validation-fraction"] = "0" });
            string onnx = Path.Combine(folder, "out", "mlp.onnx");
            var result = CliRunner.Run("export", "--model", fmm, "--out", onnx, "--json");
            Assert.True(result.ExitCode == 0, result.ToString());
            using var json = JsonDocument.Parse(result.Stdout);
            Assert.Equal("mlp", json.RootElement.GetProperty("model").GetString());

            byte[] bytes = File.ReadAllBytes(onnx);
            PythonOnnxChecker.Check(bytes);
            ModelProto model = ModelProto.Parser.ParseFrom(bytes);
            Assert.Equal(OnnxContract.IrVersion, model.IrVersion);
            Assert.Equal(OnnxContract.Input, Assert.Single(model.Graph.Input).Name);
            Assert.Equal([OnnxContract.Probabilities, OnnxContract.Label], model.Graph.Output.Select(o => o.Name));
            var meta = model.MetadataProps.ToDictionary(p => p.Key, p => p.Value);
            Assert.Equal("fmnist", meta[OnnxContract.ProducerKey]);
            Assert.Equal("mlp", meta[OnnxContract.ModelKey]);
            Assert.Contains("\"hidden\":\"32\"", meta[OnnxContract.OptionsKey]);
            Assert.Equal("Ankle boot", JsonSerializer.Deserialize<string[]>(meta[OnnxContract.ClassNamesKey])![9]);
            Assert.Equal("5", meta[OnnxContract.SourceMetadataPrefix + "seed"]);
            Assert.Contains(meta, p => p.Key.StartsWith(OnnxContract.TrainingDataPrefix + "train-images", StringComparison.Ordinal) && p.Value.Contains("SHA-256"));
            Assert.DoesNotContain(Directory.GetFiles(Path.GetDirectoryName(onnx)!), f => f.Contains(".tmp-"));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void An_unexportable_model_or_a_foreign_file_is_exit_2_and_leaves_the_old_file()
    {
        string folder = Folder();
        try
        {
            string knn = Save(folder, "knn", new());
            string target = Path.Combine(folder, "keep.onnx");
            File.WriteAllText(target, "previous");
            var result = CliRunner.Run("export", "--model", knn, "--out", target);
            Assert.Equal(2, result.ExitCode);
            Assert.Contains("KNN", result.Stderr);
            Assert.Equal("previous", File.ReadAllText(target));

            string notModel = Path.Combine(folder, "notes.txt");
            File.WriteAllText(notModel, "hello");
            result = CliRunner.Run("export", "--model", notModel, "--out", Path.Combine(folder, "x.onnx"));
            Assert.Equal(2, result.ExitCode);
            Assert.Contains("is not an fmnist model file", result.Stderr);
            Assert.False(File.Exists(Path.Combine(folder, "x.onnx")));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
