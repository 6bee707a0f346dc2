using FashionMnist.Data;

namespace FashionMnist.Evaluation;

/// <summary>
/// Metrics of class probabilities when an answer may have several right labels (a photo of a long-sleeved top is right
/// as Pullover or Shirt): each sample's right labels are a bit mask, bit k for label k. With one bit per sample they are
/// the usual top-k accuracy, log loss and calibration error.
/// </summary>
internal static class AcceptableLabelMetrics
{
    /// <summary>The mask of <paramref name="labels"/> (each 0-9).</summary>
    public static ushort Mask(IEnumerable<int> labels)
    {
        ushort mask = 0;
        foreach (int label in labels)
        {
            if ((uint)label >= FashionMnistClasses.Count) throw new ArgumentOutOfRangeException(nameof(labels), label, "A label is 0-9.");
            mask |= (ushort)(1 << label);
        }
        return mask;
    }

    /// <summary>The classes of one row, most probable first (ties: lower class first, as argmax).</summary>
    public static int[] Ranking(ReadOnlySpan<float> row)
    {
        var order = new int[row.Length];
        for (int c = 0; c < order.Length; c++) order[c] = c;
        float[] values = row.ToArray();
        Array.Sort(order, (a, b) => values[a] != values[b] ? values[b].CompareTo(values[a]) : a.CompareTo(b));
        return order;
    }

    /// <summary>Share of samples with a right label among their <paramref name="k"/> most probable classes.</summary>
    public static double TopK(ReadOnlySpan<float> probabilities, ReadOnlySpan<ushort> acceptable, int k)
    {
        var (confidences, correct) = TopKAnswers(probabilities, acceptable, k);
        return correct.Length == 0 ? 0 : (double)correct.Count(c => c) / correct.Length;
    }

    /// <summary>
    /// Mean −ln of the probability given to the right labels together (Σ over the mask, floored at
    /// <see cref="ProbabilityMetrics.LogLossEpsilon"/>): what the photo calibration minimises.
    /// </summary>
    public static double LogLoss(ReadOnlySpan<float> probabilities, ReadOnlySpan<ushort> acceptable)
    {
        int classes = CheckShape(probabilities, acceptable);
        if (acceptable.Length == 0) return 0;
        double total = 0;
        for (int i = 0; i < acceptable.Length; i++)
        {
            double right = 0;
            for (int c = 0; c < classes; c++)
                if ((acceptable[i] >> c & 1) != 0) right += probabilities[i * classes + c];
            total -= Math.Log(Math.Max(right, ProbabilityMetrics.LogLossEpsilon));
        }
        return total / acceptable.Length;
    }

    /// <summary>
    /// Expected calibration error of the top-<paramref name="k"/> answer: the stated confidence is the probability of the
    /// k most probable classes together, the answer is right when one of them is a right label. k = 1 is the usual ECE;
    /// k = 3 asks whether "the right class is among these three with probability q" holds.
    /// </summary>
    public static double CalibrationError(ReadOnlySpan<float> probabilities, ReadOnlySpan<ushort> acceptable, int k, int bins = ProbabilityMetrics.CalibrationBins)
    {
        var (confidences, correct) = TopKAnswers(probabilities, acceptable, k);
        return ProbabilityMetrics.ExpectedCalibrationError(ProbabilityMetrics.CalibrationTable(confidences, correct, bins));
    }

    private static (double[] Confidences, bool[] Correct) TopKAnswers(ReadOnlySpan<float> probabilities, ReadOnlySpan<ushort> acceptable, int k)
    {
        int classes = CheckShape(probabilities, acceptable);
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        var confidences = new double[acceptable.Length];
        var correct = new bool[acceptable.Length];
        for (int i = 0; i < acceptable.Length; i++)
        {
            ReadOnlySpan<float> row = probabilities.Slice(i * classes, classes);
            int[] ranking = Ranking(row);
            for (int r = 0; r < Math.Min(k, classes); r++)
            {
                confidences[i] += row[ranking[r]];
                correct[i] |= (acceptable[i] >> ranking[r] & 1) != 0;
            }
            confidences[i] = Math.Min(confidences[i], 1);
        }
        return (confidences, correct);
    }

    private static int CheckShape(ReadOnlySpan<float> probabilities, ReadOnlySpan<ushort> acceptable)
    {
        const int classes = FashionMnistClasses.Count;
        if (probabilities.Length != acceptable.Length * classes)
            throw new ArgumentException($"{probabilities.Length} probabilities for {acceptable.Length} samples of {classes} classes.", nameof(probabilities));
        foreach (ushort mask in acceptable)
            if (mask == 0 || mask >> classes != 0) throw new ArgumentException($"Mask {mask} names no label or one outside 0..{classes - 1}.", nameof(acceptable));
        return classes;
    }
}
