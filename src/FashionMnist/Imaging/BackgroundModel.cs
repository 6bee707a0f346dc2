namespace FashionMnist.Imaging;

/// <summary>
/// The background colour of a photo as a plane per channel, c(x, y) = a + b x + c y, fitted by least squares to a
/// band along the image border and refitted without outliers. A plane follows the light falloff across a floor or a
/// wall; the outlier pass ignores the parts of the garment that touch the border (sleeves, trouser legs).
/// </summary>
internal sealed class BackgroundModel
{
    private readonly double[][] _coefficients; // per channel: a, b, c (x and y scaled to [0, 1])
    private readonly int _width, _height;

    private BackgroundModel(double[][] coefficients, int width, int height, bool[] borderInliers, int band)
    {
        _coefficients = coefficients;
        _width = width;
        _height = height;
        BorderInliers = borderInliers;
        Band = band;
    }

    /// <summary>Per pixel: true where the pixel is in the border band and was used for the final fit.</summary>
    public bool[] BorderInliers { get; }

    /// <summary>Width of the border band in pixels.</summary>
    public int Band { get; }

    public static bool InBand(int x, int y, int width, int height, int band) =>
        x < band || y < band || x >= width - band || y >= height - band;

    public static BackgroundModel Fit(IReadOnlyList<float[]> channels, int width, int height, int band)
    {
        band = Math.Clamp(band, 1, Math.Max(1, Math.Min(width, height) / 2));
        var inliers = new bool[width * height];
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
                inliers[y * width + x] = InBand(x, y, width, height, band);

        double[][] coefficients = FitAll(channels, width, height, inliers);
        for (int pass = 0; pass < 2; pass++)
        {
            // Distances of band pixels from the current fit; keep those within 2.5x the median distance.
            var distances = new List<float>();
            for (int i = 0; i < inliers.Length; i++)
                if (InBand(i % width, i / width, width, height, band))
                    distances.Add(Distance(channels, coefficients, i, width, height));
            float[] bandDistances = distances.ToArray();
            float cutoff = Math.Max(2.5f * Thresholds.Select(bandDistances, bandDistances.Length / 2), 0.03f);
            for (int i = 0; i < inliers.Length; i++)
                inliers[i] = InBand(i % width, i / width, width, height, band) && Distance(channels, coefficients, i, width, height) <= cutoff;
            coefficients = FitAll(channels, width, height, inliers);
        }
        return new BackgroundModel(coefficients, width, height, inliers, band);
    }

    /// <summary>The modelled background value of channel <paramref name="channel"/> at (x, y).</summary>
    public float Value(int channel, int x, int y)
    {
        double[] k = _coefficients[channel];
        return (float)(k[0] + k[1] * x / Math.Max(1, _width - 1) + k[2] * y / Math.Max(1, _height - 1));
    }

    /// <summary>Euclidean RGB distance of pixel <paramref name="index"/> from the background there.</summary>
    public float Distance(IReadOnlyList<float[]> channels, int index) => Distance(channels, _coefficients, index, _width, _height);

    private static float Distance(IReadOnlyList<float[]> channels, double[][] coefficients, int index, int width, int height)
    {
        double u = (double)(index % width) / Math.Max(1, width - 1), v = (double)(index / width) / Math.Max(1, height - 1);
        double sum = 0;
        for (int c = 0; c < channels.Count; c++)
        {
            double[] k = coefficients[c];
            double d = channels[c][index] - (k[0] + k[1] * u + k[2] * v);
            sum += d * d;
        }
        return (float)Math.Sqrt(sum);
    }

    private static double[][] FitAll(IReadOnlyList<float[]> channels, int width, int height, bool[] use)
    {
        var result = new double[channels.Count][];
        for (int c = 0; c < channels.Count; c++) result[c] = FitPlane(channels[c], width, height, use);
        return result;
    }

    // Normal equations of least squares for value = a + b u + c v (u, v in [0, 1]); falls back to the mean when singular.
    private static double[] FitPlane(float[] values, int width, int height, bool[] use)
    {
        double n = 0, su = 0, sv = 0, suu = 0, svv = 0, suv = 0, sz = 0, suz = 0, svz = 0;
        for (int i = 0; i < values.Length; i++)
        {
            if (!use[i]) continue;
            double u = (double)(i % width) / Math.Max(1, width - 1), v = (double)(i / width) / Math.Max(1, height - 1), z = values[i];
            n++; su += u; sv += v; suu += u * u; svv += v * v; suv += u * v; sz += z; suz += u * z; svz += v * z;
        }
        if (n == 0) return [0.5, 0, 0];
        double[,] m = { { n, su, sv }, { su, suu, suv }, { sv, suv, svv } };
        double[] rhs = [sz, suz, svz];
        double det = Determinant(m);
        if (Math.Abs(det) < 1e-9 * n * n * n) return [sz / n, 0, 0];
        var solution = new double[3];
        for (int k = 0; k < 3; k++)
        {
            var replaced = (double[,])m.Clone();
            for (int r = 0; r < 3; r++) replaced[r, k] = rhs[r];
            solution[k] = Determinant(replaced) / det; // Cramer's rule: 3x3 is small enough
        }
        return solution;
    }

    private static double Determinant(double[,] m) =>
        m[0, 0] * (m[1, 1] * m[2, 2] - m[1, 2] * m[2, 1])
        - m[0, 1] * (m[1, 0] * m[2, 2] - m[1, 2] * m[2, 0])
        + m[0, 2] * (m[1, 0] * m[2, 1] - m[1, 1] * m[2, 0]);
}
