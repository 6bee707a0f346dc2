using FashionMnist.Data;

namespace FashionMnist.Imaging;

/// <summary>One row of a labels.csv: a photo and the Fashion-MNIST labels that count as a correct answer for it.</summary>
internal sealed record LabelledPhoto(string File, string SourceClass, IReadOnlySet<int> CorrectLabels, int Line);

/// <summary>
/// Reads a labels.csv in the format of the development photo set:
/// <code>file,source_class,fashion_mnist_labels
/// shoes/a.jpg,shoes,5 7 9</code>
/// (file relative to the CSV's folder; labels 0-9 separated by spaces). Every error names the file and line.
/// </summary>
internal static class LabelledPhotos
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

/// <summary>Accuracy of photo predictions against a labels.csv.</summary>
internal sealed record PhotoScore(int Photos, double Top1, double Top3, IReadOnlyDictionary<string, ClassScore> PerClass);

/// <summary>Per source class: photos, top-1 and top-3 accuracy.</summary>
internal sealed record ClassScore(int Photos, double Top1, double Top3);

internal static class PhotoScoring
{
    /// <summary>Top-1 / top-3 counts a prediction as right when its top class (or any of its top 3) is a correct label.</summary>
    public static PhotoScore Score(IReadOnlyList<(LabelledPhoto Photo, PhotoPrediction Prediction)> results)
    {
        var perClass = new SortedDictionary<string, (int n, int top1, int top3)>(StringComparer.Ordinal);
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
        }
        int total = Math.Max(1, results.Count);
        return new PhotoScore(results.Count, (double)top1 / total, (double)top3 / total,
            perClass.ToDictionary(kv => kv.Key, kv => new ClassScore(kv.Value.n, (double)kv.Value.top1 / kv.Value.n, (double)kv.Value.top3 / kv.Value.n)));
    }
}
