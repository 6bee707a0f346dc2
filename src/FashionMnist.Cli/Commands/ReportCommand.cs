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
            // The test set is loaded only if the study has an ensemble row (it needs the labels and images).
            var built = StudyReport.Build(db, name, () => FashionMnist.Data.FashionMnistData.Load(parse.GetValue(DataCommands.DataDir)).Test);
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
}
