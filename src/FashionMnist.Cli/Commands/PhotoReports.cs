using FashionMnist.Evaluation;
using FashionMnist.Imaging;

namespace FashionMnist.Cli.Commands;

/// <summary>The JSON shapes `fmnist predict` prints (snake_case via <see cref="JsonOutput"/>).</summary>
internal sealed record PhotoResult(string File, VerdictJson Verdict, IReadOnlyList<ClassProbability> Top, string Notes);

/// <summary>A photo's verdict: its top class, how probable, and confident / likely / uncertain (see <see cref="PhotoVerdict"/>).</summary>
internal sealed record VerdictJson(int Label, string Name, float Probability, string Confidence, string Headline)
{
    public static VerdictJson Of(PhotoVerdict verdict) =>
        new(verdict.Top.Label, verdict.Top.Name, verdict.Top.Probability, verdict.Word, verdict.Headline);
}

internal sealed record PredictReport(string Model, string Pipeline, int Views, IReadOnlyList<PhotoResult> Photos, string? DebugDirectory = null,
    string? Sheet = null)
{
    /// <summary>Whether the model file's photo calibration was applied (null: not said, as for in-process callers).</summary>
    public CalibrationJson? Calibration { get; init; }
}

/// <summary>
/// Whether a photo calibration (`fmnist calibrate`) was applied to the probabilities: <paramref name="Applied"/>, its numbers,
/// and otherwise why not (the file has none, --no-calibration, or it was fitted for another pipeline or view count).
/// </summary>
internal sealed record CalibrationJson(bool Applied, double? Temperature, IReadOnlyList<double>? LogPrior, string? NotApplied)
{
    /// <summary>"temperature", "prior" or "matrix" (<see cref="PhotoCalibration.Form"/>), null without a calibration.</summary>
    public string? Form { get; init; }

    /// <summary>The matrix form's 10 x 10 weights (row-major), else null.</summary>
    public IReadOnlyList<double>? Matrix { get; init; }

    public static CalibrationJson Of(PhotoClassifier classifier, PhotoCalibration? inFile, bool turnedOff) =>
        classifier.Calibration is PhotoCalibration used ? new(true, used.Temperature, used.LogPrior, null) { Form = used.Form, Matrix = used.Matrix }
        : new(false, inFile?.Temperature, inFile?.LogPrior,
            inFile is null ? "the model file has no photo calibration"
            : turnedOff ? "--no-calibration"
            : classifier.CalibrationSetAside) { Form = inFile?.Form, Matrix = inFile?.Matrix };

    /// <summary>One line for a log: "photo calibration applied (T = 1.23)" or why not.</summary>
    public string Describe() => Applied
        ? string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"Photo calibration applied ({(Form == "matrix" ? "matrix form" : $"temperature {Temperature:0.###}, class prior")}, from the model file)")
        : $"Photo calibration not applied: {NotApplied}";
}

internal sealed record LabelledResult(string File, string SourceClass, IReadOnlyList<int> CorrectLabels, VerdictJson Verdict,
    IReadOnlyList<ClassProbability> Top, bool Top1Correct, bool Top3Correct);

internal sealed record ScoreReport(string Model, string Pipeline, int Views, string Labels, int Photos, double Top1, double Top3,
    IReadOnlyDictionary<string, ClassScore> PerClass, IReadOnlyDictionary<string, ClassScore> ByVerdict, IReadOnlyList<LabelledResult> Predictions)
{
    /// <summary>How far the probabilities can be taken at their word (log loss, top-1 and top-3 ECE).</summary>
    public ProbabilityQuality? ProbabilityQuality { get; init; }

    /// <summary>Whether the model file's photo calibration was applied.</summary>
    public CalibrationJson? Calibration { get; init; }
}

/// <summary>
/// How far a labelled set's probabilities can be taken at their word: <paramref name="LogLoss"/> is the mean −ln of the
/// probability given to the right labels together (what `fmnist calibrate` minimises); <paramref name="Top1Ece"/> is the
/// expected calibration error of the top class, <paramref name="Top3Ece"/> that of "one of these three" (the top three's
/// probability summed against how often one of them is right); 15 bins, 0 is perfect.
/// </summary>
internal sealed record ProbabilityQuality(double LogLoss, double Top1Ece, double Top3Ece)
{
    public static ProbabilityQuality Of(ReadOnlySpan<float> probabilities, ReadOnlySpan<ushort> acceptable) =>
        new(AcceptableLabelMetrics.LogLoss(probabilities, acceptable), AcceptableLabelMetrics.CalibrationError(probabilities, acceptable, 1),
            AcceptableLabelMetrics.CalibrationError(probabilities, acceptable, 3));

