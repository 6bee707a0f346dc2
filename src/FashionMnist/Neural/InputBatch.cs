using FashionMnist.Data;
using FashionMnist.Imaging;

namespace FashionMnist.Neural;

/// <summary>Turns images (optionally augmented) into the network's standardised float input, in parallel over the batch.</summary>
internal static class InputBatch
{
    public const PixelScaling Scaling = PixelScaling.Standardized;

    /// <summary>Writes images <paramref name="indices"/>[from..from+n] of <paramref name="images"/> into <paramref name="input"/> and their labels into <paramref name="labels"/>.</summary>
    public static void Fill(ImageSet images, ReadOnlySpan<int> indices, float[] input, byte[]? labels,
        AugmentationSettings? augmentation, ulong augmentationKey)
    {
        int n = indices.Length;
        int[] order = indices.ToArray(); // small (one batch); lambdas cannot capture spans
        byte[] pixels = images.Pixels, classes = images.Labels;
        BatchParallel.For(n, (long)n * ImageSet.PixelCount * (augmentation is null ? 1 : 4), (s, start, count) =>
        {
            Span<byte> augmented = stackalloc byte[ImageSet.PixelCount];
            for (int i = start; i < start + count; i++)
            {
                ReadOnlySpan<byte> source = pixels.AsSpan(order[i] * ImageSet.PixelCount, ImageSet.PixelCount);
                Span<float> target = input.AsSpan(i * ImageSet.PixelCount, ImageSet.PixelCount);
                if (augmentation is null)
                {
                    Convert(source, target);
                    continue;
                }
                Augmentation.Apply(source, classes[order[i]], augmented, augmentation, SplitMix64.Key(augmentationKey, (ulong)i));
                Convert(augmented, target);
            }
        });
        if (labels is not null)
        {
            byte[] all = images.Labels;
            for (int i = 0; i < n; i++) labels[i] = all[order[i]];
        }
    }

    /// <summary>A contiguous range of images, no augmentation (inference).</summary>
    public static void FillRange(ImageSet images, int start, int n, float[] input)
    {
        byte[] pixels = images.Pixels;
        BatchParallel.For(n, (long)n * ImageSet.PixelCount, (s, first, count) =>
            Convert(pixels.AsSpan((start + first) * ImageSet.PixelCount, count * ImageSet.PixelCount),
                input.AsSpan(first * ImageSet.PixelCount, count * ImageSet.PixelCount)));
    }

    /// <summary>Mirrors each of the first <paramref name="n"/> images of <paramref name="input"/> left-right, in place.</summary>
    public static void MirrorRows(Span<float> input, int n)
    {
        for (int row = 0; row < n * ImageSet.Height; row++)
            input.Slice(row * ImageSet.Width, ImageSet.Width).Reverse();
    }

    /// <summary>The same standardisation as <see cref="ImageSet.WriteFloats"/> with <see cref="Scaling"/>, in one vectorised pass.</summary>
    public static void Convert(ReadOnlySpan<byte> pixels, Span<float> target) =>
        Kernels.BytesToFloats(pixels, target, Scale, Offset);

    private const float Scale = 1f / (255f * ImageSet.TrainingStd), Offset = -ImageSet.TrainingMean / ImageSet.TrainingStd;
}
