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
    string? Sheet = null);

internal sealed record LabelledResult(string File, string SourceClass, IReadOnlyList<int> CorrectLabels, VerdictJson Verdict,
    IReadOnlyList<ClassProbability> Top, bool Top1Correct, bool Top3Correct);

internal sealed record ScoreReport(string Model, string Pipeline, int Views, string Labels, int Photos, double Top1, double Top3,
    IReadOnlyDictionary<string, ClassScore> PerClass, IReadOnlyDictionary<string, ClassScore> ByVerdict, IReadOnlyList<LabelledResult> Predictions);

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
        string folder = FolderOf(labelsPath);
        var results = new (LabelledPhoto, PhotoPrediction)[labelled.Count];
        var photos = new RgbaImage[labelled.Count];
        try
        {
            // Photos are independent: decode and preprocess them on the compute threads (the model call is locked inside).
            Parallel.For(0, labelled.Count, new ParallelOptions { MaxDegreeOfParallelism = Numerics.ComputeThreads.Count }, i =>
            {
                RgbaImage photo = ImageCodec.DecodeFile(Path.Combine(folder, labelled[i].File), neededSide: classifier.Pipeline.WorkingSide);
                PhotoPrediction prediction = classifier.Classify(photo, keepStages: debugDirectory is not null);
                if (debugDirectory is not null) WriteStages(debugDirectory, StemOf(labelled[i].File), photo, prediction);
                if (showPath is not null) photos[i] = photo;
                results[i] = (labelled[i], prediction);
            });
        }
        catch (AggregateException e) when (e.InnerExceptions.OfType<FashionMnistException>().Any())
        {
            // Several photos may fail at once: report one (the user fixes it and runs again).
            throw e.InnerExceptions.OfType<FashionMnistException>().First();
        }
        if (showPath is not null)
            ImageCodec.SavePng(showPath, PredictionSheet.Render(
                results.Select((r, i) => new PredictionSheet.Row(r.Item1.File, photos[i], r.Item2)).ToList()));
        PhotoScore score = PhotoScoring.Score(results);
        var predictions = results.Select(r =>
        {
            var best = r.Item2.Top(Math.Max(3, top));
            return new LabelledResult(r.Item1.File, r.Item1.SourceClass, r.Item1.CorrectLabels.Order().ToList(), VerdictJson.Of(PhotoVerdict.Of(r.Item2)), best.Take(top).ToList(),
                r.Item1.CorrectLabels.Contains(best[0].Label), best.Take(3).Any(c => r.Item1.CorrectLabels.Contains(c.Label)));
        }).ToList();
        return new ScoreReport(classifier.Model.Name, classifier.Pipeline.Name, classifier.ImagesPerPhoto, labelsPath, score.Photos, score.Top1, score.Top3, score.PerClass, score.ByVerdict, predictions);
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
