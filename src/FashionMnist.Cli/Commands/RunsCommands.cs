using System.Globalization;
using FashionMnist.Evaluation;

namespace FashionMnist.Cli.Commands;

/// <summary>`fmnist runs ...`: list, show and merge the runs recorded in the experiment store.</summary>
public static class RunsCommands
{
    public static Command Create()
    {
        var store = StoreOption.Create();
        var runs = new Command("runs",
            "Look at the experiment store: every train, search, evaluate and compare run with its options, data, seed, " +
            "timings, metrics and machine. Runs cut short (killed, crashed) show as 'incomplete'.") { store };
        runs.Add(List(store));
        runs.Add(Show(store));
        runs.Add(Merge());
        return runs;
    }

    private static Command List(Option<string> store)
    {
        var json = new Option<bool>("--json") { Description = "Print one JSON object instead of a table." };
        var limit = new Option<int?>("--limit") { Description = "Show only the newest N runs." };
        var list = new Command("list", "Recorded runs, newest first: id, kind, model, status, test accuracy, macro F1, fit time, data.") { json, limit };
        list.SetAction(parse =>
        {
            if (parse.GetValue(limit) is int n && n < 1) throw new FashionMnistException($"--limit must be at least 1, got {n}", "Pass --limit 1 or more.");
            using var db = StoreOption.OpenExisting(parse.GetValue(store)!, "Run `fmnist compare` (or train) first, or pass --store with the database path.");
            var all = db.List(parse.GetValue(limit));
            if (parse.GetValue(json))
            {
                JsonOutput.Write(new
                {
                    store = db.Path,
                    count = all.Count,
                    runs = all.Select(r => new
                    {
                        id = r.Id, kind = r.Kind, model = r.Model, label = r.Notes.GetValueOrDefault("label"), status = Status(r.Status), started_utc = r.StartedUtc,
                        finished_utc = r.FinishedUtc, accuracy = r.Metric("accuracy"), macro_f1 = r.Metric("macro_f1"),
                        fit_seconds = r.FitSeconds, data_slice = r.DataSlice, seed = r.Seed, parent_id = r.ParentId,
                    }),
                });
                return ExitCodes.Ok;
            }
            if (all.Count == 0)
            {
                AnsiConsole.MarkupLine($"No runs recorded in [bold]{Markup.Escape(db.Path)}[/] yet.");
                return ExitCodes.Ok;
            }
            var table = new Table().Border(TableBorder.Simple)
                .AddColumn("Id").AddColumn("Started (UTC)").AddColumn("Kind").AddColumn("Model").AddColumn("Status")
                .AddColumn(new TableColumn("Accuracy").RightAligned()).AddColumn(new TableColumn("Macro F1").RightAligned())
                .AddColumn(new TableColumn("Fit").RightAligned()).AddColumn("Data");
            foreach (var r in all)
                table.AddRow(
                    Markup.Escape(r.Id.ToString()[..8]), r.StartedUtc.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture),
                    Markup.Escape(r.Kind), Markup.Escape(ModelName(r)), StatusMarkup(r.Status),
                    Number(r.Metric("accuracy"), "0.0000"), Number(r.Metric("macro_f1"), "0.0000"),
                    r.FitSeconds is double s ? s.ToString("0.0", CultureInfo.InvariantCulture) + " s" : "–", Markup.Escape(r.DataSlice));
            AnsiConsole.Write(table);
            AnsiConsole.MarkupLine($"[grey]{all.Count} run(s) in {Markup.Escape(db.Path)}. Details: fmnist runs show ID[/]");
            return ExitCodes.Ok;
        });
        return list;
    }

    /// <summary>The catalog model, with the comparison's label when it differs (knn as "knn+hog").</summary>
    private static string ModelName(RunRecord run) =>
        run.Model.Length == 0 ? "–"
        : run.Notes.TryGetValue("label", out string? label) && !string.Equals(label, run.Model, StringComparison.Ordinal) ? $"{label} ({run.Model})"
        : run.Model;

    private static Command Show(Option<string> store)
    {
        var id = new Argument<string>("id") { Description = "The run id, or its first 4+ characters (as `runs list` shows)." };
        var json = new Option<bool>("--json") { Description = "Print the whole run as one JSON object." };
        var show = new Command("show", "Everything recorded about one run: options, environment, metrics, per-class table, confusion matrix, epochs.") { id, json };
        show.SetAction(parse =>
        {
            using var db = StoreOption.OpenExisting(parse.GetValue(store)!, "Pass --store with the database path.");
            var run = db.Get(parse.GetValue(id)!);
            if (parse.GetValue(json))
            {
                JsonOutput.Write(new
                {
                    run.Id, run.Kind, run.Model, run.ParentId, Status = Status(run.Status), run.Command, run.Options, run.Preprocessing,
                    run.DataSlice, run.Seed, run.StartedUtc, run.FinishedUtc, run.FitSeconds, run.PredictSeconds,
                    Metrics = run.Metrics.ToDictionary(m => m.Key, m => double.IsFinite(m.Value) ? (double?)m.Value : null),
                    run.FoldScores, run.PerClass, run.Confusion, run.Epochs, run.Environment, run.Error, run.Notes,
                });
                return ExitCodes.Ok;
            }
            var facts = new Grid().AddColumn().AddColumn();
            void Fact(string name, string? value) { if (!string.IsNullOrEmpty(value)) facts.AddRow($"[grey]{name}[/]", Markup.Escape(value)); }
            Fact("Id", run.Id.ToString());
            Fact("Kind", run.Kind);
            Fact("Model", run.Model);
            facts.AddRow("[grey]Status[/]", StatusMarkup(run.Status));
            Fact("Error", run.Error);
            Fact("Command", run.Command);
            Fact("Options", string.Join(" ", run.Options.Select(o => $"{o.Key}={o.Value}")));
            Fact("Preprocessing", run.Preprocessing);
            Fact("Data", run.DataSlice);
            Fact("Seed", run.Seed.ToString(CultureInfo.InvariantCulture));
            Fact("Started", run.StartedUtc.ToString("u", CultureInfo.InvariantCulture));
            Fact("Finished", run.FinishedUtc?.ToString("u", CultureInfo.InvariantCulture));
            Fact("Fit", run.FitSeconds?.ToString("0.00 s", CultureInfo.InvariantCulture));
            Fact("Predict", run.PredictSeconds?.ToString("0.00 s", CultureInfo.InvariantCulture));
            Fact("Fold scores", string.Join(", ", run.FoldScores.Select(f => f.ToString("0.0000", CultureInfo.InvariantCulture))));
            // A search's winner first (the settings its refit used), then whatever else the run noted.
            if (run.Notes.TryGetValue("best", out string? best)) Fact(run.Kind == "search" ? "Best settings" : "Best", best);
            foreach (var (name, value) in run.Notes.Where(n => n.Key != "best").OrderBy(n => n.Key, StringComparer.Ordinal))
                Fact(NoteName(name), value);
            var env = run.Environment;
            Fact("Machine", $"{env.CpuModel}, {env.Threads} threads, GEMM {env.GemmBackend}, {env.OperatingSystem}, {env.DotNetVersion}");
            Fact("Version", env.ProjectVersion + (env.GitCommit is null ? "" : $" ({env.GitCommit[..Math.Min(12, env.GitCommit.Length)]})"));
            AnsiConsole.Write(facts);
            if (run.Metrics.Count > 0)
            {
                var metrics = new Table().Border(TableBorder.Simple).AddColumn("Metric").AddColumn(new TableColumn("Value").RightAligned());
                foreach (var (name, value) in run.Metrics.OrderBy(m => m.Key, StringComparer.Ordinal))
                    metrics.AddRow(Markup.Escape(name), MetricText(value));
                AnsiConsole.Write(metrics);
            }
            if (run.PerClass.Count > 0 && run.Confusion is not null)
            {
                var metrics = ClassificationMetrics.FromConfusion(
                    ConfusionMatrix.FromRows(run.Confusion), run.PerClass.Select(c => c.Name).ToList());
                AnsiConsole.WriteLine();
                Console.Out.Write(metrics.ToReport());
            }
            if (run.Epochs.Count > 0)
            {
                var epochs = new Table().Border(TableBorder.Simple).AddColumn("Epoch").AddColumn("Train loss").AddColumn("Train acc")
                    .AddColumn("Val loss").AddColumn("Val acc").AddColumn("Seconds");
                foreach (var e in run.Epochs)
                    epochs.AddRow(e.Epoch.ToString(CultureInfo.InvariantCulture), Number(e.TrainLoss, "0.0000"), Number(e.TrainAccuracy, "0.0000"),
                        Number(e.ValidationLoss, "0.0000"), Number(e.ValidationAccuracy, "0.0000"), Number(e.Seconds, "0.0"));
                AnsiConsole.Write(epochs);
            }
            return ExitCodes.Ok;
        });
        return show;
    }

    private static Command Merge()
    {
        var output = new Argument<string>("out") { Description = "The store to merge into (created if missing): a SQLite file or a postgresql:// URL." };
        var inputs = new Argument<string[]>("inputs") { Description = "Stores to copy runs and study units from (SQLite files or postgresql:// URLs).", Arity = ArgumentArity.OneOrMore };
        var json = new Option<bool>("--json") { Description = "Print one JSON object with the counts." };
        var merge = new Command("merge",
            "Merge stores gathered from machines that never shared one (e.g. the shards of a study or a search) into one. Runs are matched by " +
            "their GUID and study units by study and unit, so merging twice adds nothing; a finished copy replaces an unfinished one. " +
            "Rerunning a study's command on the merged store then runs only what no shard finished.") { output, inputs, json };
        merge.SetAction(parse =>
        {
            var result = ExperimentStore.Merge(parse.GetValue(output)!, parse.GetValue(inputs)!);
            if (parse.GetValue(json)) JsonOutput.Write(result);
            else AnsiConsole.MarkupLine($"Merged {result.Inputs} database(s) into [bold]{Markup.Escape(result.Output)}[/]: " +
                                        $"{result.Added} added, {result.Replaced} replaced, {result.Unchanged} already there; {result.UnitsAdded} study unit(s) taken over.");
            return ExitCodes.Ok;
        });
        return merge;
    }

    internal static string Status(RunStatus status) => status switch
    {
        RunStatus.Running => "running",
        RunStatus.Complete => "complete",
        RunStatus.Failed => "failed",
        _ => "incomplete",
    };

    private static string StatusMarkup(RunStatus status) => status switch
    {
        RunStatus.Complete => "[green]complete[/]",
        RunStatus.Failed => "[red]failed[/]",
        RunStatus.Running => "[blue]running[/]",
        _ => "[yellow]incomplete[/]",
    };

    /// <summary>"within_one_std" → "Within one std".</summary>
    private static string NoteName(string key)
    {
        string words = key.Replace('_', ' ');
        return words.Length == 0 ? key : char.ToUpperInvariant(words[0]) + words[1..];
    }

    /// <summary>
    /// A metric as text: counts (whole numbers from 2 up: candidates, bytes, rounds) as integers, scores and seconds with
    /// four decimals — "candidates 6", not "candidates 6.0000".
    /// </summary>
    internal static string MetricText(double value) =>
        !double.IsFinite(value) ? "–"
        : Math.Abs(value) >= 2 && double.IsInteger(value) ? value.ToString("#,0", CultureInfo.InvariantCulture)
        : value.ToString("0.0000", CultureInfo.InvariantCulture);

    private static string Number(double? value, string format) =>
        value is double v && double.IsFinite(v) ? v.ToString(format, CultureInfo.InvariantCulture) : "–";
}
