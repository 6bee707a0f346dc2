using FashionMnist.Data;

namespace FashionMnist.Neural;

/// <summary>
/// Mixup (Zhang et al. 2018) and CutMix (Yun et al. 2019) on a prepared batch: each image is paired with another
/// image of the batch (a keyed permutation) and either blended with it, x = λ·x + (1 − λ)·x', or given a rectangle
/// cut from it, with λ = the share of its own pixels left. The loss then aims at λ·label + (1 − λ)·label'
/// (<see cref="SoftmaxCrossEntropy.Compute(ReadOnlySpan{float}, ReadOnlySpan{byte}, ReadOnlySpan{byte}, float, int, int, float, Span{float})"/>).
/// One λ per batch, drawn from Beta(α, α), as in the papers' reference code. Every choice comes from the step's key,
/// so a resumed run mixes exactly as an uninterrupted one, whatever the thread count.
/// </summary>
internal sealed class BatchMixing
{
    private readonly double _mixupAlpha, _cutmixAlpha, _probability;
    private float[] _copy = [];
    private int[] _order = [];

    public BatchMixing(double mixupAlpha, double cutmixAlpha, double probability)
    {
        _mixupAlpha = mixupAlpha;
        _cutmixAlpha = cutmixAlpha;
        _probability = probability;
    }

    /// <summary>Whether any mixing is configured.</summary>
    public bool IsActive => (_mixupAlpha > 0 || _cutmixAlpha > 0) && _probability > 0;

    /// <summary>
    /// Mixes the first <paramref name="n"/> images of <paramref name="input"/> in place and writes each row's partner
    /// label into <paramref name="partners"/>; returns λ, the weight of each row's own label (1 = this batch is not mixed).
    /// </summary>
    public float Apply(float[] input, ReadOnlySpan<byte> labels, Span<byte> partners, int n, ulong key)
    {
        var random = new SplitMix64(key);
        labels[..n].CopyTo(partners);
        if (!IsActive || n < 2 || random.NextDouble() >= _probability) return 1f;
        bool cut = _cutmixAlpha > 0 && (_mixupAlpha <= 0 || random.NextDouble() < 0.5);
        float lambda = (float)NextBeta(ref random, cut ? _cutmixAlpha : _mixupAlpha);

        if (_order.Length < n) _order = new int[n];
        Span<int> order = _order.AsSpan(0, n);
        for (int i = 0; i < n; i++) order[i] = i;
        random.Shuffle(order);
        int pixels = ImageSet.PixelCount;
        if (_copy.Length < n * pixels) _copy = new float[n * pixels];
        input.AsSpan(0, n * pixels).CopyTo(_copy);
        for (int i = 0; i < n; i++) partners[i] = labels[order[i]];

        if (!cut)
        {
            for (int i = 0; i < n; i++)
                System.Numerics.Tensors.TensorPrimitives.Lerp(
                    _copy.AsSpan(order[i] * pixels, pixels), _copy.AsSpan(i * pixels, pixels), lambda, input.AsSpan(i * pixels, pixels));
            return lambda;
        }

        // CutMix: a box of area (1 − λ) of the image at a uniform centre, clipped; λ becomes the share actually kept.
        var (top, left, height, width) = Box(ref random, lambda);
        if (height == 0 || width == 0) return 1f;
        for (int i = 0; i < n; i++)
        {
            int source = order[i] * pixels, target = i * pixels;
            for (int y = top; y < top + height; y++)
                _copy.AsSpan(source + y * ImageSet.Width + left, width).CopyTo(input.AsSpan(target + y * ImageSet.Width + left, width));
        }
        return 1f - (float)(height * width) / pixels;
    }

    /// <summary>The CutMix box for λ: sides √(1 − λ) of the image's, centred uniformly, clipped to the image.</summary>
    internal static (int Top, int Left, int Height, int Width) Box(ref SplitMix64 random, float lambda)
    {
        double side = Math.Sqrt(1 - lambda);
        int h = (int)(ImageSet.Height * side), w = (int)(ImageSet.Width * side);
        int cy = random.Next(ImageSet.Height), cx = random.Next(ImageSet.Width);
        int top = Math.Clamp(cy - h / 2, 0, ImageSet.Height), bottom = Math.Clamp(cy + h / 2, 0, ImageSet.Height);
        int left = Math.Clamp(cx - w / 2, 0, ImageSet.Width), right = Math.Clamp(cx + w / 2, 0, ImageSet.Width);
        return (top, left, bottom - top, right - left);
    }

    /// <summary>Beta(α, α) as X / (X + Y) with X, Y ~ Gamma(α, 1).</summary>
    internal static double NextBeta(ref SplitMix64 random, double alpha)
    {
        double x = NextGamma(ref random, alpha), y = NextGamma(ref random, alpha);
        return x + y > 0 ? x / (x + y) : 0.5;
    }

    /// <summary>Gamma(α, 1): Marsaglia and Tsang's method; for α &lt; 1, Gamma(α + 1)·U^(1/α).</summary>
    internal static double NextGamma(ref SplitMix64 random, double alpha)
    {
        if (alpha < 1)
        {
            double u = 1.0 - random.NextDouble(); // (0, 1]
            return NextGamma(ref random, alpha + 1) * Math.Pow(u, 1 / alpha);
        }
        double d = alpha - 1.0 / 3, c = 1 / Math.Sqrt(9 * d);
        while (true)
        {
            double z = random.NextGaussian(), v = 1 + c * z;
            if (v <= 0) continue;
            v = v * v * v;
            double u = 1.0 - random.NextDouble();
            if (Math.Log(u) < 0.5 * z * z + d - d * v + d * Math.Log(v)) return d * v;
        }
    }
}
