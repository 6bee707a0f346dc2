namespace FashionMnist.Neural;

/// <summary>
/// Softmax and cross-entropy fused: the gradient with respect to the logits is simply
/// (softmax − target) / n. Numerically stable: every row is shifted by its maximum before exp
/// (a plain softmax turns [1000, 999, 0] into NaN). Optional label smoothing ε spreads ε of the
/// target mass evenly over all classes.
/// </summary>
public static class SoftmaxCrossEntropy
{
    /// <summary>
    /// Mean loss over the <paramref name="n"/> rows and the number of rows whose arg-max is the label.
    /// When <paramref name="gradient"/> is not empty it receives dL/dlogits of the mean loss.
    /// </summary>
    public static (double MeanLoss, int Correct) Compute(ReadOnlySpan<float> logits, ReadOnlySpan<byte> labels, int n, int classes,
        float labelSmoothing, Span<float> gradient) =>
        Compute(logits, labels, default, 1f, n, classes, labelSmoothing, gradient);

    /// <summary>
    /// The loss of mixed inputs (mixup, cutmix): row r's target is λ·t(labels[r]) + (1 − λ)·t(partners[r]), t the
    /// smoothed one-hot. An empty <paramref name="partners"/> (or λ = 1) is the plain loss. A row counts as correct
    /// when its arg-max is the label with the larger weight (its own label on a tie).
    /// </summary>
    public static (double MeanLoss, int Correct) Compute(ReadOnlySpan<float> logits, ReadOnlySpan<byte> labels, ReadOnlySpan<byte> partners,
        float lambda, int n, int classes, float labelSmoothing, Span<float> gradient)
    {
        if (logits.Length < n * classes || labels.Length < n || (!partners.IsEmpty && partners.Length < n))
            throw new ArgumentException($"Loss needs {n}x{classes} logits and {n} labels.");
        if (partners.IsEmpty) lambda = 1f;
        double total = 0;
        int correct = 0;
        float offTarget = labelSmoothing / classes, share = 1f - labelSmoothing, invN = 1f / n;
        float own = lambda * share, other = (1f - lambda) * share;
        Span<float> target = stackalloc float[classes];
        for (int r = 0; r < n; r++)
        {
            ReadOnlySpan<float> row = logits.Slice(r * classes, classes);
            int label = labels[r], partner = partners.IsEmpty ? label : partners[r];
            if ((uint)label >= (uint)classes || (uint)partner >= (uint)classes)
                throw new ArgumentException($"Label {Math.Max(label, partner)} is outside 0..{classes - 1}.");
            target.Fill(offTarget);
            target[label] += own;
            target[partner] += other;
            int best = 0;
            float max = row[0];
            for (int c = 1; c < classes; c++) if (row[c] > max) { max = row[c]; best = c; }
            if (best == (lambda >= 0.5f ? label : partner)) correct++;
            double sum = 0;
            for (int c = 0; c < classes; c++) sum += Math.Exp(row[c] - max);
            double logSum = max + Math.Log(sum);
            double loss = 0;
            for (int c = 0; c < classes; c++)
                if (target[c] != 0) loss += target[c] * (logSum - row[c]);
            total += loss;
            if (!gradient.IsEmpty)
            {
                Span<float> g = gradient.Slice(r * classes, classes);
                for (int c = 0; c < classes; c++)
                    g[c] = ((float)Math.Exp(row[c] - logSum) - target[c]) * invN;
            }
        }
        return (total / n, correct);
    }

    /// <summary>Row-wise stable softmax of an n x classes matrix.</summary>
    public static void Softmax(ReadOnlySpan<float> logits, Span<float> probabilities, int n, int classes)
    {
        for (int r = 0; r < n; r++)
        {
            ReadOnlySpan<float> row = logits.Slice(r * classes, classes);
            Span<float> output = probabilities.Slice(r * classes, classes);
            float max = row[0];
            for (int c = 1; c < classes; c++) max = Math.Max(max, row[c]);
            double sum = 0;
            for (int c = 0; c < classes; c++) sum += Math.Exp(row[c] - max);
            for (int c = 0; c < classes; c++) output[c] = (float)(Math.Exp(row[c] - max) / sum);
        }
    }
}
