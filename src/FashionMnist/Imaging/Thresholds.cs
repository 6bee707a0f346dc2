using System.Buffers;
using System.Numerics.Tensors;
using System.Runtime.Intrinsics;

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
        Span<float> result = stackalloc float[1];
        OrderStatistics(values, [k], result);
        return result[0];
    }

    /// <summary>
    /// <see cref="OrderStatistic"/> for several ranks of the same values, each exactly what it would return, with one
    /// minimum/maximum, one bucket index per value and one counting pass for all of them (the garment's intensity
    /// stretch takes its 1st and 99th percentiles of tens of thousands of pixels for each of a photo's views).
    /// </summary>
    public static void OrderStatistics(ReadOnlySpan<float> values, ReadOnlySpan<int> ks, Span<float> results)
    {
        if (results.Length < ks.Length) throw new ArgumentException("One result per rank is needed.", nameof(results));
        foreach (int k in ks)
            if ((uint)k >= (uint)values.Length) throw new ArgumentOutOfRangeException(nameof(ks));
        const int buckets = 1024;
        if (values.Length <= 4 * buckets)
        {
            SelectInCopy(values, ks, results);
            return;
        }
        float min = TensorPrimitives.Min(values), max = TensorPrimitives.Max(values);
        if (!(max > min))
        {
            results[..ks.Length].Fill(min);
            return;
        }
        float scale = buckets / (max - min);
        if (!float.IsFinite(scale))
        {
            SelectInCopy(values, ks, results); // a range too narrow to divide
            return;
        }
        int[] indices = ArrayPool<int>.Shared.Rent(values.Length);
        try
        {
            Span<int> bucketOf = indices.AsSpan(0, values.Length);
            BucketIndices(values, min, scale, buckets - 1, bucketOf);
            Span<int> counts = stackalloc int[buckets];
            Count(bucketOf, counts);
            for (int r = 0; r < ks.Length; r++)
            {
                int bucket = 0, below = 0;
                while (below + counts[bucket] <= ks[r]) below += counts[bucket++];
                float[] rented = ArrayPool<float>.Shared.Rent(counts[bucket]);
                int m = 0;
                for (int i = 0; i < bucketOf.Length; i++)
                    if (bucketOf[i] == bucket) rented[m++] = values[i];
                results[r] = Select(rented.AsSpan(0, m), ks[r] - below);
                ArrayPool<float>.Shared.Return(rented);
            }
        }
        finally
        {
            ArrayPool<int>.Shared.Return(indices);
        }
    }

    /// <summary>
    /// min(last, (int)((v - min) x scale)) for every value, a vector at a time: the same float subtraction and
    /// multiplication, then truncation, as the scalar expression, so the same bucket.
    /// </summary>
    private static void BucketIndices(ReadOnlySpan<float> values, float min, float scale, int last, Span<int> bucketOf)
    {
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            Vector512<float> low = Vector512.Create(min), factor = Vector512.Create(scale);
            Vector512<int> top = Vector512.Create(last);
            for (; i + Vector512<float>.Count <= values.Length; i += Vector512<float>.Count)
            {
                Vector512<float> v = Vector512.Create(values.Slice(i, Vector512<float>.Count));
                Vector512.Min(Vector512.ConvertToInt32((v - low) * factor), top).CopyTo(bucketOf.Slice(i, Vector512<int>.Count));
            }
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            Vector256<float> low = Vector256.Create(min), factor = Vector256.Create(scale);
            Vector256<int> top = Vector256.Create(last);
            for (; i + Vector256<float>.Count <= values.Length; i += Vector256<float>.Count)
            {
                Vector256<float> v = Vector256.Create(values.Slice(i, Vector256<float>.Count));
                Vector256.Min(Vector256.ConvertToInt32((v - low) * factor), top).CopyTo(bucketOf.Slice(i, Vector256<int>.Count));
            }
        }
        for (; i < values.Length; i++) bucketOf[i] = Math.Min(last, (int)((values[i] - min) * scale));
    }

    /// <summary>How many values fall in each bucket. Four partial histograms, added at the end: a garment's runs of
    /// equal values (a clipped highlight, a flat colour) would otherwise make every increment wait for the one before.</summary>
    private static void Count(ReadOnlySpan<int> bucketOf, Span<int> counts)
    {
        int buckets = counts.Length;
        Span<int> partial = stackalloc int[4 * buckets];
        partial.Clear();
        Span<int> c0 = partial[..buckets], c1 = partial.Slice(buckets, buckets), c2 = partial.Slice(2 * buckets, buckets), c3 = partial[(3 * buckets)..];
        int i = 0;
        for (; i + 4 <= bucketOf.Length; i += 4)
        {
            c0[bucketOf[i]]++;
            c1[bucketOf[i + 1]]++;
            c2[bucketOf[i + 2]]++;
            c3[bucketOf[i + 3]]++;
        }
        for (; i < bucketOf.Length; i++) c0[bucketOf[i]]++;
        for (int b = 0; b < buckets; b++) counts[b] = c0[b] + c1[b] + c2[b] + c3[b];
    }

    /// <summary>Each rank by <see cref="Select"/> on one copy of the values: a selection only reorders the copy, so the
    /// next rank is still found among the same values.</summary>
    private static void SelectInCopy(ReadOnlySpan<float> values, ReadOnlySpan<int> ks, Span<float> results)
    {
        float[] rented = ArrayPool<float>.Shared.Rent(values.Length);
        try
        {
            values.CopyTo(rented);
            for (int r = 0; r < ks.Length; r++) results[r] = Select(rented.AsSpan(0, values.Length), ks[r]);
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
