using System.Reflection;

namespace FashionMnist.Interop;

/// <summary>A native library the project calls, and the Debian package that provides it.</summary>
public sealed record NativeLibraryInfo(string Name, string SoName, string DebianPackage, string Purpose);

/// <summary>Raised when a native library is not installed; the message names the package to install.</summary>
public sealed class NativeLibraryMissingException(NativeLibraryInfo library, Exception? inner = null)
    : FashionMnistException(
        $"The native library {library.SoName} ({library.Purpose}) is not installed",
        $"Install it with: sudo apt-get install {library.DebianPackage}  (or run ./setup/setup.sh)",
        ExitCodes.Failure, inner)
{
    /// <summary>The library that could not be loaded (its soname and Debian package).</summary>
    public NativeLibraryInfo Library { get; } = library;
}

/// <summary>
/// The one place that maps the logical names used in [DllImport] ("openblas", "svm", "xgboost",
/// "gdk_pixbuf", "gobject", "glib") to Debian sonames, so a missing library becomes a
/// <see cref="NativeLibraryMissingException"/> naming its package instead of a DllNotFoundException.
/// Wrappers call <see cref="Require"/> before their first native call.
/// </summary>
public static class NativeLibraries
{
    /// <summary>OpenBLAS (libopenblas0-pthread): matrix multiply; without it GEMM falls back to the managed kernel.</summary>
    public static readonly NativeLibraryInfo OpenBlas = new("openblas", "libopenblas.so.0", "libopenblas0-pthread", "OpenBLAS matrix multiply");
    /// <summary>LIBSVM 3 (libsvm3): the svm model.</summary>
    public static readonly NativeLibraryInfo LibSvm = new("svm", "libsvm.so.3", "libsvm3", "LIBSVM support vector machines");
    /// <summary>XGBoost (libxgboost0): the xgboost model.</summary>
    public static readonly NativeLibraryInfo XGBoost = new("xgboost", "libxgboost.so.0", "libxgboost0", "XGBoost gradient boosting");
    /// <summary>gdk-pixbuf (libgdk-pixbuf-2.0-0): reading photos.</summary>
    public static readonly NativeLibraryInfo GdkPixbuf = new("gdk_pixbuf", "libgdk_pixbuf-2.0.so.0", "libgdk-pixbuf-2.0-0", "gdk-pixbuf image decoding");
    /// <summary>SQLite (libsqlite3-0): the experiment store.</summary>
    public static readonly NativeLibraryInfo Sqlite = new("sqlite3", "libsqlite3.so.0", "libsqlite3-0", "SQLite, the experiment store");
    /// <summary>GObject (libglib2.0-0): reference counting around gdk-pixbuf.</summary>
    public static readonly NativeLibraryInfo GObject = new("gobject", "libgobject-2.0.so.0", "libglib2.0-0", "GObject reference counting and signals (used with gdk-pixbuf)");
    /// <summary>GLib (libglib2.0-0): memory and errors around gdk-pixbuf.</summary>
    public static readonly NativeLibraryInfo GLib = new("glib", "libglib-2.0.so.0", "libglib2.0-0", "GLib memory and error handling (used with gdk-pixbuf)");
    /// <summary>The C library (libc6).</summary>
    public static readonly NativeLibraryInfo LibC = new("c", "libc.so.6", "libc6", "the C library");

    /// <summary>Every native library this library may load.</summary>
    public static IReadOnlyList<NativeLibraryInfo> All { get; } = [OpenBlas, LibSvm, XGBoost, GdkPixbuf, Sqlite, GObject, GLib, LibC];

    // Keyed by soname, filled on first use: any NativeLibraryInfo works (tests pass one with a bogus soname).
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, Lazy<IntPtr>> s_handles = new();

    private static IntPtr Handle(NativeLibraryInfo library) =>
        s_handles.GetOrAdd(library.SoName, so => new Lazy<IntPtr>(() => NativeLibrary.TryLoad(so, out var h) ? h : IntPtr.Zero)).Value;

    // The resolver must be in place before the first [DllImport] of this assembly runs, whichever it is.
#pragma warning disable CA2255
    [ModuleInitializer]
#pragma warning restore CA2255
    internal static void InstallResolver() =>
        NativeLibrary.SetDllImportResolver(typeof(NativeLibraries).Assembly, Resolve);

    private static IntPtr Resolve(string name, Assembly assembly, DllImportSearchPath? searchPath)
    {
        NativeLibraryInfo? library = All.FirstOrDefault(l => l.Name == name);
        if (library is null) return IntPtr.Zero;
        IntPtr handle = Handle(library);
        return handle != IntPtr.Zero ? handle : throw new NativeLibraryMissingException(library);
    }

    /// <summary>True when <paramref name="library"/> can be loaded on this machine (the answer is cached).</summary>
    public static bool IsAvailable(NativeLibraryInfo library) => Handle(library) != IntPtr.Zero;

    /// <summary>Throws <see cref="NativeLibraryMissingException"/> unless the library can be loaded.</summary>
    public static void Require(NativeLibraryInfo library)
    {
        if (!IsAvailable(library)) throw new NativeLibraryMissingException(library);
    }

    /// <summary>The address of an exported function, or zero (for optional symbols).</summary>
    public static IntPtr TryGetExport(NativeLibraryInfo library, string symbol) =>
        IsAvailable(library) && NativeLibrary.TryGetExport(Handle(library), symbol, out var address) ? address : IntPtr.Zero;
}
