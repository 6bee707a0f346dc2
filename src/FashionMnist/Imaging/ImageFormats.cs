using System.Buffers.Binary;
using FashionMnist.Interop;

namespace FashionMnist.Imaging;

/// <summary>Raised for an image in a format fmnist does not accept (SVG, XPM, ...): only <see cref="ImageFormats.Accepted"/>.</summary>
public sealed class UnsupportedImageFormatException(string source, string format)
    : ImageDecodeException(source, $"it is {format}, and only {ImageFormats.Accepted} images are accepted")
{
    public string Format { get; } = format;
}

/// <summary>The photo formats fmnist decodes; anything else is refused before a decoder sees it.</summary>
public enum ImageFormat
{
    Unknown,
    Jpeg,
    Png,
    Gif,
    Bmp,
    Tiff,
    WebP,
}

/// <summary>
/// Recognises the six accepted formats by their magic bytes and checks that a file is complete, before any decoder
/// runs. gdk-pixbuf would otherwise pick a loader by sniffing, which reaches its SVG (10 CPU-seconds for 386 bytes),
/// XPM, TGA, ANI, ICNS and QTIF loaders from network input; and for a file cut short it hands out the decoded part
/// with grey below (or, for a progressive JPEG, interlaced PNG or bottom-up BMP, all rows touched), which would be
/// classified as if whole.
/// </summary>
public static class ImageFormats
{
    public const string Accepted = "JPEG, PNG, GIF, BMP, TIFF or WebP";

    public static ImageFormat Sniff(ReadOnlySpan<byte> data)
    {
        if (data.StartsWith((ReadOnlySpan<byte>)[0xFF, 0xD8, 0xFF])) return ImageFormat.Jpeg;
        if (data.StartsWith((ReadOnlySpan<byte>)[0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])) return ImageFormat.Png;
        if (data.StartsWith("GIF87a"u8) || data.StartsWith("GIF89a"u8)) return ImageFormat.Gif;
        if (data.Length >= 26 && data.StartsWith("BM"u8) && BinaryPrimitives.ReadUInt32LittleEndian(data[14..]) is 12 or 40 or 52 or 56 or 64 or 108 or 124)
            return ImageFormat.Bmp;
        if (data.StartsWith("II*\0"u8) || data.StartsWith("MM\0*"u8)) return ImageFormat.Tiff;
        if (data.Length >= 12 && data.StartsWith("RIFF"u8) && data[8..12].SequenceEqual("WEBP"u8)) return ImageFormat.WebP;
        return ImageFormat.Unknown;
    }

    /// <summary>Names formats that are refused but recognisable (for a 415 rather than "not an image"), or null.</summary>
    public static string? DescribeOther(ReadOnlySpan<byte> data)
    {
        ReadOnlySpan<byte> start = data[..Math.Min(data.Length, 512)];
        ReadOnlySpan<byte> text = start.TrimStart(" \t\r\n"u8);
        if (text.StartsWith("\uFEFF"u8)) text = text[3..];
        if (start.IndexOf("<svg"u8) >= 0 || text.StartsWith("<?xml"u8)) return "an SVG or XML document";
        if (text.StartsWith("/* XPM */"u8)) return "an XPM image";
        if (text.StartsWith("#define"u8)) return "an XBM image";
        if (data.Length >= 2 && data[0] == (byte)'P' && data[1] is >= (byte)'1' and <= (byte)'7') return "a PNM image";
        if (data.StartsWith("RIFF"u8) && data.Length >= 12 && data[8..12].SequenceEqual("ACON"u8)) return "an ANI cursor";
        if (data.StartsWith((ReadOnlySpan<byte>)[0, 0, 1, 0]) || data.StartsWith((ReadOnlySpan<byte>)[0, 0, 2, 0])) return "an ICO or CUR icon";
        if (data.StartsWith("icns"u8)) return "an ICNS icon";
        if (data.Length >= 8 && (data[4..8].SequenceEqual("idsc"u8) || data[4..8].SequenceEqual("idat"u8) || data[4..8].SequenceEqual("qtif"u8))) return "a QuickTime image";
        if (data.Length >= 18 && data[1] <= 1 && data[2] is 1 or 2 or 3 or 9 or 10 or 11) return "a TGA image";
        return null;
    }

    /// <summary>gdk-pixbuf's name for the loader of a format.</summary>
    public static string LoaderName(ImageFormat format) => format switch
    {
        ImageFormat.Jpeg => "jpeg",
        ImageFormat.Png => "png",
        ImageFormat.Gif => "gif",
        ImageFormat.Bmp => "bmp",
        ImageFormat.Tiff => "tiff",
        ImageFormat.WebP => "webp",
        _ => throw new ArgumentOutOfRangeException(nameof(format)),
    };

    /// <summary>Why the file is incomplete (its structure ends before its image data does), or null if it is whole.</summary>
    public static string? FindTruncation(ImageFormat format, ReadOnlySpan<byte> data) => format switch
    {
        ImageFormat.Jpeg => JpegEnd(data),
        ImageFormat.Png => PngEnd(data),
        ImageFormat.Gif => GifEnd(data),
        ImageFormat.Bmp => BmpEnd(data),
        ImageFormat.WebP => WebPEnd(data),
        _ => null, // TIFF: libtiff reads strips by offset and reports missing ones itself
    };