    /// <summary>The n x 10 probabilities and right-label masks of scored photos.</summary>
    public static (float[] Probabilities, ushort[] Acceptable) Matrix(IReadOnlyList<(LabelledPhoto Photo, PhotoPrediction Prediction)> results)
    {
        int classes = FashionMnist.Data.FashionMnistClasses.Count;
        var probabilities = new float[results.Count * classes];
        var acceptable = new ushort[results.Count];
        for (int i = 0; i < results.Count; i++)
        {
            results[i].Prediction.Probabilities.CopyTo(probabilities.AsSpan(i * classes, classes));
            acceptable[i] = AcceptableLabelMetrics.Mask(results[i].Photo.CorrectLabels);
        }
        return (probabilities, acceptable);
    }
}

/// <summary>
/// The work behind `fmnist predict`, separate from argument parsing and printing so tests can run it in-process
/// with any <see cref="Models.IClassifier"/>.
/// </summary>
internal static class PhotoReports
{
    /// <summary>
    /// Decodes every photo first, so a bad one is reported before a (possibly large) model is loaded; no larger than
    /// <paramref name="neededSide"/> needs (the pipeline's <see cref="IPhotoPipeline.WorkingSide"/>, as the web server decodes).
    /// </summary>
    public static IReadOnlyList<(string Path, RgbaImage Photo)> DecodeAll(IEnumerable<string> paths, int neededSide = 0) =>
        paths.Select(p => (p, ImageCodec.DecodeFile(p, neededSide: neededSide))).ToList();

    public static PredictReport Predict(PhotoClassifier classifier, IReadOnlyList<(string Path, RgbaImage Photo)> photos, int top,
        string? showPath, string? debugDirectory)
    {
        var results = new List<PhotoResult>();
        var sheetRows = new List<PredictionSheet.Row>();
        foreach (var (path, photo) in photos)
        {
            PhotoPrediction prediction = classifier.Classify(photo, keepStages: debugDirectory is not null);
            if (debugDirectory is not null) WriteStages(debugDirectory, StemOf(path), photo, prediction);
            if (showPath is not null) sheetRows.Add(new PredictionSheet.Row(Path.GetFileName(path), photo, prediction));
            results.Add(new PhotoResult(path, VerdictJson.Of(PhotoVerdict.Of(prediction)), prediction.Top(top), prediction.Input.Notes));
        }
        if (showPath is not null) ImageCodec.SavePng(showPath, PredictionSheet.Render(sheetRows));
        return new PredictReport(classifier.Model.Name, classifier.Pipeline.Name, classifier.ImagesPerPhoto, results, debugDirectory, showPath);
    }

    /// <summary>Reads a labels.csv and checks that every photo it lists exists (before any model is loaded).</summary>
    public static IReadOnlyList<LabelledPhoto> ReadLabels(string labelsPath)
    {
        IReadOnlyList<LabelledPhoto> labelled = LabelledPhotos.Read(labelsPath);
        string folder = FolderOf(labelsPath);
        foreach (LabelledPhoto photo in labelled)
            if (!File.Exists(Path.Combine(folder, photo.File)))
                throw new FashionMnistException($"'{labelsPath}' line {photo.Line}: photo '{photo.File}' does not exist in {folder}",
                    "Fix the path in that row (files are relative to the labels.csv), or remove the row.");
        return labelled;
    }

