namespace FashionMnist.Interop;

/// <summary>Raised when an image has more pixels than the caller allows (checked from the header, before decoding).</summary>
public sealed class ImageTooLargeException(string source, int width, int height, long maxPixels)
    : FashionMnistException(
        $"'{source}' is {width}x{height} = {(long)width * height / 1e6:0.#} megapixels, more than the {maxPixels / 1e6:0.#} megapixels allowed",
        "Downscale the photo (a few hundred pixels across is plenty) and try again.")
{
    /// <summary>The image's width in pixels.</summary>
    public int Width { get; } = width;
    /// <summary>The image's height in pixels.</summary>
    public int Height { get; } = height;
}

/// <summary>Raised when bytes are not an image gdk-pixbuf can decode (unknown format, corrupt or truncated).</summary>
public class ImageDecodeException(string source, string reason, Exception? inner = null)
    : FashionMnistException($"'{source}' is not an image gdk-pixbuf can read: {reason}",
        "Pass a JPEG, PNG, GIF, BMP, TIFF or WebP photo (WebP only if its gdk-pixbuf loader is installed).", ExitCodes.BadInput, inner)
{
    /// <summary>gdk-pixbuf's own words for what is wrong.</summary>
    public string Reason { get; } = reason;
}

/// <summary>Decoded pixels as gdk-pixbuf hands them over: 8-bit RGBA, row-major, 4 bytes per pixel, straight alpha.</summary>
internal readonly record struct RgbaPixels(byte[] Rgba, int Width, int Height);

