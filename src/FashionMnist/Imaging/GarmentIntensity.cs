namespace FashionMnist.Imaging;

/// <summary>
/// The garment pipeline's intensity normalisation, shared with the photo-like training augmentation: garment
/// values stretched from their 1st-99th percentile into [floor, 1], then a gamma that brings their mean to about
/// the target (Fashion-MNIST garments: mean 0.42-0.64 by class, rarely black inside).
/// </summary>
internal static class GarmentIntensity
{
    /// <summary>Stretches <paramref name="values"/> (the garment's pixels only) in place.</summary>
    public static void Stretch(Span<float> values, float floor, float targetMean)
    {
        if (values.IsEmpty) return;
        Span<float> percentiles = stackalloc float[2];
        Thresholds.OrderStatistics(values, [Thresholds.NearestRank(0.01, values.Length), Thresholds.NearestRank(0.99, values.Length)], percentiles);
        float low = percentiles[0], high = percentiles[1];

        float span = Math.Max(high - low, 0.05f);
        for (int k = 0; k < values.Length; k++)
            values[k] = floor + (1 - floor) * Math.Clamp((values[k] - low) / span, 0, 1);

        float gamma = 1;
        if (targetMean > 0)
        {
            double sum = 0;
            foreach (float v in values) sum += v;
            float mean = (float)(sum / values.Length);
            // Solve mean^gamma = target for the mean (an approximation of matching the mean after the curve).
            gamma = Math.Clamp(MathF.Log(targetMean) / MathF.Log(Math.Clamp(mean, 0.02f, 0.98f)), 0.4f, 2.5f);
        }
        for (int k = 0; k < values.Length; k++) values[k] = MathF.Pow(values[k], gamma);
    }
}
