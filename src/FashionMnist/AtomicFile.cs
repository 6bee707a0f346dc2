using FashionMnist.Interop;

namespace FashionMnist;

/// <summary>
/// Writes files so that a reader never sees a half-written one: the content goes to a temporary
/// file in the same folder, which is flushed and then renamed over the target.
/// <para>What it will and will not replace:</para>
/// <list type="bullet">
/// <item>only a regular file (or nothing): a folder, a device (/dev/null), a named pipe or a socket at the target is
/// refused with a <see cref="FashionMnistException"/> before anything is written;</item>
/// <item>a symbolic link is written through: the file it points to is replaced and the link stays (as a shell's
/// <c>&gt;</c> would), so a <c>models/latest.fmm</c> link keeps working; the link's final target must pass the same checks;</item>
/// <item>an interrupted write leaves at most a stray "NAME.tmp-PID-GUID" file, never a file that looks complete; the
/// next write to the same target deletes the stray files of processes that no longer run.</item>
/// </list>
/// <see cref="CheckTarget"/> runs the same checks (and a write probe) before long work, so a bad --out fails at once.
/// </summary>
internal static class AtomicFile
{
    private const int MaxLinkDepth = 40;

    public static void Write(string path, Action<Stream> write)
    {
        string target = Resolve(path);
        string folder = Path.GetDirectoryName(target)!;
        CreateFolder(folder, path);
        RemoveStaleTemporaries(target);
        string temporary = $"{target}.tmp-{Environment.ProcessId.ToString(CultureInfo.InvariantCulture)}-{Guid.NewGuid():N}";
        try
        {
            using (var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            {
                write(stream);
                stream.Flush(flushToDisk: true);
            }
            // Checked again right before the rename: the write may have taken minutes.
            RefuseNonRegular(target, path);
            File.Move(temporary, target, overwrite: true);
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
    /// <summary>Before long work: the checks of <see cref="CheckTarget"/>, with messages naming "the output path".</summary>
    public static void CheckWritable(string path, string flag = "The output path") => CheckTarget(path, flag);

    public static void WriteAllBytes(string path, ReadOnlySpan<byte> bytes)
    {
        byte[] copy = bytes.ToArray();
        Write(path, s => s.Write(copy));
    }

    public static void WriteAllText(string path, string text) =>
        Write(path, s => { using var w = new StreamWriter(s, leaveOpen: true); w.Write(text); });

    /// <summary>
    /// Fails now, with the message a save would give later, if <paramref name="path"/> cannot be written: empty, a
    /// folder, a device or pipe, inside a file, or in a folder without write permission. Creates nothing that stays.
    /// <paramref name="flag"/> names where the path came from ("--out") in messages.
    /// </summary>
    public static void CheckTarget(string? path, string flag)
    {
        if (string.IsNullOrWhiteSpace(path)) throw EmptyPath(flag);
        string target = Resolve(path, flag);
        string? existing = Path.GetDirectoryName(target);
        while (existing is not null && FileKinds.Of(existing) == FileKind.Missing) existing = Path.GetDirectoryName(existing);
        if (existing is null) return;
        if (FileKinds.Of(existing) is not FileKind.Directory)
            throw new FashionMnistException($"{flag} '{path}' cannot be created: '{existing}' is {FileKinds.Describe(FileKinds.Of(existing))}, not a folder",
                "Choose a path inside a folder.");
        string probe = Path.Combine(existing, $"{Path.GetFileName(target)}.tmp-{Environment.ProcessId.ToString(CultureInfo.InvariantCulture)}-probe");
        try
        {
            using (new FileStream(probe, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.DeleteOnClose)) { }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new FashionMnistException($"{flag} '{path}' cannot be written: no permission to create files in '{existing}' ({e.Message})",
                "Choose a folder you can write to.", ExitCodes.BadInput, e);
        }
        finally
        {
            TryDelete(probe);
        }
    }

    /// <summary>The absolute path that a write to <paramref name="path"/> replaces: symbolic links followed, and only a
    /// regular file or nothing at the end of them.</summary>
    internal static string Resolve(string path, string? flag = null)
    {
        if (string.IsNullOrWhiteSpace(path)) throw EmptyPath(flag);
        string label = flag is null ? $"'{path}'" : $"{flag} '{path}'";
        if (Path.EndsInDirectorySeparator(path))
            throw new FashionMnistException($"{label} names a folder (it ends with '/')", "Give a file name, e.g. models/model.fmm.");
        string current;
        try { current = Path.GetFullPath(path); }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or PathTooLongException)
        {
            throw new FashionMnistException($"{label} is not a valid path: {e.Message}", "Give an ordinary file path.", ExitCodes.BadInput, e);
        }
        for (int depth = 0; FileKinds.Of(current) == FileKind.SymbolicLink; depth++)
        {
            string? link = new FileInfo(current).LinkTarget;
            if (depth >= MaxLinkDepth || link is null)
                throw new FashionMnistException($"{label} is a symbolic link that does not resolve (a loop, or more than {MaxLinkDepth} links)",
                    "Remove the link or point it at a file.");
            current = Path.GetFullPath(link, Path.GetDirectoryName(current)!);
        }
        RefuseNonRegular(current, path, label);
        return current;
    }

    private static void RefuseNonRegular(string target, string path, string? label = null)
    {
        label ??= $"'{path}'";
        FileKind kind = FileKinds.Of(target);
        string via = target == Path.GetFullPath(path) ? "" : $" (the link leads to '{target}')";
        if (kind == FileKind.Directory)
            throw new FashionMnistException($"{label} is a folder{via}; fmnist writes files, and replaces nothing but a regular file",
                $"Give a file name, e.g. {Path.Combine(path, "model.fmm")}.");
        if (kind is FileKind.Device or FileKind.Pipe or FileKind.Socket)
            throw new FashionMnistException($"{label} is {FileKinds.Describe(kind)}{via}, not a regular file; fmnist replaces nothing but regular files",
                "Give the path of a new or existing regular file (to discard a model, use --no-save).");
    }

    private static void CreateFolder(string folder, string path)
    {
        try { Directory.CreateDirectory(folder); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new FashionMnistException($"Cannot create the folder '{folder}' for '{path}': {e.Message}",
                "Choose an output path in a folder you can write to.", ExitCodes.BadInput, e);
        }
    }

    /// <summary>
    /// Deletes "NAME.tmp-PID-*" files beside <paramref name="target"/> whose process is gone (a kill -9 during a save).
    /// Files of running processes (this one included: another thread may be saving) are left alone; a reused PID
    /// only delays the clean-up.
    /// </summary>
    internal static int RemoveStaleTemporaries(string target)
    {
        string folder = Path.GetDirectoryName(target)!, prefix = Path.GetFileName(target) + ".tmp-";
        int removed = 0;
        IEnumerable<string> candidates;
        try { candidates = Directory.EnumerateFiles(folder, prefix + "*").ToList(); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return 0; }
        foreach (string file in candidates)
        {
            string rest = Path.GetFileName(file)[prefix.Length..];
            int dash = rest.IndexOf('-');
            if (dash <= 0 || !int.TryParse(rest.AsSpan(0, dash), NumberStyles.None, CultureInfo.InvariantCulture, out int pid)) continue;
            if (pid == Environment.ProcessId || IsRunning(pid) || FileKinds.Of(file) != FileKind.Regular) continue;
            if (TryDelete(file)) removed++;
        }
        return removed;
    }

    private static bool IsRunning(int pid)
    {
        if (OperatingSystem.IsLinux()) return Directory.Exists($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}");
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException) { return false; }
        catch (InvalidOperationException) { return false; }
    }

    private static FashionMnistException EmptyPath(string? flag) =>
        new($"{(flag is null ? "The output path" : flag)} is empty", "Give a file path, e.g. models/model.fmm.");

    private static bool TryDelete(string path)
    {
        try { File.Delete(path); return true; } catch (IOException) { } catch (UnauthorizedAccessException) { }
        return false;
    }
}
