using FashionMnist.Interop;

namespace FashionMnist.Imaging;

/// <summary>
/// Reads photos into <see cref="RgbaImage"/>s and writes images as PNG (or JPEG, BMP, TIFF, ICO), through gdk-pixbuf
/// (Interop's GdkPixbufCodec holds the native calls and hands over plain buffers). Errors a user can cause come as
/// <see cref="ImageDecodeException"/>, <see cref="ImageTooLargeException"/> or <see cref="FashionMnistException"/>.
/// </summary>
public static class ImageCodec
{
    /// <inheritdoc cref="GdkPixbufCodec.DefaultMaxPixels"/>
    public const long DefaultMaxPixels = GdkPixbufCodec.DefaultMaxPixels;

    /// <summary>Reads and decodes an image file, upright (EXIF orientation applied); errors name the file.</summary>
    public static RgbaImage DecodeFile(string path, long maxPixels = DefaultMaxPixels, int neededSide = 0) =>
        Decode(InputFile.ReadAllBytes(path, "Photo", "Check the path.", GdkPixbufCodec.DefaultMaxFileBytes), path, maxPixels, neededSide: neededSide);

    /// <summary>
    /// Decodes an image held in memory; <paramref name="source"/> names it in error messages. Only whole
    /// <see cref="ImageFormats.Accepted"/> files, recognised by their magic bytes, reach a decoder (with only that
    /// format's loader allowed); <paramref name="timeout"/> and <paramref name="cancellation"/> bound the decode.
    /// </summary>
    /// <para><paramref name="neededSide"/> (0: full size) is the longest side the caller needs: a JPEG is then decoded
    /// at 1/2, 1/4 or 1/8 scale as long as its longest side stays at least that (libjpeg's DCT scaling), which a photo
    /// pipeline that reduces the photo anyway (<see cref="IPhotoPipeline.WorkingSide"/>) gains from.</para>
    public static RgbaImage Decode(ReadOnlySpan<byte> data, string source, long maxPixels = DefaultMaxPixels,
        TimeSpan? timeout = null, CancellationToken cancellation = default, int neededSide = 0)
    {
        if (data.IsEmpty) throw new ImageDecodeException(source, "the data is empty");
        ImageFormat format = ImageFormats.Sniff(data);
        if (format == ImageFormat.Unknown)
            throw ImageFormats.DescribeOther(data) is string other ? new UnsupportedImageFormatException(source, other)
                : new ImageDecodeException(source, $"it is not a {ImageFormats.Accepted} image (unrecognised data)");
        RgbaPixels pixels = GdkPixbufCodec.Decode(data, source, maxPixels, ImageFormats.LoaderName(format), timeout, cancellation, neededSide);
        // After the decode, so that an oversized image is reported as such (413) even when cut short.
        if (ImageFormats.FindTruncation(format, data) is string cut)
            throw new ImageDecodeException(source, $"the data ends early (truncated or corrupt): {cut}");
        return FromPixels(pixels);
    }

    /// <summary>Encodes an image as PNG (RGB, or RGBA when <paramref name="keepAlpha"/>).</summary>
    public static byte[] EncodePng(RgbaImage image, bool keepAlpha = false) => Encode(image, "png", keepAlpha);

    /// <summary>Writes <paramref name="image"/> as an RGB PNG file, atomically (<see cref="AtomicFile"/>): a reader never sees half an image.</summary>
    public static void SavePng(string path, RgbaImage image) => AtomicFile.WriteAllBytes(path, EncodePng(image));

    /// <summary>Encodes with one of gdk-pixbuf's savers: "png", "jpeg", "bmp", "tiff", "ico".</summary>
    public static byte[] Encode(RgbaImage image, string format, bool keepAlpha = false) =>
        GdkPixbufCodec.Encode(image.Pixels, image.Width, image.Height, format, keepAlpha);

    private static RgbaImage FromPixels(RgbaPixels decoded) => new(decoded.Width, decoded.Height, decoded.Rgba);
}
