using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace FashionMnist.Imaging;

/// <summary>Pixel layouts <see cref="PngWriter"/> writes; the values are PNG's colour type codes.</summary>
internal enum PngColor : byte
{
    /// <summary>One byte per pixel, 0 = black.</summary>
    Gray = 0,
    /// <summary>Three bytes per pixel: red, green, blue.</summary>
    Rgb = 2,
    /// <summary>Four bytes per pixel: red, green, blue, alpha (255 = opaque).</summary>
    Rgba = 6,
}

/// <summary>
/// A tiny, dependency-free PNG encoder for 8-bit grayscale, RGB and RGBA images (charts, sample sheets, photos).
/// Writes IHDR, one IDAT (zlib via <see cref="ZLibStream"/>) and IEND, choosing each row's filter with the usual
/// "smallest sum of absolute differences" heuristic, which shrinks charts and photos a lot at little cost.
/// </summary>
internal static class PngWriter
{
    private static ReadOnlySpan<byte> Signature => [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];

    public static int BytesPerPixel(PngColor color) => color switch
    {
        PngColor.Gray => 1,
        PngColor.Rgb => 3,
        PngColor.Rgba => 4,
        _ => throw new ArgumentOutOfRangeException(nameof(color), color, "Unsupported PNG colour type."),
    };

    /// <summary>Encodes row-major pixels (<paramref name="width"/> x <paramref name="height"/> x bytes per pixel).</summary>
    public static byte[] Encode(ReadOnlySpan<byte> pixels, int width, int height, PngColor color)
    {
        using var buffer = new MemoryStream();
        Write(buffer, pixels, width, height, color);
        return buffer.ToArray();
    }

    /// <summary>Writes the PNG atomically (<see cref="AtomicFile"/>): a reader never sees half an image.</summary>
    public static void Save(string path, ReadOnlySpan<byte> pixels, int width, int height, PngColor color) =>
        AtomicFile.WriteAllBytes(path, Encode(pixels, width, height, color));

    public static void Write(Stream output, ReadOnlySpan<byte> pixels, int width, int height, PngColor color)
    {
        int bpp = BytesPerPixel(color);
        if (width <= 0 || height <= 0) throw new ArgumentOutOfRangeException(nameof(width), $"Image size {width}x{height} must be positive.");
        long rowBytes = (long)width * bpp;
        if (pixels.Length != rowBytes * height)
            throw new ArgumentException($"{pixels.Length} pixel bytes do not make a {width}x{height} {color} image ({rowBytes * height} expected).", nameof(pixels));

        output.Write(Signature);

        Span<byte> header = stackalloc byte[13];
        BinaryPrimitives.WriteInt32BigEndian(header, width);
        BinaryPrimitives.WriteInt32BigEndian(header[4..], height);
        header[8] = 8; // bit depth
        header[9] = (byte)color;
        header[10] = 0; // deflate
        header[11] = 0; // adaptive filtering
        header[12] = 0; // no interlace
        WriteChunk(output, "IHDR", header);

        WriteChunk(output, "IDAT", Compress(pixels, (int)rowBytes, height, bpp));
        WriteChunk(output, "IEND", []);
    }

    private static byte[] Compress(ReadOnlySpan<byte> pixels, int rowBytes, int height, int bpp)
    {
        using var compressed = new MemoryStream();
        using (var zlib = new ZLibStream(compressed, CompressionLevel.Optimal, leaveOpen: true))
        {
            var candidates = new byte[5][];
            for (int f = 0; f < candidates.Length; f++) candidates[f] = new byte[rowBytes + 1];
            ReadOnlySpan<byte> previous = default;
            for (int y = 0; y < height; y++)
            {
                ReadOnlySpan<byte> row = pixels.Slice(y * rowBytes, rowBytes);
                byte[] best = candidates[0];
                long bestScore = long.MaxValue;
                for (byte filter = 0; filter < candidates.Length; filter++)
                {
                    // keep the filter whose output bytes, read as signed, have the smallest absolute sum
                    byte[] candidate = candidates[filter];
                    candidate[0] = filter;
                    Filter(filter, row, previous, bpp, candidate.AsSpan(1));
                    long score = Score(candidate.AsSpan(1));
                    if (score < bestScore) { bestScore = score; best = candidate; }
                }
                zlib.Write(best);
                previous = row;
            }
        }
        return compressed.ToArray();
    }

    /// <summary>PNG filters 0-4 (None, Sub, Up, Average, Paeth); the row above is zeros for the first row.</summary>
    private static void Filter(byte type, ReadOnlySpan<byte> row, ReadOnlySpan<byte> above, int bpp, Span<byte> output)
    {
        for (int i = 0; i < row.Length; i++)
        {
            int a = i >= bpp ? row[i - bpp] : 0;
            int b = above.IsEmpty ? 0 : above[i];
            int c = i >= bpp && !above.IsEmpty ? above[i - bpp] : 0;
            int predictor = type switch
            {
                0 => 0,
                1 => a,
                2 => b,
                3 => (a + b) >> 1,
                _ => Paeth(a, b, c),
            };
            output[i] = (byte)(row[i] - predictor);
        }
    }

    private static int Paeth(int a, int b, int c)
    {
        int p = a + b - c;
        int pa = Math.Abs(p - a), pb = Math.Abs(p - b), pc = Math.Abs(p - c);
        return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
    }

    private static long Score(ReadOnlySpan<byte> filtered)
    {
        long sum = 0;
        foreach (byte v in filtered) sum += Math.Abs((int)(sbyte)v);
        return sum;
    }

    private static void WriteChunk(Stream output, string type, ReadOnlySpan<byte> data)
    {
        Span<byte> field = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(field, data.Length);
        output.Write(field);
        Span<byte> typeBytes = stackalloc byte[4];
        Encoding.ASCII.GetBytes(type, typeBytes);
        output.Write(typeBytes);
        output.Write(data);
        BinaryPrimitives.WriteUInt32BigEndian(field, Crc32.Append(Crc32.Compute(typeBytes), data));
        output.Write(field);
    }
}
