using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using FashionMnist.Imaging;

namespace FashionMnist.Tests.Data;

/// <summary>Decodes what PngWriter wrote with an independent, minimal reader: chunk CRCs, IHDR, inflate, unfilter.</summary>
public sealed class PngWriterTests
{
    /// <summary>Bit-by-bit CRC-32, independent of the table version under test.</summary>
    private static uint SlowCrc(ReadOnlySpan<byte> data)
    {
        uint c = 0xFFFFFFFF;
        foreach (byte b in data)
        {
            c ^= b;
            for (int k = 0; k < 8; k++) c = (c >> 1) ^ (0xEDB88320u & (uint)-(int)(c & 1));
        }
        return ~c;
    }

    private sealed record Decoded(int Width, int Height, byte ColorType, byte BitDepth, byte[] Pixels, List<string> Chunks);

    private static Decoded Decode(byte[] png)
    {
        Assert.Equal(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A }, png[..8]);
        var chunks = new List<string>();
        using var idat = new MemoryStream();
        int width = 0, height = 0;
        byte colorType = 0, bitDepth = 0;
        int at = 8;
        while (at < png.Length)
        {
            int length = BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(at));
            string type = Encoding.ASCII.GetString(png, at + 4, 4);
            ReadOnlySpan<byte> data = png.AsSpan(at + 8, length);
            uint crc = BinaryPrimitives.ReadUInt32BigEndian(png.AsSpan(at + 8 + length));
            Assert.Equal(SlowCrc(png.AsSpan(at + 4, length + 4)), crc);
            chunks.Add(type);
            if (type == "IHDR")
            {
                width = BinaryPrimitives.ReadInt32BigEndian(data);
                height = BinaryPrimitives.ReadInt32BigEndian(data[4..]);
                bitDepth = data[8];
                colorType = data[9];
                Assert.Equal([0, 0, 0], data[10..13].ToArray());
            }
            if (type == "IDAT") idat.Write(data);
            at += 12 + length;
        }
        Assert.Equal(png.Length, at);
        int bpp = colorType switch { 0 => 1, 2 => 3, 6 => 4, _ => throw new InvalidDataException() };
        idat.Position = 0;
        using var zlib = new ZLibStream(idat, CompressionMode.Decompress);
        using var raw = new MemoryStream();
        zlib.CopyTo(raw);
        byte[] filtered = raw.ToArray();
        int stride = width * bpp;
        Assert.Equal((stride + 1) * height, filtered.Length);
        var pixels = new byte[stride * height];
        for (int y = 0; y < height; y++)
        {
            byte filter = filtered[y * (stride + 1)];
            for (int x = 0; x < stride; x++)
            {
                int a = x >= bpp ? pixels[y * stride + x - bpp] : 0;
                int b = y > 0 ? pixels[(y - 1) * stride + x] : 0;
                int c = x >= bpp && y > 0 ? pixels[(y - 1) * stride + x - bpp] : 0;
                int p = a + b - c, pa = Math.Abs(p - a), pb = Math.Abs(p - b), pc = Math.Abs(p - c);
                int predictor = filter switch
                {
                    0 => 0, 1 => a, 2 => b, 3 => (a + b) / 2,
                    4 => pa <= pb && pa <= pc ? a : pb <= pc ? b : c,
                    _ => throw new InvalidDataException($"filter {filter}"),
                };
                pixels[y * stride + x] = (byte)(filtered[y * (stride + 1) + 1 + x] + predictor);
            }
        }
        return new Decoded(width, height, colorType, bitDepth, pixels, chunks);
    }

    private static byte[] Picture(int width, int height, int bpp, int seed)
    {
        // smooth gradients (favour Sub/Up/Paeth), flat areas (None) and noise, so every filter gets used
        var random = new Random(seed);
        var pixels = new byte[width * height * bpp];
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
                for (int k = 0; k < bpp; k++)
                    pixels[(y * width + x) * bpp + k] = y < height / 3 ? (byte)(x * 3 + y + k * 40)
                        : y < 2 * height / 3 ? (byte)(k * 90)
                        : (byte)random.Next(256);
        return pixels;
    }

    [Theory]
    [InlineData(nameof(PngColor.Gray), 1)]
    [InlineData(nameof(PngColor.Rgb), 3)]
    [InlineData(nameof(PngColor.Rgba), 4)]
    public void Round_trips_pixels_with_valid_chunks(string colorName, int bpp) // a name: PngColor is internal
    {
        var color = Enum.Parse<PngColor>(colorName);
        byte[] pixels = Picture(37, 29, bpp, seed: bpp);
        var decoded = Decode(PngWriter.Encode(pixels, 37, 29, color));
        Assert.Equal(["IHDR", "IDAT", "IEND"], decoded.Chunks);
        Assert.Equal((37, 29, (byte)color, (byte)8), (decoded.Width, decoded.Height, decoded.ColorType, decoded.BitDepth));
        Assert.Equal(pixels, decoded.Pixels);
    }

    [Fact]
    public void One_pixel_image_round_trips()
    {
        Assert.Equal(new byte[] { 200 }, Decode(PngWriter.Encode([200], 1, 1, PngColor.Gray)).Pixels);
    }

    [Fact]
    public void Smooth_images_compress_well()
    {
        var pixels = new byte[256 * 256];
        for (int i = 0; i < pixels.Length; i++) pixels[i] = (byte)(i % 256 + i / 256);
        Assert.True(PngWriter.Encode(pixels, 256, 256, PngColor.Gray).Length < pixels.Length / 20);
    }

    [Fact]
    public void Wrong_buffer_size_is_rejected()
    {
        Assert.Throws<ArgumentException>(() => PngWriter.Encode(new byte[10], 2, 2, PngColor.Rgb));
        Assert.Throws<ArgumentOutOfRangeException>(() => PngWriter.Encode([], 0, 0, PngColor.Gray));
    }

    [Fact]
    public void Crc32_matches_the_standard_check_value()
    {
        Assert.Equal(0xCBF43926u, Crc32.Compute("123456789"u8));
        Assert.Equal(Crc32.Compute("123456789"u8), Crc32.Append(Crc32.Compute("1234"u8), "56789"u8));
    }

    [Fact]
    public void Save_writes_the_file_atomically_and_reports_unwritable_paths()
    {
        using var folder = new TempFolder();
        string path = folder.File("x.png");
        PngWriter.Save(path, [1, 2, 3, 4], 2, 2, PngColor.Gray);
        Assert.Equal(new byte[] { 1, 2, 3, 4 }, Decode(File.ReadAllBytes(path)).Pixels);
        Assert.Single(Directory.GetFiles(folder.Path)); // no temporary file left behind

        File.WriteAllText(folder.File("a-file"), "");
        var e = Assert.Throws<FashionMnistException>(() => PngWriter.Save(folder.File("a-file/x.png"), [1], 1, 1, PngColor.Gray));
        Assert.Contains("a-file", e.Message);
    }
}
