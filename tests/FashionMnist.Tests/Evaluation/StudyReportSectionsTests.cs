using System.Text;
using System.Text.Json;
using FashionMnist.Evaluation.Reports;

namespace FashionMnist.Tests.Evaluation;

public sealed class StudyReportSectionsTests
{
    private static ModelResult Row(string name, string family, double accuracy, double trainSeconds, string? catalog = null, string? note = null, int images = 60_000) => new()
    {
        Name = name, CatalogModel = catalog ?? name, Family = family, TestAccuracy = accuracy, MacroF1 = accuracy - 0.01,
        TrainSeconds = trainSeconds, PredictSecondsPer10k = 1, TrainImages = images, Note = note,
    };

    private static readonly SearchSummary KnnSearch = new("k=1,3;weights=uniform,distance", 4, 2, 1000,
        new Dictionary<string, string> { ["k"] = "3", ["weights"] = "distance" }, 0.86, 0.01, 12)
    {
        Results =
        [
            new(0, new Dictionary<string, string> { ["k"] = "1", ["weights"] = "uniform" }, 0.80, 0.02, 2, 3),
            new(1, new Dictionary<string, string> { ["k"] = "1", ["weights"] = "distance" }, 0.81, 0.02, 2, 3),
            new(2, new Dictionary<string, string> { ["k"] = "3", ["weights"] = "uniform" }, 0.84, 0.01, 2, 3),
            new(3, new Dictionary<string, string> { ["k"] = "3", ["weights"] = "distance" }, 0.86, 0.01, 2, 3),
        ],
    };

    private static ComparisonReport Report(params ModelResult[] models) => new()
    {
        Models = models,
        Run = new RunInfo { Command = "fmnist compare", Machine = FashionMnist.Evaluation.RunEnvironment.Current() },
    };

    [Fact]
    public void A_quick_row_is_read_against_the_fully_trained_result_and_zalandos_table()
    {
        var quick = Row("cnn-deep", "neural", 0.862, 25, note: "2 epochs (default 22) on 15,000 images", images: 15_000);
        Assert.Equal("2 epochs (default 22) on 15,000 images: 86.20 % here; fully trained: 94.61 % (22 epochs, augmentation, TTA, 1 thread; 2026-12-04, full study); " +
                     "Zalando's table: ResNet18 + augmentation 0.949", Anchors.Sentence(quick));
        Assert.Equal("HOG+SVM 0.926", Anchors.Published(Row("svm+hog", "classic", 0.9, 30, catalog: "svm"))!.Text);
        Assert.Equal("SVC 0.897", Anchors.Published(Row("svm", "classic", 0.9, 30))!.Text);
        Assert.Equal("MLP 0.871–0.900", Anchors.Published(Row("mlp", "neural", 0.9, 30))!.Text);
        Assert.Equal("3 conv + dropout 0.926", Anchors.Published(Row("cnn3", "neural", 0.9, 30))!.Text);
        Assert.Equal("XGBoost 0.898", Anchors.Published(Row("xgboost", "classic", 0.9, 30))!.Text);
        Assert.Null(Anchors.Published(Row("random-forest", "classic", 0.9, 30)));
        // Every entry of the quick profile has this project's own fully trained figure from the full study.
        var names = FashionMnist.Experiments.Comparison.CompareProfiles.Quick.Models.Select(m => m.Name).ToList();
        Assert.DoesNotContain(names, n => Anchors.Project(Row(n, "classic", 0.9, 1, catalog: n)) is null);
    }

    [Fact]
    public void The_answer_names_the_best_ml_and_dl_models_and_what_each_costs()
    {
        var ml = Row("svm+hog", "classic", 0.90, 10, catalog: "svm") with { TrainCpuSeconds = 19.5 };
        var dl = Row("cnn3", "neural", 0.93, 100);
        var answer = ReportStudySections.Answer(Report(ml, Row("knn", "classic", 0.85, 0.1), dl, Row("mlp", "neural", 0.88, 8)));
        Assert.StartsWith("Best classical (ML) model: svm+hog, 90.00 % test accuracy; training took 10.0 s (20 CPU-s) on 60,000 images", answer[0]);
        Assert.StartsWith("Best neural (DL) model: cnn3, 93.00 % test accuracy; training took 1.7 min", answer[1]);
        Assert.Equal("The DL model is 3.0 points more accurate than the ML model for 10× the training time.", answer[2]);
    }

    [Fact]
    public void Each_searched_family_shows_every_candidate_the_best_and_a_chart_per_parameter()
    {
        var knn = Row("knn", "classic", 0.87, 0.1) with { Search = KnnSearch };
        var report = Report(knn, Row("mlp", "neural", 0.88, 8));
        var html = new StringBuilder();
        ReportStudySections.CrossValidationHtml(html, report.Leaderboard);
        string page = html.ToString();
        Assert.Equal(4, System.Text.RegularExpressions.Regex.Matches(page, "<td><code>").Count);
        Assert.Contains("<tr class=\"best\"><td><code>k=3 weights=distance</code></td><td class=\"num\">0.8600</td><td class=\"num\">0.0100</td>", page);
        Assert.Contains("knn: CV accuracy against k", page);
        Assert.Contains("knn: CV accuracy against weights", page);
        Assert.Contains("weights (1 = uniform, 2 = distance)", page);
        var md = ReportMarkdown.Render(report);
        Assert.Contains("| **k=3 weights=distance** | **0.8600** | 0.0100 | 2 |", md);
        Assert.Contains("## The answer", md);
        Assert.Contains("## Anchors", md);
    }

    [Fact]
    public void A_full_studys_results_json_can_replace_the_committed_anchor_data()
    {
        var report = Report(Row("cnn3", "neural", 0.931, 300) with { Parameters = new Dictionary<string, string> { ["epochs"] = "30" } });
        var stream = new MemoryStream(Encoding.UTF8.GetBytes(JsonSerializer.Serialize(report, ReportWriter.JsonOptions)));
        var loaded = Assert.Single(Anchors.Load(stream));
        Assert.Equal(("cnn3", 0.931, "epochs=30", true), (loaded.Entry, loaded.Accuracy, loaded.Setup, loaded.Final));
        Assert.Equal(report.Run.StartedUtc.ToString("yyyy-MM-dd"), loaded.Date);
    }
}
