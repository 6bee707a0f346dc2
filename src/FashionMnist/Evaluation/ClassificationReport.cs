using System.Text;

namespace FashionMnist.Evaluation;

/// <summary>
/// The text table of scikit-learn's <c>classification_report</c>, column for column, so numbers can be
/// compared with a Python run by eye or by diff. sklearn's layout: the name column is as wide as the
/// longest of the class names, "weighted avg" and <c>digits</c>; every other column is 9 characters
/// after a space; rows are separated from the header and the averages by a blank line; the accuracy
/// row leaves precision and recall empty. (sklearn prints "micro avg" instead of "accuracy" only when a
/// label subset is asked for; we always report all classes, where micro average equals accuracy.)
/// </summary>
public static class ClassificationReport
{
    private static readonly string[] s_headers = ["precision", "recall", "f1-score", "support"];

    /// <summary>The report's text for <paramref name="metrics"/> with <paramref name="digits"/> decimals, as sklearn prints it.</summary>
    public static string Format(ClassificationMetrics metrics, int digits = 4)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(digits);
        const string longestHeading = "weighted avg";
        int width = Math.Max(Math.Max(metrics.PerClass.Max(m => m.Name.Length), longestHeading.Length), digits);
        string number = "F" + digits.ToString(CultureInfo.InvariantCulture);
        var text = new StringBuilder();

        text.Append(new string(' ', width)).Append(' ');
        foreach (string header in s_headers) text.Append(' ').Append(header.PadLeft(9));
        text.Append("\n\n");

        void Row(string heading, double? precision, double? recall, double f1, int support)
        {
            text.Append(heading.PadLeft(width)).Append(' ');
            text.Append(' ').Append((precision?.ToString(number, CultureInfo.InvariantCulture) ?? "").PadLeft(9));
            text.Append(' ').Append((recall?.ToString(number, CultureInfo.InvariantCulture) ?? "").PadLeft(9));
            text.Append(' ').Append(f1.ToString(number, CultureInfo.InvariantCulture).PadLeft(9));
            text.Append(' ').Append(support.ToString(CultureInfo.InvariantCulture).PadLeft(9)).Append('\n');
        }

        foreach (var m in metrics.PerClass) Row(m.Name, m.Precision, m.Recall, m.F1, m.Support);
        text.Append('\n');
        Row("accuracy", null, null, metrics.Accuracy, metrics.Confusion.Total);
        var macro = metrics.MacroAverage;
        Row("macro avg", macro.Precision, macro.Recall, macro.F1, macro.Support);
        var weighted = metrics.WeightedAverage;
        Row("weighted avg", weighted.Precision, weighted.Recall, weighted.F1, weighted.Support);
        return text.ToString();
    }
}
