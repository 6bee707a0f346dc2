namespace FashionMnist.Imaging;

/// <summary>Histogram thresholds and percentiles used by the garment segmentation.</summary>
internal static class Thresholds
{
    /// <summary>
    /// Otsu's threshold: the value that maximises the between-class variance of the two groups it splits
    /// the values into (256 bins between the minimum and the maximum).
    /// </summary>
    public static float Otsu(ReadOnlySpan<float> values)
    {
        if (values.IsEmpty) return 0;
        float min = float.MaxValue, max = float.MinValue;
        foreach (float v in values) { if (v < min) min = v; if (v > max) max = v; }
        if (max <= min) return min;
        const int bins = 256;
        Span<int> histogram = stackalloc int[bins];
        float scale = (bins - 1) / (max - min);
        foreach (float v in values) histogram[(int)((v - min) * scale)]++;
        double total = values.Length, sumAll = 0;
        for (int i = 0; i < bins; i++) sumAll += i * (double)histogram[i];
        double weightBelow = 0, sumBelow = 0, best = -1;
        int bestBin = 0;
        for (int i = 0; i < bins; i++)
        {
            weightBelow += histogram[i];
            if (weightBelow == 0) continue;
            double weightAbove = total - weightBelow;
            if (weightAbove == 0) break;
            sumBelow += i * (double)histogram[i];
            double meanBelow = sumBelow / weightBelow, meanAbove = (sumAll - sumBelow) / weightAbove;
            double between = weightBelow * weightAbove * (meanBelow - meanAbove) * (meanBelow - meanAbove);
            if (between > best) { best = between; bestBin = i; }
        }
        // Values in bins 0..bestBin are below; the threshold sits at the upper edge of bestBin.
        return min + (bestBin + 1) / scale;
    }

    /// <summary>Several quantiles (0-1) of the values with one sort (nearest rank).</summary>
    public static float[] Percentiles(float[] values, params ReadOnlySpan<double> fractions)
    {
        float[] sorted = (float[])values.Clone();
        Array.Sort(sorted);
        var result = new float[fractions.Length];
        for (int i = 0; i < fractions.Length; i++)
            result[i] = sorted.Length == 0 ? 0 : sorted[NearestRank(fractions[i], sorted.Length)];
        return result;
    }

    /// <summary>The <paramref name="fraction"/>-quantile (0-1) of the values, by sorting a copy (nearest rank).</summary>
    public static float Percentile(IEnumerable<float> values, double fraction)
    {
        float[] sorted = values.ToArray();
        if (sorted.Length == 0) return 0;
        Array.Sort(sorted);
        return sorted[NearestRank(fraction, sorted.Length)];
    }

    /// <summary>Index of the <paramref name="fraction"/>-quantile in <paramref name="length"/> sorted values (nearest rank).</summary>
    internal static int NearestRank(double fraction, int length) =>
        (int)Math.Clamp(Math.Round(fraction * (length - 1)), 0, length - 1);
}
