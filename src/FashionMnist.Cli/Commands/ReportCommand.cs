using FashionMnist.Evaluation.Reports;
using FashionMnist.Experiments.Studies;

namespace FashionMnist.Cli.Commands;

/// <summary>`fmnist report`: the comparison report of a study, built from whatever the store holds.</summary>
public static class ReportCommand
{
    public static Command Create()
    {
        var store = StoreOption.Create();
        var study = new Option<string?>("--study") { Description = "The study to report (default: the store's only or newest study)." };
        var output = new Option<string>("--out") { Description = "Folder for index.html, summary.md and results.json.", DefaultValueFactory = _ => ReportWriter.DefaultFolder };
        var json = new Option<bool>("--json") { Description = "Print one JSON object (report paths, study progress) instead of text." };
        var report = new Command("report",
            "Write the report of a study (index.html, summary.md, results.json) from the experiment store: every entry whose refit has finished, " +
            "once, with its search's cross-validation results and the worker that ran it; unfinished entries are listed with how far they got. " +
            "Works on any machine that reaches the store, while the study runs or after.") { store, study, output, json, DataCommands.DataDir };
        report.SetAction(parse =>
        {
            string folder = parse.GetValue(output)!;
            if (File.Exists(folder)) throw new FashionMnistException($"The report folder '{folder}' is a file", "Pass --out with a folder path.");
            using var db = StoreOption.OpenExisting(parse.GetValue(store)!, "Pass --store with the store the study was run against.");
            string? note = null;
            string name = parse.GetValue(study) ?? StudyReport.Choose(db, out note);
            var built = StudyReport.Build(db, name, EnsembleTestSet(db, name, parse.GetValue(DataCommands.DataDir)));
            var progress = new UnitQueue(db, name).Progress();
            var files = ReportWriter.Write(built, folder);
            if (parse.GetValue(json))
            {
                JsonOutput.Write(new { report = files, store = db.Path, study = name, finished = progress.Finished, progress, models = built.Models.Count, skipped = built.Skipped });
                return ExitCodes.Ok;
            }
            if (note is not null) AnsiConsole.MarkupLine($"[grey]{Markup.Escape(note)}[/]");
            AnsiConsole.MarkupLine($"Study [bold]{Markup.Escape(name)}[/]: {Markup.Escape(progress.ToString())}; {built.Models.Count} model(s) in the report.");
            AnsiConsole.MarkupLine($"Report: [bold]{Markup.Escape(files.Html)}[/]");
            return ExitCodes.Ok;
        });
        return report;
    }

    /// <summary>
    /// The test set, when the study's profile has an ensemble row (computed from the members' stored probabilities and the
    /// test labels and images); null otherwise, or when the data cannot be loaded here (the report then says so).
    /// </summary>
    private static FashionMnist.Data.ImageSet? EnsembleTestSet(FashionMnist.Experiments.ExperimentStore db, string study, string? dataDir)
    {
        try
        {
            if (UnitQueue.Find(db, study) is not { } found || StudySpec.Parse(found.PlanJson).EnsembleOf.Count < 2) return null;
            return FashionMnist.Data.FashionMnistData.Load(dataDir).Test;
        }
        catch (Exception e) when (e is FashionMnistException or System.Text.Json.JsonException) { return null; } // Build reports both
    }
}
