namespace FashionMnist.Imaging;

/// <summary>
/// The few colours a busy background is made of (a striped rug, a patterned bedspread, a floor and a wall), found by
/// k-means in RGB over the border band. One plane per channel (<see cref="BackgroundModel"/>) fits the band's mean
/// colour, so every colour of a two-coloured background is far from it and joins the garment mask; the distance to the
/// nearest palette colour is small for all of them. Clusters holding too small a share of the band are dropped: they
/// are more likely a sleeve or a trouser leg that reaches the border than background.
/// Deterministic: centres start farthest-first from the band's median-luminance pixel (ties in band order), then a
/// fixed number of Lloyd iterations with sums in band order.
/// </summary>
internal static class BackgroundPalette
{
    private const int Iterations = 8;

    /// <summary>
    /// Up to <paramref name="colours"/> RGB centres (3 floats each) fitted to the band pixels <paramref name="band"/>,
    /// keeping only those that hold at least <paramref name="minShare"/> of the band. Returns the kept centres' count.
    /// </summary>
    public static int Fit(float[] red, float[] green, float[] blue, int[] band, int colours, double minShare, Span<float> centres)
    {
        int m = band.Length, k = Math.Clamp(colours, 1, 8);
        if (m == 0 || centres.Length < 3 * k) return 0;
        // Initial centres, farthest first: the band's median-luminance pixel, then repeatedly the band pixel farthest
        // from every centre so far (ties: the first in band order). Equal-count luminance slices were tried first: a
        // minority colour darker than the floor then pulled the floor's centre off (a local minimum Lloyd keeps).
        var keys = new float[m];
        for (int b = 0; b < m; b++)
        {
            int i = band[b];
            keys[b] = 0.299f * red[i] + 0.587f * green[i] + 0.114f * blue[i];
        }
        float median = Thresholds.OrderStatistic(keys, m / 2);
        int first = Array.IndexOf(keys, median);
        centres[0] = red[band[first]]; centres[1] = green[band[first]]; centres[2] = blue[band[first]];
        var nearestSquared = new float[m];
        Array.Fill(nearestSquared, float.MaxValue);
        for (int c = 1; c < k; c++)
        {
            int farthest = 0;
            float farthestSquared = -1;
            for (int b = 0; b < m; b++)
            {
                int i = band[b];
                float dr = red[i] - centres[3 * (c - 1)], dg = green[i] - centres[3 * (c - 1) + 1], db = blue[i] - centres[3 * (c - 1) + 2];
                nearestSquared[b] = Math.Min(nearestSquared[b], dr * dr + dg * dg + db * db);
                if (nearestSquared[b] > farthestSquared) { farthestSquared = nearestSquared[b]; farthest = b; }
            }
            int f = band[farthest];
            centres[3 * c] = red[f]; centres[3 * c + 1] = green[f]; centres[3 * c + 2] = blue[f];
        }
        Span<double> sums = stackalloc double[4 * 8];

        for (int iteration = 0; iteration < Iterations; iteration++)
        {
            sums.Clear();
            for (int b = 0; b < m; b++)
            {
                int i = band[b];
                int nearest = Nearest(centres[..(3 * k)], red[i], green[i], blue[i], out _);
                sums[4 * nearest] += red[i]; sums[4 * nearest + 1] += green[i]; sums[4 * nearest + 2] += blue[i]; sums[4 * nearest + 3]++;
            }
            for (int c = 0; c < k; c++)
                if (sums[4 * c + 3] > 0) SetCentre(centres, c, sums);
        }
        // Keep the clusters that hold a real share of the band (counts from the last assignment).
        int kept = 0;
        for (int c = 0; c < k; c++)
        {
            if (sums[4 * c + 3] < minShare * m) continue;
            centres[3 * kept] = centres[3 * c];
            centres[3 * kept + 1] = centres[3 * c + 1];
            centres[3 * kept + 2] = centres[3 * c + 2];
            kept++;
        }
        return kept;
    }

    /// <summary>Lowers each <paramref name="distance"/> to the pixel's RGB distance from its nearest centre, where smaller.</summary>
    public static void LowerDistances(float[] red, float[] green, float[] blue, ReadOnlySpan<float> centres, Span<float> distance)
    {
        if (centres.Length < 3) return;
        for (int i = 0; i < distance.Length; i++)
        {
            Nearest(centres, red[i], green[i], blue[i], out float squared);
            float d = MathF.Sqrt(squared);
            if (d < distance[i]) distance[i] = d;
        }
    }

    private static void SetCentre(Span<float> centres, int c, ReadOnlySpan<double> sums)
    {
        double n = Math.Max(1, sums[4 * c + 3]);
        centres[3 * c] = (float)(sums[4 * c] / n);
        centres[3 * c + 1] = (float)(sums[4 * c + 1] / n);
        centres[3 * c + 2] = (float)(sums[4 * c + 2] / n);
    }

    private static int Nearest(ReadOnlySpan<float> centres, float r, float g, float b, out float best)
    {
        int nearest = 0;
        best = float.MaxValue;
        for (int c = 0; 3 * c + 2 < centres.Length; c++)
        {
            float dr = r - centres[3 * c], dg = g - centres[3 * c + 1], db = b - centres[3 * c + 2];
            float d = dr * dr + dg * dg + db * db;
            if (d < best) { best = d; nearest = c; }
        }
        return nearest;
    }
}
