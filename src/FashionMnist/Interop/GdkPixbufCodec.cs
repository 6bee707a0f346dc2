using System.Runtime.InteropServices;
using FashionMnist.Imaging;

namespace FashionMnist.Interop;

/// <summary>Raised when an image has more pixels than the caller allows (checked from the header, before decoding).</summary>
public sealed class ImageTooLargeException(string source, int width, int height, long maxPixels)
    : FashionMnistException(
        $"'{source}' is {width}x{height} = {(long)width * height / 1e6:0.#} megapixels, more than the {maxPixels / 1e6:0.#} megapixels allowed",
        "Downscale the photo (a few hundred pixels across is plenty) and try again.")
{
    public int Width { get; } = width;
    public int Height { get; } = height;
}

/// <summary>Raised when bytes are not an image gdk-pixbuf can decode (unknown format, corrupt or truncated).</summary>
public class ImageDecodeException(string source, string reason, Exception? inner = null)
    : FashionMnistException($"'{source}' is not an image gdk-pixbuf can read: {reason}",
        $"Pass a {ImageFormats.Accepted} photo (WebP only if its gdk-pixbuf loader is installed).", ExitCodes.BadInput, inner)
{
    public string Reason { get; } = reason;
}

/// <summary>Raised for an image in a format fmnist does not accept (SVG, XPM, ...): only <see cref="ImageFormats.Accepted"/>.</summary>
public sealed class UnsupportedImageFormatException(string source, string format)
    : ImageDecodeException(source, $"it is {format}, and only {ImageFormats.Accepted} images are accepted")
{
    public string Format { get; } = format;
}

/// <summary>
/// Decodes photos (JPEG, PNG, GIF, BMP, TIFF, and whatever else the installed gdk-pixbuf loaders know) into
/// <see cref="RgbaImage"/>s, and encodes images to PNG, through gdk-pixbuf 2.42.
/// <para>Decoding always goes through a GdkPixbufLoader fed from memory, for files and uploads alike, so there is one
/// guarded path: the loader's "size-prepared" signal reports the dimensions as soon as the header is parsed, and an
/// image over the pixel budget is stopped there (the loader is told to produce a 0x0 image, the documented way
/// gdk_pixbuf_get_file_info stops early), before any pixel memory is allocated.</para>
/// <para>The EXIF orientation is applied, so a portrait phone photo comes out upright. Thread-safe: every call uses
/// its own loader and pixbufs.</para>
/// </summary>
public static unsafe class GdkPixbufCodec
{
    /// <summary>40 megapixels: larger than any phone photo, small enough that decoding cannot exhaust memory.</summary>
    public const long DefaultMaxPixels = 40_000_000;

    /// <summary>Largest file <see cref="DecodeFile"/> reads (compressed bytes).</summary>
    public const long DefaultMaxFileBytes = 256L << 20;

    [StructLayout(LayoutKind.Sequential)]
    private struct SizeGuard
    {
        public long MaxPixels;
        public int Width;
        public int Height;
        public int TooLarge;
        /// <summary>One past the lowest row any "area-updated" signal reported: the rows actually decoded.</summary>
        public int RowsDecoded;
    }

    /// <summary>Reads and decodes an image file; errors name the file.</summary>
    public static RgbaImage DecodeFile(string path, long maxPixels = DefaultMaxPixels)
    {
        byte[] bytes = InputFile.ReadAllBytes(path, "Photo", "Check the path.", DefaultMaxFileBytes);
        return Decode(bytes, path, maxPixels);
    }

    /// <summary>Bytes handed to the loader at a time: between two pieces the decode can be cancelled or timed out.</summary>
    private const int FeedBytes = 32 * 1024;

