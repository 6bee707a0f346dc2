using System.Buffers.Binary;
using System.IO.Compression;
using FashionMnist.Imaging;

namespace FashionMnist.WebLoad;

/// <summary>The good uploads: real photos from a folder, or generated ones (CI has no photo folder).</summary>
public static class Photos
{
    /// <summary>Every .jpg/.jpeg/.png under <paramref name="folder"/>, in a fixed order.</summary>
    public static IReadOnlyList<byte[]> FromFolder(string folder)
    {
        if (!Directory.Exists(folder)) throw new DirectoryNotFoundException($"The photo folder '{folder}' does not exist.");
        var files = Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories)
            .Where(f => f.EndsWith(".jpg", StringComparison.OrdinalIgnoreCase) || f.EndsWith(".jpeg", StringComparison.OrdinalIgnoreCase)
                        || f.EndsWith(".png", StringComparison.OrdinalIgnoreCase))
            .Order(StringComparer.Ordinal).ToList();
        if (files.Count == 0) throw new FileNotFoundException($"No .jpg or .png photos under '{folder}'.");
        return files.Select(File.ReadAllBytes).ToList();
    }

    /// <summary>image/png for a PNG's signature, else image/jpeg (what a browser would send for these files).</summary>
    public static string ContentType(byte[] photo) =>
        photo.AsSpan().StartsWith((ReadOnlySpan<byte>)[0x89, 0x50, 0x4E, 0x47]) ? "image/png" : "image/jpeg";

    /// <summary>
    /// <paramref name="count"/> phone-sized (400x533) photos, every fourth a PNG and the rest JPEGs, of a garment-like shape (a top, trousers or a shoe) in a
    /// colour on a graded, noisy floor; deterministic for a seed. Enough for the garment pipeline to find something.
    /// </summary>
    public static IReadOnlyList<byte[]> Generated(int count, int seed = 1)
    {
        var photos = new List<byte[]>();
        for (int i = 0; i < count; i++) photos.Add(ImageCodec.Encode(Garment(400, 533, seed + i), i % 4 == 3 ? "png" : "jpeg"));
        return photos;
    }

    private static RgbaImage Garment(int width, int height, int seed)
    {
        var random = new Random(seed);
        var image = new RgbaImage(width, height);
        int[] floor = [random.Next(150, 240), random.Next(140, 230), random.Next(120, 220)];
        int[] cloth = [random.Next(0, 120), random.Next(0, 160), random.Next(40, 200)];
        int shape = seed % 3;
        double cx = width * (0.45 + 0.1 * random.NextDouble()), cy = height * (0.45 + 0.1 * random.NextDouble());
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
            {
                double u = (x - cx) / width, v = (y - cy) / height;
                bool inside = shape switch
                {
                    0 => (Math.Abs(u) < 0.22 && Math.Abs(v) < 0.3) || (v > -0.3 && v < -0.12 && Math.Abs(u) < 0.42), // a top with sleeves
                    1 => v > -0.35 && v < 0.38 && Math.Abs(u) < 0.2 && !(v > -0.1 && Math.Abs(u) < 0.03),           // trousers
                    _ => (u * u) / 0.09 + (v * v) / 0.02 < 1,                                                        // a shoe
                };
                int[] c = inside ? cloth : floor;
                double shade = 1 - 0.25 * y / height, noise = random.Next(-8, 9);
                image.SetPixel(x, y, Byte(c[0] * shade + noise), Byte(c[1] * shade + noise), Byte(c[2] * shade + noise));
            }
        return image;
    }

    private static byte Byte(double v) => (byte)Math.Clamp(v, 0, 255);

    /// <summary>
    /// A valid PNG of one flat colour, <paramref name="width"/> x <paramref name="height"/>, built row by row so that
    /// even a 50-megapixel one costs only its compressed size (a "decompression bomb": small file, huge image).
    /// </summary>
    public static byte[] FlatPng(int width, int height)
    {
        var idat = new MemoryStream();
        using (var z = new ZLibStream(idat, CompressionLevel.Optimal, leaveOpen: true))
        {
            byte[] row = new byte[1 + 3 * width];
            for (int x = 0; x < width; x++) { row[1 + 3 * x] = 200; row[2 + 3 * x] = 180; row[3 + 3 * x] = 160; }
            for (int y = 0; y < height; y++) z.Write(row);
        }
        var png = new MemoryStream();
        png.Write([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]);
        var header = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(header, width);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), height);
        header[8] = 8; // bit depth
        header[9] = 2; // RGB
        Chunk(png, "IHDR"u8, header);
        Chunk(png, "IDAT"u8, idat.ToArray());
        Chunk(png, "IEND"u8, []);
        return png.ToArray();
    }

    private static void Chunk(Stream png, ReadOnlySpan<byte> type, byte[] data)
    {
        Span<byte> word = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(word, data.Length);
        png.Write(word);
        png.Write(type);
        png.Write(data);
        uint crc = Crc32.Update(Crc32.Update(0xFFFFFFFF, type), data) ^ 0xFFFFFFFF;
        BinaryPrimitives.WriteUInt32BigEndian(word, crc);
        png.Write(word);
    }

    /// <summary>PNG's CRC-32 (polynomial 0xEDB88320), for crafting test files only.</summary>
    private static class Crc32
    {
        private static readonly uint[] Table = Enumerable.Range(0, 256).Select(n =>
        {
            uint c = (uint)n;
            for (int k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xEDB88320 ^ (c >> 1) : c >> 1;
            return c;
        }).ToArray();

        public static uint Update(uint crc, ReadOnlySpan<byte> bytes)
        {
            foreach (byte b in bytes) crc = Table[(crc ^ b) & 0xFF] ^ (crc >> 8);
            return crc;
        }
    }
}
