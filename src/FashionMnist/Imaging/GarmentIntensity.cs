using System.Buffers;

namespace FashionMnist.Imaging;

/// <summary>
/// The garment pipeline's intensity normalisation, shared with the photo-like training augmentation: garment
/// values stretched from their 1st-99th percentile into [floor, 1], then a gamma that brings their mean to about
/// the target (Fashion-MNIST garments: mean 0.42-0.64 by class, rarely black inside).
/// </summary>
internal static class GarmentIntensity
{
    /// <summary>Stretches <paramref name="values"/> (the garment's pixels only) in place; allocation-free up to 4,096 values.</summary>
    public static void Stretch(Span<float> values, float floor, float targetMean)
    {
        if (values.IsEmpty) return;
        const int stackValues = 4096;
        float[]? rented = values.Length > stackValues ? ArrayPool<float>.Shared.Rent(values.Length) : null;
        float low, high;
        try
        {
            Span<float> sorted = (rented ?? stackalloc float[stackValues])[..values.Length];
            values.CopyTo(sorted);
            // Two selections, not a sort: the 99th percentile is then looked for above the 1st only.
            int lowRank = Thresholds.NearestRank(0.01, sorted.Length), highRank = Thresholds.NearestRank(0.99, sorted.Length);
            low = Thresholds.Select(sorted, lowRank);
            high = lowRank + 1 < sorted.Length ? Thresholds.Select(sorted[(lowRank + 1)..], highRank - lowRank - 1) : low;
        }
        finally
        {
            if (rented is not null) ArrayPool<float>.Shared.Return(rented);
        }

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
