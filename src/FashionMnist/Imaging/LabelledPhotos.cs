using FashionMnist.Data;

namespace FashionMnist.Imaging;

/// <summary>One row of a labels.csv: a photo and the Fashion-MNIST labels that count as a correct answer for it.</summary>
public sealed record LabelledPhoto(string File, string SourceClass, IReadOnlySet<int> CorrectLabels, int Line);

/// <summary>
/// Reads a labels.csv in the format of the development photo set:
/// <code>file,source_class,fashion_mnist_labels
/// shoes/a.jpg,shoes,5 7 9</code>
/// (file relative to the CSV's folder; labels 0-9 separated by spaces). Every error names the file and line.
/// </summary>
public static class LabelledPhotos
{
    public static IReadOnlyList<LabelledPhoto> Read(string csvPath)
    {
        string[] lines;
        try
        {
            lines = System.IO.File.ReadAllLines(csvPath);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new FashionMnistException($"Labels file '{csvPath}' does not exist",
                "Pass the labels.csv of a photo folder (columns: file,source_class,fashion_mnist_labels).", ExitCodes.BadInput, e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new FashionMnistException($"Cannot read labels file '{csvPath}': {e.Message}", "Check the path and its permissions.", ExitCodes.BadInput, e);
        }
        if (lines.Length == 0 || !lines[0].Trim().Equals("file,source_class,fashion_mnist_labels", StringComparison.OrdinalIgnoreCase))
            throw new FashionMnistException($"'{csvPath}' line 1: expected the header 'file,source_class,fashion_mnist_labels'",
                "Use the labels.csv format of the development photo set (see docs/photos.md).");

        var photos = new List<LabelledPhoto>();
        for (int i = 1; i < lines.Length; i++)
        {
            int line = i + 1;
            if (string.IsNullOrWhiteSpace(lines[i])) continue;
            string[] fields = lines[i].Split(',');
            if (fields.Length != 3 || fields[0].Trim().Length == 0)
                throw new FashionMnistException($"'{csvPath}' line {line}: expected 3 comma-separated fields (file,source_class,fashion_mnist_labels), got '{lines[i]}'",
                    "Fix or remove that row.");
            var labels = new HashSet<int>();
            foreach (string token in fields[2].Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                if (!int.TryParse(token, out int label) || (uint)label >= FashionMnistClasses.Count)
                    throw new FashionMnistException($"'{csvPath}' line {line}: '{token}' is not a Fashion-MNIST label",
                        "Labels are numbers 0-9 separated by spaces (0 T-shirt/top ... 9 Ankle boot).");
                labels.Add(label);
            }
            if (labels.Count == 0)
                throw new FashionMnistException($"'{csvPath}' line {line}: no Fashion-MNIST label given", "Give at least one label 0-9.");
            photos.Add(new LabelledPhoto(fields[0].Trim(), fields[1].Trim(), labels, line));
        }
        if (photos.Count == 0)
            throw new FashionMnistException($"'{csvPath}' lists no photos", "Add rows below the header.");
        return photos;
    }
}

/// <summary>Accuracy of photo predictions against a labels.csv, overall, per source class and per verdict.</summary>
/// <param name="Photos">Photos scored.</param>
/// <param name="Top1">Share whose top class is a correct label.</param>
/// <param name="Top3">Share with a correct label among the top 3.</param>
/// <param name="PerClass">The same per source class.</param>
/// <param name="ByVerdict">Per <see cref="PhotoVerdict"/> word (confident, likely, uncertain): how often each verdict is right.</param>
public sealed record PhotoScore(int Photos, double Top1, double Top3, IReadOnlyDictionary<string, ClassScore> PerClass,
    IReadOnlyDictionary<string, ClassScore> ByVerdict);

/// <summary>Per source class: photos, top-1 and top-3 accuracy.</summary>
public sealed record ClassScore(int Photos, double Top1, double Top3);

public static class PhotoScoring
{
    /// <summary>Top-1 / top-3 counts a prediction as right when its top class (or any of its top 3) is a correct label.</summary>
    public static PhotoScore Score(IReadOnlyList<(LabelledPhoto Photo, PhotoPrediction Prediction)> results)
    {
        var perClass = new SortedDictionary<string, (int n, int top1, int top3)>(StringComparer.Ordinal);
        var byVerdict = new Dictionary<VerdictConfidence, (int n, int top1, int top3)>();
        int top1 = 0, top3 = 0;
        foreach (var (photo, prediction) in results)
        {
            var best = prediction.Top(3);
            bool hit1 = photo.CorrectLabels.Contains(best[0].Label);
            bool hit3 = best.Any(c => photo.CorrectLabels.Contains(c.Label));
            top1 += hit1 ? 1 : 0;
            top3 += hit3 ? 1 : 0;
            var (n, c1, c3) = perClass.GetValueOrDefault(photo.SourceClass);
            perClass[photo.SourceClass] = (n + 1, c1 + (hit1 ? 1 : 0), c3 + (hit3 ? 1 : 0));
            var confidence = PhotoVerdict.Of(prediction).Confidence;
            var (vn, v1, v3) = byVerdict.GetValueOrDefault(confidence);
            byVerdict[confidence] = (vn + 1, v1 + (hit1 ? 1 : 0), v3 + (hit3 ? 1 : 0));
        }
        static ClassScore Of((int n, int top1, int top3) c) => new(c.n, (double)c.top1 / c.n, (double)c.top3 / c.n);
        int total = Math.Max(1, results.Count);
        return new PhotoScore(results.Count, (double)top1 / total, (double)top3 / total,
            perClass.ToDictionary(kv => kv.Key, kv => Of(kv.Value)),
            Enum.GetValues<VerdictConfidence>().Where(byVerdict.ContainsKey)
                .ToDictionary(v => v.ToString().ToLowerInvariant(), v => Of(byVerdict[v])));
    }
}
