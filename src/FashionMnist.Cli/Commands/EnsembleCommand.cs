using System.Globalization;
using FashionMnist.Ensembles;

namespace FashionMnist.Cli.Commands;

/// <summary>
/// `fmnist ensemble --models a.fmm,b.fmm --out e.fmm [--method soft-vote|stacking]`: one model file from saved models of
/// any family. The same as `fmnist train ensemble --set members=...`, with the members' own scores printed beside.
/// </summary>
public static class EnsembleCommand
{
    public static Command Create()
    {
        var models = new Option<string>("--models")
        {
            Description = "Comma-separated members: model files (a.fmm) and/or catalog models with settings, e.g. cnn3(epochs=5;dropout=0.2). "
                + "A catalog member is trained with --seed plus its position among the catalog members (seed, seed+1, ...) unless it names "
                + "its own, e.g. cnn-photo,cnn-photo(seed=7): two seeds of one model.",
            Required = true,
        };
        var method = new Option<string>("--method") { Description = "soft-vote (mean of probabilities) or stacking (logistic regression on out-of-fold probabilities).", DefaultValueFactory = _ => "soft-vote" };
        var folds = new Option<int?>("--folds") { Description = "Stacking: folds on which each member is refitted for out-of-fold probabilities (default 5)." };
        var output = new Option<string?>("--out") { Description = "The ensemble's model file (default: models/ensemble.fmm)." };
        var trainLimit = new Option<int?>("--train-limit") { Description = "Stacking and catalog members: use the first N training images only." };
        var testLimit = new Option<int?>("--test-limit") { Description = "Score on the first N test images only (default: all 10,000)." };
        var seed = new Option<int>("--seed") { Description = "Seed of the folds and of catalog members' fits: the first catalog member gets it, the next seed+1, ... "
            + "unless a member names its own (cnn3(seed=7)); a file member refits with the seed it was trained with.", DefaultValueFactory = _ => 42 };
        var json = new Option<bool>("--json") { Description = "Print one JSON object (progress goes to stderr)." };
        var store = StoreOption.Create();
        var noStore = RunRecorder.NoStoreOption();
        var command = new Command("ensemble",
            "Combine saved models (any family) into one model file, by soft vote or stacking, and score it on the test set. " +
            "Example: fmnist ensemble --models models/cnn-deep.fmm,models/cnn4.fmm --out models/ensemble.fmm");
        foreach (Option option in new Option[] { models, method, folds, output, trainLimit, testLimit, seed, json, store, noStore })
            command.Add(option);
        CommandSupport.AddDataDir(command);

        command.SetAction(parse =>
        {
            var settings = new Dictionary<string, string> { ["members"] = parse.GetValue(models)!, ["method"] = parse.GetValue(method)! };
            if (parse.GetValue(folds) is int k) settings["folds"] = k.ToString(CultureInfo.InvariantCulture);
            var options = (EnsembleOptions)ModelCatalog.Options(EnsembleFamily.Name, settings);
            var members = options.ParseMembers();
            // Check every file member before loading the data or training anything.
            var recorded = members.Select(m => m.Path is string path ? ModelFile.ReadHeader(path) : null).ToList();
            string modelPath = parse.GetValue(output) ?? Path.Combine("models", "ensemble.fmm");

            var (train, test) = CommandSupport.LoadLimitedData(parse, trainLimit, testLimit);
            bool asJson = parse.GetValue(json);
            using var experimentStore = RunRecorder.OpenStore(parse, store, noStore);
            var request = new ExperimentRequest
            {
                Options = options, Train = train, Test = test, Seed = parse.GetValue(seed), SavePath = modelPath,
                Command = CommandSupport.CommandLine(),
            };
            using var result = CommandSupport.RunExperiment(experimentStore, request, asJson);

            var rows = members.Select((m, i) => new
            {
                Member = m.Text,
                Model = recorded[i]?.ModelName ?? m.CatalogName,
                RecordedTestAccuracy = recorded[i]?.Metadata.TryGetValue("test_accuracy", out var a) == true
                    && double.TryParse(a, NumberStyles.Float, CultureInfo.InvariantCulture, out double value) ? value : (double?)null,
                RecordedTrainSeconds = recorded[i]?.Metadata.TryGetValue("train_seconds", out var s) == true
                    && double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out double secs) ? secs : (double?)null,
            }).ToList();
            if (asJson)
            {
                JsonOutput.Write(new
                {
                    Model = EnsembleFamily.Name,
                    Method = OptionBinder.ToSettings(options)["method"],
                    Members = rows,
                    TrainCount = train.Count,
                    TestCount = test.Count,
                    TestAccuracy = result.Evaluation.Accuracy,
                    TestMacroF1 = result.Evaluation.Metrics.MacroAverage.F1,
                    FitSeconds = result.FitSeconds,
                    PredictSeconds = result.PredictSeconds,
                    ModelPath = result.ModelPath,
                    RunId = result.Run?.Id,
                });
                return ExitCodes.Ok;
            }
            var table = new Table().AddColumn("Member").AddColumn("Model").AddColumn(new TableColumn("Test accuracy (recorded)").RightAligned());
            foreach (var row in rows)
                table.AddRow(Markup.Escape(row.Member), Markup.Escape(row.Model ?? "?"), row.RecordedTestAccuracy is double acc ? $"{acc:P2}" : "-");
            table.AddRow($"[bold]ensemble ({Markup.Escape(OptionBinder.ToSettings(options)["method"])})[/]", "", $"[bold]{result.Evaluation.Accuracy:P2}[/] on {test.Count:N0}");
            AnsiConsole.Write(table);
            AnsiConsole.MarkupLine($"Fit {result.FitSeconds:F1} s, predict {result.PredictSeconds:F2} s; saved to {Markup.Escape(modelPath)}");
            return ExitCodes.Ok;
        });
        return command;
    }
}
