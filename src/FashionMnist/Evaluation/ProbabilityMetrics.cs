using FashionMnist.Data;

namespace FashionMnist.Evaluation;

/// <summary>
/// Metrics of predicted class probabilities (row-major, one row of <c>classes</c> values per sample).
/// </summary>
public static class ProbabilityMetrics
{
    /// <summary>sklearn's classic clipping bound for log loss.</summary>
    public const double LogLossEpsilon = 1e-15;

    /// <summary>Bins of <see cref="ExpectedCalibrationError(ReadOnlySpan{float}, ReadOnlySpan{byte}, int, int)"/> by default (the common choice in the calibration literature).</summary>
    public const int CalibrationBins = 15;

    /// <summary>
    /// Share of samples whose true class is among the <paramref name="k"/> most probable ones.
    /// Ties are broken like argmax (lower class first): a class counts as above the true one when its
    /// probability is larger, or equal with a lower index.
    /// </summary>
    public static double TopKAccuracy(ReadOnlySpan<float> probabilities, ReadOnlySpan<byte> labels, int k, int classes = FashionMnistClasses.Count)
    {
        CheckShape(probabilities, labels, classes);
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        if (labels.Length == 0) return 0;
        int hits = 0;
        for (int i = 0; i < labels.Length; i++)
        {
            ReadOnlySpan<float> row = probabilities.Slice(i * classes, classes);
            int label = labels[i];
            float p = row[label];
            int ahead = 0;
            for (int c = 0; c < classes; c++)
                if (row[c] > p || (row[c] == p && c < label)) ahead++;
            if (ahead < k) hits++;
        }
        return (double)hits / labels.Length;
    }

    /// <summary>
    /// Mean negative log-probability of the true class (cross-entropy), as scikit-learn's log_loss did with
    /// eps=1e-15: every probability is clipped to [eps, 1-eps], each row is renormalised to sum to 1, and
    /// natural logarithms are used. A confident wrong answer costs at most -ln(1e-15) ≈ 34.54.
    /// </summary>
    public static double LogLoss(ReadOnlySpan<float> probabilities, ReadOnlySpan<byte> labels, int classes = FashionMnistClasses.Count, double epsilon = LogLossEpsilon)
    {
        CheckShape(probabilities, labels, classes);
        if (labels.Length == 0) return 0;
        double total = 0;
        for (int i = 0; i < labels.Length; i++)
        {
            ReadOnlySpan<float> row = probabilities.Slice(i * classes, classes);
            double rowSum = 0;
            for (int c = 0; c < classes; c++) rowSum += Math.Clamp(row[c], epsilon, 1 - epsilon);
            double p = Math.Clamp(row[labels[i]], epsilon, 1 - epsilon) / rowSum;
            total -= Math.Log(p);
        }
        return total / labels.Length;
    }

    /// <summary>
    /// Expected calibration error (Guo et al. 2017): samples go into <paramref name="bins"/> equal-width bins
    /// by confidence (the largest probability; bin b holds confidences in (b/B, (b+1)/B]); ECE is the
    /// sample-weighted mean over bins of |accuracy − mean confidence|. 0 means perfectly calibrated.
    /// The predicted class is the argmax (lower class on ties).
    /// </summary>
    public static double ExpectedCalibrationError(ReadOnlySpan<float> probabilities, ReadOnlySpan<byte> labels, int bins = CalibrationBins, int classes = FashionMnistClasses.Count) =>
        ExpectedCalibrationError(CalibrationTable(probabilities, labels, bins, classes));

    /// <summary>ECE of a reliability table: the sample-weighted mean over bins of |accuracy − mean confidence|.</summary>
    public static double ExpectedCalibrationError(IReadOnlyList<CalibrationBin> table)
    {
        int total = table.Sum(b => b.Count);
        if (total == 0) return 0;
        double ece = 0;
        foreach (var bin in table)
            if (bin.Count > 0) ece += (double)bin.Count / total * Math.Abs(bin.Accuracy - bin.MeanConfidence);
        return ece;
    }

