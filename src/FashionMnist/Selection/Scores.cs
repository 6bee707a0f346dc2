using FashionMnist.Evaluation;

namespace FashionMnist.Selection;

/// <summary>
/// The metrics a search ranks and reports candidates by. They are computed by Evaluation's
/// <see cref="ClassificationMetrics"/> (the same numbers `fmnist evaluate` prints), never by a second implementation.
/// </summary>
public static class Scores
{
    public const string Accuracy = "accuracy";
    public const string MacroF1 = "macro_f1";

    /// <summary>Metric names every search result carries, in display order.</summary>
    public static IReadOnlyList<string> Names { get; } = [Accuracy, MacroF1];

    /// <summary>The search metrics of one fold's predictions.</summary>
    public static IReadOnlyDictionary<string, double> Of(ReadOnlySpan<byte> actual, ReadOnlySpan<byte> predicted)
    {
        var metrics = ClassificationMetrics.Compute(actual, predicted);
        return new Dictionary<string, double>
        {
            [Accuracy] = metrics.Accuracy,
            [MacroF1] = metrics.MacroAverage.F1,
        };
    }
}
