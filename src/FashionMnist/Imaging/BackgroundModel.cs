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

    private BackgroundModel(double[][] coefficients, int width, int height, bool[] borderInliers, int band, int[] bandIndices)
    {
        _coefficients = coefficients;
        _width = width;
        _height = height;
        BorderInliers = borderInliers;
        Band = band;
        BandPixels = bandIndices;
    }

    /// <summary>Per pixel: true where the pixel is in the border band and was used for the final fit.</summary>
    public bool[] BorderInliers { get; }

    /// <summary>Width of the border band in pixels.</summary>
    public int Band { get; }

    /// <summary>The indices of the band's pixels, in increasing order.</summary>
    public int[] BandPixels { get; }

    public static bool InBand(int x, int y, int width, int height, int band) =>
        x < band || y < band || x >= width - band || y >= height - band;

    public static BackgroundModel Fit(IReadOnlyList<float[]> channels, int width, int height, int band)
    {
        band = Math.Clamp(band, 1, Math.Max(1, Math.Min(width, height) / 2));
        // Only band pixels are ever fitted or tested: visit just them (in index order, so every sum is taken in the
        // same order as a scan of the whole image would), with u and v computed once per column and row.
        int[] bandIndices = BandIndices(width, height, band);
        var grid = new Grid(width, height);
        var inliers = new bool[width * height];
        foreach (int i in bandIndices) inliers[i] = true;

        double[][] coefficients = FitAll(channels, grid, bandIndices, inliers);
        var distances = new float[bandIndices.Length];
        for (int pass = 0; pass < 2; pass++)
        {
            // Distances of band pixels from the current fit; keep those within 2.5x the median distance.
            for (int b = 0; b < bandIndices.Length; b++) distances[b] = Distance(channels, coefficients, bandIndices[b], grid);
            float cutoff = Math.Max(2.5f * Thresholds.OrderStatistic(distances, distances.Length / 2), 0.03f);
            for (int b = 0; b < bandIndices.Length; b++) inliers[bandIndices[b]] = distances[b] <= cutoff;
            coefficients = FitAll(channels, grid, bandIndices, inliers);
        }
        return new BackgroundModel(coefficients, width, height, inliers, band, bandIndices);
    }

    /// <summary>The indices of the pixels of the border band (<see cref="InBand"/>), in increasing order.</summary>
    public static int[] BandIndices(int width, int height, int band)
    {
        var indices = new List<int>(2 * band * (width + height));
        for (int y = 0; y < height; y++)
        {
            if (y < band || y >= height - band)
            {
                for (int x = 0; x < width; x++) indices.Add(y * width + x);
                continue;
            }
            // A middle row: its left and right ends (they overlap when the image is narrower than two bands).
            for (int x = 0; x < width; x++)
            {
                if (x == band && width - band > band) x = width - band;
                indices.Add(y * width + x);
            }
        }
        return indices.ToArray();
    }

    /// <summary>The modelled background value of channel <paramref name="channel"/> at (x, y).</summary>
    public float Value(int channel, int x, int y)
    {
        double[] k = _coefficients[channel];
        return (float)(k[0] + k[1] * x / Math.Max(1, _width - 1) + k[2] * y / Math.Max(1, _height - 1));
    }

    /// <summary>Euclidean RGB distance of pixel <paramref name="index"/> from the background there.</summary>
    public float Distance(IReadOnlyList<float[]> channels, int index) => Distance(channels, _coefficients, index, new Grid(_width, _height));

    /// <summary>
    /// <see cref="Distance(IReadOnlyList{float[]}, int)"/> of every pixel, into <paramref name="destination"/>: the same
    /// floats, with each channel's a + b u computed once per column and c v once per row instead of per pixel.
    /// </summary>
    public void DistanceMap(float[] red, float[] green, float[] blue, Span<float> destination)
    {
        int width = _width, height = _height;
        var grid = new Grid(width, height);
        double[] columns = new double[3 * width], rows = new double[3 * height];
        for (int c = 0; c < 3; c++)
        {
            double[] k = _coefficients[c];
            for (int x = 0; x < width; x++) columns[c * width + x] = k[0] + k[1] * grid.U(x);
            for (int y = 0; y < height; y++) rows[c * height + y] = k[2] * grid.V(y);
        }
        for (int y = 0; y < height; y++)
        {
            double rowRed = rows[y], rowGreen = rows[height + y], rowBlue = rows[2 * height + y];
            int start = y * width;
            for (int x = 0; x < width; x++)
            {
                // (a + b u) + c v, then the squares summed red, green, blue: as Distance below does it.
                double dr = red[start + x] - (columns[x] + rowRed);
                double dg = green[start + x] - (columns[width + x] + rowGreen);
                double db = blue[start + x] - (columns[2 * width + x] + rowBlue);
                double sum = 0;
                sum += dr * dr;
                sum += dg * dg;
                sum += db * db;
                destination[start + x] = (float)Math.Sqrt(sum);
            }
        }
    }

    private static float Distance(IReadOnlyList<float[]> channels, double[][] coefficients, int index, Grid grid)
    {
        int y = index / grid.Width;
        double u = grid.U(index - y * grid.Width), v = grid.V(y);
        double sum = 0;
        for (int c = 0; c < channels.Count; c++)
        {
            double[] k = coefficients[c];
            double d = channels[c][index] - (k[0] + k[1] * u + k[2] * v);
            sum += d * d;
        }
        return (float)Math.Sqrt(sum);
    }

    private static double[][] FitAll(IReadOnlyList<float[]> channels, Grid grid, int[] bandIndices, bool[] use)
    {
        var result = new double[channels.Count][];
        for (int c = 0; c < channels.Count; c++) result[c] = FitPlane(channels[c], grid, bandIndices, use);
        return result;
    }

    // Normal equations of least squares for value = a + b u + c v (u, v in [0, 1]); falls back to the mean when singular.
    // Only band pixels can be in use: visiting them in index order gives the sums a scan of every pixel gives.
    private static double[] FitPlane(float[] values, Grid grid, int[] bandIndices, bool[] use)
    {
        double n = 0, su = 0, sv = 0, suu = 0, svv = 0, suv = 0, sz = 0, suz = 0, svz = 0;
        foreach (int i in bandIndices)
        {
            if (!use[i]) continue;
            int y = i / grid.Width;
            double u = grid.U(i - y * grid.Width), v = grid.V(y), z = values[i];
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

    /// <summary>Pixel coordinates scaled to [0, 1]: u = x / (width - 1), v = y / (height - 1).</summary>
    private readonly record struct Grid(int Width, int Height)
    {
        public double U(int x) => (double)x / Math.Max(1, Width - 1);
        public double V(int y) => (double)y / Math.Max(1, Height - 1);
    }

    private static double Determinant(double[,] m) =>
        m[0, 0] * (m[1, 1] * m[2, 2] - m[1, 2] * m[2, 1])
        - m[0, 1] * (m[1, 0] * m[2, 2] - m[1, 2] * m[2, 0])
        + m[0, 2] * (m[1, 0] * m[2, 1] - m[1, 1] * m[2, 0]);
}
