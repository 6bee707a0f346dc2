using System.Text.Json;
using FashionMnist.Models;
using FashionMnist.Tests.Support;

namespace FashionMnist.Tests.Cli;

public class ModelCommandsTests
{
    [Fact]
    public void Train_json_then_evaluate_the_saved_model()
    {
        string dir = Directory.CreateTempSubdirectory("fmnist-cli-").FullName;
        string path = Path.Combine(dir, "knn.fmm");
        var train = CliRunner.Run("train", "knn", "--set", "k=3", "--features", "hog", "--pca", "40",
            "--train-limit", "1500", "--test-limit", "300", "--out", path, "--json");
        Assert.True(train.ExitCode == 0, train.ToString());
        using var doc = JsonDocument.Parse(train.Stdout);
        var root = doc.RootElement;
        Assert.Equal("knn", root.GetProperty("model").GetString());
        Assert.Equal("3", root.GetProperty("parameters").GetProperty("k").GetString());
        Assert.Equal("hog", root.GetProperty("parameters").GetProperty("features").GetString());
        Assert.Equal("40", root.GetProperty("parameters").GetProperty("pca").GetString());
        Assert.Equal("true", root.GetProperty("parameters").GetProperty("hog-signed").GetString());
        Assert.Equal("l1-sqrt", root.GetProperty("parameters").GetProperty("hog-norm").GetString());
        Assert.Equal(1500, root.GetProperty("train_limit").GetInt32());
        Assert.Equal(42, root.GetProperty("seed").GetInt32());
        double accuracy = root.GetProperty("test_accuracy").GetDouble();
        Assert.InRange(accuracy, 0.6, 1.0);
        Assert.True(root.GetProperty("train_seconds").GetDouble() > 0);
        Assert.True(root.GetProperty("predict_seconds").GetDouble() > 0);
        Assert.Equal(path, root.GetProperty("model_path").GetString());
        var header = ModelFile.ReadHeader(path);
        Assert.Equal("hog", header.Settings["features"]); // the model file's options are the whole model
        Assert.Equal("40", header.Settings["pca"]);

        var evaluate = CliRunner.Run("evaluate", "--model", path, "--test-limit", "300", "--json");
        Assert.True(evaluate.ExitCode == 0, evaluate.ToString());
        using var eval = JsonDocument.Parse(evaluate.Stdout);
        Assert.Equal(accuracy, eval.RootElement.GetProperty("test_accuracy").GetDouble(), 12);
        Assert.Equal(10, eval.RootElement.GetProperty("per_class_accuracy").EnumerateObject().Count());
    }

    [Fact]
    public void Train_json_reports_each_epochs_seconds_and_evaluate_repeat_reports_the_prediction_speed()
    {
        string dir = Directory.CreateTempSubdirectory("fmnist-cli-").FullName;
        string path = Path.Combine(dir, "mlp.fmm");
        var train = CliRunner.Run("train", "mlp", "--epochs", "3", "--set", "validation-fraction=0", "--train-limit", "600",
            "--test-limit", "200", "--out", path, "--no-store", "--json");
        Assert.True(train.ExitCode == 0, train.ToString());
        using var doc = JsonDocument.Parse(train.Stdout);
        double[] epochs = doc.RootElement.GetProperty("epoch_seconds").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        Assert.Equal(3, epochs.Length);
        Assert.All(epochs, s => Assert.True(s > 0));
        // The epochs are the training time (plus the load, the model set-up and saving, which they leave out).
        Assert.True(epochs.Sum() <= doc.RootElement.GetProperty("train_seconds").GetDouble());

        var evaluate = CliRunner.Run("evaluate", "--model", path, "--test-limit", "200", "--repeat", "3", "--json", "--no-store");
        Assert.True(evaluate.ExitCode == 0, evaluate.ToString());
        using var eval = JsonDocument.Parse(evaluate.Stdout);
        var root = eval.RootElement;
        Assert.Equal(doc.RootElement.GetProperty("test_accuracy").GetDouble(), root.GetProperty("test_accuracy").GetDouble(), 12);
        Assert.Equal(3, root.GetProperty("predict_repeat").GetInt32());
        double seconds = root.GetProperty("predict_seconds").GetDouble();
        Assert.True(seconds > 0);
        Assert.Equal(200 / seconds, root.GetProperty("predict_images_per_second").GetDouble(), 6);

        var text = CliRunner.Run("evaluate", "--model", path, "--test-limit", "200", "--repeat", "2", "--no-store");
        Assert.True(text.ExitCode == 0, text.ToString());
        Assert.Contains("img/s, median of 2", text.Stdout);

        var bad = CliRunner.Run("evaluate", "--model", path, "--repeat", "0", "--no-store");
        Assert.Equal(2, bad.ExitCode);
        Assert.Contains("--repeat must be at least 1, got 0", bad.Stderr);
        Assert.DoesNotContain("   at ", bad.Stderr);
    }

    [Theory]
    [InlineData("--set k=0", "'k' must be at least 1, got 0")]
    [InlineData("--set kk=3", "has no option 'kk'")]
    [InlineData("--set k", "is not of the form name=value")]
    [InlineData("--epochs 3", "--epochs does not apply to knn")]
    [InlineData("--resume", "--resume does not apply to knn")]
    [InlineData("--pca 1000 --train-limit 50", "1000 components but the features have only 784 columns")]
    [InlineData("--pca abc", "Option 'pca' expects a component count such as 50, a variance ratio such as 0.95, or none, got 'abc'")]
    [InlineData("--hog-cell 30", "HOG cell size must be between 2 and 14")]
    [InlineData("--hog-norm l3", "Option 'hog-norm' cannot be 'l3'")]
    [InlineData("--hog-signed maybe", "unexpected argument 'maybe' for 'fmnist train'")]
    [InlineData("--train-limit 0", "--train-limit must be at least 1")]
    public void Train_bad_input_is_a_clear_error_with_exit_code_2(string flags, string message)
    {
        var result = CliRunner.Run(["train", "knn", "--no-save", .. flags.Split(' ')]);
        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains(message, result.Stderr);
        Assert.DoesNotContain("   at ", result.Stderr);
    }

