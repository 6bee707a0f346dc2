using System.Globalization;
using FashionMnist.Imaging;
using FashionMnist.Onnx;

namespace FashionMnist.Cli.Commands;

/// <summary>`fmnist predict`: classify photos of real clothes, or score a labelled photo folder.</summary>
public static class PredictCommands
{
    /// <summary>Where `fmnist train cnn-photo` saves by default: the model predict and serve use without --model.</summary>
    public const string DefaultPhotoModel = "models/cnn-photo.fmm";

    public static readonly Option<string> Model = new("--model")
    {
        Description = $"Model file made by `fmnist train ... --out FILE`, or an ONNX classifier (.onnx). Default: {DefaultPhotoModel}, " +
                      "the recommended photo model (make it with `fmnist train cnn-photo`).",
        DefaultValueFactory = _ => DefaultPhotoModel,
        HelpName = "FILE",
    };

    /// <summary>Loads the --model file; the default photo model, when missing, says how to make it.</summary>

    public static readonly Option<string> Pipeline = new("--pipeline")
    {
        Description = "How a photo becomes 28x28: 'garment' (find the garment, crop, centre, Fashion-MNIST contrast; default) " +
                      "or 'seed' (squash the whole photo, grayscale, invert: the naive baseline).",
        DefaultValueFactory = _ => PhotoPipelines.Default,
        HelpName = "garment|seed",
    };

    public static readonly Option<bool> NoTta = new("--no-tta")
    {
        Description = "Turn off test-time augmentation. By default the garment is segmented at 3 thresholds, each also mirrored, " +
                      "and the model's probabilities for the 6 inputs are averaged (about 3x the pipeline time; docs/photos.md).",
    };

    public static readonly Option<string> Runtime = new("--runtime")
    {
        Description = "What runs the model: auto (the faster one as measured for this model by bench/run.sh onnx; default), " +
                      "native (fmnist's engine) or onnx (ONNX Runtime on the model exported in memory).",
        DefaultValueFactory = _ => "auto",
        HelpName = "auto|native|onnx",
    };

    public static readonly Option<bool> NoCalibration = new("--no-calibration")
    {
        Description = "Ignore the photo calibration kept in the model file by `fmnist calibrate` (the model's own probabilities, as before calibrating).",
    };

    /// <summary>
    /// Loads --model (fmnist or ONNX file, with the --input-* flags) and puts it on the --runtime asked for;
    /// <paramref name="fileCalibration"/> is the photo calibration kept in the file (null when it has none).
    /// </summary>
    public static IClassifier LoadForPrediction(ParseResult parse, out RuntimeChoice used, out PhotoCalibration? fileCalibration, int? onnxThreads = null)
    {
        string path = parse.GetValue(Model)!;
        if (path == DefaultPhotoModel && !File.Exists(path))
            throw new FashionMnistException($"No --model given, and the default photo model '{path}' does not exist",
                "Train it with `fmnist train cnn-photo` (about 15 minutes on 2 cores), or pass --model FILE.");
        var (model, header) = ImportFlags.LoadWithHeader(parse, path);
        fileCalibration = header.Calibration;
        return OnRuntime(parse, model, out used, onnxThreads);
    }

    /// <summary>Puts a loaded <paramref name="model"/> on the --runtime asked for (disposing it when its ONNX export runs instead).</summary>
    public static IClassifier OnRuntime(ParseResult parse, IClassifier model, out RuntimeChoice used, int? onnxThreads = null)
    {
        RuntimeChoice choice = ModelRuntime.Parse(parse.GetValue(Runtime)!);
        IClassifier chosen = onnxThreads is int threads ? ModelRuntime.Apply(model, choice, out used, threads) : ModelRuntime.Apply(model, choice, out used);
        if (!ReferenceEquals(chosen, model)) model.Dispose(); // its in-memory ONNX export runs instead
        return chosen;
    }

    /// <summary>The augmentation the --no-tta flag selects.</summary>
    public static TestTimeAugmentation Augmentation(ParseResult parse) =>
        parse.GetValue(NoTta) ? TestTimeAugmentation.None : TestTimeAugmentation.Default;

