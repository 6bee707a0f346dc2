namespace FashionMnist;

/// <summary>
/// Writes files so that a reader never sees a half-written one: the content goes to a temporary
/// file in the same folder, which is flushed and then renamed over the target.
/// An interrupted write leaves at most a stray "*.tmp-*" file, never a file that looks complete.
/// </summary>
public static class AtomicFile
{
    public static void Write(string path, Action<Stream> write)
    {
        string fullPath = Path.GetFullPath(path);
        string? folder = Path.GetDirectoryName(fullPath);
        if (!string.IsNullOrEmpty(folder))
        {
            try { Directory.CreateDirectory(folder); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new FashionMnistException($"Cannot create the folder '{folder}' for '{path}': {e.Message}",
                    "Choose an output path in a folder you can write to.", ExitCodes.BadInput, e);
            }
        }
        string temporary = $"{fullPath}.tmp-{Environment.ProcessId}-{Guid.NewGuid():N}";
        try
        {
            using (var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            {
                write(stream);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temporary, fullPath, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            TryDelete(temporary);
            throw new FashionMnistException($"Cannot write '{path}': {e.Message}",
                "Check that the folder exists, is writable and has free space.", ExitCodes.BadInput, e);
        }
        catch
        {
            TryDelete(temporary);
            throw;
        }
    }

    /// <summary>
    /// Checks before any work that <paramref name="path"/> could be written: not empty, not a folder, and its folder
    /// either exists as a folder or can be made. Throws a <see cref="FashionMnistException"/> (bad input) otherwise.
    /// </summary>
    public static void CheckWritable(string path)
    {
        if (string.IsNullOrWhiteSpace(path))
            throw new FashionMnistException("The output path is empty", "Give a file name, e.g. --out models/model.fmm.");
        string fullPath = Path.GetFullPath(path);
        if (Directory.Exists(fullPath))
            throw new FashionMnistException($"'{path}' is a folder, not a file", "Give a file name inside it, e.g. --out models/model.fmm.");
        for (string? folder = Path.GetDirectoryName(fullPath); !string.IsNullOrEmpty(folder); folder = Path.GetDirectoryName(folder))
        {
            if (Directory.Exists(folder)) return;
            if (File.Exists(folder))
                throw new FashionMnistException($"Cannot write '{path}': '{folder}' is a file, not a folder", "Choose an output path in a folder.");
        }
    }

    public static void WriteAllBytes(string path, ReadOnlySpan<byte> bytes)
    {
        byte[] copy = bytes.ToArray();
        Write(path, s => s.Write(copy));
    }

    public static void WriteAllText(string path, string text) =>
        Write(path, s => { using var w = new StreamWriter(s, leaveOpen: true); w.Write(text); });

    private static void TryDelete(string path)
    {
        try { File.Delete(path); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