/// <summary>
/// Decodes photos (JPEG, PNG, GIF, BMP, TIFF, and whatever else the installed gdk-pixbuf loaders know) into plain
/// RGBA buffers, and encodes RGBA buffers to PNG and other formats, through gdk-pixbuf 2.42. Imaging's
/// <c>ImageCodec</c> is the public face: it builds its image types from these buffers.
/// <para>Decoding always goes through a GdkPixbufLoader fed from memory, for files and uploads alike, so there is one
/// guarded path: the loader's "size-prepared" signal reports the dimensions as soon as the header is parsed, and an
/// image over the pixel budget is stopped there (the loader is told to produce a 0x0 image, the documented way
/// gdk_pixbuf_get_file_info stops early), before any pixel memory is allocated.</para>
/// <para>The EXIF orientation is applied, so a portrait phone photo comes out upright. Thread-safe: every call uses
/// its own loader and pixbufs.</para>
/// </summary>
internal static unsafe class GdkPixbufCodec
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
        /// <summary>The longest side the caller needs (0: full size); a JPEG may be decoded at 1/2, 1/4 or 1/8 scale down to it.</summary>
        public int NeededSide;
    }

    /// <summary>Reads and decodes an image file; errors name the file.</summary>
    public static RgbaPixels DecodeFile(string path, long maxPixels = DefaultMaxPixels)
    {
        byte[] bytes = InputFile.ReadAllBytes(path, "Photo", "Check the path.", DefaultMaxFileBytes);
        return Decode(bytes, path, maxPixels);
    }

    /// <summary>Bytes handed to the loader at a time: between two pieces the decode can be cancelled or timed out.</summary>
    private const int FeedBytes = 32 * 1024;

    /// <summary>
    /// Decodes an image held in memory; <paramref name="source"/> names it in error messages. With
    /// <paramref name="loaderType"/> ("jpeg", "png", ...) only that loader may run (no sniffing: Imaging's ImageCodec
    /// decides the format from the magic bytes). <paramref name="timeout"/> and <paramref name="cancellation"/> are
    /// checked between 32 KB pieces of the data, so a decode stops at most one piece's work after either (the pixel
    /// budget bounds that work).
    /// </summary>
    /// <para>With <paramref name="neededSide"/> &gt; 0 and the JPEG loader, libjpeg decodes at the smallest of 1/2, 1/4
    /// and 1/8 scale whose longest side is still at least that (its DCT scaling: far less work than decoding every
    /// pixel and averaging them away afterwards); other formats always decode at full size.</para>
    public static RgbaPixels Decode(ReadOnlySpan<byte> data, string source, long maxPixels = DefaultMaxPixels, string? loaderType = null,
        TimeSpan? timeout = null, CancellationToken cancellation = default, int neededSide = 0)
    {
        if (data.IsEmpty) throw new ImageDecodeException(source, "the data is empty");
        cancellation.ThrowIfCancellationRequested();
        NativeLibraries.Require(NativeLibraries.GdkPixbuf);
        NativeLibraries.Require(NativeLibraries.GObject);
        NativeLibraries.Require(NativeLibraries.GLib);
        long deadline = timeout is TimeSpan t ? System.Diagnostics.Stopwatch.GetTimestamp() + (long)(t.TotalSeconds * System.Diagnostics.Stopwatch.Frequency) : long.MaxValue;

        GdkPixbufNative.GError* typeError = null;
        using GObjectHandle loader = GObjectHandle.Own(loaderType is null ? GdkPixbufNative.gdk_pixbuf_loader_new()
            : GdkPixbufNative.gdk_pixbuf_loader_new_with_type(loaderType, out typeError));
        if (loader.IsInvalid)
        {
            if (loaderType is null) throw new OutOfMemoryException("gdk_pixbuf_loader_new failed.");
            throw new ImageDecodeException(source, $"its format's gdk-pixbuf loader is not installed ({GdkPixbufNative.TakeMessage(typeError)})"
                + (loaderType == "webp" ? "; WebP needs Debian's webp-pixbuf-loader" : ""));
        }

        // Only the JPEG loader scales while decoding; any other would decode in full and then resample (bilinear).
        SizeGuard guard = new() { MaxPixels = maxPixels, NeededSide = loaderType == "jpeg" ? Math.Max(0, neededSide) : 0 };
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
            return;
        }
        int scale = ReducedScale(width, height, guard->NeededSide);
        // Exactly the size libjpeg gives at 1/scale (ceil(side / scale)), so the loader has nothing left to resample.
        if (scale > 1) GdkPixbufNative.gdk_pixbuf_loader_set_size(loader, (width + scale - 1) / scale, (height + scale - 1) / scale);
    }

    /// <summary>The largest of 1, 2, 4, 8 that keeps the longest side at least <paramref name="neededSide"/> (1 when 0).</summary>
    internal static int ReducedScale(int width, int height, int neededSide)
    {
        if (neededSide <= 0) return 1;
        int longest = Math.Max(width, height), scale = 8;
        while (scale > 1 && (longest + scale - 1) / scale < neededSide) scale /= 2;
        return scale;
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

    /// <summary>
    /// RGB bytes to RGBA with alpha 255: four pixels a vector at a time (a byte shuffle spreads 12 bytes over 16, an OR
    /// sets the alphas), the last ones one by one. The 16-byte load reads 4 bytes past the 4 pixels, so the vector loop
    /// stops while 6 pixels are left.
    /// </summary>
    internal static void RgbToRgba(ReadOnlySpan<byte> rgb, Span<byte> rgba)
    {
        int width = rgb.Length / 3, x = 0;
        if (Vector128.IsHardwareAccelerated)
        {
            Vector128<byte> spread = Vector128.Create((byte)0, 1, 2, 0x80, 3, 4, 5, 0x80, 6, 7, 8, 0x80, 9, 10, 11, 0x80);
            Vector128<byte> alpha = Vector128.Create(0xFF000000u).AsByte();
            for (; x + 6 <= width; x += 4)
                (Vector128.ShuffleNative(Vector128.Create(rgb.Slice(3 * x, 16)), spread) | alpha).CopyTo(rgba.Slice(4 * x, 16));
        }
        for (int s = 3 * x, t = 4 * x; x < width; x++, s += 3, t += 4)
        {
            rgba[t] = rgb[s];
            rgba[t + 1] = rgb[s + 1];
            rgba[t + 2] = rgb[s + 2];
            rgba[t + 3] = 255;
        }
    }

    private static RgbaPixels CopyPixels(GObjectHandle pixbuf, string source)
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

        // Every byte is written below: no need for the runtime to zero a large-object-heap array first (a photo
        // decoded at 1/2 scale is about 200 KB, once per web request).
        byte[] destination = GC.AllocateUninitializedArray<byte>(checked(width * height * 4));
        for (int y = 0; y < height; y++)
        {
            // The last row may be shorter than the stride: read exactly width * channels bytes per row.
            var row = new ReadOnlySpan<byte>(pixels + (long)y * stride, width * channels);
            Span<byte> target = destination.AsSpan(y * width * 4, width * 4);
            if (channels == 4) row.CopyTo(target);
            else RgbToRgba(row, target);
        }
        return new RgbaPixels(destination, width, height);
    }

    /// <summary>Encodes <paramref name="width"/> x <paramref name="height"/> RGBA pixels with one of gdk-pixbuf's savers:
    /// "png", "jpeg", "bmp", "tiff", "ico"; the alpha channel is dropped unless <paramref name="keepAlpha"/>.</summary>
    public static byte[] Encode(ReadOnlySpan<byte> rgba, int width, int height, string format, bool keepAlpha = false)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        if (rgba.Length != (long)width * height * 4)
            throw new ArgumentException($"{rgba.Length} bytes are not {width}x{height} RGBA pixels.", nameof(rgba));
        NativeLibraries.Require(NativeLibraries.GdkPixbuf);
        NativeLibraries.Require(NativeLibraries.GObject);
        NativeLibraries.Require(NativeLibraries.GLib);
        int channels = keepAlpha ? 4 : 3;
        using GObjectHandle pixbuf = GObjectHandle.Own(
            GdkPixbufNative.gdk_pixbuf_new(GdkPixbufNative.ColorspaceRgb, keepAlpha ? 1 : 0, 8, width, height));
        if (pixbuf.IsInvalid) throw new OutOfMemoryException($"gdk_pixbuf_new({width}x{height}) failed.");
        int stride = GdkPixbufNative.gdk_pixbuf_get_rowstride(pixbuf);
        byte* pixels = GdkPixbufNative.gdk_pixbuf_get_pixels(pixbuf);
        for (int y = 0; y < height; y++)
        {
            var row = new Span<byte>(pixels + (long)y * stride, width * channels);
            ReadOnlySpan<byte> from = rgba.Slice(y * width * 4, width * 4);
            if (keepAlpha) from.CopyTo(row);
            else
                for (int x = 0, s = 0, t = 0; x < width; x++, s += 4, t += 3)
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