    public static ScoreReport Score(PhotoClassifier classifier, string labelsPath, IReadOnlyList<LabelledPhoto> labelled, int top,
        string? showPath, string? debugDirectory)
    {
        var photos = showPath is null ? null : new RgbaImage[labelled.Count];
        var results = ClassifyAll(classifier, labelsPath, labelled, debugDirectory, photos);
        if (showPath is not null)
            ImageCodec.SavePng(showPath, PredictionSheet.Render(
                results.Select((r, i) => new PredictionSheet.Row(r.Photo.File, photos![i], r.Prediction)).ToList()));
        PhotoScore score = PhotoScoring.Score(results);
        var predictions = results.Select(r =>
        {
            var best = r.Prediction.Top(Math.Max(3, top));
            return new LabelledResult(r.Photo.File, r.Photo.SourceClass, r.Photo.CorrectLabels.Order().ToList(), VerdictJson.Of(PhotoVerdict.Of(r.Prediction)), best.Take(top).ToList(),
                r.Photo.CorrectLabels.Contains(best[0].Label), best.Take(3).Any(c => r.Photo.CorrectLabels.Contains(c.Label)));
        }).ToList();
        var (probabilities, acceptable) = ProbabilityQuality.Matrix(results);
        return new ScoreReport(classifier.Model.Name, classifier.Pipeline.Name, classifier.ImagesPerPhoto, labelsPath, score.Photos, score.Top1, score.Top3, score.PerClass, score.ByVerdict, predictions)
        {
            ProbabilityQuality = Commands.ProbabilityQuality.Of(probabilities, acceptable),
        };
    }

    /// <summary>
    /// Classifies every labelled photo (decoded and preprocessed on the compute threads; the model call is locked inside),
    /// in labels.csv order; keeps the decoded photos in <paramref name="photos"/> when given (for a sheet).
    /// </summary>
    public static (LabelledPhoto Photo, PhotoPrediction Prediction)[] ClassifyAll(PhotoClassifier classifier, string labelsPath,
        IReadOnlyList<LabelledPhoto> labelled, string? debugDirectory = null, RgbaImage[]? photos = null)
    {
        string folder = FolderOf(labelsPath);
        var results = new (LabelledPhoto, PhotoPrediction)[labelled.Count];
        try
        {
            Parallel.For(0, labelled.Count, new ParallelOptions { MaxDegreeOfParallelism = Numerics.ComputeThreads.Count }, i =>
            {
                RgbaImage photo = ImageCodec.DecodeFile(Path.Combine(folder, labelled[i].File), neededSide: classifier.Pipeline.WorkingSide);
                PhotoPrediction prediction = classifier.Classify(photo, keepStages: debugDirectory is not null);
                if (debugDirectory is not null) WriteStages(debugDirectory, StemOf(labelled[i].File), photo, prediction);
                if (photos is not null) photos[i] = photo;
                results[i] = (labelled[i], prediction);
            });
        }
        catch (AggregateException e) when (e.InnerExceptions.OfType<FashionMnistException>().Any())
        {
            // Several photos may fail at once: report one (the user fixes it and runs again).
            throw e.InnerExceptions.OfType<FashionMnistException>().First();
        }
        return results;
    }

    private static string FolderOf(string labelsPath) => Path.GetDirectoryName(Path.GetFullPath(labelsPath))!;

    private static string StemOf(string path)
    {
        string withoutExtension = Path.ChangeExtension(path, null) ?? path;
        if (Path.IsPathRooted(withoutExtension)) withoutExtension = Path.GetFileName(withoutExtension);
        return withoutExtension.Replace('/', '_').Replace('\\', '_');
    }

    private static void WriteStages(string directory, string stem, RgbaImage photo, PhotoPrediction prediction)
    {
        ImageCodec.SavePng(Path.Combine(directory, $"{stem}-0-original.png"), PhotoPlanes.From(photo, 512).ToRgba());
        foreach (PipelineStage stage in prediction.Input.Stages)
            ImageCodec.SavePng(Path.Combine(directory, $"{stem}-{stage.Name}.png"), stage.Image);
    }
}
