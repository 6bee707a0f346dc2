using System.Buffers;
using System.Numerics.Tensors;

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

    /// <summary>The <paramref name="fraction"/>-quantile (0-1) of the values (nearest rank), leaving them as they are.</summary>
    public static float Percentile(ReadOnlySpan<float> values, double fraction) =>
        values.IsEmpty ? 0 : OrderStatistic(values, NearestRank(fraction, values.Length));

    /// <summary>
    /// The value a sort would put at index <paramref name="k"/>, without reordering <paramref name="values"/>: the
    /// values are counted into 1,024 buckets by value (the bucket of v, floor((v - min) x scale), never decreases as v
    /// grows, so the buckets are in value order), and only the bucket holding rank k is copied and searched
    /// (<see cref="Select"/>). Two passes over the values where quickselect moves them around several times. Exact: the
    /// same value as a sort, for NaN-free values.
    /// </summary>
    public static float OrderStatistic(ReadOnlySpan<float> values, int k)
    {
        if ((uint)k >= (uint)values.Length) throw new ArgumentOutOfRangeException(nameof(k));
        const int buckets = 1024;
        if (values.Length <= 4 * buckets) return SelectInCopy(values, k);
        float min = TensorPrimitives.Min(values), max = TensorPrimitives.Max(values);
        if (!(max > min)) return min;
        float scale = buckets / (max - min);
        if (!float.IsFinite(scale)) return SelectInCopy(values, k); // a range too narrow to divide
        Span<int> counts = stackalloc int[buckets];
        counts.Clear();
        foreach (float v in values) counts[Math.Min(buckets - 1, (int)((v - min) * scale))]++;
        int bucket = 0, below = 0;
        while (below + counts[bucket] <= k) below += counts[bucket++];
        float[] rented = ArrayPool<float>.Shared.Rent(counts[bucket]);
        try
        {
            int m = 0;
            foreach (float v in values)
                if (Math.Min(buckets - 1, (int)((v - min) * scale)) == bucket) rented[m++] = v;
            return Select(rented.AsSpan(0, m), k - below);
        }
        finally
        {
            ArrayPool<float>.Shared.Return(rented);
        }
    }

    private static float SelectInCopy(ReadOnlySpan<float> values, int k)
    {
        float[] rented = ArrayPool<float>.Shared.Rent(values.Length);
        try
        {
            values.CopyTo(rented);
            return Select(rented.AsSpan(0, values.Length), k);
        }
        finally
        {
            ArrayPool<float>.Shared.Return(rented);
        }
    }

    /// <summary>
    /// The value a sort would put at index <paramref name="k"/> (quickselect: linear time where the sort was
    /// n log n; the photo pipeline takes several percentiles of tens of thousands of pixels). Reorders
    /// <paramref name="values"/>. For NaN-free values.
    /// </summary>
    public static float Select(Span<float> values, int k)
    {
        if ((uint)k >= (uint)values.Length) throw new ArgumentOutOfRangeException(nameof(k));
        int lo = 0, hi = values.Length - 1;
        while (hi > lo)
        {
            // Median of three as the pivot; it also keeps both scans inside [lo, hi].
            int mid = lo + (hi - lo) / 2;
            if (values[mid] < values[lo]) (values[mid], values[lo]) = (values[lo], values[mid]);
            if (values[hi] < values[lo]) (values[hi], values[lo]) = (values[lo], values[hi]);
            if (values[hi] < values[mid]) (values[hi], values[mid]) = (values[mid], values[hi]);
            float pivot = values[mid];
            int i = lo, j = hi;
            while (i <= j)
            {
                while (values[i] < pivot) i++;
                while (values[j] > pivot) j--;
                if (i <= j)
                {
                    (values[i], values[j]) = (values[j], values[i]);
                    i++;
                    j--;
                }
            }
            // Now values[lo..j] <= pivot <= values[i..hi], and everything strictly between j and i equals the pivot.
            if (k <= j) hi = j;
            else if (k >= i) lo = i;
            else return values[k];
        }
        return values[k];
    }

    /// <summary>Index of the <paramref name="fraction"/>-quantile in <paramref name="length"/> sorted values (nearest rank).</summary>
    internal static int NearestRank(double fraction, int length) =>
        (int)Math.Clamp(Math.Round(fraction * (length - 1)), 0, length - 1);
}
