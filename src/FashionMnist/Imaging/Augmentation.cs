using FashionMnist.Data;

namespace FashionMnist.Imaging;

/// <summary>What on-the-fly augmentation does to each training image.</summary>
/// <param name="MaxShift">Random shift up to this many pixels in each direction (a random crop of the image padded with background).</param>
/// <param name="HorizontalFlip">Mirror left-right with probability 1/2 (clothes are nearly symmetric; digits would not be).</param>
/// <param name="ErasingProbability">Probability of random erasing: a rectangle of 2-20% of the image, aspect 0.3-3.3, filled with noise.</param>
/// <param name="PhotoLikeProbability">Probability that an image is first turned into what the photo pipeline makes of a real photo
/// (<see cref="PhotoLikeAugmentation"/>); the shift, flip and erasing above then apply to that. 0 = off (the default).</param>
public sealed record AugmentationSettings(int MaxShift = 2, bool HorizontalFlip = true, double ErasingProbability = 0.25,
    double PhotoLikeProbability = 0)
{
    /// <summary>The ranges of the photo-like augmentation (used when <see cref="PhotoLikeProbability"/> is above 0).</summary>
    public PhotoLikeSettings PhotoLike { get; init; } = new();

    public void Validate()
    {
        if (MaxShift is < 0 or > 14) throw new FashionMnistException($"Augmentation shift must be 0-14 pixels, got {MaxShift}", "Use a shift between 0 and 14.");
        if (ErasingProbability is < 0 or > 1) throw new FashionMnistException($"Erasing probability must be 0-1, got {ErasingProbability}", "Use a probability between 0 and 1.");
        if (!(PhotoLikeProbability is >= 0 and <= 1))
            throw new FashionMnistException($"Photo-like probability must be 0-1, got {PhotoLikeProbability}", "Use a probability between 0 and 1 (0 = off).");
        PhotoLike.Validate();
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

    /// <summary>Stream purpose of the photo-like choices: they never disturb the shift/flip/erasing draws.</summary>
    private const ulong PhotoLikePurpose = 0x9_407_0C1E;

    /// <summary>Augments one image whose label is unknown; settings with photo-like augmentation need the label (other overload).</summary>
    public static void Apply(ReadOnlySpan<byte> image, Span<byte> destination, AugmentationSettings settings, ulong key)
    {
        if (settings.PhotoLikeProbability > 0)
            throw new ArgumentException("Photo-like augmentation treats shoes differently: pass the image's label.", nameof(settings));
        ApplyBasic(image, destination, settings, key);
    }

    /// <summary>
    /// Augments one image of class <paramref name="label"/>: with probability <see cref="AugmentationSettings.PhotoLikeProbability"/>
    /// the photo-like transformation first (its choices from a stream derived from <paramref name="key"/>), then shift,
    /// flip and erasing, which draw exactly as without photo-like augmentation.
    /// </summary>
    public static void Apply(ReadOnlySpan<byte> image, int label, Span<byte> destination, AugmentationSettings settings, ulong key)
    {
        if ((uint)label >= FashionMnistClasses.Count) throw new ArgumentOutOfRangeException(nameof(label), label, "Labels are 0-9.");
        if (settings.PhotoLikeProbability > 0)
        {
            var photoRandom = new SplitMix64(SplitMix64.Derive(key, PhotoLikePurpose));
            if (photoRandom.NextDouble() < settings.PhotoLikeProbability)
            {
                Span<byte> photo = stackalloc byte[ImageSet.PixelCount];
                PhotoLikeAugmentation.Apply(image, label, photo, settings.PhotoLike, photoRandom.NextULong());
                ApplyBasic(photo, destination, settings, key);
                return;
            }
        }
        ApplyBasic(image, destination, settings, key);
    }

    private static void ApplyBasic(ReadOnlySpan<byte> image, Span<byte> destination, AugmentationSettings settings, ulong key)
    {
        if (image.Length != ImageSet.PixelCount || destination.Length != ImageSet.PixelCount)
            throw new ArgumentException($"Augmentation works on single {Side}x{Side} images ({ImageSet.PixelCount} bytes).");
        var random = new SplitMix64(key);
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
    private static void Erase(Span<byte> image, ref SplitMix64 random)
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
}