    public static Command Create()
    {
        var photos = new Argument<string[]>("photos")
        {
            Description = "Photos to classify (JPEG, PNG, GIF, BMP, TIFF; WebP if its gdk-pixbuf loader is installed).",
            Arity = ArgumentArity.ZeroOrMore,
        };
        var labels = new Option<string?>("--labels")
        {
            Description = "Score a labelled folder instead: its labels.csv (columns file,source_class,fashion_mnist_labels; " +
                          "files relative to the CSV). Prints top-1, top-3 and per-class accuracy.",
            HelpName = "FOLDER/labels.csv",
        };
        var top = new Option<int>("--top") { Description = "How many classes to show per photo (1-10).", DefaultValueFactory = _ => 3, HelpName = "N" };
        var json = new Option<bool>("--json") { Description = "Print one JSON object instead of text." };
        var show = new Option<string?>("--show")
        {
            Description = "Also write a PNG sheet: per photo the photo, the 28x28 input the model saw and a bar chart of the probabilities.",
            HelpName = "OUT.png",
        };
        var debug = new Option<string?>("--debug-dir")
        {
            Description = "Write every pipeline stage of every photo as PNGs into this folder (original, distance map, masks, crop, final).",
            HelpName = "DIR",
        };
        var command = new Command("predict",
            "Classify photos of real clothes: each photo is turned into a Fashion-MNIST-like 28x28 image and given to the model. " +
            "Example: fmnist predict --model cnn.fmm shirt.jpg --show sheet.png")
        {
            photos, Model, labels, top, json, show, debug, Pipeline, NoTta, Runtime, NoCalibration,
        };
        ImportFlags.AddTo(command);
        command.SetAction(parse =>
        {
            string[] files = parse.GetValue(photos) ?? [];
            string? labelsPath = parse.GetValue(labels);
            int k = parse.GetValue(top);
            if (k is < 1 or > 10) throw new FashionMnistException($"--top must be between 1 and 10, got {k}", "Use e.g. --top 3.");
            if (files.Length == 0 && labelsPath is null)
                throw new FashionMnistException("No photos given", "Name one or more photos, or a labelled folder with --labels FOLDER/labels.csv.");
            if (files.Length > 0 && labelsPath is not null)
                throw new FashionMnistException("Both photos and --labels were given", "Either classify photos, or score a labelled folder with --labels.");
            IPhotoPipeline pipeline = PhotoPipelines.Create(parse.GetValue(Pipeline)!);
            // Check the user's inputs before loading the model: a typo should not wait for a large model to load.
            var labelled = labelsPath is null ? null : PhotoReports.ReadLabels(labelsPath);
            var decoded = labelsPath is null ? PhotoReports.DecodeAll(files, pipeline.WorkingSide) : null;
            using IClassifier model = LoadForPrediction(parse, out _, out PhotoCalibration? fileCalibration);
            bool ignoreCalibration = parse.GetValue(NoCalibration);
            var classifier = new PhotoClassifier(model, pipeline, Augmentation(parse), ignoreCalibration ? null : fileCalibration);
            var calibrationState = CalibrationJson.Of(classifier, fileCalibration, ignoreCalibration);
            bool asJson = parse.GetValue(json);
            // Only a file with a calibration gets the line: the output of other models stays as it was.
            if (!asJson && fileCalibration is not null) AnsiConsole.MarkupLine(Markup.Escape(calibrationState.Describe()));
            if (labelled is not null)
            {
                ScoreReport report = PhotoReports.Score(classifier, labelsPath!, labelled, k, parse.GetValue(show), parse.GetValue(debug)) with { Calibration = calibrationState };
                if (asJson) JsonOutput.Write(report);
                else PrintScore(report);
            }
            else
            {
                PredictReport report = PhotoReports.Predict(classifier, decoded!, k, parse.GetValue(show), parse.GetValue(debug)) with { Calibration = calibrationState };
                if (asJson) JsonOutput.Write(report);
                else PrintPredictions(report, AnsiConsole.Console);
            }
            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>Per photo its verdict headline and top classes; then, if any photo is uncertain, where to look.</summary>
    internal static void PrintPredictions(PredictReport report, IAnsiConsole console)
    {
        foreach (PhotoResult photo in report.Photos)
        {
            console.MarkupLine($"[bold]{Markup.Escape(photo.File)}[/]  {VerdictMarkup(photo.Verdict)}");
            foreach (ClassProbability c in photo.Top)
                console.MarkupLine(Markup.Escape(string.Create(CultureInfo.InvariantCulture, $"  {c.Label} {c.Name,-12} {c.Probability * 100,5:0.0} %")));
        }
        int uncertain = report.Photos.Count(p => p.Verdict.Confidence == "uncertain");
        if (uncertain == 0) return;
        string which = uncertain == 1 ? "1 photo is" : $"{uncertain} photos are";
        string where = (report.DebugDirectory, report.Sheet) switch
        {
            (string dir, _) => $"its pipeline stages are in {dir}: check that the final 28x28 image looks like the garment.",
            (null, string sheet) => $"{sheet} shows the 28x28 input beside each photo, and --debug-dir DIR writes every stage of the photo pipeline as PNGs.",
            _ => "see what the model was given with --debug-dir DIR (every stage of the photo pipeline as PNGs) or --show sheet.png.",
        };
        console.MarkupLine(Markup.Escape(
            $"{which} uncertain (top class below {PhotoVerdict.LikelyAt * 100:0} %): usually the 28x28 input does not look like the garment; {where}"));
    }

    /// <summary>"→ Coat 35 % (uncertain)", coloured by confidence where colour is allowed.</summary>
    private static string VerdictMarkup(VerdictJson verdict) =>
        $"[{verdict.Confidence switch { "confident" => "green", "likely" => "yellow", _ => "red" }}]{Markup.Escape(verdict.Headline)}[/]";

    private static void PrintScore(ScoreReport report)
    {
        var table = new Table().AddColumn("Source class").AddColumn("Photos").AddColumn("Top-1").AddColumn("Top-3");
        foreach (var (name, score) in report.PerClass)
            table.AddRow(Markup.Escape(name), score.Photos.ToString(), $"{score.Top1:P1}", $"{score.Top3:P1}");
        table.AddRow("[bold]all[/]", report.Photos.ToString(), $"[bold]{report.Top1:P1}[/]", $"[bold]{report.Top3:P1}[/]");
        AnsiConsole.MarkupLine($"Model [bold]{Markup.Escape(report.Model)}[/], pipeline [bold]{report.Pipeline}[/], {report.Views} view(s) per photo, {Markup.Escape(report.Labels)}");
        AnsiConsole.Write(table);
        // How far each verdict can be trusted on these photos: the thresholds' evidence.
        var verdicts = new Table().AddColumn("Verdict").AddColumn(new TableColumn("Photos").RightAligned())
            .AddColumn(new TableColumn("Top-1").RightAligned()).AddColumn(new TableColumn("Top-3").RightAligned());
        foreach (var (word, score) in report.ByVerdict)
            verdicts.AddRow(word, score.Photos.ToString(CultureInfo.InvariantCulture), $"{score.Top1:P1}", $"{score.Top3:P1}");
        AnsiConsole.Write(verdicts);
    }
}
