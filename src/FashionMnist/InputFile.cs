using FashionMnist.Interop;

namespace FashionMnist;

/// <summary>
/// Reads a whole input file a user named (a model, spec, grid, photo, checkpoint) with one set of messages for what
/// can be wrong with the path: empty, missing, a folder, too large, unreadable. The size bound also covers endless
/// sources (/dev/zero, a pipe that never closes) that report a length of 0.
/// </summary>
public static class InputFile
{
    /// <param name="path">The path as the user gave it.</param>
    /// <param name="what">How messages name the file: "Model file", "Spec file", ...</param>
    /// <param name="remedy">What to do when the file is missing or unreadable.</param>
    /// <param name="maxBytes">Largest size accepted.</param>
    public static byte[] ReadAllBytes(string? path, string what, string remedy, long maxBytes = 0x7FFFFFC7)
    {
        Check(path, what, remedy);
        try
        {
            using var stream = new FileStream(path!, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
            if (stream.CanSeek && stream.Length > maxBytes) throw TooLarge(path!, what, maxBytes);
            using var content = stream.CanSeek ? new MemoryStream((int)stream.Length) : new MemoryStream();
            byte[] buffer = new byte[1 << 16];
            int read;
            while ((read = stream.Read(buffer)) > 0)
            {
                if (content.Length + read > maxBytes) throw TooLarge(path!, what, maxBytes);
                content.Write(buffer, 0, read);
            }
            return content.Length == content.Capacity ? content.GetBuffer() : content.ToArray();
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new FashionMnistException($"{what} '{path}' does not exist", remedy, ExitCodes.BadInput, e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new FashionMnistException($"Cannot read {Lower(what)} '{path}': {e.Message}", "Check the path and its permissions.", ExitCodes.BadInput, e);
        }
    }

    public static string ReadAllText(string? path, string what, string remedy, long maxBytes = 16L << 20)
    {
        byte[] bytes = ReadAllBytes(path, what, remedy, maxBytes);
        using var reader = new StreamReader(new MemoryStream(bytes), System.Text.Encoding.UTF8, detectEncodingFromByteOrderMarks: true);
        return reader.ReadToEnd();
    }

    /// <summary>The path-level checks alone: not empty, exists, not a folder.</summary>
    public static void Check(string? path, string what, string remedy)
    {
        if (string.IsNullOrWhiteSpace(path))
            throw new FashionMnistException($"The {Lower(what)} path is empty", remedy);
        FileKind kind = FileKinds.Of(path);
        if (kind == FileKind.SymbolicLink) kind = Directory.Exists(path) ? FileKind.Directory : File.Exists(path) ? FileKind.Regular : FileKind.Missing;
        if (kind == FileKind.Missing)
            throw new FashionMnistException($"{what} '{path}' does not exist", remedy);
        if (kind == FileKind.Directory)
            throw new FashionMnistException($"{what} '{path}' is a folder, not a file", "Give the path of the file itself.");
    }

    private static FashionMnistException TooLarge(string path, string what, long maxBytes) =>
        new($"{what} '{path}' is larger than the {FormatBytes(maxBytes)} allowed for it", "Check that this is the right file.");

    private static string FormatBytes(long bytes) => bytes >= 1L << 30 ? $"{bytes / (double)(1L << 30):0.#} GB" : $"{bytes >> 20} MB";

    private static string Lower(string what) => what.Length > 0 ? char.ToLowerInvariant(what[0]) + what[1..] : what;
}
