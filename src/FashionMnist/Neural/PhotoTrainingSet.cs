using System.IO.Compression;
using FashionMnist.Data;

namespace FashionMnist.Neural;

/// <summary>
/// Labelled real photos that cnn-photo trains on beside Fashion-MNIST (<see cref="PhotoCnnOptions.PhotoRepeats"/>):
/// the 196 tuning photos of the development set (CC0, "clothing-dataset-small" by Alexey Grigorev; docs/photos.md), each
/// as the 6 views the photo classifier shows a model (garment pipeline, thresholds x1, x0.7, x1.4, each mirrored), so
/// the photo domain is learned from photos and not only imitated by photo-like augmentation. Embedded as
/// Recipes/cnn-photo.training-photos.bin.gz, made by `bench/accuracy/photo-training-set.sh`; the held-out photos are
/// not in it. A photo whose labels allow several classes (a longsleeve is a Pullover or a Shirt, a shoe any shoe class)
/// is labelled with the one cnn-photo (seed 42, trained without photos) found likeliest among them.
/// </summary>
/// <remarks>Format (gzip): "FMPHOTO1", int32 photo count, int32 views per photo, one label byte per photo, then each
/// photo's views (784 bytes each) in order.</remarks>
internal static class PhotoTrainingSet
{
    private const string ResourceName = "FashionMnist.Neural.cnn-photo.training-photos.bin.gz";
    private static readonly byte[] s_magic = "FMPHOTO1"u8.ToArray();
    private static readonly Lazy<(byte[] Labels, byte[] Views, int ViewsPerPhoto)> s_photos = new(Load);

    /// <summary>Photos in the set.</summary>
    public static int PhotoCount => s_photos.Value.Labels.Length;

    /// <summary>Views of each photo.</summary>
    public static int ViewsPerPhoto => s_photos.Value.ViewsPerPhoto;

    /// <summary>Images <see cref="Append"/> adds for <paramref name="repeats"/>: every photo's views, that many times.</summary>
    public static int ImagesAdded(int repeats) => PhotoCount * ViewsPerPhoto * repeats;

    /// <summary>
    /// <paramref name="train"/> followed by each photo's views <paramref name="repeats"/> times (photo by photo, all its
    /// copies together), labelled with the photo's label; <paramref name="train"/> itself when repeats is 0.
    /// </summary>
    public static ImageSet Append(ImageSet train, int repeats)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(repeats);
        if (repeats == 0) return train;
        var (labels, views, perPhoto) = s_photos.Value;
        int count = train.Count + ImagesAdded(repeats);
        var pixels = new byte[(long)count * ImageSet.PixelCount];
        var allLabels = new byte[count];
        Array.Copy(train.Pixels, pixels, (long)train.Count * ImageSet.PixelCount);
        Array.Copy(train.Labels, allLabels, train.Count);
        int image = train.Count, photoBytes = perPhoto * ImageSet.PixelCount;
        for (int photo = 0; photo < labels.Length; photo++)
        {
            for (int r = 0; r < repeats; r++)
            {
                Array.Copy(views, (long)photo * photoBytes, pixels, (long)image * ImageSet.PixelCount, photoBytes);
                allLabels.AsSpan(image, perPhoto).Fill(labels[photo]);
                image += perPhoto;
            }
        }
        return new ImageSet(pixels, allLabels);
    }

    /// <summary>The set's bytes for <paramref name="labels"/> (one per photo) and their views (what the generator writes).</summary>
    public static byte[] Encode(IReadOnlyList<byte> labels, byte[] views, int viewsPerPhoto)
    {
        if (views.Length != (long)labels.Count * viewsPerPhoto * ImageSet.PixelCount)
            throw new ArgumentException($"{labels.Count} photos of {viewsPerPhoto} views need {labels.Count * viewsPerPhoto * ImageSet.PixelCount} bytes, got {views.Length}.");
        using var buffer = new MemoryStream();
        using (var gzip = new GZipStream(buffer, CompressionLevel.SmallestSize, leaveOpen: true))
        using (var writer = new BinaryWriter(gzip))
        {
            writer.Write(s_magic);
            writer.Write(labels.Count);
            writer.Write(viewsPerPhoto);
            writer.Write(labels.ToArray());
            writer.Write(views);
        }
        return buffer.ToArray();
    }

    /// <summary>Reads the bytes <see cref="Encode"/> wrote; anything else is an <see cref="InvalidDataException"/>.</summary>
    public static (byte[] Labels, byte[] Views, int ViewsPerPhoto) Decode(Stream stream)
    {
        using var gzip = new GZipStream(stream, CompressionMode.Decompress);
        using var reader = new BinaryReader(gzip);
        if (!reader.ReadBytes(s_magic.Length).AsSpan().SequenceEqual(s_magic)) throw new InvalidDataException("not a photo training set");
        int photos = reader.ReadInt32(), perPhoto = reader.ReadInt32();
        if (photos is < 1 or > 100_000 || perPhoto is < 1 or > 64) throw new InvalidDataException($"{photos} photos of {perPhoto} views");
        byte[] labels = reader.ReadBytes(photos);
        byte[] views = reader.ReadBytes(photos * perPhoto * ImageSet.PixelCount);
        if (labels.Length != photos || views.Length != photos * perPhoto * ImageSet.PixelCount || gzip.ReadByte() != -1)
            throw new InvalidDataException("truncated or with trailing bytes");
        if (labels.Any(label => label >= FashionMnistClasses.Count)) throw new InvalidDataException("a label out of range");
        return (labels, views, perPhoto);
    }

    private static (byte[], byte[], int) Load()
    {
        using Stream stream = EmbeddedResource.Open(ResourceName);
        return Decode(stream);
    }
}
