namespace FashionMnist.Data;

/// <summary>Which split a file belongs to.</summary>
public enum DataSplit
{
    /// <summary>The 60,000 training images and their labels.</summary>
    Train,
    /// <summary>The 10,000 test images and their labels.</summary>
    Test,
}

/// <summary>
/// One of the four Fashion-MNIST idx files: its name, what it must contain, and the checksums it must have.
/// <see cref="Official"/> lists the published files; tests build small specs of their own (tiny counts, their own
/// checksums) so that fetching and verification can be exercised without the real 30 MB.
/// </summary>
/// <param name="Name">File name without ".gz", e.g. "train-images-idx3-ubyte".</param>
/// <param name="Split">Train or test.</param>
/// <param name="IsImages">True for an idx3 image file (magic 0x00000803), false for an idx1 label file (0x00000801).</param>
/// <param name="Count">Number of images or labels the file must hold.</param>
/// <param name="ArchiveMd5">MD5 of the .gz file as Zalando publishes it.</param>
/// <param name="PayloadMd5">MD5 of the decompressed idx file (header and data).</param>
/// <param name="ArchiveMtime">The gzip header's modification time in Zalando's file, needed to rebuild the header
/// that Debian's repack dropped (see docs/data.md).</param>
public sealed record DataFileSpec(
    string Name, DataSplit Split, bool IsImages, int Count, string ArchiveMd5, string PayloadMd5, uint ArchiveMtime)
{
    /// <summary>The compressed file name, "name.gz".</summary>
    public string ArchiveName => Name + ".gz";

    /// <summary>Bytes of the decompressed idx file: header plus one byte per pixel or label.</summary>
    public long PayloadLength => IdxReader.HeaderLength(IsImages) + (long)Count * (IsImages ? ImageSet.PixelCount : 1);

    /// <summary>"images" or "labels", for messages.</summary>
    public string Kind => IsImages ? "images" : "labels";

    /// <summary>
    /// The four published files (https://github.com/zalandoresearch/fashion-mnist#get-the-data), with Zalando's
    /// MD5s of the .gz files, the MD5s of their decompressed contents and the gzip header times of Zalando's files.
    /// </summary>
    public static IReadOnlyList<DataFileSpec> Official { get; } =
    [
        new("train-images-idx3-ubyte", DataSplit.Train, true, 60_000,
            "8d4fb7e6c68d591d4c3dfef9ec88bf0d", "f4a8712d7a061bf5bd6d2ca38dc4d50a", 1504176606),
        new("train-labels-idx1-ubyte", DataSplit.Train, false, 60_000,
            "25c81989df183df01b3e8a0aad5dffbe", "9018921c3c673c538a1fc5bad174d6f9", 1504176606),
        new("t10k-images-idx3-ubyte", DataSplit.Test, true, 10_000,
            "bef4ecab320f06d8554ea6380940ec79", "8181f5470baa50b63fa0f6fddb340f0a", 1504176627),
        new("t10k-labels-idx1-ubyte", DataSplit.Test, false, 10_000,
            "bb300cfdad3c16e7a12a480ee83cd310", "15d484375f8d13e6eb1aabb0c3f46965", 1504176627),
    ];
}
