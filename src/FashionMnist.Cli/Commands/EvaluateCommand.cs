using System.Globalization;
using System.Diagnostics;
using FashionMnist.Classic;
using FashionMnist.Selection;
using FashionMnist.Evaluation;

namespace FashionMnist.Cli.Commands;

/// <summary>`fmnist evaluate --model FILE`: load a saved model and score it on the test set.</summary>
public static class EvaluateCommand
{
    public static Command Create()
    {
        var modelFile = new Option<string>("--model") { Description = "Model file written by `fmnist train --out`, or an ONNX classifier (.onnx; see --input-*).", Required = true };
        var testLimit = new Option<int?>("--test-limit") { Description = "Score on the first N test images only (default: all 10,000)." };
        var json = new Option<bool>("--json") { Description = "Print one JSON object instead of tables." };
        var repeat = new Option<int?>("--repeat")
        {
            Description = "Time N more passes over the test images after warm-up passes (the first one and at least 1 s more, so the JIT has optimised the code) and report the median speed (predict_images_per_second).",
        };
        var store = StoreOption.Create();
        var noStore = RunRecorder.NoStoreOption();
        var command = new Command("evaluate", "Load a saved model and score it on the test set: accuracy, macro-F1, per-class accuracy, prediction time.")
        {
            modelFile, testLimit, json, repeat, store, noStore,
        };
        CommandSupport.AddDataDir(command);
        ImportFlags.AddTo(command);
        command.SetAction(parse =>
        {
            string path = parse.GetValue(modelFile)!;
            var (loaded, header) = ModelFile.LoadWithHeader(path, ImportFlags.Settings(parse));
            using IClassifier model = loaded;
            // An imported ONNX model's settings are how it is fed (file metadata and --input-* flags), not what the file says.
            IReadOnlyDictionary<string, string> parameters = model is FashionMnist.Onnx.OnnxClassifier ? OptionBinder.ToSettings(model.Options) : header.Settings;
            var data = CommandSupport.LoadData(parse);
            ImageSet test = CommandSupport.Limit(data.Test, parse.GetValue(testLimit), "--test-limit");
            int? repeats = parse.GetValue(repeat);
            if (repeats is < 1)
                throw new FashionMnistException($"--repeat must be at least 1, got {repeats}", "Pass --repeat N with N >= 1, or leave it out for one pass.");

            string pipeline = model.Options is ClassicOptions { HasNoPreprocessing: false } classic
                ? $"{classic.DescribePreprocessing()} → {model.Name}" : model.Name;
            using var experimentStore = RunRecorder.OpenStore(parse, store, noStore);
            var result = new ExperimentRunner { Store = experimentStore }.Evaluate(model, new ExperimentRequest
            {
                Options = model.Options, Train = test.Take(0), Test = test, Command = CommandSupport.CommandLine(), Kind = "evaluate",
                Seed = header.Metadata.TryGetValue("seed", out string? seedText) && int.TryParse(seedText, NumberStyles.Integer, CultureInfo.InvariantCulture, out int seedValue) ? seedValue : 0,
                Metadata = new Dictionary<string, string> { ["model_path"] = Path.GetFullPath(path) },
            });
            var evaluation = result.Evaluation;
            double seconds = result.PredictSeconds;
            if (repeats is int n)
            {
                // The runner's pass above and PredictionSpeed's warm-up (JIT tiers, buffers); the speed is the median of n more.
                seconds = PredictionSpeed.MedianSeconds(model, test, new float[test.Count * FashionMnistClasses.Count], n);
            }
            double accuracy = evaluation.Accuracy;
            double macroF1 = evaluation.Metrics.MacroAverage.F1;
            double[] perClass = evaluation.Metrics.PerClass.Select(c => c.Support == 0 ? double.NaN : c.Recall).ToArray();

            if (parse.GetValue(json))
            {
                JsonOutput.Write(new
                {
                    Model = model.Name,
                    ModelPath = Path.GetFullPath(path),
                    Pipeline = pipeline,
                    Parameters = parameters,
                    Metadata = header.Metadata,
                    TestCount = test.Count,
                    TestAccuracy = accuracy,
                    TestMacroF1 = macroF1,
                    PerClassAccuracy = FashionMnistClasses.Names.Select((name, c) => (name, c)).ToDictionary(x => x.name, x => perClass[x.c]),
                    PredictSeconds = seconds,
                    PredictImagesPerSecond = test.Count / seconds,
                    PredictRepeat = repeats,
                    RunId = result.Run?.Id,
                });
                return ExitCodes.Ok;
            }
            AnsiConsole.MarkupLine($"[bold]{Markup.Escape(pipeline)}[/] from {Markup.Escape(path)}");
            AnsiConsole.MarkupLine($"Test images: {test.Count:N0}   accuracy [bold]{accuracy:P2}[/]   macro-F1 {macroF1:F4}   predict {seconds:F2} s ({test.Count / seconds:N0} img/s{(repeats is int r ? $", median of {r}" : "")})");
            var table = new Table().AddColumn("Class").AddColumn(new TableColumn("Accuracy").RightAligned());
            for (int c = 0; c < FashionMnistClasses.Count; c++)
                table.AddRow(Markup.Escape(FashionMnistClasses.Name(c)), double.IsNaN(perClass[c]) ? "-" : $"{perClass[c]:P1}");
            AnsiConsole.Write(table);
            return ExitCodes.Ok;
        });
        return command;
    }
}
