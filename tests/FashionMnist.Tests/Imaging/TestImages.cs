using System.Buffers.Binary;
using System.Text;
using FashionMnist.Imaging;

namespace FashionMnist.Tests.Imaging;

/// <summary>Synthetic images and hand-built image files for the imaging tests.</summary>
public static class TestImages
{
    public static string FixturePath(string name) => Path.Combine(AppContext.BaseDirectory, "Fixtures", "photos", name);

    public static readonly string[] FixturePhotos = ["t-shirt.jpg", "pants.jpg", "shoes.jpg", "dress.jpg", "longsleeve.jpg", "outwear.jpg"];

    /// <summary>A 1x1 GIF89a whose only pixel is fully transparent (the classic tracking pixel).</summary>
    public static readonly byte[] TransparentGif = Convert.FromHexString(
        "4749463839610100010080000000000000FFFFFF21F90401000000002C00000000010001000002024401003B");

    /// <summary>Each pixel gets a distinct colour derived from its coordinates (to check orientation and layout).</summary>
    public static RgbaImage Gradient(int width, int height)
    {
        var image = new RgbaImage(width, height);
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
                image.SetPixel(x, y, (byte)(x * 255 / Math.Max(1, width - 1)), (byte)(y * 255 / Math.Max(1, height - 1)), (byte)((x + y) % 2 * 200));
        return image;
    }

    /// <summary>Random opaque pixels (incompressible, so a cut file loses rows in proportion).</summary>
    public static RgbaImage Noise(int width, int height, int seed)
    {
        var image = new RgbaImage(width, height);
        new Random(seed).NextBytes(image.Pixels);
        for (int i = 3; i < image.Pixels.Length; i += 4) image.Pixels[i] = 255;
        return image;
    }

    /// <summary>
    /// A "photo" of a 28x28 Fashion-MNIST image: the garment printed dark on a light, slightly graded and noisy
    /// background (as a product shot would be), scaled up <paramref name="scale"/> times and placed at (x0, y0)
    /// in a width x height frame.
    /// </summary>
    public static RgbaImage PhotoOf(ReadOnlySpan<byte> fashionMnist, int width, int height, int x0, int y0, int scale, int seed, bool darkBackground = false)
    {
        var random = new Random(seed);
        var photo = new RgbaImage(width, height);
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
            {
                double background = darkBackground ? 40 + 20.0 * x / width : 215 + 25.0 * y / height;
                double value = background + random.Next(-6, 7);
                int gx = (x - x0) / scale, gy = (y - y0) / scale;
                if (x >= x0 && y >= y0 && gx < 28 && gy < 28)
                {
                    byte p = fashionMnist[gy * 28 + gx];
                    // Garment ink: darker where Fashion-MNIST is brighter (it is the negative of a product photo).
                    if (p > 0) value = darkBackground ? 60 + 0.75 * p : 235 - 0.85 * p;
                }
                byte v = (byte)Math.Clamp(value, 0, 255);
                photo.SetPixel(x, y, v, (byte)Math.Clamp(v + 5, 0, 255), (byte)Math.Clamp(v - 5, 0, 255));
            }
        return photo;
    }

    /// <summary>A PNG holding only a signature and an IHDR chunk that claims the given size (no pixel data).</summary>
    public static byte[] PngHeaderClaiming(int width, int height)
    {
        using var stream = new MemoryStream();
        stream.Write([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]);
        var chunk = new byte[4 + 13];
        Encoding.ASCII.GetBytes("IHDR").CopyTo(chunk, 0);
        BinaryPrimitives.WriteInt32BigEndian(chunk.AsSpan(4), width);
        BinaryPrimitives.WriteInt32BigEndian(chunk.AsSpan(8), height);
        chunk[12] = 8; // bit depth
        chunk[13] = 2; // colour type RGB
        WriteChunk(stream, chunk);
        // libpng reports the header (and gdk-pixbuf the size) only when it reaches the first IDAT chunk.
        WriteChunk(stream, [.. "IDAT"u8.ToArray(), 0x78, 0x9C, 0x63, 0x00, 0x00]);
        return stream.ToArray();
    }

    private static void WriteChunk(Stream stream, byte[] typeAndData)
    {
        var length = new byte[4];
        BinaryPrimitives.WriteInt32BigEndian(length, typeAndData.Length - 4);
        stream.Write(length);
        stream.Write(typeAndData);
        var crc = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(crc, Crc32(typeAndData));
        stream.Write(crc);
    }

    /// <summary>A copy of a baseline JPEG whose SOF0 header claims the given size (the pixel data is unchanged).</summary>
    public static byte[] JpegClaiming(byte[] jpeg, int width, int height)
    {
        byte[] copy = (byte[])jpeg.Clone();
        for (int i = 2; i + 9 < copy.Length; i++)
            if (copy[i] == 0xFF && copy[i + 1] is 0xC0 or 0xC2)
            {
                BinaryPrimitives.WriteUInt16BigEndian(copy.AsSpan(i + 5), (ushort)height);
                BinaryPrimitives.WriteUInt16BigEndian(copy.AsSpan(i + 7), (ushort)width);
                return copy;
            }
        throw new InvalidOperationException("No SOF marker found.");
    }

    /// <summary>Inserts an EXIF APP1 segment with the given orientation tag right after a JPEG's SOI marker.</summary>
    public static byte[] WithExifOrientation(byte[] jpeg, ushort orientation)
    {
        var tiff = new List<byte>();
        tiff.AddRange("MM"u8.ToArray());
        tiff.AddRange([0x00, 0x2A, 0x00, 0x00, 0x00, 0x08]); // magic 42, IFD at offset 8
        tiff.AddRange([0x00, 0x01]); // one entry
        tiff.AddRange([0x01, 0x12, 0x00, 0x03, 0x00, 0x00, 0x00, 0x01, (byte)(orientation >> 8), (byte)orientation, 0x00, 0x00]);
        tiff.AddRange([0x00, 0x00, 0x00, 0x00]); // no next IFD
        byte[] payload = [.. "Exif\0\0"u8.ToArray(), .. tiff];
        int segmentLength = payload.Length + 2;
        byte[] segment = [0xFF, 0xE1, (byte)(segmentLength >> 8), (byte)segmentLength, .. payload];
        return [.. jpeg.AsSpan(0, 2), .. segment, .. jpeg.AsSpan(2)];
    }

    private static uint Crc32(ReadOnlySpan<byte> data)
    {
        uint crc = 0xFFFFFFFF;
        foreach (byte b in data)
        {
            crc ^= b;
            for (int k = 0; k < 8; k++) crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB88320 : crc >> 1;
        }
        return ~crc;
    }
}