    /// <summary>
    /// Decodes an image held in memory; <paramref name="source"/> names it in error messages. Only the formats of
    /// <see cref="ImageFormats"/> are accepted (by magic bytes, with the matching loader forced), and only whole files.
    /// <paramref name="timeout"/> and <paramref name="cancellation"/> are checked between pieces of the data, so a decode
    /// stops at most one piece's work after either (the pixel budget bounds that work).
    /// </summary>
    public static RgbaImage Decode(ReadOnlySpan<byte> data, string source, long maxPixels = DefaultMaxPixels,
        TimeSpan? timeout = null, CancellationToken cancellation = default)
    {
        if (data.IsEmpty) throw new ImageDecodeException(source, "the data is empty");
        ImageFormat kind = ImageFormats.Sniff(data);
        if (kind == ImageFormat.Unknown)
            throw ImageFormats.DescribeOther(data) is string other ? new UnsupportedImageFormatException(source, other)
                : new ImageDecodeException(source, $"it is not a {ImageFormats.Accepted} image (unrecognised data)");
        string? truncation = ImageFormats.FindTruncation(kind, data);
        cancellation.ThrowIfCancellationRequested();
        NativeLibraries.Require(NativeLibraries.GdkPixbuf);
        NativeLibraries.Require(NativeLibraries.GObject);
        NativeLibraries.Require(NativeLibraries.GLib);
        long deadline = timeout is TimeSpan t ? System.Diagnostics.Stopwatch.GetTimestamp() + (long)(t.TotalSeconds * System.Diagnostics.Stopwatch.Frequency) : long.MaxValue;

        using GObjectHandle loader = GObjectHandle.Own(GdkPixbufNative.gdk_pixbuf_loader_new_with_type(ImageFormats.LoaderName(kind), out var typeError));
        if (loader.IsInvalid)
            throw new ImageDecodeException(source, $"its format's gdk-pixbuf loader is not installed ({GdkPixbufNative.TakeMessage(typeError)})"
                + (kind == ImageFormat.WebP ? "; WebP needs Debian's webp-pixbuf-loader" : ""));

        SizeGuard guard = new() { MaxPixels = maxPixels };
        GdkPixbufNative.g_signal_connect_data(loader, "size-prepared", &OnSizePrepared, (IntPtr)(&guard), IntPtr.Zero, 0);
        GdkPixbufNative.g_signal_connect_data(loader, "area-updated", &OnAreaUpdated, (IntPtr)(&guard), IntPtr.Zero, 0);

        string? failure = null;
        fixed (byte* bytes = data)
        {
            for (int offset = 0; offset < data.Length && failure is null && guard.TooLarge == 0; offset += FeedBytes)
            {
                if (cancellation.IsCancellationRequested || System.Diagnostics.Stopwatch.GetTimestamp() > deadline)
                {
                    GdkPixbufNative.gdk_pixbuf_loader_close(loader, out var abandoned);
                    if (abandoned is not null) GdkPixbufNative.g_error_free(abandoned);
                    cancellation.ThrowIfCancellationRequested();
                    throw new ImageDecodeException(source, $"decoding took longer than {timeout!.Value.TotalSeconds:0.###} s");
                }
                int count = Math.Min(FeedBytes, data.Length - offset);
                if (GdkPixbufNative.gdk_pixbuf_loader_write(loader, bytes + offset, (nuint)count, out var writeError) == 0)
                    failure = GdkPixbufNative.TakeMessage(writeError);
            }
        }
        // Rows decoded from the data itself: on close, some loaders fill the rows the data never reached with grey.
        int rowsFromData = guard.RowsDecoded;
        string format = FormatName(loader);
        // Always close: a loader finalized without close makes GLib print a warning, and close reports truncation.
        if (GdkPixbufNative.gdk_pixbuf_loader_close(loader, out var closeError) == 0)
        {
            string message = GdkPixbufNative.TakeMessage(closeError);
            failure ??= message;
        }
        if (guard.TooLarge != 0) throw new ImageTooLargeException(source, guard.Width, guard.Height, maxPixels);
        if (truncation is not null) throw new ImageDecodeException(source, $"the data ends early (truncated or corrupt): {truncation}");
        if (failure is not null) throw new ImageDecodeException(source, failure.TrimEnd('.'));

        using GObjectHandle decoded = GObjectHandle.Borrow(GdkPixbufNative.gdk_pixbuf_loader_get_pixbuf(loader));
        if (decoded.IsInvalid) throw new ImageDecodeException(source, "the data holds no complete image");
        // gdk-pixbuf hands out a partly decoded image (rest grey) when the data ends early; refuse it instead.
        // (A truncated progressive JPEG or interlaced PNG updates every row in its first pass and is not caught here.)
        int height = GdkPixbufNative.gdk_pixbuf_get_height(decoded);
        if (IncrementalFormats.Contains(format) && rowsFromData < height)
            throw new ImageDecodeException(source, $"the data ends early (truncated or corrupt): only {rowsFromData} of {height} rows were decoded");
        using GObjectHandle upright = GObjectHandle.Own(GdkPixbufNative.gdk_pixbuf_apply_embedded_orientation(decoded));
        if (upright.IsInvalid) throw new OutOfMemoryException("gdk_pixbuf_apply_embedded_orientation failed.");
        return CopyPixels(upright, source);
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(System.Runtime.CompilerServices.CallConvCdecl)])]
    private static void OnSizePrepared(IntPtr loader, int width, int height, IntPtr data)
    {
        var guard = (SizeGuard*)data;
        guard->Width = width;
        guard->Height = height;
        if (width <= 0 || height <= 0 || (long)width * height > guard->MaxPixels)
        {
            guard->TooLarge = width > 0 && height > 0 ? 1 : 0;
            GdkPixbufNative.gdk_pixbuf_loader_set_size(loader, 0, 0); // stop here: allocate nothing
        }
    }

    // Loaders that decode row by row as bytes arrive (others, like TIFF, decode on close and report errors there).
    private static readonly HashSet<string> IncrementalFormats = ["jpeg", "png", "gif", "bmp"];

    private static string FormatName(GObjectHandle loader)
    {
        IntPtr format = GdkPixbufNative.gdk_pixbuf_loader_get_format(loader);
        if (format == IntPtr.Zero) return "";
        IntPtr name = GdkPixbufNative.gdk_pixbuf_format_get_name(format);
        try { return Marshal.PtrToStringUTF8(name) ?? ""; }
        finally { GdkPixbufNative.g_free(name); }
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(System.Runtime.CompilerServices.CallConvCdecl)])]
    private static void OnAreaUpdated(IntPtr loader, int x, int y, int width, int height, IntPtr data)
    {
        var guard = (SizeGuard*)data;
        guard->RowsDecoded = Math.Max(guard->RowsDecoded, y + height);
    }

    private static RgbaImage CopyPixels(GObjectHandle pixbuf, string source)
    {
        int width = GdkPixbufNative.gdk_pixbuf_get_width(pixbuf);
        int height = GdkPixbufNative.gdk_pixbuf_get_height(pixbuf);
        int stride = GdkPixbufNative.gdk_pixbuf_get_rowstride(pixbuf);
        int channels = GdkPixbufNative.gdk_pixbuf_get_n_channels(pixbuf);
        bool hasAlpha = GdkPixbufNative.gdk_pixbuf_get_has_alpha(pixbuf) != 0;
        int bits = GdkPixbufNative.gdk_pixbuf_get_bits_per_sample(pixbuf);
        if (bits != 8 || channels is not (3 or 4) || (channels == 4) != hasAlpha || width <= 0 || height <= 0 || stride < width * channels)
            throw new ImageDecodeException(source, $"unsupported pixel layout ({width}x{height}, {channels} channels, {bits} bits)");
        byte* pixels = GdkPixbufNative.gdk_pixbuf_read_pixels(pixbuf);
        if (pixels is null) throw new ImageDecodeException(source, "gdk-pixbuf returned no pixels");

        var image = new RgbaImage(width, height);
        Span<byte> destination = image.Pixels;
        for (int y = 0; y < height; y++)
        {
            // The last row may be shorter than the stride: read exactly width * channels bytes per row.
            var row = new ReadOnlySpan<byte>(pixels + (long)y * stride, width * channels);
            Span<byte> target = destination.Slice(y * width * 4, width * 4);
            if (channels == 4) row.CopyTo(target);
            else
                for (int x = 0, s = 0, t = 0; x < width; x++, s += 3, t += 4)
                {
                    target[t] = row[s];
                    target[t + 1] = row[s + 1];
                    target[t + 2] = row[s + 2];
                    target[t + 3] = 255;
                }
        }
        return image;
    }

    /// <summary>Encodes an image as PNG (RGB, or RGBA when <paramref name="keepAlpha"/>).</summary>
    public static byte[] EncodePng(RgbaImage image, bool keepAlpha = false) => Encode(image, "png", keepAlpha);

    /// <summary>Encodes with one of gdk-pixbuf's savers: "png", "jpeg", "bmp", "tiff", "ico".</summary>
    public static byte[] Encode(RgbaImage image, string format, bool keepAlpha = false)
    {
        NativeLibraries.Require(NativeLibraries.GdkPixbuf);
        NativeLibraries.Require(NativeLibraries.GObject);
        NativeLibraries.Require(NativeLibraries.GLib);
        int channels = keepAlpha ? 4 : 3;
        using GObjectHandle pixbuf = GObjectHandle.Own(
            GdkPixbufNative.gdk_pixbuf_new(GdkPixbufNative.ColorspaceRgb, keepAlpha ? 1 : 0, 8, image.Width, image.Height));
        if (pixbuf.IsInvalid) throw new OutOfMemoryException($"gdk_pixbuf_new({image.Width}x{image.Height}) failed.");
        int stride = GdkPixbufNative.gdk_pixbuf_get_rowstride(pixbuf);
        byte* pixels = GdkPixbufNative.gdk_pixbuf_get_pixels(pixbuf);
        ReadOnlySpan<byte> source = image.Pixels;
        for (int y = 0; y < image.Height; y++)
        {
            var row = new Span<byte>(pixels + (long)y * stride, image.Width * channels);
            ReadOnlySpan<byte> from = source.Slice(y * image.Width * 4, image.Width * 4);
            if (keepAlpha) from.CopyTo(row);
            else
                for (int x = 0, s = 0, t = 0; x < image.Width; x++, s += 4, t += 3)
                {
                    row[t] = from[s];
                    row[t + 1] = from[s + 1];
                    row[t + 2] = from[s + 2];
                }
        }
        if (GdkPixbufNative.gdk_pixbuf_save_to_bufferv(pixbuf, out IntPtr buffer, out nuint size, format, IntPtr.Zero, IntPtr.Zero, out var error) == 0)
            throw new InvalidOperationException($"gdk-pixbuf could not encode {format}: {GdkPixbufNative.TakeMessage(error)}");
        try
        {
            return new ReadOnlySpan<byte>((void*)buffer, checked((int)size)).ToArray();
        }
        finally
        {
            GdkPixbufNative.g_free(buffer);
        }
    }
}
