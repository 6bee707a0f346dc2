using FashionMnist.Classic;
using FashionMnist.Data;

namespace FashionMnist.Selection;

/// <summary>
/// The few scores search and the CLI need (accuracy, macro-F1, per-class recall), computed from predictions.
/// The full metrics suite (confusion matrices, calibration, reports) lives in Evaluation.
/// </summary>
public static class Scores
{
    public const string Accuracy = "accuracy";
    public const string MacroF1 = "macro_f1";

    /// <summary>Metric names every search result carries, in display order.</summary>
    public static IReadOnlyList<string> Names { get; } = [Accuracy, MacroF1];

    public static double AccuracyOf(ReadOnlySpan<byte> predicted, ReadOnlySpan<byte> labels)
    {
        if (predicted.Length != labels.Length) throw new ArgumentException("Predictions and labels differ in length.");
        int correct = 0;
        for (int i = 0; i < labels.Length; i++) if (predicted[i] == labels[i]) correct++;
        return labels.Length == 0 ? 0 : (double)correct / labels.Length;
    }

    /// <summary>Unweighted mean over classes of F1 = 2PR/(P+R); a class never predicted nor present is left out.</summary>
    public static double MacroF1Of(ReadOnlySpan<byte> predicted, ReadOnlySpan<byte> labels)
    {
        int classes = FashionMnistClasses.Count;
        Span<int> truePositive = stackalloc int[classes], predictedCount = stackalloc int[classes], actualCount = stackalloc int[classes];
        for (int i = 0; i < labels.Length; i++)
        {
            predictedCount[predicted[i]]++;
            actualCount[labels[i]]++;
            if (predicted[i] == labels[i]) truePositive[labels[i]]++;
        }
        double sum = 0;
        int counted = 0;
        for (int c = 0; c < classes; c++)
        {
            if (predictedCount[c] + actualCount[c] == 0) continue;
            sum += 2.0 * truePositive[c] / (predictedCount[c] + actualCount[c]); // = 2PR/(P+R)
            counted++;
        }
        return counted == 0 ? 0 : sum / counted;
    }

    /// <summary>Share of each class's images predicted right (recall), NaN for a class with no images.</summary>
    public static double[] PerClassAccuracy(ReadOnlySpan<byte> predicted, ReadOnlySpan<byte> labels)
    {
        var correct = new int[FashionMnistClasses.Count];
        var total = new int[FashionMnistClasses.Count];
        for (int i = 0; i < labels.Length; i++)
        {
            total[labels[i]]++;
            if (predicted[i] == labels[i]) correct[labels[i]]++;
        }
        return total.Select((t, c) => t == 0 ? double.NaN : (double)correct[c] / t).ToArray();
    }

    public static IReadOnlyDictionary<string, double> All(ReadOnlySpan<byte> predicted, ReadOnlySpan<byte> labels) =>
        new Dictionary<string, double>
        {
            [Accuracy] = AccuracyOf(predicted, labels),
            [MacroF1] = MacroF1Of(predicted, labels),
        };
}
