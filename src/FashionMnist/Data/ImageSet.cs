using System.Numerics.Tensors;

namespace FashionMnist.Data;

/// <summary>How byte pixels become floats.</summary>
public enum PixelScaling
{
    /// <summary>The byte values as they are, 0-255.</summary>
    Raw,
    /// <summary>Divided by 255, so pixels lie in [0, 1].</summary>
    UnitRange,
    /// <summary>(pixel/255 - mean) / std with the Fashion-MNIST training-set mean and std.</summary>
    Standardized,
}

/// <summary>
/// A set of 28x28 grayscale images with optional labels: one contiguous byte array of
/// <c>Count x 784</c> pixels (row-major, 0 = black background, 255 = white) and one byte label per image.
/// This is the in-memory form of a Fashion-MNIST split and the input of every model.
/// </summary>
public sealed class ImageSet
{
    /// <summary>Image width in pixels.</summary>
    public const int Width = 28;
    /// <summary>Image height in pixels.</summary>
    public const int Height = 28;
    /// <summary>Pixels per image (28 x 28 = 784).</summary>
    public const int PixelCount = Width * Height;

    /// <summary>Mean of the 60,000 training images' pixels scaled to [0,1] (computed by `fmnist data info`).</summary>
    public const float TrainingMean = 0.2860406f;

    /// <summary>Standard deviation of the training images' pixels scaled to [0,1].</summary>
    public const float TrainingStd = 0.3530242f;

    private readonly byte[]? _labels;

    /// <summary>
    /// Images over <paramref name="pixels"/> (no copy; a multiple of 784 bytes) with one label 0-9 per image, or null
    /// labels for images to classify. Throws <see cref="ArgumentException"/> on a bad length or label.
    /// </summary>
    public ImageSet(byte[] pixels, byte[]? labels)
    {
        ArgumentNullException.ThrowIfNull(pixels);
        if (pixels.Length % PixelCount != 0)
            throw new ArgumentException($"Pixel array length {pixels.Length} is not a multiple of {PixelCount} (28x28).", nameof(pixels));
        Count = pixels.Length / PixelCount;
        if (labels is not null)
        {
            if (labels.Length != Count)
                throw new ArgumentException($"{Count} images but {labels.Length} labels.", nameof(labels));
            for (int i = 0; i < labels.Length; i++)
                if (labels[i] >= FashionMnistClasses.Count)
                    throw new ArgumentException($"Label {labels[i]} at index {i} is outside 0-9.", nameof(labels));
        }
        Pixels = pixels;
        _labels = labels;
    }

    /// <summary>Images without labels (photos to classify).</summary>
    public static ImageSet Unlabeled(byte[] pixels) => new(pixels, null);

    /// <summary>All pixels, image after image, 784 bytes each.</summary>
    public byte[] Pixels { get; }

    /// <summary>True when every image has a label.</summary>
    public bool HasLabels => _labels is not null;

    /// <summary>One label (0-9) per image.</summary>
    public byte[] Labels => _labels ?? throw new InvalidOperationException("This image set has no labels.");

    /// <summary>Number of images.</summary>
    public int Count { get; }

    /// <summary>The 784 pixels of image <paramref name="index"/> (no copy).</summary>
    public ReadOnlySpan<byte> Image(int index) => Pixels.AsSpan(index * PixelCount, PixelCount);

    /// <summary>The images at the given indices, in that order (a copy).</summary>
    public ImageSet Subset(ReadOnlySpan<int> indices)
    {
        var pixels = new byte[indices.Length * PixelCount];
        byte[]? labels = _labels is null ? null : new byte[indices.Length];
        for (int i = 0; i < indices.Length; i++)
        {
            int source = indices[i];
            if ((uint)source >= (uint)Count)
                throw new ArgumentOutOfRangeException(nameof(indices), source, $"Index outside 0..{Count - 1}.");
            Image(source).CopyTo(pixels.AsSpan(i * PixelCount, PixelCount));
            if (labels is not null) labels[i] = _labels![source];
        }
        return new ImageSet(pixels, labels);
    }

    /// <summary>A contiguous range of images (a copy).</summary>
    public ImageSet Slice(int start, int count)
    {
        if (start < 0 || count < 0 || start + count > Count)
            throw new ArgumentOutOfRangeException(nameof(count), $"Range {start}+{count} is outside 0..{Count}.");
        return new ImageSet(
            Pixels.AsSpan(start * PixelCount, count * PixelCount).ToArray(),
            _labels?.AsSpan(start, count).ToArray());
    }

    /// <summary>The first <paramref name="count"/> images, or all of them if there are fewer.</summary>
    public ImageSet Take(int count) => count >= Count ? this : Slice(0, count);

    /// <summary>Number of images of each class (length 10).</summary>
    public int[] ClassCounts()
    {
        var counts = new int[FashionMnistClasses.Count];
        foreach (byte label in Labels) counts[label]++;
        return counts;
    }

    /// <summary>A float copy of the pixels (Count x 784), made on demand.</summary>
    public float[] ToFloats(PixelScaling scaling = PixelScaling.UnitRange)
    {
        var result = new float[Pixels.Length];
        WriteFloats(Pixels, result, scaling);
        return result;
    }

    /// <summary>Converts byte pixels to floats with the given scaling; the hot path of every float model.</summary>
    public static void WriteFloats(ReadOnlySpan<byte> pixels, Span<float> destination, PixelScaling scaling)
    {
        if (destination.Length < pixels.Length)
            throw new ArgumentException("Destination is shorter than the pixels.", nameof(destination));
        destination = destination[..pixels.Length];
        for (int i = 0; i < pixels.Length; i++) destination[i] = pixels[i];
        switch (scaling)
        {
            case PixelScaling.Raw:
                break;
            case PixelScaling.UnitRange:
                TensorPrimitives.Multiply(destination, 1f / 255f, destination);
                break;
            case PixelScaling.Standardized:
                // (p/255 - mean)/std = p * (1/(255 std)) - mean/std
                TensorPrimitives.Multiply(destination, 1f / (255f * TrainingStd), destination);
                TensorPrimitives.Add(destination, -TrainingMean / TrainingStd, destination);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(scaling));
        }
    }

    /// <summary>Writes <paramref name="image"/> (28x28) mirrored left-right into <paramref name="destination"/>.</summary>
    public static void Mirror(ReadOnlySpan<byte> image, Span<byte> destination)
    {
        for (int y = 0; y < Height; y++)
            for (int x = 0; x < Width; x++)
                destination[y * Width + x] = image[y * Width + Width - 1 - x];
    }
}
