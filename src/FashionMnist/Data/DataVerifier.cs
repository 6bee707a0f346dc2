using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace FashionMnist.Data;

/// <summary>The result of checking one data file: structure and checksum.</summary>
public sealed record FileVerification(
    DataFileSpec Spec,
    string Path,
    long Size,
    bool Compressed,
    string? StructureError,
    ChecksumStatus Checksum,
    string ExpectedMd5,
    string ActualMd5)
{
    /// <summary>True when the file has a valid idx structure (magic, counts, length).</summary>
    public bool StructureOk => StructureError is null;
    /// <summary>True when the checksum matched one of the accepted forms (<see cref="ChecksumStatus"/>).</summary>
    public bool ChecksumOk => Checksum != ChecksumStatus.Mismatch;
    /// <summary>True when both the structure and the checksum are good.</summary>
    public bool Ok => StructureOk && ChecksumOk;

    /// <summary>The checksum outcome in a few words, for tables.</summary>
    public string ChecksumSummary => Checksum switch
    {
        ChecksumStatus.PublishedArchive => "ok: Zalando's MD5",
        ChecksumStatus.PublishedArchiveRestoredHeader => "ok: Zalando's MD5, header restored",
        ChecksumStatus.PublishedPayload => "ok: MD5 of the contents",
        _ => "MISMATCH",
    };

    /// <summary>The checksum outcome in words.</summary>
    public string ChecksumDescription => Checksum switch
    {
        ChecksumStatus.PublishedArchive => "matches Zalando's published MD5",
        ChecksumStatus.PublishedArchiveRestoredHeader =>
            "matches Zalando's published MD5 after restoring the gzip header Debian's repack dropped",
        ChecksumStatus.PublishedPayload when Compressed =>
            "decompressed contents match the MD5 of the published data (a re-compressed file)",
        ChecksumStatus.PublishedPayload => "matches the MD5 of the published data, decompressed",
        _ => $"MD5 {ActualMd5} does not match the expected {ExpectedMd5}",
    };
}

/// <summary>The result of checking all four files.</summary>
public sealed record DataVerification(DataLocation Location, IReadOnlyList<FileVerification> Files)
{
    /// <summary>True when all four files are good.</summary>
    public bool Ok => Files.All(f => f.Ok);

    /// <summary>One exception describing the first failure (and how many others there are), or null when all is well.</summary>
    public FashionMnistException? Failure()
    {
        var failed = Files.Where(f => !f.Ok).ToList();
        if (failed.Count == 0) return null;
        FileVerification first = failed[0];
        string problem = first.StructureError ?? $"Checksum mismatch: '{first.Path}' has MD5 {first.ActualMd5}, expected {first.ExpectedMd5}" +
            (first.Compressed ? " (Zalando's published MD5 of the .gz file)" : " (MD5 of the published file, decompressed)");
        if (failed.Count > 1) problem += $" (and {failed.Count - 1} more file{(failed.Count > 2 ? "s" : "")} failed)";
        return new FashionMnistException(problem, Location.Remedy);
    }
}

/// <summary>
/// Checks data files against the published checksums. A .gz file passes when its MD5 is Zalando's, or when it is a
/// header-stripped repack (Debian's) whose MD5 becomes Zalando's once the original gzip header (with the file name
/// and Zalando's timestamp) is put back, or when its decompressed contents have the published data's MD5.
/// An uncompressed file passes when its MD5 is the published data's. Structure is checked too (magic numbers, counts, lengths).
/// </summary>
public static class DataVerifier
{
    /// <summary>Checks the structure and checksum of the four files at <paramref name="location"/> (reads each file in full).</summary>
    public static DataVerification Verify(DataLocation location) =>
        new(location, location.Files.Select(f => VerifyFile(f.Path, f.Spec, location.Remedy)).ToList());

