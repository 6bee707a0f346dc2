using System.Globalization;
using FashionMnist.Evaluation;
using FashionMnist.Experiments.Comparison;
using FashionMnist.Experiments.Studies;
using FashionMnist.Evaluation.Reports;

namespace FashionMnist.Cli.Commands;

/// <summary>`fmnist compare`: train several models, evaluate them on the test set, record the runs and write a report.</summary>
public static class CompareCommands
{
    /// <summary>`--models cnn3,onnx:PATH`: an ONNX file is evaluated beside the trained models (docs/onnx.md).</summary>
    private const string OnnxPrefix = "onnx:";

    private static ModelDescriptor? Resolve(string name)
    {
        if (!name.StartsWith(OnnxPrefix, StringComparison.OrdinalIgnoreCase))
            return ModelCatalog.TryGet(name, out var descriptor) ? descriptor : null;
        string path = name[OnnxPrefix.Length..];
        if (!File.Exists(path))
            throw new FashionMnistException($"--models {name}: the ONNX file '{path}' does not exist", "Give the path after onnx:, e.g. --models cnn3,onnx:models/cnn3.onnx.");
        return FashionMnist.Onnx.OnnxModelFormat.ImportDescriptor(name, path);
    }

    public static Command Create()
    {
        var profile = new Option<string>("--profile")
        {
            Description = "quick: every model family in under 10 minutes on 2 idle cores (fewer epochs/rounds or training subsets where needed, said so in the report); " +
                          "full: the whole study, classical models tuned by 5-fold CV grid search, every network fully trained (hours).",
            DefaultValueFactory = _ => "quick",
        };
        profile.AcceptOnlyFromAmong([.. CompareProfiles.All.Select(p => p.Name)]);
        var models = new Option<string?>("--models")
        {
            Description = "Comma-separated models to run (default: the profile's list): profile names such as knn+hog, or any catalog model, e.g. knn,random-forest,cnn3.",
        };
        var set = new Option<string[]>("--set")
        {
            Description = "Change a profile setting: --set MODEL:name=value (repeatable), e.g. --set random-forest:trees=20 --set cnn3:epochs=1. " +
                          "Preprocessing names (pca, features, scale) work for classic models.",
        };
        var output = new Option<string>("--out") { Description = "Folder for index.html, summary.md and results.json.", DefaultValueFactory = _ => ReportWriter.DefaultFolder };
        var store = StoreOption.Create();
        var trainLimit = new Option<int?>("--train-limit") { Description = "Train every model on at most the first N training images (on top of the profile's limits)." };
        var testLimit = new Option<int?>("--test-limit") { Description = "Evaluate on the first N test images only (smoke runs; the report says so)." };
        var seed = new Option<int>("--seed") { Description = "Seed for every random choice.", DefaultValueFactory = _ => 42 };
        var dataDir = new Option<string?>("--data-dir") { Description = "Folder with the four Fashion-MNIST idx files (default: FASHION_MNIST_DIR, then /usr/share/datasets/fashion-mnist)." };
        var json = new Option<bool>("--json") { Description = "Print one JSON object (report paths, leaderboard) on stdout; progress goes to stderr." };
        var from = new Option<string?>("--from") { Description = "Re-render the report from a results.json written by an earlier compare (no training)." };
        var study = new Option<string?>("--study")
        {
            Description = "Name of the study (its units in the store). Default: derived from the profile and options, so rerunning the same command " +
                          "continues it, and different options never mix. Every worker of one study runs the same command.",
        };
        var shard = new Option<string?>("--shard")
        {
            Description = "Run only a static share of the units: i/n, or auto (Slurm job array: SLURM_ARRAY_TASK_ID/COUNT; Kubernetes Indexed Job: " +
                          "JOB_COMPLETION_INDEX with --shards N). For workers without a shared store: merge their stores (fmnist runs merge) and rerun on the merged one.",
        };
        var shards = new Option<int?>("--shards") { Description = "With --shard auto in a Kubernetes Indexed Job: the Job's completions." };
        var claimTimeout = new Option<double>("--claim-timeout")
        {
            Description = "Seconds after which a unit whose worker stopped sending heartbeats is free for others (presumed dead).",
            DefaultValueFactory = _ => 120,
        };
        var compare = new Command("compare",
            "Train each model on the training data, evaluate it on the test set, record every run in the experiment store, " +
            "as a study of resumable units (one per search candidate and fold, one refit per model): rerun the same command to continue it, " +
            "and run it on several machines against one PostgreSQL store to share it (docs/study.md); " +
            "and write a report: a self-contained index.html (leaderboard, charts, confusion matrices, learning curves, " +
            "misclassified images, how to reproduce), summary.md and results.json.")
        { profile, models, set, output, store, trainLimit, testLimit, seed, dataDir, json, from, study, shard, shards, claimTimeout };

        // The (parse, token) overload gives Ctrl+C as a cancellation token; the work itself is synchronous.
        compare.SetAction((parse, cancellation) =>
        {
            if (parse.GetValue(from) is string resultsPath)
            {
                string folder = parse.GetValue(output)!;
                var written = ReportWriter.Write(ReportWriter.Read(resultsPath), folder);
                if (parse.GetValue(json)) JsonOutput.Write(new { report = written });
                else AnsiConsole.MarkupLine($"Report: [bold]{Markup.Escape(written.Html)}[/]");
                return Task.FromResult(ExitCodes.Ok);
            }
            var chosen = CompareProfiles.Get(parse.GetValue(profile)!);
            if (parse.GetValue(trainLimit) is int t && t < 1) throw new FashionMnistException($"--train-limit must be at least 1, got {t}", "Pass a positive number of images.");
            if (parse.GetValue(testLimit) is int u && u < 1) throw new FashionMnistException($"--test-limit must be at least 1, got {u}", "Pass a positive number of images.");
            var names = parse.GetValue(models)?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList();
            if (names is { Count: 0 }) throw new FashionMnistException("--models is empty", "Name one or more models, e.g. --models knn,svm.");
            var request = new ComparisonRequest
            {
                Profile = chosen, Models = names, Overrides = ParseOverrides(parse.GetValue(set) ?? []),
                TrainLimit = parse.GetValue(trainLimit), TestLimit = parse.GetValue(testLimit), Seed = parse.GetValue(seed), Command = CommandSupport.CommandLine(),
            };
            var entries = request.Entries();
            if (!entries.Any(e => ModelCatalog.TryGet(e.Model, out _) || e.Model.StartsWith(OnnxPrefix, StringComparison.OrdinalIgnoreCase)))
                throw new FashionMnistException(
                    $"None of the requested models ({string.Join(", ", entries.Select(e => e.Name))}) is in this build's catalog",
                    ModelCatalog.Names.Any() ? $"Choose from: {string.Join(", ", ModelCatalog.Names)}." : "No models are registered in this build yet.");
            string outFolder = parse.GetValue(output)!;
            if (File.Exists(outFolder)) throw new FashionMnistException($"The report folder '{outFolder}' is a file", "Pass --out with a folder path.");

            bool asJson = parse.GetValue(json);
            var progressConsole = asJson ? Terminal.Stderr : Terminal.Stdout;
            var data = FashionMnistData.Load(parse.GetValue(dataDir));
            progressConsole.MarkupLine($"[grey]Data: {Markup.Escape(DataFingerprint.Describe(data))}; checking checksums…[/]");
            request = request with { DataChecksums = DataFingerprint.Of(data.Location), DataSource = DataFingerprint.Describe(data) };
            if (parse.GetValue(claimTimeout) is var timeout && !(timeout >= 1))
                throw new FashionMnistException($"--claim-timeout must be at least 1 second, got {timeout}", "Pass a number of seconds, e.g. --claim-timeout 120.");
            var shardChoice = ShardSelection.Resolve(parse.GetValue(shard), parse.GetValue(shards));
            using var db = ExperimentStore.Open(parse.GetValue(store)!);
            var clock = System.Diagnostics.Stopwatch.StartNew();
            void Line(string text) => progressConsole.MarkupLine($"[grey]{clock.Elapsed:mm\\:ss}[/] {Markup.Escape(text)}");
            var outcome = new ComparisonStudy
            {
                Store = db, Name = parse.GetValue(study), Cancellation = cancellation, Resolve = Resolve,
                Log = line => progressConsole.MarkupLine($"      [grey]{Markup.Escape(line)}[/]"),
                Progress = new SynchronousProgress<CompareProgress>(p => { if (p.Result is null) Line($"{p.Model}: {p.Stage}…"); }),
                Worker = new StudyWorkerOptions
                {
                    ClaimTimeout = TimeSpan.FromSeconds(parse.GetValue(claimTimeout)),
                    PollInterval = TimeSpan.FromSeconds(Math.Clamp(parse.GetValue(claimTimeout) / 4, 0.5, 5)),
                    Shard = shardChoice is { } part ? (part.Number, part.Count) : null,
                    Log = Line,
                },
            }.Run(request, data.Train, data.Test);
            var (plan, summary) = (outcome.Plan, outcome.Summary);
            Line($"this worker: {summary.Ran} unit(s) done, {summary.Failed} failed, {summary.Lost} taken over; study: {summary.Progress}");
            if (outcome.Report is not ComparisonReport report)
            {
                string next = summary.WaitingForOtherShards
                    ? "The rest needs other shards' units: when every shard has finished, merge their stores (fmnist runs merge OUT.db shard*.db) and run this command again with --store OUT.db (without --shard)."
                    : "Other workers finish the rest; run this command again to help, or `fmnist report --store ... --study " + plan.Name + "` for the report so far.";
                if (asJson) JsonOutput.Write(new { study = plan.Name, store = db.Path, finished = false, progress = summary.Progress, ran = summary.Ran, next });
                else progressConsole.MarkupLine(Markup.Escape(next));
                return Task.FromResult(ExitCodes.Ok);
            }
            var files = ReportWriter.Write(report, outFolder);
            if (asJson)
            {
                JsonOutput.Write(new
                {
                    report = files,
                    store = db.Path,
                    study = plan.Name,
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
                progressConsole.Write(table);
                foreach (var s in report.Skipped) progressConsole.MarkupLine($"[yellow]skipped[/] {Markup.Escape(s.Name)}: {Markup.Escape(s.Reason)}");
                progressConsole.MarkupLine($"Report: [bold]{Markup.Escape(files.Html)}[/] (study {Markup.Escape(plan.Name)}, runs recorded in {Markup.Escape(db.Path)})");
            }
            return Task.FromResult(ExitCodes.Ok);
        });
        return compare;
    }

    /// <summary>"MODEL:name=value" items grouped by model; a malformed item is a clear error.</summary>
    private static Dictionary<string, IReadOnlyDictionary<string, string>> ParseOverrides(IEnumerable<string> items)
    {
        var grouped = new Dictionary<string, Dictionary<string, string>>(StringComparer.OrdinalIgnoreCase);
        foreach (string item in items)
        {
            int colon = item.IndexOf(':');
            if (colon <= 0 || colon == item.Length - 1)
                throw new FashionMnistException($"--set '{item}' is not of the form MODEL:name=value", "Write it as --set random-forest:trees=50.");
            string model = item[..colon].Trim();
            if (!grouped.TryGetValue(model, out var settings)) grouped[model] = settings = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            foreach (var (name, value) in ModelFlags.ParseSettings([item[(colon + 1)..]], "--set")) settings[name] = value;
        }
        return grouped.ToDictionary(g => g.Key, g => (IReadOnlyDictionary<string, string>)g.Value, StringComparer.OrdinalIgnoreCase);
    }

    /// <summary>IProgress that reports on the calling thread (Progress&lt;T&gt; would post to the thread pool and reorder lines).</summary>
    private sealed class SynchronousProgress<T>(Action<T> report) : IProgress<T>
    {
        public void Report(T value) => report(value);
    }
}
