using FashionMnist.Experiments;
using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using FashionMnist.Classic;
using FashionMnist.Selection;
using FashionMnist.Data;
using FashionMnist.Evaluation;
using FashionMnist.Models;
using Spectre.Console;

namespace FashionMnist.Cli.Commands;

/// <summary>`fmnist train MODEL ...`: fit any catalog model, score it on the test set, save it.</summary>
public static class TrainCommand
{
    public static Command Create()
    {
        var flags = new ModelFlags();
        var trainLimit = new Option<int?>("--train-limit") { Description = "Train on the first N training images only (default: all 60,000)." };
        var testLimit = new Option<int?>("--test-limit") { Description = "Score on the first N test images only (default: all 10,000)." };
        var seed = new Option<int>("--seed") { Description = "Seed for every random choice of the fit.", DefaultValueFactory = _ => 42 };
        var output = new Option<string?>("--out") { Description = "Model file to write (default: models/MODEL.fmm)." };
        var noSave = new Option<bool>("--no-save") { Description = "Do not write a model file." };
        var json = new Option<bool>("--json") { Description = "Print one JSON object (progress goes to stderr)." };
        var helpOptions = new Option<bool>("--help-options") { Description = "List the model's options with defaults and descriptions, and exit." };
        var resume = new Option<bool>("--resume") { Description = "Iterative models: continue from the checkpoint (OUT.ckpt or --checkpoint) if it exists." };
        var checkpoint = new Option<string?>("--checkpoint") { Description = "Iterative models: checkpoint file written after every epoch (default: OUT.ckpt)." };
        var store = StoreOption.Create();
        var noStore = RunRecorder.NoStoreOption();

        var command = new Command("train",
            "Train a model from the catalog on the Fashion-MNIST training set, score it on the test set and save it. " +
            "Examples: fmnist train knn --set k=3;  fmnist train knn --features hog --pca 0.95;  fmnist train cnn3 --epochs 10.");
        flags.AddTo(command);
        foreach (Option option in new Option[] { trainLimit, testLimit, seed, output, noSave, json, helpOptions, resume, checkpoint, store, noStore })
            command.Add(option);
        CommandSupport.AddDataDir(command);

        command.SetAction(parse =>
        {
            var descriptor = ModelCatalog.Get(parse.GetValue(flags.Model)!);
            if (parse.GetValue(helpOptions))
            {
                CommandSupport.WriteOptions(descriptor);
                return ExitCodes.Ok;
            }
            var settings = flags.Settings(parse, descriptor);
            var preprocessing = flags.Preprocessing(parse, descriptor);
            IClassifier model = ModelFlags.CreateModel(descriptor, settings, preprocessing);

            string modelPath = parse.GetValue(output) ?? Path.Combine("models", $"{descriptor.Name}.fmm");
            bool save = !parse.GetValue(noSave);
            bool wantsResume = parse.GetValue(resume);
            string? checkpointPath = parse.GetValue(checkpoint);
            if ((wantsResume || checkpointPath is not null) && model is not IIterativeClassifier)
                throw new FashionMnistException($"--{(wantsResume ? "resume" : "checkpoint")} does not apply to {descriptor.Name}",
                    "Only models that train in epochs or rounds keep checkpoints.");
            if (model is IIterativeClassifier) checkpointPath ??= modelPath + ".ckpt";

            var data = CommandSupport.LoadData(parse);
            ImageSet train = CommandSupport.Limit(data.Train, parse.GetValue(trainLimit), "--train-limit");
            ImageSet test = CommandSupport.Limit(data.Test, parse.GetValue(testLimit), "--test-limit");
            int seedValue = parse.GetValue(seed);
            bool asJson = parse.GetValue(json);

            var parameters = OptionBinder.ToSettings(model.Options);
            string pipeline = model is Pipeline p ? p.Describe() : descriptor.Name;
            using var recorder = RunRecorder.Begin(parse, store, noStore, new RunRecord
            {
                Kind = "train", Model = descriptor.Name, Options = parameters, Seed = seedValue,
                Preprocessing = preprocessing.Describe(), DataSlice = RunRecordExtensions.DescribeSlice(train, test),
            });
            double trainSeconds, predictSeconds;
            ModelEvaluation evaluation;
            try
            {
                var clock = Stopwatch.StartNew();
                ProgressDisplay.Run(progress =>
                {
                    model.Fit(train, new FitContext
                    {
                        Seed = seedValue,
                        Progress = progress,
                        Log = asJson ? null : line => ProgressDisplay.Stderr.MarkupLine(Markup.Escape(line)),
                        CheckpointPath = checkpointPath,
                        Resume = wantsResume,
                    });
                    return 0;
                });
                trainSeconds = clock.Elapsed.TotalSeconds;

                clock.Restart();
                float[] probabilities = model.PredictProbabilities(test);
                predictSeconds = clock.Elapsed.TotalSeconds;
                evaluation = ModelEvaluation.FromProbabilities(probabilities, test.Labels);
            }
            catch (Exception e)
            {
                recorder.Fail(e);
                throw;
            }
            double accuracy = evaluation.Accuracy;
            double macroF1 = evaluation.Metrics.MacroAverage.F1;

            try
            {
                if (save)
                    ModelFile.Save(model, modelPath, new Dictionary<string, string>
                    {
                        ["fmnist_version"] = typeof(ModelCatalog).Assembly.GetName().Version?.ToString() ?? "",
                        ["pipeline"] = pipeline,
                        ["train_count"] = train.Count.ToString(CultureInfo.InvariantCulture),
                        ["seed"] = seedValue.ToString(CultureInfo.InvariantCulture),
                        ["test_count"] = test.Count.ToString(CultureInfo.InvariantCulture),
                        ["test_accuracy"] = accuracy.ToString("R", CultureInfo.InvariantCulture),
                        ["train_seconds"] = trainSeconds.ToString("R", CultureInfo.InvariantCulture),
                    });
            }
            catch (Exception e)
            {
                recorder.Fail(e);
                throw;
            }

            recorder.Complete(run => run.WithEvaluation(evaluation) with
            {
                FitSeconds = trainSeconds, PredictSeconds = predictSeconds, Epochs = model.TrainingHistory()?.Epochs.ToList() ?? [],
                Notes = save ? new Dictionary<string, string> { ["model_path"] = Path.GetFullPath(modelPath) } : run.Notes,
            });

            if (asJson)
            {
                JsonOutput.Write(new
                {
                    Model = descriptor.Name,
                    Family = descriptor.Family,
                    Parameters = parameters,
                    Preprocessing = preprocessing.ToSettings(),
                    Pipeline = pipeline,
                    TrainLimit = parse.GetValue(trainLimit),
                    TrainCount = train.Count,
                    TestCount = test.Count,
                    Seed = seedValue,
                    TestAccuracy = accuracy,
                    TestMacroF1 = macroF1,
                    TrainSeconds = trainSeconds,
                    PreprocessSeconds = (model as Pipeline)?.PreprocessSeconds,
                    PredictSeconds = predictSeconds,
                    // Per-epoch wall seconds of iterative models (training steps plus the epoch's validation pass, if any).
                    EpochSeconds = model.TrainingHistory()?.Epochs.Select(e => e.Seconds).ToArray(),
                    ModelPath = save ? Path.GetFullPath(modelPath) : null,
                    RunId = recorder.Id,
                    Store = recorder.StorePath,
                });
                return ExitCodes.Ok;
            }
            var table = new Table().AddColumn("").AddColumn("");
            table.HideHeaders();
            table.AddRow("Model", Markup.Escape(pipeline));
            table.AddRow("Parameters", Markup.Escape(string.Join(" ", parameters.Select(kv => $"{kv.Key}={kv.Value}"))));
            table.AddRow("Training images", $"{train.Count:N0} (seed {seedValue})");
            table.AddRow("Train time", $"{trainSeconds:F2} s" + (model is Pipeline pp ? $" (preprocessing {pp.PreprocessSeconds:F2} s)" : ""));
            table.AddRow("Test images", $"{test.Count:N0}");
            table.AddRow("Predict time", $"{predictSeconds:F2} s");
            table.AddRow("[bold]Test accuracy[/]", $"[bold]{accuracy:P2}[/]");
            table.AddRow("Test macro-F1", $"{macroF1:F4}");
            table.AddRow("Saved to", save ? Markup.Escape(modelPath) : "(not saved)");
            if (recorder.Id is Guid id) table.AddRow("Run", $"{id.ToString()[..8]} in {Markup.Escape(recorder.StorePath!)}");
            AnsiConsole.Write(table);
            return ExitCodes.Ok;
        });
        return command;
    }
}