    /// <summary>The reliability table behind <see cref="ExpectedCalibrationError(ReadOnlySpan{float}, ReadOnlySpan{byte}, int, int)"/> (one entry per bin, empty bins included).</summary>
    public static IReadOnlyList<CalibrationBin> CalibrationTable(ReadOnlySpan<float> probabilities, ReadOnlySpan<byte> labels, int bins = CalibrationBins, int classes = FashionMnistClasses.Count)
    {
        CheckShape(probabilities, labels, classes);
        var confidences = new double[labels.Length];
        var correct = new bool[labels.Length];
        for (int i = 0; i < labels.Length; i++)
        {
            ReadOnlySpan<float> row = probabilities.Slice(i * classes, classes);
            int best = 0;
            for (int c = 1; c < classes; c++) if (row[c] > row[best]) best = c;
            confidences[i] = row[best];
            correct[i] = best == labels[i];
        }
        return CalibrationTable(confidences, correct, bins);
    }

    /// <summary>
    /// The reliability table of any stated confidences (a probability that the answer is right) and whether each answer
    /// was right: bin b holds confidences in (b/B, (b+1)/B], confidence 0 in the first.
    /// </summary>
    public static IReadOnlyList<CalibrationBin> CalibrationTable(ReadOnlySpan<double> confidences, ReadOnlySpan<bool> correct, int bins = CalibrationBins)
    {
        if (confidences.Length != correct.Length) throw new ArgumentException($"{confidences.Length} confidences for {correct.Length} answers.", nameof(correct));
        ArgumentOutOfRangeException.ThrowIfLessThan(bins, 1);
        var counts = new int[bins];
        var hits = new int[bins];
        var confidenceSum = new double[bins];
        for (int i = 0; i < confidences.Length; i++)
        {
            double confidence = confidences[i];
            // (b/B, (b+1)/B]: ceil(conf * B) - 1, with confidence 0 falling into the first bin.
            int bin = Math.Clamp((int)Math.Ceiling(confidence * bins) - 1, 0, bins - 1);
            counts[bin]++;
            confidenceSum[bin] += confidence;
            if (correct[i]) hits[bin]++;
        }
        var table = new CalibrationBin[bins];
        for (int b = 0; b < bins; b++)
            table[b] = new CalibrationBin((double)b / bins, (double)(b + 1) / bins, counts[b],
                counts[b] == 0 ? 0 : (double)hits[b] / counts[b],
                counts[b] == 0 ? 0 : confidenceSum[b] / counts[b]);
        return table;
    }

    private static void CheckShape(ReadOnlySpan<float> probabilities, ReadOnlySpan<byte> labels, int classes)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(classes, 1);
        if (probabilities.Length != labels.Length * classes)
            throw new ArgumentException($"{probabilities.Length} probabilities for {labels.Length} samples of {classes} classes.", nameof(probabilities));
        foreach (byte label in labels)
            if (label >= classes) throw new ArgumentException($"Label {label} is outside 0..{classes - 1}.", nameof(labels));
    }
}

/// <summary>One confidence bin of a reliability diagram: (<paramref name="Lower"/>, <paramref name="Upper"/>].</summary>
public sealed record CalibrationBin(double Lower, double Upper, int Count, double Accuracy, double MeanConfidence);

/// <summary>
/// Accuracy on the training, validation and test data side by side. <see cref="Gap"/> (train − test) is
/// the overfitting measure: how much better the model does on what it has seen than on what it has not.
/// </summary>
internal sealed record AccuracySplit(double TrainAccuracy, double? ValidationAccuracy, double TestAccuracy)
{
    public double Gap => TrainAccuracy - TestAccuracy;

    public double? TrainValidationGap => ValidationAccuracy is double v ? TrainAccuracy - v : null;
}
