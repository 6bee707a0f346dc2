using FashionMnist.Experiments.Studies;
using FashionMnist.Experiments;
using System.Text.Json;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using FashionMnist.Evaluation;
using FashionMnist.Experiments.Comparison;
using FashionMnist.Evaluation.Reports;
using FashionMnist.Models;
using FashionMnist.Tests.Support;

namespace FashionMnist.Tests.Evaluation;

public sealed class ReportTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("fmnist-report-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    internal static IReadOnlyList<XDocument> InlineSvgs(string html) =>
        Regex.Matches(html, "<svg .*?</svg>", RegexOptions.Singleline).Select(m => XDocument.Parse(m.Value)).ToList();

    [Fact]
    public void The_report_writer_produces_a_self_contained_page_summary_and_json()
    {
        var report = SyntheticReport.Build();
        var files = ReportWriter.Write(report, Path.Combine(_folder, "report"));

        string html = File.ReadAllText(files.Html);
        foreach (string section in new[] { "leaderboard", "tradeoff", "per-class", "confusion", "overfitting", "curves", "pca", "importance", "gallery", "reproduce" })
            Assert.Contains($"<section id=\"{section}\">", html);
        // Self-contained: no external fetches of any kind.
        Assert.DoesNotMatch("(src|href)=\"(https?:)?//", html);
        Assert.DoesNotContain("<script", html);
        Assert.DoesNotContain("<link", html);
        // Every chart is well-formed SVG: scatter, F1 heat map, 5 confusion matrices, bars, 2 models x 2 curves, PCA, importance, 5 galleries.
        var svgs = InlineSvgs(html);
        Assert.Equal(1 + 1 + 5 + 1 + 4 + 1 + 1 + 5, svgs.Count);
        Assert.All(svgs, svg => Assert.True(svg.Descendants().Count() > 5));
        // Leaderboard order and the skipped model.
        Assert.True(html.IndexOf("<b>cnn3</b>", StringComparison.Ordinal) < html.IndexOf("<b>knn</b>", StringComparison.Ordinal));
        Assert.Contains("xgboost", html);
        Assert.Contains("fmnist compare --profile quick --seed 42", html);

        string markdown = File.ReadAllText(files.Markdown);
        Assert.Contains("| 1 | cnn3 | neural |", markdown);
        Assert.Contains("## Key findings", markdown);
        Assert.Contains("Hardest class: Shirt", markdown);

        using var json = JsonDocument.Parse(File.ReadAllText(files.Json));
        Assert.Equal(5, json.RootElement.GetProperty("models").GetArrayLength());
        Assert.Equal("quick", json.RootElement.GetProperty("run").GetProperty("profile").GetString());
        Assert.Empty(Directory.GetFiles(files.Folder, "*.tmp-*"));
    }

    [Fact]
    public void Findings_name_the_best_fastest_and_most_confused()
    {
        var findings = ReportFindings.For(SyntheticReport.Build());
        Assert.StartsWith("Best test accuracy: cnn3", findings[0]);
        Assert.StartsWith("Fastest to train: knn", findings[1]);
        Assert.Contains(findings, f => f.StartsWith("Most confused pair over all models: Shirt taken for T-shirt/top", StringComparison.Ordinal));
    }

    [Fact]
    public void A_report_folder_that_is_a_file_is_refused()
    {
        string file = Path.Combine(_folder, "taken");
        File.WriteAllText(file, "x");
        var error = Assert.Throws<FashionMnistException>(() => ReportWriter.Write(SyntheticReport.Build(), file));
        Assert.Contains("is a file", error.Message);
    }

    [Fact]
    public void Compare_trains_evaluates_records_and_reports_with_an_injected_model()
    {
        string storePath = Path.Combine(_folder, "runs", "fmnist.db");
        var progress = new List<CompareProgress>();
        var profile = new CompareProfile("test", "tiny", [new ProfileEntry(NearestCentroidClassifier.ModelName, new Dictionary<string, string> { ["passes"] = "4" }, 3000, "test subset")]);
        ComparisonReport report;
        using (var store = ExperimentStore.Open(storePath))
        {
            var outcome = new ComparisonStudy
            {
                Store = store,
                Resolve = name => name == NearestCentroidClassifier.ModelName ? NearestCentroidClassifier.Descriptor : null,
                Progress = new Collect(progress),
            }.Run(new ComparisonRequest
            {
                Profile = profile, Models = [NearestCentroidClassifier.ModelName, "svm"], TestLimit = 1000, Seed = 7, Command = "fmnist compare (test)",
            }, TestData.Train.Take(5000), TestData.Test);
            report = Assert.IsType<ComparisonReport>(outcome.Report);
            Assert.True(outcome.Summary.Progress.Finished);
        }

        var result = Assert.Single(report.Models);
        Assert.Equal(3000, result.TrainImages); // the profile's limit
        Assert.Equal(1000, result.TestImages);
        Assert.InRange(result.TestAccuracy, 0.6, 0.8); // nearest class mean on Fashion-MNIST: about 68 %
        Assert.Equal(4, result.Epochs.Count);
        Assert.Equal("4", result.Parameters["passes"]);
        Assert.NotNull(result.FeatureImportances);
        Assert.NotNull(result.TrainAccuracy);
        Assert.True(result.ModelSizeBytes > 10 * 784 * 4);
        Assert.Equal(16, result.Misclassified.Count);
        Assert.All(result.Misclassified, m => Assert.NotEqual(m.Actual, m.Predicted));
        Assert.Equal(1000, result.Confusion!.Sum(r => r.Sum()));
        Assert.Equal("svm", Assert.Single(report.Skipped).Name);
        Assert.Contains(progress, p => p.Stage.StartsWith("training on 3,000", StringComparison.Ordinal));

        using (var store = ExperimentStore.Open(storePath, readOnly: true))
        {
            var runs = store.List();
            Assert.Equal(2, runs.Count);
            Assert.All(runs, r => Assert.Equal(RunStatus.Complete, r.Status));
            var train = store.Get(runs.Single(r => r.Kind == "train").Id.ToString());
            Assert.Equal(report.Run.RunId, train.ParentId);
            Assert.Equal(result.TestAccuracy, train.Metrics["accuracy"], 12);
            Assert.Equal(4, train.Epochs.Count);
            Assert.Equal(10, train.PerClass.Count);
            Assert.Equal(7, train.Seed);
        }

        var files = ReportWriter.Write(report, Path.Combine(_folder, "out"));
        string html = File.ReadAllText(files.Html);
        Assert.Contains("nearest-centroid", html);
        Assert.Contains("test subset; first 3,000 training images", html);
        Assert.NotEmpty(InlineSvgs(html));
    }

    [Fact]
    public void A_failing_model_is_recorded_as_failed_and_the_comparison_goes_on()
    {
        string storePath = Path.Combine(_folder, "fail.db");
        var broken = NearestCentroidClassifier.Descriptor with
        {
            Name = "broken",
            Create = _ => throw new FashionMnistException("Out of patience", "Try again."),
        };
        using var store = ExperimentStore.Open(storePath);
        var report = new ComparisonStudy
        {
            Store = store,
            Resolve = name => name == "broken" ? broken : name == NearestCentroidClassifier.ModelName ? NearestCentroidClassifier.Descriptor : null,
        }.Run(new ComparisonRequest { Profile = CompareProfiles.Quick, Models = ["broken", NearestCentroidClassifier.ModelName], TestLimit = 300 },
            TestData.Train.Take(1000), TestData.Test).Report!;
        Assert.Single(report.Models);
        var skipped = Assert.Single(report.Skipped, s => s.Name == "broken");
        Assert.Contains("Out of patience", skipped.Reason); // tried again, then reported with the reason
        Assert.Contains("tries", skipped.Reason);
        Assert.DoesNotContain(store.List(), r => r.Model == "broken" && r.Status == RunStatus.Complete);
    }

    private sealed class Collect(List<CompareProgress> into) : IProgress<CompareProgress>
    {
        public void Report(CompareProgress value) => into.Add(value);
    }
}