    /// <summary>Checks one file against <paramref name="spec"/>; <paramref name="remedy"/> ends the message of a structure error.</summary>
    public static FileVerification VerifyFile(string path, DataFileSpec spec, string remedy)
    {
        string? structureError = null;
        string payloadMd5 = "";
        try
        {
            byte[] data = IdxReader.Read(path, spec, remedy);
            payloadMd5 = PayloadMd5(spec, data);
        }
        catch (FashionMnistException e)
        {
            structureError = e.Problem;
        }

        long size = new FileInfo(path).Length;
        bool compressed = IdxReader.IsGzip(path);
        string fileMd5 = FileMd5(path);
        if (!compressed)
        {
            var status = Same(fileMd5, spec.PayloadMd5) ? ChecksumStatus.PublishedPayload : ChecksumStatus.Mismatch;
            return new FileVerification(spec, path, size, false, structureError, status, spec.PayloadMd5, fileMd5);
        }
        ChecksumStatus archiveStatus =
            Same(fileMd5, spec.ArchiveMd5) ? ChecksumStatus.PublishedArchive
            : Same(RestoredHeaderMd5(path, spec), spec.ArchiveMd5) ? ChecksumStatus.PublishedArchiveRestoredHeader
            : Same(payloadMd5, spec.PayloadMd5) ? ChecksumStatus.PublishedPayload
            : ChecksumStatus.Mismatch;
        return new FileVerification(spec, path, size, true, structureError, archiveStatus, spec.ArchiveMd5, fileMd5);
    }

    /// <summary>
    /// The gzip header Zalando's files have: magic 1f 8b, deflate (08), flags FNAME (08), the modification time,
    /// extra flags 00, OS 03 (Unix), then the original file name and a NUL.
    /// </summary>
    internal static byte[] OriginalGzipHeader(DataFileSpec spec)
    {
        var header = new byte[10 + spec.Name.Length + 1];
        header[0] = 0x1f; header[1] = 0x8b; header[2] = 0x08; header[3] = 0x08;
        BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(4), spec.ArchiveMtime);
        header[8] = 0x00; header[9] = 0x03;
        Encoding.ASCII.GetBytes(spec.Name, header.AsSpan(10));
        return header; // last byte stays 0: the name's terminator
    }

    /// <summary>
    /// MD5 of the file with its 10-byte gzip header replaced by <see cref="OriginalGzipHeader"/>, or "" when the
    /// file's header carries optional fields (then it is not a header-stripped repack).
    /// </summary>
    internal static string RestoredHeaderMd5(string path, DataFileSpec spec)
    {
        using var file = File.OpenRead(path);
        Span<byte> header = stackalloc byte[10];
        if (file.ReadAtLeast(header, 10, throwOnEndOfStream: false) < 10) return "";
        const byte optionalFields = 0x04 | 0x08 | 0x10 | 0x02; // FEXTRA, FNAME, FCOMMENT, FHCRC
        if (header[0] != 0x1f || header[1] != 0x8b || header[2] != 0x08 || (header[3] & optionalFields) != 0) return "";
        using var md5 = IncrementalHash.CreateHash(HashAlgorithmName.MD5);
        md5.AppendData(OriginalGzipHeader(spec));
        AppendStream(md5, file);
        return Convert.ToHexStringLower(md5.GetHashAndReset());
    }

    /// <summary>MD5 of the decompressed idx file (header rebuilt from the spec, which the data passed).</summary>
    internal static string PayloadMd5(DataFileSpec spec, ReadOnlySpan<byte> data)
    {
        Span<byte> header = stackalloc byte[16];
        header = header[..IdxReader.HeaderLength(spec.IsImages)];
        BinaryPrimitives.WriteInt32BigEndian(header, spec.IsImages ? IdxReader.ImagesMagic : IdxReader.LabelsMagic);
        BinaryPrimitives.WriteInt32BigEndian(header[4..], spec.Count);
        if (spec.IsImages)
        {
            BinaryPrimitives.WriteInt32BigEndian(header[8..], ImageSet.Height);
            BinaryPrimitives.WriteInt32BigEndian(header[12..], ImageSet.Width);
        }
        using var md5 = IncrementalHash.CreateHash(HashAlgorithmName.MD5);
        md5.AppendData(header);
        md5.AppendData(data);
        return Convert.ToHexStringLower(md5.GetHashAndReset());
    }

    internal static string FileMd5(string path)
    {
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
        return Convert.ToHexStringLower(MD5.HashData(file));
    }

    private static void AppendStream(IncrementalHash hash, Stream stream)
    {
        var buffer = new byte[1 << 16];
        int read;
        while ((read = stream.Read(buffer)) > 0) hash.AppendData(buffer, 0, read);
    }

    private static bool Same(string a, string b) => a.Length > 0 && string.Equals(a, b, StringComparison.OrdinalIgnoreCase);
}
