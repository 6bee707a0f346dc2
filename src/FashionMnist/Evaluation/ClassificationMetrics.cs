using FashionMnist.Data;

namespace FashionMnist.Evaluation;

/// <summary>Precision, recall, F1 and support of one class.</summary>
public sealed record ClassMetrics(int Label, string Name, double Precision, double Recall, double F1, int Support);

/// <summary>An average over classes of precision, recall and F1, with the total support.</summary>
public sealed record AveragedMetrics(double Precision, double Recall, double F1, int Support);

/// <summary>
/// The label-based metrics of one set of predictions, computed as scikit-learn does: a class with no
/// predictions has precision 0, a class with no samples has recall 0, and F1 is 0 when precision and
/// recall are both 0 (sklearn's zero_division=0 behaviour, without the warning).
/// Macro averages weigh every class the same; weighted averages weigh each class by its support.
/// </summary>
public sealed class ClassificationMetrics
{
    private ClassificationMetrics(ConfusionMatrix confusion, IReadOnlyList<string> classNames)
    {
        Confusion = confusion;
        int classes = confusion.Classes;
        var perClass = new List<ClassMetrics>(classes);
        for (int c = 0; c < classes; c++)
        {
            int truePositives = confusion[c, c];
            int predicted = confusion.ColumnTotal(c);
            int support = confusion.RowTotal(c);
            double precision = predicted == 0 ? 0 : (double)truePositives / predicted;
            double recall = support == 0 ? 0 : (double)truePositives / support;
            double f1 = precision + recall == 0 ? 0 : 2 * precision * recall / (precision + recall);
            perClass.Add(new ClassMetrics(c, classNames[c], precision, recall, f1, support));
        }
        PerClass = perClass;
        int total = confusion.Total;
        Accuracy = total == 0 ? 0 : (double)confusion.Correct / total;
        MacroAverage = new AveragedMetrics(
            perClass.Average(m => m.Precision), perClass.Average(m => m.Recall), perClass.Average(m => m.F1), total);
        WeightedAverage = total == 0
            ? new AveragedMetrics(0, 0, 0, 0)
            : new AveragedMetrics(
                perClass.Sum(m => m.Precision * m.Support) / total,
                perClass.Sum(m => m.Recall * m.Support) / total,
                perClass.Sum(m => m.F1 * m.Support) / total,
                total);
    }

    /// <summary>The counts the metrics come from.</summary>
    public ConfusionMatrix Confusion { get; }

    /// <summary>Share of samples predicted correctly.</summary>
    public double Accuracy { get; }

    /// <summary>Precision, recall, F1 and support of each class, in label order.</summary>
    public IReadOnlyList<ClassMetrics> PerClass { get; }

    /// <summary>The unweighted mean over classes (scikit-learn's "macro avg").</summary>
    public AveragedMetrics MacroAverage { get; }

    /// <summary>The mean over classes weighted by support (scikit-learn's "weighted avg").</summary>
    public AveragedMetrics WeightedAverage { get; }

    /// <summary>Metrics of predicted labels against true labels, for the ten Fashion-MNIST classes.</summary>
    public static ClassificationMetrics Compute(ReadOnlySpan<byte> actual, ReadOnlySpan<byte> predicted) =>
        Compute(actual, predicted, FashionMnistClasses.Names);

    /// <summary>Metrics for any number of classes (one name per class, label order).</summary>
    public static ClassificationMetrics Compute(ReadOnlySpan<byte> actual, ReadOnlySpan<byte> predicted, IReadOnlyList<string> classNames) =>
        new(ConfusionMatrix.From(actual, predicted, classNames.Count), classNames);

    /// <summary>Metrics of an existing confusion matrix; one name per class, label order.</summary>
    public static ClassificationMetrics FromConfusion(ConfusionMatrix confusion, IReadOnlyList<string> classNames)
    {
        if (classNames.Count != confusion.Classes)
            throw new ArgumentException($"{classNames.Count} class names for {confusion.Classes} classes.", nameof(classNames));
        return new ClassificationMetrics(confusion, classNames);
    }

    /// <summary>scikit-learn's classification_report text for these metrics (see <see cref="ClassificationReport"/>).</summary>
    public string ToReport(int digits = 4) => ClassificationReport.Format(this, digits);
}
