using System.Buffers.Binary;
using System.IO.Compression;

namespace FashionMnist.Data;

/// <summary>
/// Reads one Fashion-MNIST idx file, gzip-compressed or not (told apart by content, not by name), and checks
/// everything about its structure: magic number, 28x28 dimensions, count, exact length, gzip trailer, labels 0-9.
/// Anything wrong is a <see cref="FashionMnistException"/> naming the file, the problem and the remedy.
/// The data is decompressed straight into one array: no per-image allocation.
/// </summary>
internal static class IdxReader
{
    public const int ImagesMagic = 0x00000803;
    public const int LabelsMagic = 0x00000801;

    /// <summary>Bytes before the data: magic and count, plus rows and columns for images.</summary>
    public static int HeaderLength(bool isImages) => isImages ? 16 : 8;

    /// <summary>Whether the file starts with the gzip signature 1f 8b.</summary>
    public static bool IsGzip(string path)
    {
        using var file = Open(path, DataLocator.GenericRemedy);
        return IsGzip(file);
    }

    /// <summary>
    /// Reads only the header and checks magic number and dimensions; returns the item count it declares.
    /// Used to compare image and label counts before reading everything.
    /// </summary>
    public static int ReadCount(string path, DataFileSpec spec, string remedy)
    {
        using var file = Open(path, remedy);
        bool gzip = IsGzip(file);
        using Stream stream = gzip ? new GZipStream(file, CompressionMode.Decompress, leaveOpen: true) : file;
        return ReadHeader(stream, path, spec, remedy);
    }

    /// <summary>
    /// Reads and checks the whole file and returns its data without the header: Count x 784 pixels for an
    /// images file, Count labels for a labels file.
    /// </summary>
    public static byte[] Read(string path, DataFileSpec spec, string remedy)
    {
        using var file = Open(path, remedy);
        bool gzip = IsGzip(file);
        if (!gzip && file.Length != spec.PayloadLength)
        {
            // Check the header first: a wrong magic number says more than a wrong length.
            ReadHeader(file, path, spec, remedy);
            throw Problem(path, file.Length < spec.PayloadLength
                ? $"is truncated: {file.Length:N0} bytes, expected {spec.PayloadLength:N0}"
                : $"is {file.Length:N0} bytes, longer than the expected {spec.PayloadLength:N0}", remedy);
        }
        uint? trailerLength = gzip ? ReadGzipTrailerLength(file) : null;
        using Stream stream = gzip ? new GZipStream(file, CompressionMode.Decompress, leaveOpen: true) : file;
        int count = ReadHeader(stream, path, spec, remedy);
        if (count != spec.Count)
            throw Problem(path, $"holds {count:N0} {spec.Kind}, expected {spec.Count:N0}", remedy);

        byte[] data = GC.AllocateUninitializedArray<byte>((int)(spec.PayloadLength - HeaderLength(spec.IsImages)));
        try
        {
            stream.ReadExactly(data);
            Span<byte> probe = stackalloc byte[1];
            if (stream.Read(probe) != 0)
                throw Problem(path, $"has data after the {count:N0} {spec.Kind} its header declares", remedy);
        }
        catch (EndOfStreamException)
        {
            throw Problem(path, gzip
                ? "is truncated: the gzip stream ends before all the data (an interrupted download?)"
                : "is truncated", remedy);
        }
        catch (InvalidDataException e)
        {
            throw Problem(path, $"is not a valid gzip stream: the compressed data is corrupt ({e.Message})", remedy);
        }

        // .NET's GZipStream stops quietly when the 8-byte trailer (CRC-32 and length) is cut off; zlib checks the
        // CRC only when the trailer is there. The trailer's length field must match what we read.
        if (trailerLength is uint length && length != (uint)spec.PayloadLength)
            throw Problem(path, "is truncated or has extra bytes: the gzip trailer is missing or does not match the data", remedy);

        if (!spec.IsImages)
        {
            int bad = data.AsSpan().IndexOfAnyExceptInRange((byte)0, (byte)(FashionMnistClasses.Count - 1));
            if (bad >= 0)
                throw Problem(path, $"has label {data[bad]} at index {bad:N0}; labels must be 0-9", remedy);
        }
        return data;
    }

    private static FileStream Open(string path, string remedy)
    {
        try
        {
            return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new FashionMnistException($"Data file '{path}' does not exist", remedy, ExitCodes.BadInput, e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new FashionMnistException($"Cannot read data file '{path}': {e.Message}", "Check that the file is readable.", ExitCodes.BadInput, e);
        }
    }

    private static bool IsGzip(FileStream file)
    {
        Span<byte> signature = stackalloc byte[2];
        int read = file.ReadAtLeast(signature, 2, throwOnEndOfStream: false);
        file.Position = 0;
        return read == 2 && signature[0] == 0x1f && signature[1] == 0x8b;
    }

    /// <summary>The gzip trailer's ISIZE (uncompressed length mod 2^32), the last 4 bytes of the file.</summary>
    private static uint? ReadGzipTrailerLength(FileStream file)
    {
        if (file.Length < 18) return null; // smaller than any gzip member: the decompressor reports it
        Span<byte> last = stackalloc byte[4];
        RandomAccess.Read(file.SafeFileHandle, last, file.Length - 4);
        return BinaryPrimitives.ReadUInt32LittleEndian(last);
    }

    /// <summary>Reads and checks magic and dimensions; returns the declared count.</summary>
    private static int ReadHeader(Stream stream, string path, DataFileSpec spec, string remedy)
    {
        Span<byte> header = stackalloc byte[16];
        header = header[..HeaderLength(spec.IsImages)];
        try
        {
            stream.ReadExactly(header);
        }
        catch (EndOfStreamException)
        {
            throw Problem(path, "is too short to hold an idx header (empty or truncated)", remedy);
        }
        catch (InvalidDataException e)
        {
            throw Problem(path, $"is not a valid gzip stream ({e.Message})", remedy);
        }
        int magic = BinaryPrimitives.ReadInt32BigEndian(header);
        int expected = spec.IsImages ? ImagesMagic : LabelsMagic;
        if (magic != expected)
        {
            string found = magic == (spec.IsImages ? LabelsMagic : ImagesMagic)
                ? $"it is a {(spec.IsImages ? "labels" : "images")} file, not an {spec.Kind} file (were files renamed?)"
                : $"found 0x{magic:X8}, so it is not an idx {spec.Kind} file";
            throw Problem(path, $"has the wrong magic number: expected 0x{expected:X8}, {found}", remedy);
        }
        int count = BinaryPrimitives.ReadInt32BigEndian(header[4..]);
        if (count < 0) throw Problem(path, $"declares a negative count ({count})", remedy);
        if (spec.IsImages)
        {
            int rows = BinaryPrimitives.ReadInt32BigEndian(header[8..]);
            int columns = BinaryPrimitives.ReadInt32BigEndian(header[12..]);
            if (rows != ImageSet.Height || columns != ImageSet.Width)
                throw Problem(path, $"holds {rows}x{columns} images, expected {ImageSet.Height}x{ImageSet.Width}", remedy);
        }
        return count;
    }

    private static FashionMnistException Problem(string path, string problem, string remedy) =>
        new($"Data file '{path}' {problem}", remedy);
}