    [Fact]
    public void Classic_hog_is_one_flag_away()
    {
        var result = CliRunner.Run("train", "knn", "--hog-signed", "false", "--hog-norm", "l2-hys", "--train-limit", "300",
            "--test-limit", "50", "--no-save", "--no-store", "--json");
        Assert.True(result.ExitCode == 0, result.ToString());
        using var doc = JsonDocument.Parse(result.Stdout);
        var preprocessing = doc.RootElement.GetProperty("parameters");
        Assert.Equal("hog", preprocessing.GetProperty("features").GetString());
        Assert.Equal("false", preprocessing.GetProperty("hog-signed").GetString());
        Assert.Equal("l2-hys", preprocessing.GetProperty("hog-norm").GetString());
        Assert.Equal("hog(cell=4+7,block=2,bins=9) → knn", doc.RootElement.GetProperty("pipeline").GetString());

        // A bare --hog-signed means true and does not swallow the next flag.
        var bare = CliRunner.Run("train", "knn", "--hog-signed", "--no-save", "--train-limit", "300", "--test-limit", "50", "--no-store", "--json");
        Assert.True(bare.ExitCode == 0, bare.ToString());
        using var bareDoc = JsonDocument.Parse(bare.Stdout);
        Assert.Equal("hog(cell=4+7,block=2,bins=9,signed,l1-sqrt) → knn", bareDoc.RootElement.GetProperty("pipeline").GetString());
    }

    [Fact]
    public void Unknown_model_and_missing_model_file_are_clear_errors()
    {
        var unknown = CliRunner.Run("train", "nope");
        Assert.Equal(2, unknown.ExitCode);
        Assert.Contains("Unknown model 'nope'", unknown.Stderr);
        Assert.Contains("knn", unknown.Stderr);
        var missing = CliRunner.Run("evaluate", "--model", "/nonexistent/x.fmm");
        Assert.Equal(2, missing.ExitCode);
        Assert.Contains("does not exist", missing.Stderr);
    }

    [Fact]
    public void Models_lists_the_catalog_and_a_models_options()
    {
        var list = CliRunner.Run("models", "--json");
        Assert.Equal(0, list.ExitCode);
        Assert.Contains("\"knn\"", list.Stdout);
        var options = CliRunner.Run("models", "knn", "--json");
        using var doc = JsonDocument.Parse(options.Stdout);
        var k = doc.RootElement.GetProperty("options").EnumerateArray().First(o => o.GetProperty("name").GetString() == "k");
        Assert.Equal("5", k.GetProperty("default").GetString());
        var help = CliRunner.Run("train", "knn", "--help-options");
        Assert.Equal(0, help.ExitCode);
        Assert.Contains("weights", help.Stdout);
    }

    [Fact]
    public void Search_runs_shards_and_merges_them()
    {
        string dir = Directory.CreateTempSubdirectory("fmnist-search-").FullName;
        string[] common = ["search", "knn", "--grid", "k=1,3;weights=uniform,distance", "--cv", "2", "--train-limit", "400", "--json"];
        var whole = CliRunner.Run([.. common, "--test-limit", "200"]);
        Assert.True(whole.ExitCode == 0, whole.ToString());
        using var wholeDoc = JsonDocument.Parse(whole.Stdout);
        Assert.Equal(4, wholeDoc.RootElement.GetProperty("results").GetArrayLength());
        Assert.InRange(wholeDoc.RootElement.GetProperty("refit").GetProperty("test_accuracy").GetDouble(), 0.5, 1.0);

        var files = new List<string>();
        for (int i = 1; i <= 2; i++)
        {
            string file = Path.Combine(dir, $"shard{i}.jsonl");
            var shard = CliRunner.Run([.. common, "--shard", $"{i}/2", "--out-results", file]);
            Assert.True(shard.ExitCode == 0, shard.ToString());
            files.Add(file);
        }
        var merged = CliRunner.Run(["search", "--merge", .. files, "--json"]);
        Assert.True(merged.ExitCode == 0, merged.ToString());
        using var mergedDoc = JsonDocument.Parse(merged.Stdout);
        Assert.Equal(4, mergedDoc.RootElement.GetProperty("found").GetInt32());
        Assert.Equal(wholeDoc.RootElement.GetProperty("results")[0].GetProperty("candidate").GetInt32(),
            mergedDoc.RootElement.GetProperty("results")[0].GetProperty("candidate").GetInt32());
    }

    [Theory]
    [InlineData("knn --grid k=1,3 --shard 3/2", "Shard '3/2' is out of range")]
    [InlineData("knn --grid k=1,,3", "has an empty value")]
    [InlineData("knn --grid kk=1", "has no option 'kk'")]
    [InlineData("knn", "search needs a search space")]
    [InlineData("knn --grid k=1 --cv 1", "--cv must be at least 2")]
    [InlineData("knn --grid-file /nonexistent/space.yaml", "Grid file '/nonexistent/space.yaml' does not exist")]
    [InlineData("--merge /nonexistent/a.jsonl", "Cannot read search results")]
    public void Search_bad_input_is_a_clear_error_with_exit_code_2(string arguments, string message)
    {
        var result = CliRunner.Run(["search", .. arguments.Split(' ')]);
        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains(message, result.Stderr);
    }
}
