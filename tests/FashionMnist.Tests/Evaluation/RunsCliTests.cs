using FashionMnist.Experiments;
using System.Text.Json;
using FashionMnist.Evaluation;
using FashionMnist.Models;
using FashionMnist.Tests.Support;

namespace FashionMnist.Tests.Evaluation;

/// <summary>`fmnist runs ...` and `fmnist compare` as a user runs them (subprocess).</summary>
public sealed class RunsCliTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("fmnist-runs-cli-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private string Db(string name) => Path.Combine(_folder, name);

    private static RunRecord Run(string model, double accuracy)
    {
        byte[] labels = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 6, 0];
        byte[] predicted = [0, 1, 2, 3, 4, 5, 0, 7, 8, 9, 6, 6];
        var metrics = ClassificationMetrics.Compute(labels, predicted);
        return new RunRecord
        {
            Model = model, Command = $"fmnist train {model}", Seed = 3, DataSlice = "train[0:100] test[0:12]",
            Metrics = new Dictionary<string, double> { ["accuracy"] = accuracy, ["macro_f1"] = metrics.MacroAverage.F1 },
            PerClass = metrics.PerClass, Confusion = metrics.Confusion.ToRows(), FitSeconds = 2.5,
            Epochs = [new EpochMetrics(1, 0.5, 0.8, 0.6, 0.75, 1.0)],
        };
    }

    private Guid Seed(string path, params (string Model, double Accuracy)[] runs)
    {
        using var store = ExperimentStore.Open(path);
        Guid last = default;
        foreach (var (model, accuracy) in runs) last = store.Complete(Run(model, accuracy)).Id;
        return last;
    }

    [Fact]
    public void List_shows_recorded_runs_as_a_table_and_as_json()
    {
        Seed(Db("a.db"), ("knn", 0.85), ("svm", 0.89));
        var table = CliRunner.Run("runs", "list", "--store", Db("a.db"));
        Assert.True(table.ExitCode == 0, table.ToString());
        Assert.Contains("knn", table.Stdout);
        Assert.Contains("0.8900", table.Stdout);
        Assert.True(table.Stdout.Contains("complete"), table.ToString());

        var json = CliRunner.Run("runs", "list", "--store", Db("a.db"), "--json");
        Assert.True(json.ExitCode == 0, json.ToString());
        using var document = JsonDocument.Parse(json.Stdout);
        Assert.Equal(2, document.RootElement.GetProperty("count").GetInt32());
        Assert.Equal("complete", document.RootElement.GetProperty("runs")[0].GetProperty("status").GetString());
    }

    [Fact]
    public void Show_prints_everything_about_one_run_by_id_prefix()
    {
        Guid id = Seed(Db("b.db"), ("cnn3", 0.92));
        var text = CliRunner.Run("runs", "show", id.ToString()[..8], "--store", Db("b.db"));
        Assert.True(text.ExitCode == 0, text.ToString());
        Assert.Contains("cnn3", text.Stdout);
        Assert.Contains("weighted avg", text.Stdout); // the sklearn-style classification report
        Assert.Contains("T-shirt/top", text.Stdout);

        var json = CliRunner.Run("runs", "show", id.ToString(), "--store", Db("b.db"), "--json");
        Assert.True(json.ExitCode == 0, json.ToString());
        using var document = JsonDocument.Parse(json.Stdout);
        Assert.Equal(0.92, document.RootElement.GetProperty("metrics").GetProperty("accuracy").GetDouble());
        Assert.Equal(10, document.RootElement.GetProperty("confusion").GetArrayLength());
        Assert.Equal(1, document.RootElement.GetProperty("epochs").GetArrayLength());
    }

    [Fact]
    public void Merge_combines_shards_once()
    {
        Seed(Db("s1.db"), ("knn", 0.85));
        Seed(Db("s2.db"), ("svm", 0.89), ("mlp", 0.88));
        var first = CliRunner.Run("runs", "merge", Db("all.db"), Db("s1.db"), Db("s2.db"));
        Assert.True(first.ExitCode == 0, first.ToString());
        Assert.Contains("3 added", first.Stdout);
        var again = CliRunner.Run("runs", "merge", Db("all.db"), Db("s1.db"), Db("s2.db"), "--json");
        using var document = JsonDocument.Parse(again.Stdout);
        Assert.Equal(0, document.RootElement.GetProperty("added").GetInt32());
        Assert.Equal(3, document.RootElement.GetProperty("unchanged").GetInt32());
    }

    [Theory]
    [InlineData("missing-store")]
    [InlineData("not-a-database")]
    [InlineData("unknown-id")]
    [InlineData("merge-missing-input")]
    [InlineData("compare-unknown-model")]
    [InlineData("compare-bad-limit")]
    public void Bad_input_gets_a_clear_error_and_exit_code_2(string scenario)
    {
        string junk = Db("junk.db");
        File.WriteAllText(junk, new string('x', 5000));
        Seed(Db("ok.db"), ("knn", 0.85));
        var (args, expected) = scenario switch
        {
            "missing-store" => (new[] { "runs", "list", "--store", Db("nope.db") }, "No experiment store at"),
            "not-a-database" => (new[] { "runs", "list", "--store", junk }, "not a SQLite database"),
            "unknown-id" => (new[] { "runs", "show", "deadbeef", "--store", Db("ok.db") }, "No run with id 'deadbeef'"),
            "merge-missing-input" => (new[] { "runs", "merge", Db("out.db"), Db("nope.db") }, "does not exist"),
            "compare-unknown-model" => (new[] { "compare", "--models", "no-such-model", "--store", Db("c.db"), "--out", Db("r") }, "None of the requested models (no-such-model)"),
            "compare-bad-limit" => (new[] { "compare", "--train-limit", "0", "--store", Db("c.db") }, "--train-limit must be at least 1"),
            _ => throw new ArgumentOutOfRangeException(nameof(scenario)),
        };
        var result = CliRunner.Run(args);
        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains(expected, result.Stderr);
        Assert.StartsWith("error: ", result.Stderr);
        Assert.DoesNotContain("   at ", result.Stderr); // no stack trace
    }

    [Fact]
    public void An_unknown_profile_is_refused_by_the_parser()
    {
        var result = CliRunner.Run("compare", "--profile", "huge");
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("huge", result.Stderr);
    }
}
