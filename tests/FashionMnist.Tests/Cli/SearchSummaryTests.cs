using System.Text.Json;
using FashionMnist.Experiments;
using FashionMnist.Selection;
using FashionMnist.Tests.Support;

namespace FashionMnist.Tests.Cli;

/// <summary>A search names its winner, says how close the field is, and the store keeps the winning settings.</summary>
public sealed class SearchSummaryTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("fmnist-search-summary-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static SearchResultLine Line(int candidate, string settings, double mean, double std, int trainCount = 3000) => new()
    {
        SearchId = "s", Model = "knn", Grid = "g", PlannedCandidates = 5, Cv = 3, Seed = 42, Shard = "1/1", TrainCount = trainCount,
        Candidate = candidate,
        Settings = settings.Split(' ').Select(p => p.Split('=')).ToDictionary(p => p[0], p => p[1]),
        Metrics = new Dictionary<string, MetricLine>
        {
            [Scores.Accuracy] = new(mean, std, [mean - std, mean + std]),
            [Scores.MacroF1] = new(mean - 0.01, std, [mean, mean]),
        },
        FitSeconds = 0.1,
    };

    [Fact]
    public void The_winner_and_the_candidates_within_one_standard_deviation_are_counted_by_hand()
    {
        // Best: k=3 weights=distance, 0.8010 ± 0.0078 → the bar is 0.7932. 0.7990 and 0.7933 clear it, 0.7931 does not,
        // and 0.7999 scored on fewer images (an early halving round) is not comparable.
        SearchResultLine[] lines =
        [
            Line(0, "k=1 weights=uniform", 0.7931, 0.01),
            Line(1, "k=1 weights=distance", 0.7933, 0.01),
            Line(2, "k=3 weights=uniform", 0.7990, 0.02),
            Line(3, "k=3 weights=distance", 0.8010, 0.0078),
            Line(4, "k=5 weights=distance", 0.7999, 0.01, trainCount: 1000),
        ];
        var winner = SearchWinner.Of(lines)!;
        Assert.Equal(3, winner.BestCandidate);
        Assert.Equal("k=3 weights=distance", winner.Settings);
        Assert.Equal(2, winner.WithinOneStd);
        Assert.Equal(5, winner.Candidates);
        Assert.Equal("Best: k=3 weights=distance — CV 0.8010 ± 0.0078", winner.Headline);
        Assert.Equal("2 other candidates score within one standard deviation (0.0078) of it: the folds cannot tell them apart.", winner.Closeness);

        // A tie goes to the lower grid index, as SearchRunner ranks.
        var tie = SearchWinner.Of([Line(7, "k=9", 0.8, 0.0), Line(2, "k=7", 0.8, 0.0)])!;
        Assert.Equal(2, tie.BestCandidate);
        Assert.Equal(1, tie.WithinOneStd);
        Assert.Null(SearchWinner.Of([]));
        Assert.StartsWith("No other candidate", SearchWinner.Of([Line(0, "k=1", 0.9, 0.001), Line(1, "k=3", 0.5, 0.001)])!.Closeness);
    }

    [Fact]
    public void Search_prints_its_winner_and_runs_show_prints_the_stored_winner()
    {
        string db = Path.Combine(_folder, "runs.db");
        var text = CliRunner.Run("search", "knn", "--grid", "k=1,3;weights=uniform,distance", "--cv", "3", "--train-limit", "600",
            "--test-limit", "200", "--store", db);
        Assert.True(text.ExitCode == 0, text.ToString());
        string[] lines = text.Stdout.Split('\n');
        string headline = Assert.Single(lines, l => l.StartsWith("Best: ", StringComparison.Ordinal));
        Assert.Matches(@"^Best: k=[13] weights=(uniform|distance) — CV 0\.\d{4} ± 0\.\d{4}$", headline);
        Assert.Contains(lines, l => l.Contains("within one standard deviation"));
        Assert.Contains("The refitted model was not saved: add --out FILE to keep it", text.Stdout);
        // The header says what the times are, and the grid index is not a second rank next to the rank.
        string header = Assert.Single(lines, l => l.Contains("Rank") && l.Contains("Settings"));
        Assert.True(header.IndexOf("Grid index", StringComparison.Ordinal) > header.IndexOf("Score s/fold", StringComparison.Ordinal), header);
        Assert.Contains("Fit s/fold", header);
        Assert.Contains("means per fold", text.Stdout);
        Assert.DoesNotContain("(shard", text.Stdout);   // a whole search does not talk about shards

        using (var store = ExperimentStore.Open(db, readOnly: true))
        {
            var search = Assert.Single(store.List(), r => r.Kind == "search");
            Assert.Equal(headline["Best: ".Length..headline.IndexOf(" — ", StringComparison.Ordinal)], search.Notes["best"]);
            Assert.Equal("4", search.Notes["candidates"]);
            var show = CliRunner.Run("runs", "show", search.Id.ToString()[..8], "--store", db);
            Assert.True(show.ExitCode == 0, show.ToString());
            Assert.Matches(@"Best settings\s+" + search.Notes["best"], show.Stdout);
            Assert.Matches(@"Candidates\s+4\s", show.Stdout);
            Assert.DoesNotContain("4.0000", show.Stdout);
        }

        // Saved with --out, the summary says where; the JSON carries the same winner.
        string model = Path.Combine(_folder, "best.fmm");
        var json = CliRunner.Run("search", "knn", "--grid", "k=1,3;weights=uniform,distance", "--cv", "3", "--train-limit", "600",
            "--test-limit", "200", "--no-store", "--out", model, "--json");
        Assert.True(json.ExitCode == 0, json.ToString());
        using var doc = JsonDocument.Parse(json.Stdout);
        var best = doc.RootElement.GetProperty("best");
        string settings = string.Join(" ", best.GetProperty("settings").EnumerateObject().Select(p => $"{p.Name}={p.Value.GetString()}"));
        Assert.Equal(headline, FormattableString.Invariant(
            $"Best: {settings} — CV {best.GetProperty("cv_accuracy").GetDouble():F4} ± {best.GetProperty("cv_accuracy_std").GetDouble():F4}"));
        Assert.InRange(best.GetProperty("within_one_std").GetInt32(), 0, 3);
        Assert.True(File.Exists(model));
    }
}
