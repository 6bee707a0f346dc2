namespace FashionMnist.Interop;

/// <summary>What a path names, as the kernel sees it (not only "file or folder", which is all .NET's FileInfo tells).</summary>
internal enum FileKind
{
    Missing,
    Regular,
    Directory,
    SymbolicLink,
    /// <summary>A character or block device (/dev/null, a disk).</summary>
    Device,
    /// <summary>A named pipe (FIFO).</summary>
    Pipe,
    Socket,
}

/// <summary>
/// The type of a path without following a final symbolic link (Linux statx with AT_SYMLINK_NOFOLLOW; statx's
/// layout is the same on every architecture, unlike struct stat). .NET reports a FIFO or a device node as an
/// ordinary file of length 0, which is how a save could replace /dev/null; <see cref="AtomicFile"/> asks here.
/// Elsewhere than Linux it falls back to what .NET can tell (regular, folder, link, missing).
/// </summary>
internal static unsafe class FileKinds
{
    private const int AtFdCwd = -100, AtSymlinkNoFollow = 0x100, StatxType = 0x1;
    private static readonly delegate* unmanaged<int, byte*, int, uint, byte*, int> s_statx = Load();

    public static FileKind Of(string path)
    {
        if (s_statx != null)
        {
            byte* buffer = stackalloc byte[256];
            int length = System.Text.Encoding.UTF8.GetByteCount(path);
            Span<byte> name = length < 4096 ? stackalloc byte[length + 1] : new byte[length + 1];
            System.Text.Encoding.UTF8.GetBytes(path, name);
            name[length] = 0;
            fixed (byte* p = name)
                if (s_statx(AtFdCwd, p, AtSymlinkNoFollow, StatxType, buffer) == 0)
                    return FromMode(*(ushort*)(buffer + 28)); // struct statx: stx_mode is the u16 at offset 28
            return Missing(path);
        }
        var info = new FileInfo(path);
        if (info.LinkTarget is not null) return FileKind.SymbolicLink;
        if (Directory.Exists(path)) return FileKind.Directory;
        return info.Exists ? FileKind.Regular : FileKind.Missing;
    }

    /// <summary>A short description for messages: "a folder", "a device", ...</summary>
    public static string Describe(FileKind kind) => kind switch
    {
        FileKind.Directory => "a folder",
        FileKind.SymbolicLink => "a symbolic link",
        FileKind.Device => "a device",
        FileKind.Pipe => "a named pipe (FIFO)",
        FileKind.Socket => "a socket",
        FileKind.Regular => "a file",
        _ => "missing",
    };

    private static FileKind FromMode(ushort mode) => (mode & 0xF000) switch
    {
        0x8000 => FileKind.Regular,
        0x4000 => FileKind.Directory,
        0xA000 => FileKind.SymbolicLink,
        0x2000 or 0x6000 => FileKind.Device,
        0x1000 => FileKind.Pipe,
        0xC000 => FileKind.Socket,
        _ => FileKind.Device,
    };

    // statx failed: missing, or not reachable (a path through a file, no permission on a folder). Both mean
    // "nothing usable there"; callers that then open the path get the precise error from the system.
    private static FileKind Missing(string path) => Directory.Exists(path) ? FileKind.Directory : File.Exists(path) ? FileKind.Regular : FileKind.Missing;

    private static delegate* unmanaged<int, byte*, int, uint, byte*, int> Load()
    {
        if (!OperatingSystem.IsLinux() || !NativeLibrary.TryLoad("libc.so.6", out nint libc)) return null;
        return NativeLibrary.TryGetExport(libc, "statx", out nint f) ? (delegate* unmanaged<int, byte*, int, uint, byte*, int>)f : null;
    }
}
