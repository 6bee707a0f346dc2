namespace FashionMnist.Data;

/// <summary>Mean and standard deviation of pixels scaled to [0, 1] (what <see cref="PixelScaling.Standardized"/> uses).</summary>
public readonly record struct PixelStatistics(double Mean, double Std)
{
    /// <summary>
    /// Exact statistics over all pixels (population std): a 256-bin histogram, then sums in double, so 47 million
    /// pixels cost one pass of increments and no rounding drift.
    /// </summary>
    public static PixelStatistics Of(ReadOnlySpan<byte> pixels)
    {
        if (pixels.IsEmpty) throw new ArgumentException("No pixels.", nameof(pixels));
        Span<long> histogram = stackalloc long[256];
        histogram.Clear();
        foreach (byte p in pixels) histogram[p]++;
        double sum = 0, sumSquares = 0;
        for (int v = 0; v < 256; v++)
        {
            double x = v / 255.0;
            sum += histogram[v] * x;
            sumSquares += histogram[v] * x * x;
        }
        double mean = sum / pixels.Length;
        double variance = Math.Max(0, sumSquares / pixels.Length - mean * mean);
        return new PixelStatistics(mean, Math.Sqrt(variance));
    }
}
