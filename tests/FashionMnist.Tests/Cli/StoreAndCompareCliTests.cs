using FashionMnist.Experiments;
using System.Text.Json;
using FashionMnist.Evaluation;
using FashionMnist.Tests.Support;

namespace FashionMnist.Tests.Cli;

/// <summary>train, search, evaluate and compare record their runs in the experiment store; compare writes a real report.</summary>
public sealed class StoreAndCompareCliTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("fmnist-store-cli-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private string In(string name) => Path.Combine(_folder, name);

    private static JsonElement Json(CliRunner.Result result)
    {
        Assert.True(result.ExitCode == 0, result.ToString());
        using var document = JsonDocument.Parse(result.Stdout);
        return document.RootElement.Clone();
    }

    [Fact]
    public void Train_search_and_evaluate_are_recorded_and_listed()
    {
        string db = In("runs.db"), model = In("knn.fmm");
        var train = Json(CliRunner.Run("train", "knn", "--set", "k=3", "--train-limit", "1500", "--test-limit", "300", "--out", model, "--store", db, "--json"));
        var search = Json(CliRunner.Run("search", "knn", "--grid", "k=1,3", "--cv", "2", "--train-limit", "600", "--test-limit", "200", "--store", db, "--json"));
        var evaluate = Json(CliRunner.Run("evaluate", "--model", model, "--test-limit", "250", "--store", db, "--json"));

        var list = Json(CliRunner.Run("runs", "list", "--store", db, "--json"));
        Assert.Equal(4, list.GetProperty("count").GetInt32()); // the search's refit is a train run of its own, under the search
        var all = list.GetProperty("runs").EnumerateArray().ToList();
        string searchId = search.GetProperty("run_id").GetString()!;
        var refitRun = Assert.Single(all, r => r.TryGetProperty("parent_id", out var parent) && parent.GetString() == searchId);
        var runs = all.Where(r => r.GetProperty("id").GetString() != refitRun.GetProperty("id").GetString())
            .ToDictionary(r => r.GetProperty("kind").GetString()!);
        Assert.All(runs.Values, r => Assert.Equal("complete", r.GetProperty("status").GetString()));
        Assert.Equal(train.GetProperty("run_id").GetString(), runs["train"].GetProperty("id").GetString());
        Assert.Equal(train.GetProperty("test_accuracy").GetDouble(), runs["train"].GetProperty("accuracy").GetDouble(), 12);
        Assert.Equal("train[0:1500] test[0:300]", runs["train"].GetProperty("data_slice").GetString());
        Assert.Equal(search.GetProperty("refit").GetProperty("test_accuracy").GetDouble(), refitRun.GetProperty("accuracy").GetDouble(), 12);
        Assert.Equal(evaluate.GetProperty("test_accuracy").GetDouble(), runs["evaluate"].GetProperty("accuracy").GetDouble(), 12);

        using var store = ExperimentStore.Open(db, readOnly: true);
        var trainRun = store.Get(train.GetProperty("run_id").GetString()!);
        Assert.Equal("3", trainRun.Options["k"]);
        Assert.Equal(300, trainRun.Confusion!.Sum(row => row.Sum()));
        Assert.Equal(10, trainRun.PerClass.Count);
        Assert.Contains("train knn --set k=3", trainRun.Command);
        Assert.True(trainRun.FitSeconds > 0);
        Assert.False(string.IsNullOrEmpty(trainRun.Environment.CpuModel));
        var searchRun = store.Get(search.GetProperty("run_id").GetString()!);
        Assert.Equal(2, searchRun.FoldScores.Count); // the best candidate's folds
        Assert.Equal("k=1,3", searchRun.Options["grid"]);
        Assert.InRange(searchRun.Metrics["cv_accuracy"], 0.5, 1.0);
        Assert.Equal(search.GetProperty("refit").GetProperty("test_accuracy").GetDouble(), searchRun.Metrics["refit_test_accuracy"], 12);
        Assert.Equal("2", searchRun.Notes["candidates"]);
        Assert.Matches("^k=[13]$", searchRun.Notes["best"]);
        var evaluateRun = store.Get(evaluate.GetProperty("run_id").GetString()!);
        Assert.Equal(250, evaluateRun.Confusion!.Sum(row => row.Sum()));
        Assert.Equal(Path.GetFullPath(model), evaluateRun.Notes["model_path"]);
    }

    [Fact]
    public void No_store_records_nothing_and_a_failed_fit_is_recorded_as_failed()
    {
        string db = In("runs.db");
        var skipped = Json(CliRunner.Run("train", "knn", "--train-limit", "200", "--test-limit", "50", "--no-save", "--no-store", "--store", db, "--json"));
        Assert.Equal(JsonValueKind.Null, skipped.GetProperty("run_id").ValueKind);
        Assert.False(File.Exists(db));

        // PCA with more components than training images fails inside the fit.
        var failed = CliRunner.Run("train", "knn", "--pca", "300", "--train-limit", "100", "--test-limit", "50", "--no-save", "--store", db);
        Assert.True(failed.ExitCode == 2, failed.ToString());
        using var store = ExperimentStore.Open(db, readOnly: true);
        var run = Assert.Single(store.List());
        Assert.Equal(RunStatus.Failed, run.Status);
        Assert.Contains("300 components", run.Error);
    }

    [Fact]
    public void Compare_trains_real_models_and_writes_the_report_and_the_runs()
    {
        string db = In("compare.db"), report = In("report");
        var result = Json(CliRunner.Run(["compare", "--models", "knn,knn+pca,random-forest,no-such-model", "--train-limit", "2000", "--test-limit", "500",
            "--set", "random-forest:trees=15", "--set", "knn+pca:pca=20", "--store", db, "--out", report, "--json"], timeout: TimeSpan.FromMinutes(3)));

        var board = result.GetProperty("leaderboard").EnumerateArray().ToList();
        Assert.Equal(["knn", "knn+pca", "random-forest"], board.Select(m => m.GetProperty("name").GetString()!).Order(StringComparer.Ordinal).ToList());
        Assert.All(board, m => Assert.InRange(m.GetProperty("test_accuracy").GetDouble(), 0.7, 0.95)); // 2,000 images: about 0.8
        Assert.Equal("no-such-model", Assert.Single(result.GetProperty("skipped").EnumerateArray()).GetProperty("name").GetString());

        string html = File.ReadAllText(Path.Combine(report, "index.html"));
        foreach (string section in new[] { "leaderboard", "tradeoff", "per-class", "confusion", "overfitting", "pca", "importance", "gallery", "reproduce" })
            Assert.Contains($"<section id=\"{section}\">", html);
        Assert.Contains("pca(20) → knn", html);
        Assert.Contains("trees=15", html);
        Assert.Contains("matches Zalando", html); // data checksums verified
        using (var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(report, "results.json"))))
        {
            var models = json.RootElement.GetProperty("models").EnumerateArray().ToDictionary(m => m.GetProperty("name").GetString()!);
            Assert.Equal(784, models["random-forest"].GetProperty("feature_importances").GetArrayLength());
            Assert.Equal(20, models["knn+pca"].GetProperty("pca_components").GetInt32());
            Assert.Equal(784, models["knn+pca"].GetProperty("explained_variance").GetArrayLength());
            Assert.Equal(500, models["knn"].GetProperty("test_images").GetInt32());
            Assert.Equal(16, models["knn"].GetProperty("misclassified").GetArrayLength());
            Assert.True(json.RootElement.GetProperty("run").GetProperty("cpu_seconds").GetDouble() > 0);
            Assert.Equal(4, json.RootElement.GetProperty("run").GetProperty("data_checksums").EnumerateObject().Count());
        }
        Assert.Contains("| random-forest |", File.ReadAllText(Path.Combine(report, "summary.md")));

        var list = Json(CliRunner.Run("runs", "list", "--store", db, "--json"));
        var runs = list.GetProperty("runs").EnumerateArray().ToList();
        Assert.Equal(4, runs.Count); // the compare run and one train run per model
        var compare = runs.Single(r => r.GetProperty("kind").GetString() == "compare");
        Assert.Equal(3, runs.Count(r => r.GetProperty("parent_id").GetString() == compare.GetProperty("id").GetString()));
        Assert.All(runs, r => Assert.Equal("complete", r.GetProperty("status").GetString()));

        // The report can be rendered again from results.json without training.
        var again = Json(CliRunner.Run("compare", "--from", Path.Combine(report, "results.json"), "--out", In("again"), "--json"));
        Assert.Equal(html, File.ReadAllText(again.GetProperty("report").GetProperty("html").GetString()!));
    }

    [Fact]
    public void The_full_profile_tunes_by_cross_validated_search_and_records_the_search()
    {
        string db = In("full.db"), report = In("full-report");
        var result = Json(CliRunner.Run("compare", "--profile", "full", "--models", "knn", "--train-limit", "600", "--test-limit", "200",
            "--store", db, "--out", report, "--json"));
        var knn = Assert.Single(result.GetProperty("leaderboard").EnumerateArray());
        Assert.InRange(knn.GetProperty("test_accuracy").GetDouble(), 0.6, 0.95);

        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(report, "results.json")));
        var model = json.RootElement.GetProperty("models")[0];
        var search = model.GetProperty("search");
        Assert.Equal(10, search.GetProperty("candidates").GetInt32()); // k=1,3,5,7,9 x weights=uniform,distance
        Assert.Equal(5, search.GetProperty("folds").GetInt32());
        string bestK = search.GetProperty("best").GetProperty("k").GetString()!;
        Assert.Equal(bestK, model.GetProperty("parameters").GetProperty("k").GetString()); // the final fit used the winner
        Assert.Contains("tuned: k=" + bestK, model.GetProperty("note").GetString());

        using var store = ExperimentStore.Open(db, readOnly: true);
        var runs = store.List();
        var compare = runs.Single(r => r.Kind == "compare");
        var searchRun = store.Get(runs.Single(r => r.Kind == "search").Id.ToString());
        Assert.Equal(compare.Id, searchRun.ParentId);
        Assert.Equal(5, searchRun.FoldScores.Count);
        Assert.Equal(search.GetProperty("mean_accuracy").GetDouble(), searchRun.Metrics["cv_accuracy"], 12);
        Assert.Equal(compare.Id, runs.Single(r => r.Kind == "train").ParentId);
    }

    [Theory]
    [InlineData("--set random-forest", "is not of the form MODEL:name=value")]
    [InlineData("--set random-forest:trees", "is not of the form name=value")]
    [InlineData("--set svm-x:c=1", "names no model of this comparison")]
    [InlineData("--from /nonexistent/results.json", "does not exist")]
    public void Compare_bad_input_is_a_clear_error(string arguments, string message)
    {
        var result = CliRunner.Run(["compare", "--models", "knn", "--store", In("x.db"), "--out", In("r"), .. arguments.Split(' ')]);
        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains(message, result.Stderr);
        Assert.DoesNotContain("   at ", result.Stderr);
    }
}
