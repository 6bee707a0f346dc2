using FashionMnist.Classic;
using FashionMnist.Neural;

namespace FashionMnist.Cli.Commands;

/// <summary>`fmnist train MODEL ...`: parse the model's options, run one <see cref="ExperimentRunner"/> unit, print it.</summary>
public static class TrainCommand
{
    public static Command Create()
    {
        var flags = new ModelFlags();
        var trainLimit = new Option<int?>("--train-limit") { Description = "Train on the first N training images only (default: all 60,000)." };
        var testLimit = new Option<int?>("--test-limit") { Description = "Score on the first N test images only (default: all 10,000)." };
        var seed = new Option<int>("--seed")
        {
            Description = "Seed for every random choice of the fit. An ensemble's catalog members get it plus their position among them "
                + "(seed, seed+1, ...) unless they name their own: --set members=cnn-photo,cnn-photo(seed=7).",
            DefaultValueFactory = _ => 42,
        };
        var output = new Option<string?>("--out") { Description = "Model file to write (default: models/MODEL.fmm)." };
        var noSave = new Option<bool>("--no-save") { Description = "Do not write a model file (nor a checkpoint, unless --checkpoint names one)." };
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
            ModelOptions options = flags.Options(parse, descriptor);
            bool save = !parse.GetValue(noSave);
            string? modelPath = save ? parse.GetValue(output) ?? Path.Combine("models", $"{descriptor.Name}.fmm") : null;
            bool wantsResume = parse.GetValue(resume);
            string? checkpointPath = parse.GetValue(checkpoint);
            bool checkpointable;
            using (var probe = ModelCatalog.Create(options)) checkpointable = probe is ICheckpointable;
            if ((wantsResume || checkpointPath is not null) && !checkpointable)
                throw new FashionMnistException($"--{(wantsResume ? "resume" : "checkpoint")} does not apply to {descriptor.Name}",
                    "Only models that train in epochs keep checkpoints.");
            if (checkpointable && modelPath is not null) checkpointPath ??= modelPath + ".ckpt";
            if (wantsResume && checkpointPath is null)
                throw new FashionMnistException("--resume needs a checkpoint, and --no-save writes none", "Pass --checkpoint FILE, or drop --no-save.");

            var (train, test) = CommandSupport.LoadLimitedData(parse, trainLimit, testLimit);
            bool asJson = parse.GetValue(json);

            using var experimentStore = RunRecorder.OpenStore(parse, store, noStore);
            var request = new ExperimentRequest
            {
                Options = options, Train = train, Test = test, Seed = parse.GetValue(seed), SavePath = modelPath,
                CheckpointPath = checkpointPath, Resume = wantsResume, Command = CommandSupport.CommandLine(),
            };
            using var result = CommandSupport.RunExperiment(experimentStore, request, asJson);

            var parameters = OptionBinder.ToEffectiveSettings(options);
            string pipeline = options is ClassicOptions { HasNoPreprocessing: false } classic
                ? $"{classic.DescribePreprocessing()} → {descriptor.Name}" : descriptor.Name;
            double? preprocessSeconds = (result.Model as Pipeline)?.PreprocessSeconds;
            if (asJson)
            {
                JsonOutput.Write(new
                {
                    Model = descriptor.Name,
                    Family = descriptor.Family,
                    Parameters = parameters,
                    Pipeline = pipeline,
                    TrainLimit = parse.GetValue(trainLimit),
                    TrainCount = train.Count,
                    TestCount = test.Count,
                    Seed = request.Seed,
                    TestAccuracy = result.Evaluation.Accuracy,
                    TestMacroF1 = result.Evaluation.Metrics.MacroAverage.F1,
                    TrainSeconds = result.FitSeconds,
                    PreprocessSeconds = preprocessSeconds,
                    EpochSeconds = result.EpochSeconds,
                    PredictSeconds = result.PredictSeconds,
                    ModelPath = result.ModelPath,
                    PhotoCalibration = result.PhotoCalibration?.Form is string form ? $"recipe ({form} form)" : null,
                    RunId = result.Run?.Id,
                    Store = experimentStore?.Path,
                });
                return ExitCodes.Ok;
            }
            var table = new Table().AddColumn("").AddColumn("");
            table.HideHeaders();
            table.AddRow("Model", Markup.Escape(pipeline));
            table.AddRow("Parameters", Markup.Escape(string.Join(" ", parameters.Select(kv => $"{kv.Key}={kv.Value}"))));
            table.AddRow("Training images", $"{train.Count:N0} (seed {request.Seed})" + PhotoViews(options));
            table.AddRow("Train time", $"{result.FitSeconds:F2} s" + (preprocessSeconds is double pre ? $" (preprocessing {pre:F2} s)" : ""));
            table.AddRow("Test images", $"{test.Count:N0}");
            table.AddRow("Predict time", $"{result.PredictSeconds:F2} s");
            table.AddRow("[bold]Test accuracy[/]", $"[bold]{result.Evaluation.Accuracy:P2}[/]");
            table.AddRow("Test macro-F1", $"{result.Evaluation.Metrics.MacroAverage.F1:F4}");
            table.AddRow("Saved to", result.ModelPath is null ? "(not saved)" : Markup.Escape(modelPath!));
            if (result.PhotoCalibration is { } recipe)
                table.AddRow("Photo calibration", Markup.Escape($"the recipe's ({recipe.Form} form, fitted on {recipe.Facts.GetValueOrDefault("photos", "?")} tuning photos): predict and serve apply it; refit on your photos with `fmnist calibrate`"));
            else if (options is PhotoCnnOptions { PhotoRepeats: > 0 })
                table.AddRow("Photo calibration", "none: this model trained on the photos a recipe calibration was fitted on; fit one on photos of your own with `fmnist calibrate`");
            else if (descriptor.RecipePhotoCalibration is not null)
                table.AddRow("Photo calibration", "none: the recipe's was fitted for the defaults with photo-repeats=0; fit one with `fmnist calibrate`");
            if (result.Run is { } run) table.AddRow("Run", $"{run.Id.ToString()[..8]} in {Markup.Escape(experimentStore!.Path)}");
            AnsiConsole.Write(table);
            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>" + N photo views (...)" when the model trains on the shipped labelled photos too, else "".</summary>
    private static string PhotoViews(ModelOptions options) => options is PhotoCnnOptions { PhotoRepeats: > 0 } photo
        ? $" + {PhotoTrainingSet.ImagesAdded(photo.PhotoRepeats):N0} photo views ({PhotoTrainingSet.PhotoCount} labelled photos x {PhotoTrainingSet.ViewsPerPhoto} views x {photo.PhotoRepeats})"
        : "";
}
