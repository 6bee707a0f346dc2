namespace FashionMnist.Imaging;

/// <summary>
/// The distribution of garment pixel values in Fashion-MNIST, and histogram matching onto it.
/// <para>Quantiles 0, 5, ..., 100 % of the 60,000 training images' pixels above 5 (of 255), measured with
/// <c>FashionMnistData.Load()</c>: broad and close to uniform above ~60, median 170.</para>
/// </summary>
internal static class FashionMnistHistogram
{
    private static readonly float[] Quantiles =
        [6, 28, 48, 67, 85, 101, 117, 132, 146, 158, 170, 180, 189, 197, 205, 212, 218, 225, 232, 241, 255];

    /// <summary>The Fashion-MNIST garment intensity (0-1) at cumulative share <paramref name="p"/> (0-1), linear between quantiles.</summary>
    public static float At(double p)
    {
        double position = Math.Clamp(p, 0, 1) * (Quantiles.Length - 1);
        int low = Math.Min((int)position, Quantiles.Length - 2);
        double t = position - low;
        return (float)((Quantiles[low] * (1 - t) + Quantiles[low + 1] * t) / 255.0);
    }

    /// <summary>
    /// Replaces each value by the Fashion-MNIST intensity of the same rank (ties share their mean rank), so the
    /// values' histogram becomes Fashion-MNIST's while their order is kept.
    /// </summary>
    public static void Match(Span<float> values)
    {
        int n = values.Length;
        if (n == 0) return;
        var order = new int[n];
        for (int i = 0; i < n; i++) order[i] = i;
        float[] keys = values.ToArray();
        Array.Sort(keys, order);
        for (int start = 0; start < n;)
        {
            int end = start;
            while (end + 1 < n && keys[end + 1] == keys[start]) end++;
            float mapped = At(n == 1 ? 0.5 : (start + end) / 2.0 / (n - 1));
            for (int k = start; k <= end; k++) values[order[k]] = mapped;
            start = end + 1;
        }
    }
}
