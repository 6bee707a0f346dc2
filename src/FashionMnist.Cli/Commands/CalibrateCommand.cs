using System.Globalization;
using FashionMnist.Evaluation;
using FashionMnist.Imaging;

namespace FashionMnist.Cli.Commands;

/// <summary>
/// `fmnist calibrate --model M.fmm --labels tune/labels.csv --out M-photo.fmm`: fits a photo calibration (a temperature and a
/// photo-domain class prior, <see cref="PhotoCalibrationFit"/>) on the photo path's outputs for labelled photos, its penalty
/// chosen by k-fold cross-validation over those photos, and writes the model again with it (<see cref="ModelFile.SaveWithCalibration"/>).
/// `predict` and `serve` apply it to photos; Fashion-MNIST evaluation never does.
/// </summary>
public static class CalibrateCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "The fmnist model file (.fmm) to calibrate for photos.", Required = true, HelpName = "FILE" };
        var labels = new Option<string>("--labels")
        {
            Description = "Labelled photos to fit on: a labels.csv (file,source_class,fashion_mnist_labels; files relative to it). " +
                          "Keep photos you want to test on out of it.",
            Required = true, HelpName = "FOLDER/labels.csv",
        };
        var output = new Option<string>("--out") { Description = "Where to write the calibrated model file (written atomically).", Required = true, HelpName = "FILE" };
        var folds = new Option<int>("--folds")
        {
            Description = "Cross-validation folds (stratified by source class) that choose the form and its penalties; every source class needs at least this many photos.",
            DefaultValueFactory = _ => 5, HelpName = "K",
        };
        var repeats = new Option<int>("--repeats")
        {
            Description = "Repeat the cross-validation with this many fold splits (seeds --seed, --seed+1, ...) and average: one split of a " +
                          "few hundred photos moves the cross-validated top-1 by several points.",
            DefaultValueFactory = _ => 5, HelpName = "R",
        };
        var seed = new Option<int>("--seed") { Description = "Seed of the first fold split.", DefaultValueFactory = _ => 42 };
        var penalty = new Option<double?>("--penalty")
        {
            Description = "Fix the L2 penalty on the class prior instead of choosing it (folds still report its cross-validated scores).",
            HelpName = "LAMBDA",
        };
        var temperatureOnly = new Option<bool>("--temperature-only") { Description = "Fit the temperature alone (no class prior, no matrix)." };
        var noMatrix = new Option<bool>("--no-matrix")
        {
            Description = "Do not try the matrix form (10 x 10 weights on the log-probabilities that move evidence between classes); by default " +
                          "cross-validation chooses between the prior form and matrices with penalties " + string.Join(", ", PhotoCalibrationFit.DefaultMatrixPenalties.Select(Invariant)) + ".",
        };
        var matrixPenalty = new Option<double?>("--matrix-penalty")
        {
            Description = "Fix the matrix form's penalty (pull toward a temperature) instead of letting cross-validation choose among forms.",
            HelpName = "MU",
        };
        var pool = new Option<string?>("--pool")
        {
            Description = "Comma-separated other model files of the same recipe (e.g. other seeds) whose outputs on the photos are pooled with " +
                          "--model's: a calibration for the recipe rather than for one network. The calibration is saved in --model's copy.",
            HelpName = "FILES",
        };
        var json = new Option<bool>("--json") { Description = "Print one JSON object instead of text." };
        var command = new Command("calibrate",
            "Fit a photo calibration (temperature, class prior, and a matrix that moves evidence between classes when cross-validation " +
            "prefers it) on labelled photos and save it in a copy of the model file, replacing any it had (cnn-photo with photo-repeats=0 ships one); " +
            "predict and serve then apply it to photos. Example: fmnist calibrate --model cnn-photo.fmm --labels tune/labels.csv --out cnn-photo-cal.fmm")
        {
            model, labels, output, folds, repeats, seed, penalty, temperatureOnly, noMatrix, matrixPenalty, pool, json,
            PredictCommands.Pipeline, PredictCommands.NoTta, PredictCommands.Runtime,
        };
        command.SetAction(parse =>
        {
            int k = parse.GetValue(folds);
            if (k is < 2 or > 50) throw new FashionMnistException($"--folds must be between 2 and 50, got {k}", "Use e.g. --folds 5.");
            int r = parse.GetValue(repeats);
            if (r is < 1 or > 50) throw new FashionMnistException($"--repeats must be between 1 and 50, got {r}", "Use e.g. --repeats 5 (1: a single fold split).");
            double? fixedPenalty = parse.GetValue(penalty);
            bool onlyTemperature = parse.GetValue(temperatureOnly);
            if (fixedPenalty is double l && !(l >= 0 && double.IsFinite(l)))
                throw new FashionMnistException($"--penalty must be a finite number of 0 or more, got {l.ToString(CultureInfo.InvariantCulture)}", "Use e.g. --penalty 0.03, or --temperature-only.");
            if (fixedPenalty is not null && onlyTemperature)
                throw new FashionMnistException("Both --penalty and --temperature-only were given", "--temperature-only has no class prior to penalise: give one of them.");
            IReadOnlyList<double> penalties = onlyTemperature ? [double.PositiveInfinity] : fixedPenalty is double fixedValue ? [fixedValue] : PhotoCalibrationFit.DefaultPenalties;
            double? fixedMatrix = parse.GetValue(matrixPenalty);
            bool withoutMatrix = parse.GetValue(noMatrix);
            if (fixedMatrix is double mu && !(mu > 0 && double.IsFinite(mu)))
                throw new FashionMnistException($"--matrix-penalty must be a finite number above 0, got {mu.ToString(CultureInfo.InvariantCulture)}", "Use e.g. --matrix-penalty 0.1, or --no-matrix.");
            if (fixedMatrix is not null && (withoutMatrix || onlyTemperature))
                throw new FashionMnistException($"Both --matrix-penalty and {(withoutMatrix ? "--no-matrix" : "--temperature-only")} were given", "Give one of them.");
            IReadOnlyList<double> matrixPenalties = withoutMatrix || onlyTemperature ? [] : fixedMatrix is double fixedMu ? [fixedMu] : PhotoCalibrationFit.DefaultMatrixPenalties;
            string[] pooled = (parse.GetValue(pool) ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

            // Every check on the user's inputs before the photos are scored (minutes).
            string modelPath = parse.GetValue(model)!, labelsPath = parse.GetValue(labels)!, outPath = parse.GetValue(output)!;
            IPhotoPipeline pipeline = PhotoPipelines.Create(parse.GetValue(PredictCommands.Pipeline)!);
            var labelled = PhotoReports.ReadLabels(labelsPath);
            CheckPhotosPerClass(labelsPath, labelled, k);
            ModelFile.CheckCalibratable(modelPath);
            foreach (string other in pooled) _ = ModelFile.ReadHeader(other); // a missing or damaged pooled file fails now, not after minutes
            AtomicFile.CheckWritable(outPath, "--out");

            var (loaded, header) = ModelFile.LoadWithHeader(modelPath);
            using IClassifier classifier = PredictCommands.OnRuntime(parse, loaded, out _);
            bool replaces = header.Calibration is not null;
            var photoPath = new PhotoClassifier(classifier, pipeline, PredictCommands.Augmentation(parse)); // the raw outputs: no calibration
            var results = PhotoReports.ClassifyAll(photoPath, labelsPath, labelled);
            var (probabilities, acceptable) = ProbabilityQuality.Matrix(results);
            var sourceClasses = labelled.Select(p => p.SourceClass).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
            int[] groups = labelled.Select(p => sourceClasses.IndexOf(p.SourceClass)).ToArray();
            // Pooled models' outputs follow as more rows of the same photos (row r is photo r mod n: Select keeps a photo's rows in one fold).
            var allProbabilities = new List<float>(probabilities);
            foreach (string other in pooled)
            {
                var (otherLoaded, _) = ModelFile.LoadWithHeader(other);
                using IClassifier otherModel = PredictCommands.OnRuntime(parse, otherLoaded, out _);
                var otherResults = PhotoReports.ClassifyAll(new PhotoClassifier(otherModel, pipeline, PredictCommands.Augmentation(parse)), labelsPath, labelled);
                allProbabilities.AddRange(ProbabilityQuality.Matrix(otherResults).Probabilities);
            }
            int copies = 1 + pooled.Length;
            float[] pooledProbabilities = [.. allProbabilities];
            ushort[] pooledAcceptable = [.. Enumerable.Repeat(acceptable, copies).SelectMany(a => a)];
            int[] pooledGroups = [.. Enumerable.Repeat(groups, copies).SelectMany(g => g)];
            CalibrationSelection selection = PhotoCalibrationFit.Select(pooledProbabilities, pooledAcceptable, pooledGroups, k, parse.GetValue(seed),
                penalties, r, matrixPenalties, copies);
            CalibrationFit fit = selection.Fit;

            var calibration = new PhotoCalibration
            {
                Temperature = fit.Temperature, LogPrior = fit.LogPrior, Matrix = fit.Matrix, Pipeline = pipeline.Name, Views = photoPath.Augmentation.ViewCount(pipeline),
                Facts = new SortedDictionary<string, string>(StringComparer.Ordinal)
                {
                    ["labels"] = Path.GetFullPath(labelsPath),
                    ["photos"] = Invariant(labelled.Count),
                    ["folds"] = Invariant(k),
                    ["repeats"] = Invariant(r),
                    ["seed"] = Invariant(parse.GetValue(seed)),
                    ["penalty"] = Invariant(fit.Penalty),
                    ["matrix_penalty"] = Invariant(fit.MatrixPenalty),
                    ["pooled_models"] = Invariant(copies),
                    ["cv_log_loss"] = Invariant(selection.Grid.First(g => g.Penalty.Equals(fit.Penalty) && g.MatrixPenalty.Equals(fit.MatrixPenalty)).LogLoss),
                    ["fitted_utc"] = DateTime.UtcNow.ToString("O", CultureInfo.InvariantCulture),
                },
            };
            ModelFile.SaveWithCalibration(modelPath, outPath, calibration);

            float[] inSample = fit.Apply(pooledProbabilities);
            var report = new CalibrateReport(classifier.Name, modelPath, outPath, labelsPath, labelled.Count, pipeline.Name, calibration.Views, k, r,
                fit.Temperature, fit.LogPrior.Select((b, c) => new ClassOffset(c, FashionMnistClasses.Name(c), b)).ToList(),
                double.IsPositiveInfinity(fit.Penalty) ? null : fit.Penalty, calibration.Form, double.IsPositiveInfinity(fit.MatrixPenalty) ? null : fit.MatrixPenalty,
                fit.Matrix, copies, selection.Grid.Select(PenaltyJson.Of).ToList(),
                Quality.Of(pooledProbabilities, pooledAcceptable), Quality.Of(inSample, pooledAcceptable), Quality.Of(selection.OutOfFold, pooledAcceptable),
                replaces);
            if (parse.GetValue(json)) JsonOutput.Write(report);
            else Print(report);
            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>Every source class needs a photo in every fold, and a class prior is not worth fitting on fewer photos.</summary>
    private static void CheckPhotosPerClass(string labelsPath, IReadOnlyList<LabelledPhoto> labelled, int folds)
    {
        foreach (var group in labelled.GroupBy(p => p.SourceClass, StringComparer.Ordinal).OrderBy(g => g.Count()))
            if (group.Count() < folds)
                throw new FashionMnistException(
                    $"'{labelsPath}' has {group.Count()} photo(s) of source class '{group.Key}'; calibrating with {folds} folds needs at least {folds} per source class",
                    "Add labelled photos of that class, leave the class out, or pass fewer --folds.");
    }

    private static string Invariant(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    private static void Print(CalibrateReport report)
    {
        AnsiConsole.MarkupLine(Markup.Escape($"Calibrated '{report.Model}' for photos ({report.Pipeline} pipeline, {report.Views} view(s) per photo) on {report.Photos} photos of {report.Labels}"));
        AnsiConsole.MarkupLine(Markup.Escape(string.Create(CultureInfo.InvariantCulture,
            $"Temperature {report.Temperature:0.###}, penalty {(report.Penalty is double l ? l.ToString("0.####", CultureInfo.InvariantCulture) : "none (temperature only)")} (chosen by {report.Folds}-fold cross-validation{(report.Repeats > 1 ? $" repeated {report.Repeats} times" : "")})")));
        AnsiConsole.MarkupLine(Markup.Escape(report.Form == "matrix"
            ? string.Create(CultureInfo.InvariantCulture, $"Form: matrix (10 x 10 weights on the log-probabilities, penalty {report.MatrixPenalty:0.####}; temperature = 10 / trace)")
            : $"Form: {report.Form}" + (report.Grid.Any(g => g.MatrixPenalty is not null) ? " (cross-validation preferred it to the matrix form)" : "")));
        if (report.PooledModels > 1) AnsiConsole.MarkupLine(Markup.Escape($"Fitted on the outputs of {report.PooledModels} models pooled (--pool)"));
        var prior = new Table().AddColumn("Class").AddColumn(new TableColumn("Log-prior offset").RightAligned());
        foreach (ClassOffset offset in report.LogPrior) prior.AddRow(Markup.Escape($"{offset.Label} {offset.Name}"), offset.Offset.ToString("+0.000;-0.000", CultureInfo.InvariantCulture));
        AnsiConsole.Write(prior);
        var table = new Table().AddColumn("These photos").AddColumn(new TableColumn("Top-1").RightAligned()).AddColumn(new TableColumn("Top-3").RightAligned())
            .AddColumn(new TableColumn("Log loss").RightAligned()).AddColumn(new TableColumn("ECE top-1").RightAligned()).AddColumn(new TableColumn("ECE top-3").RightAligned());
        void Row(string name, Quality q) => table.AddRow(name, $"{q.Top1:0.000}", $"{q.Top3:0.000}", $"{q.LogLoss:0.000}", $"{q.Top1Ece:0.000}", $"{q.Top3Ece:0.000}");
        Row("uncalibrated", report.Uncalibrated);
        Row("calibrated, in-sample", report.InSample);
        Row("calibrated, cross-validated", report.CrossValidated);
        AnsiConsole.Write(table);
        AnsiConsole.MarkupLine(Markup.Escape($"Wrote {report.Out}{(report.ReplacedCalibration ? " (the model's earlier photo calibration is replaced)" : "")}. Score photos it was not fitted on: fmnist predict --model {report.Out} --labels OTHER/labels.csv"));
    }

    /// <summary>Top-1, top-3 and <see cref="ProbabilityQuality"/> of n x 10 probabilities against the right labels.</summary>
    internal sealed record Quality(double Top1, double Top3, double LogLoss, double Top1Ece, double Top3Ece)
    {
        public static Quality Of(float[] probabilities, ushort[] acceptable)
        {
            var q = ProbabilityQuality.Of(probabilities, acceptable);
            return new(AcceptableLabelMetrics.TopK(probabilities, acceptable, 1), AcceptableLabelMetrics.TopK(probabilities, acceptable, 3), q.LogLoss, q.Top1Ece, q.Top3Ece);
        }
    }

    internal sealed record ClassOffset(int Label, string Name, double Offset);

    /// <summary>A penalty of the grid; null is ∞ (temperature only), which JSON cannot write as a number.</summary>
    internal sealed record PenaltyJson(double? Penalty, double? MatrixPenalty, double CvLogLoss, double CvTop1, double CvTop3)
    {
        public static PenaltyJson Of(PenaltyScore s) => new(double.IsPositiveInfinity(s.Penalty) ? null : s.Penalty,
            double.IsPositiveInfinity(s.MatrixPenalty) ? null : s.MatrixPenalty, s.LogLoss, s.Top1, s.Top3);
    }

    internal sealed record CalibrateReport(string Model, string Source, string Out, string Labels, int Photos, string Pipeline, int Views, int Folds, int Repeats,
        double Temperature, IReadOnlyList<ClassOffset> LogPrior, double? Penalty, string Form, double? MatrixPenalty, IReadOnlyList<double>? Matrix,
        int PooledModels, IReadOnlyList<PenaltyJson> Grid,
        Quality Uncalibrated, Quality InSample, Quality CrossValidated, bool ReplacedCalibration);
}
