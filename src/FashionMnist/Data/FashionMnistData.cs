using System.Buffers.Binary;
using System.IO.Compression;

namespace FashionMnist.Data;

/// <summary>
/// The Fashion-MNIST data set in memory: 60,000 training and 10,000 test images.
/// SKELETON: minimal loader; locating, verification and clear errors are in progress (issue 2).
/// </summary>
public sealed class FashionMnistData
{
    public FashionMnistData(ImageSet train, ImageSet test, string directory)
    {
        Train = train;
        Test = test;
        Directory = directory;
    }

    public ImageSet Train { get; }
    public ImageSet Test { get; }

    /// <summary>The folder the files were read from.</summary>
    public string Directory { get; }

    public const string DebianDirectory = "/usr/share/datasets/fashion-mnist";

    public static FashionMnistData Load(string? dataDirectory = null)
    {
        string directory = dataDirectory ?? Environment.GetEnvironmentVariable("FASHION_MNIST_DIR") ?? DebianDirectory;
        ImageSet Split(string prefix) => new(
            ReadIdx(Path.Combine(directory, $"{prefix}-images-idx3-ubyte.gz"), 3),
            ReadIdx(Path.Combine(directory, $"{prefix}-labels-idx1-ubyte.gz"), 1));
        return new FashionMnistData(Split("train"), Split("t10k"), directory);
    }

    private static byte[] ReadIdx(string path, int dimensions)
    {
        using var file = File.OpenRead(path);
        using var gzip = new GZipStream(file, CompressionMode.Decompress);
        Span<byte> header = stackalloc byte[4 + 4 * dimensions];
        gzip.ReadExactly(header);
        int count = BinaryPrimitives.ReadInt32BigEndian(header[4..]);
        int itemSize = 1;
        for (int d = 1; d < dimensions; d++) itemSize *= BinaryPrimitives.ReadInt32BigEndian(header[(4 + 4 * d)..]);
        var data = new byte[(long)count * itemSize];
        gzip.ReadExactly(data);
        return data;
    }
}