    // JPEG: an end-of-image marker after the last start-of-scan. Inside entropy-coded data 0xFF is always followed
    // by 0x00 or a restart marker, so FF D9 there is the real end; an EXIF thumbnail's own SOS/EOI come earlier.
    private static string? JpegEnd(ReadOnlySpan<byte> data)
    {
        int lastScan = LastIndexOfMarker(data, 0xDA);
        if (lastScan < 0) return "it has no image data (no start-of-scan marker)";
        return LastIndexOfMarker(data, 0xD9) > lastScan ? null : "the JPEG has no end-of-image marker after its last scan";
    }

    private static int LastIndexOfMarker(ReadOnlySpan<byte> data, byte marker)
    {
        for (int i = data.Length - 2; i >= 0; i--)
            if (data[i] == 0xFF && data[i + 1] == marker) return i;
        return -1;
    }

    // PNG: a chain of complete chunks (length, type, data, CRC) from the signature to IEND.
    private static string? PngEnd(ReadOnlySpan<byte> data)
    {
        int position = 8;
        bool sawData = false;
        while (position + 12 <= data.Length)
        {
            uint length = BinaryPrimitives.ReadUInt32BigEndian(data[position..]);
            ReadOnlySpan<byte> type = data.Slice(position + 4, 4);
            if (length > int.MaxValue || position + 12 + (long)length > data.Length)
                return $"the PNG's {System.Text.Encoding.ASCII.GetString(type)} chunk is cut off";
            if (type.SequenceEqual("IDAT"u8)) sawData = true;
            if (type.SequenceEqual("IEND"u8)) return sawData ? null : "the PNG has no image data";
            position += 12 + (int)length;
        }
        return "the PNG ends before its IEND chunk";
    }

    // GIF: header, palettes and blocks walked to the 0x3B trailer (images and extensions are chains of sub-blocks).
    private static string? GifEnd(ReadOnlySpan<byte> data)
    {
        if (data.Length < 13) return "the GIF header is cut off";
        int position = 13;
        if ((data[10] & 0x80) != 0) position += 3 << ((data[10] & 7) + 1);
        bool sawImage = false;
        while (position < data.Length)
        {
            byte block = data[position++];
            if (block == 0x3B) return sawImage ? null : "the GIF has no image";
            if (block == 0x21)
            {
                if (++position > data.Length) break; // label
            }
            else if (block == 0x2C)
            {
                if (position + 9 > data.Length) break;
                byte flags = data[position + 8];
                position += 9;
                if ((flags & 0x80) != 0) position += 3 << ((flags & 7) + 1);
                position++; // LZW minimum code size
                sawImage = true;
            }
            else return data[^1] == 0x3B ? null : $"the GIF has an unknown block 0x{block:X2} and does not end with its trailer"; // decoders skip junk
            while (position < data.Length && data[position] != 0) position += data[position] + 1; // sub-blocks
            if (position >= data.Length) break;
            position++; // the 0 that ends them
        }
        return "the GIF ends before its trailer";
    }

    // BMP: the pixel array (uncompressed: offset + padded rows x height; compressed: the stated image size) fits.
    private static string? BmpEnd(ReadOnlySpan<byte> data)
    {
        uint offset = BinaryPrimitives.ReadUInt32LittleEndian(data[10..]);
        uint headerSize = BinaryPrimitives.ReadUInt32LittleEndian(data[14..]);
        long width, height, bits, compression = 0, imageSize = 0;
        if (headerSize == 12)
        {
            width = BinaryPrimitives.ReadUInt16LittleEndian(data[18..]);
            height = BinaryPrimitives.ReadUInt16LittleEndian(data[20..]);
            bits = BinaryPrimitives.ReadUInt16LittleEndian(data[24..]);
        }
        else
        {
            if (data.Length < 38) return "the BMP header is cut off";
            width = BinaryPrimitives.ReadInt32LittleEndian(data[18..]);
            height = Math.Abs((long)BinaryPrimitives.ReadInt32LittleEndian(data[22..]));
            bits = BinaryPrimitives.ReadUInt16LittleEndian(data[28..]);
            compression = BinaryPrimitives.ReadUInt32LittleEndian(data[30..]);
            imageSize = BinaryPrimitives.ReadUInt32LittleEndian(data[34..]);
        }
        long needed = compression is 0 or 3 or 6 ? (width * bits + 31) / 32 * 4 * height : imageSize;
        return offset + needed > data.Length ? $"the BMP's pixel data is cut off ({data.Length} of {offset + needed} bytes)" : null;
    }

    // WebP: the RIFF size covers the file.
    private static string? WebPEnd(ReadOnlySpan<byte> data) =>
        8L + BinaryPrimitives.ReadUInt32LittleEndian(data[4..]) > data.Length ? "the WebP file is cut off" : null;
}
