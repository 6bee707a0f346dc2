using System.Buffers.Binary;
using System.IO.Compression;
using System.Security.Cryptography;
using FashionMnist.Data;

namespace FashionMnist.Tests.Data;

/// <summary>Tiny, valid (or deliberately broken) idx files built in the test, with specs whose checksums fit them.</summary>
public static class IdxFixtures
{
    /// <summary>An idx file's bytes: magic, count, [rows, columns], then the data.</summary>
    public static byte[] Idx(bool images, int count, ReadOnlySpan<byte> data, int rows = 28, int columns = 28, int? magic = null)
    {
        int headerLength = images ? 16 : 8;
        var bytes = new byte[headerLength + data.Length];
        BinaryPrimitives.WriteInt32BigEndian(bytes, magic ?? (images ? IdxReader.ImagesMagic : IdxReader.LabelsMagic));
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4), count);
        if (images)
        {
            BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(8), rows);
            BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(12), columns);
        }
        data.CopyTo(bytes.AsSpan(headerLength));
        return bytes;
    }

    public static byte[] Pixels(int count, int seed)
    {
        var pixels = new byte[count * ImageSet.PixelCount];
        new Random(seed).NextBytes(pixels);
        return pixels;
    }

    public static byte[] Labels(int count) => Enumerable.Range(0, count).Select(i => (byte)(i % 10)).ToArray();

    /// <summary>Gzip as .NET writes it: a 10-byte header without a file name, like Debian's repack.</summary>
    public static byte[] Gzip(byte[] data)
    {
        using var buffer = new MemoryStream();
        using (var gzip = new GZipStream(buffer, CompressionLevel.Optimal, leaveOpen: true)) gzip.Write(data);
        return buffer.ToArray();
    }

    public static string Md5(byte[] bytes) => Convert.ToHexStringLower(MD5.HashData(bytes));

    /// <summary>One small file set: payloads, the name-less .gz files, the "original" .gz files with a restored header, and specs.</summary>
    public sealed record FileSet(IReadOnlyList<DataFileSpec> Specs, Dictionary<string, byte[]> Payloads,
        Dictionary<string, byte[]> Stripped, Dictionary<string, byte[]> Originals)
    {
        public DataFileSpec Spec(string name) => Specs.Single(s => s.Name == name);

        /// <summary>Writes every file as name.gz (original header) into the folder.</summary>
        public void WriteOriginals(string directory)
        {
            foreach (var (name, bytes) in Originals) File.WriteAllBytes(Path.Combine(directory, name + ".gz"), bytes);
        }
    }

    /// <summary>Four tiny files (train 20 images, test 10), specs with their real checksums and mtimes like Zalando's.</summary>
    public static FileSet Small(int trainCount = 20, int testCount = 10)
    {
        var specs = new List<DataFileSpec>();
        var payloads = new Dictionary<string, byte[]>();
        var stripped = new Dictionary<string, byte[]>();
        var originals = new Dictionary<string, byte[]>();
        foreach (var official in DataFileSpec.Official)
        {
            int count = official.Split == DataSplit.Train ? trainCount : testCount;
            byte[] payload = official.IsImages
                ? Idx(true, count, Pixels(count, official.Name.Length))
                : Idx(false, count, Labels(count));
            byte[] gz = Gzip(payload);
            var spec = official with { Count = count, PayloadMd5 = Md5(payload), ArchiveMd5 = "" };
            byte[] original = [.. DataVerifier.OriginalGzipHeader(spec), .. gz.AsSpan(10)];
            spec = spec with { ArchiveMd5 = Md5(original) };
            specs.Add(spec);
            payloads[spec.Name] = payload;
            stripped[spec.Name] = gz;
            originals[spec.Name] = original;
        }
        return new FileSet(specs, payloads, stripped, originals);
    }
}

/// <summary>A temporary folder, deleted after the test.</summary>
public sealed class TempFolder : IDisposable
{
    public TempFolder() => System.IO.Directory.CreateDirectory(Path);

    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "fmnist-test-" + Guid.NewGuid().ToString("N"));

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        try { System.IO.Directory.Delete(Path, recursive: true); } catch (IOException) { }
    }
}
