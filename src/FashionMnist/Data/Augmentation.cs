namespace FashionMnist.Data;

/// <summary>What on-the-fly augmentation does to each training image.</summary>
/// <param name="MaxShift">Random shift up to this many pixels in each direction (a random crop of the image padded with background).</param>
/// <param name="HorizontalFlip">Mirror left-right with probability 1/2 (clothes are nearly symmetric; digits would not be).</param>
/// <param name="ErasingProbability">Probability of random erasing: a rectangle of 2-20% of the image, aspect 0.3-3.3, filled with noise.</param>
public sealed record AugmentationSettings(int MaxShift = 2, bool HorizontalFlip = true, double ErasingProbability = 0.25)
{
    public void Validate()
    {
        if (MaxShift is < 0 or > 14) throw new FashionMnistException($"Augmentation shift must be 0-14 pixels, got {MaxShift}", "Use a shift between 0 and 14.");
        if (ErasingProbability is < 0 or > 1) throw new FashionMnistException($"Erasing probability must be 0-1, got {ErasingProbability}", "Use a probability between 0 and 1.");
    }
}

/// <summary>
/// Seeded augmentation of single 28x28 images. The random choices come from <c>key</c> alone
/// (the trainer derives it from seed, epoch and position), so an image's augmentation does not depend on
/// which thread handles it or whether training was resumed.
/// </summary>
public static class Augmentation
{
    private const int Side = ImageSet.Width;

    public static void Apply(ReadOnlySpan<byte> image, Span<byte> destination, AugmentationSettings settings, ulong key)
    {
        if (image.Length != ImageSet.PixelCount || destination.Length != ImageSet.PixelCount)
            throw new ArgumentException($"Augmentation works on single {Side}x{Side} images ({ImageSet.PixelCount} bytes).");
        var random = new SplitMix(key);
        int shiftX = settings.MaxShift == 0 ? 0 : random.Next(2 * settings.MaxShift + 1) - settings.MaxShift;
        int shiftY = settings.MaxShift == 0 ? 0 : random.Next(2 * settings.MaxShift + 1) - settings.MaxShift;
        bool flip = settings.HorizontalFlip && random.Next(2) == 1;
        for (int y = 0; y < Side; y++)
        {
            Span<byte> row = destination.Slice(y * Side, Side);
            int sourceY = y + shiftY;
            if ((uint)sourceY >= Side)
            {
                row.Clear();
                continue;
            }
            for (int x = 0; x < Side; x++)
            {
                int sourceX = (flip ? Side - 1 - x : x) + shiftX;
                row[x] = (uint)sourceX < Side ? image[sourceY * Side + sourceX] : (byte)0;
            }
        }
        if (settings.ErasingProbability > 0 && random.NextDouble() < settings.ErasingProbability)
            Erase(destination, ref random);
    }

    /// <summary>Random erasing (Zhong et al. 2017): a random rectangle filled with random pixel values.</summary>
    private static void Erase(Span<byte> image, ref SplitMix random)
    {
        for (int attempt = 0; attempt < 10; attempt++)
        {
            double area = (0.02 + random.NextDouble() * 0.18) * ImageSet.PixelCount;
            double aspect = Math.Exp(Math.Log(0.3) + random.NextDouble() * (Math.Log(3.3) - Math.Log(0.3)));
            int height = (int)Math.Round(Math.Sqrt(area * aspect)), width = (int)Math.Round(Math.Sqrt(area / aspect));
            if (height < 1 || width < 1 || height >= Side || width >= Side) continue;
            int top = random.Next(Side - height + 1), left = random.Next(Side - width + 1);
            for (int y = top; y < top + height; y++)
            for (int x = left; x < left + width; x++)
                image[y * Side + x] = (byte)random.Next(256);
            return;
        }
    }

    /// <summary>SplitMix64: a tiny seeded generator whose state is the key.</summary>
    private struct SplitMix(ulong state)
    {
        private ulong _state = state;

        public ulong NextULong()
        {
            ulong z = _state += 0x9E3779B97F4A7C15UL;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            return z ^ (z >> 31);
        }

        public int Next(int bound) => (int)(((NextULong() >> 32) * (ulong)bound) >> 32);

        public double NextDouble() => (NextULong() >> 11) * (1.0 / (1UL << 53));
    }
}
