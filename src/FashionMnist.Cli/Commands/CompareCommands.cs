using System.CommandLine;
using System.Globalization;
using System.Security.Cryptography;
using FashionMnist.Data;
using FashionMnist.Evaluation;
using FashionMnist.Evaluation.Comparison;
using FashionMnist.Evaluation.Reports;
using FashionMnist.Models;
using Spectre.Console;

namespace FashionMnist.Cli.Commands;

/// <summary>`fmnist compare`: train several models, evaluate them on the test set, record the runs and write a report.</summary>
public static class CompareCommands
{
    public static Command Create()
    {
        var profile = new Option<string>("--profile")
        {
            Description = "quick: every model in about 10 minutes on 2 cores (slow models on training subsets, said so in the report); " +
                          "full: every model on all 60,000 training images.",
            DefaultValueFactory = _ => "quick",
        };
        profile.AcceptOnlyFromAmong([.. CompareProfiles.All.Select(p => p.Name)]);
        var models = new Option<string?>("--models") { Description = "Comma-separated model names to run (default: the profile's list), e.g. knn,svm,cnn3." };
        var output = new Option<string>("--out") { Description = "Folder for index.html, summary.md and results.json.", DefaultValueFactory = _ => ReportWriter.DefaultFolder };
        var store = StoreOption.Create();
        var trainLimit = new Option<int?>("--train-limit") { Description = "Train every model on at most the first N training images (on top of the profile's limits)." };
        var testLimit = new Option<int?>("--test-limit") { Description = "Evaluate on the first N test images only (smoke runs; the report says so)." };
        var seed = new Option<int>("--seed") { Description = "Seed for every random choice.", DefaultValueFactory = _ => 42 };
        var dataDir = new Option<string?>("--data-dir") { Description = "Folder with the four Fashion-MNIST idx files (default: FASHION_MNIST_DIR, then /usr/share/datasets/fashion-mnist)." };
        var json = new Option<bool>("--json") { Description = "Print one JSON object (report paths, leaderboard) on stdout; progress goes to stderr." };
        var compare = new Command("compare",
            "Train each model on the training data, evaluate it on the test set, record every run in the experiment store, " +
            "and write a report: a self-contained index.html (leaderboard, charts, confusion matrices, learning curves, " +
            "misclassified images, how to reproduce), summary.md and results.json.")
        { profile, models, output, store, trainLimit, testLimit, seed, dataDir, json };

        // The (parse, token) overload gives Ctrl+C as a cancellation token; the work itself is synchronous.
        compare.SetAction((parse, cancellation) =>
        {
            var chosen = CompareProfiles.Get(parse.GetValue(profile)!);
            if (parse.GetValue(trainLimit) is int t && t < 1) throw new FashionMnistException($"--train-limit must be at least 1, got {t}", "Pass a positive number of images.");
            if (parse.GetValue(testLimit) is int u && u < 1) throw new FashionMnistException($"--test-limit must be at least 1, got {u}", "Pass a positive number of images.");
            var names = parse.GetValue(models)?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList();
            if (names is { Count: 0 }) throw new FashionMnistException("--models is empty", "Name one or more models, e.g. --models knn,svm.");
            var wanted = names ?? chosen.Models.Select(m => m.Model).ToList();
            if (!wanted.Any(n => ModelCatalog.TryGet(n, out _)))
                throw new FashionMnistException(
                    $"None of the requested models ({string.Join(", ", wanted)}) is in this build's catalog",
                    ModelCatalog.Names.Any() ? $"Choose from: {string.Join(", ", ModelCatalog.Names)}." : "No models are registered in this build yet.");
            string outFolder = parse.GetValue(output)!;
            if (File.Exists(outFolder)) throw new FashionMnistException($"The report folder '{outFolder}' is a file", "Pass --out with a folder path.");

            bool asJson = parse.GetValue(json);
            var progressConsole = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(asJson ? Console.Error : Console.Out) });
            var data = FashionMnistData.Load(parse.GetValue(dataDir));
            using var db = ExperimentStore.Open(parse.GetValue(store)!);
            var runnable = wanted.Where(n => ModelCatalog.TryGet(n, out _)).ToList();
            var runner = new ComparisonRunner
            {
                Store = db,
                Cancellation = cancellation,
                Progress = new SynchronousProgress<CompareProgress>(p => ReportProgress(progressConsole, p, runnable)),
            };
            var request = new ComparisonRequest
            {
                Profile = chosen, Models = names, TrainLimit = parse.GetValue(trainLimit), TestLimit = parse.GetValue(testLimit),
                Seed = parse.GetValue(seed), Command = CommandLine(), DataChecksums = Checksums(data.Directory),
            };
            var report = runner.Run(request, data.Train, data.Test);
            var files = ReportWriter.Write(report, outFolder);
            if (asJson)
            {
                JsonOutput.Write(new
                {
                    report = files,
                    store = db.Path,
                    compare_run_id = report.Run.RunId,
                    leaderboard = report.Leaderboard.Select(m => new
                    {
                        m.Name, m.Family, m.TestAccuracy, m.MacroF1, m.TrainSeconds, m.PredictSecondsPer10k, m.TrainImages, m.RunId,
                    }),
                    skipped = report.Skipped,
                });
            }
            else
            {
                var table = new Table().Border(TableBorder.Simple).AddColumn("#").AddColumn("Model")
                    .AddColumn(new TableColumn("Test accuracy").RightAligned()).AddColumn(new TableColumn("Macro F1").RightAligned())
                    .AddColumn(new TableColumn("Train").RightAligned()).AddColumn(new TableColumn("Train images").RightAligned());
                int rank = 0;
                foreach (var m in report.Leaderboard)
                    table.AddRow((++rank).ToString(CultureInfo.InvariantCulture), Markup.Escape(m.Name), ReportFindings.Percent(m.TestAccuracy),
                        m.MacroF1.ToString("0.0000", CultureInfo.InvariantCulture), ReportFindings.Duration(m.TrainSeconds), m.TrainImages.ToString("N0", CultureInfo.InvariantCulture));
                AnsiConsole.Write(table);
                foreach (var s in report.Skipped) AnsiConsole.MarkupLine($"[yellow]skipped[/] {Markup.Escape(s.Name)}: {Markup.Escape(s.Reason)}");
                AnsiConsole.MarkupLine($"Report: [bold]{Markup.Escape(files.Html)}[/]");
            }
            return Task.FromResult(ExitCodes.Ok);
        });
        return compare;
    }

    private static void ReportProgress(IAnsiConsole console, CompareProgress p, IReadOnlyList<string> all)
    {
        string step = $"[grey][[{p.Index + (p.Result is null && !p.Stage.StartsWith("failed", StringComparison.Ordinal) ? 1 : 0)}/{p.Total}][/]";
        if (p.Result is ModelResult r)
        {
            var left = all.Skip(p.Index).ToList();
            console.MarkupLine($"{step} [bold]{Markup.Escape(p.Model)}[/]: [green]{ReportFindings.Percent(r.TestAccuracy)}[/] test accuracy, trained in {ReportFindings.Duration(r.TrainSeconds)}" +
                               (left.Count > 0 ? $" [grey](left: {Markup.Escape(string.Join(", ", left))})[/]" : ""));
        }
        else if (p.Stage.StartsWith("failed", StringComparison.Ordinal))
            console.MarkupLine($"{step} [bold]{Markup.Escape(p.Model)}[/]: [red]{Markup.Escape(p.Stage)}[/]");
        else
            console.MarkupLine($"{step} [bold]{Markup.Escape(p.Model)}[/]: {Markup.Escape(p.Stage)}…");
    }

    /// <summary>SHA-256 of each data file, so a reader can check they used the same data.</summary>
    private static Dictionary<string, string> Checksums(string directory)
    {
        var sums = new Dictionary<string, string>(StringComparer.Ordinal);
        if (!Directory.Exists(directory)) return sums;
        foreach (string file in Directory.EnumerateFiles(directory, "*-ubyte*").OrderBy(f => f, StringComparer.Ordinal))
        {
            using var stream = File.OpenRead(file);
            sums[Path.GetFileName(file)] = Convert.ToHexStringLower(SHA256.HashData(stream));
        }
        return sums;
    }

    private static string CommandLine() =>
        "fmnist " + string.Join(' ', Environment.GetCommandLineArgs().Skip(1).Select(a => a.Length == 0 || a.Any(char.IsWhiteSpace) ? $"'{a}'" : a));

    /// <summary>IProgress that reports on the calling thread (Progress&lt;T&gt; would post to the thread pool and reorder lines).</summary>
    private sealed class SynchronousProgress<T>(Action<T> report) : IProgress<T>
    {
        public void Report(T value) => report(value);
    }
}
