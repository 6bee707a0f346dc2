namespace FashionMnist.Data;

/// <summary>How a data file compares with the files Zalando published.</summary>
public enum ChecksumStatus
{
    /// <summary>The .gz file's MD5 is Zalando's published MD5: a downloaded original.</summary>
    PublishedArchive,

    /// <summary>
    /// A repack without the gzip header's file name (Debian's dataset-fashion-mnist): with the original header
    /// restored, the file's MD5 is Zalando's published MD5, so the compressed data is byte-for-byte the original.
    /// </summary>
    PublishedArchiveRestoredHeader,

    /// <summary>The decompressed contents' MD5 is that of the published data (an uncompressed or re-compressed file).</summary>
    PublishedPayload,

    /// <summary>None of the above: the file is not the published data.</summary>
    Mismatch,
}
