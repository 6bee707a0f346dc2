using System.Reflection;

namespace FashionMnist.Interop;

/// <summary>
/// Points Microsoft.Data.Sqlite at Debian's libsqlite3.so.0. We take only SQLitePCLRaw 3's provider for a system
/// SQLite (SQLitePCLRaw.provider.sqlite3, whose imports name "sqlite3"), no bundled native binary. .NET would probe
/// "libsqlite3.so", which only the -dev package installs, so the import is resolved to the runtime soname instead.
/// Call <see cref="EnsureInitialized"/> before the first SqliteConnection.
/// </summary>
internal static class SqliteProvider
{
    private static readonly Lazy<bool> s_initialized = new(Initialize);

    public static void EnsureInitialized() => _ = s_initialized.Value;

    private static bool Initialize()
    {
        NativeLibraries.Require(NativeLibraries.Sqlite);
        Assembly providerAssembly = typeof(SQLitePCL.SQLite3Provider_sqlite3).Assembly;
        NativeLibrary.SetDllImportResolver(providerAssembly, (name, _, _) =>
            name == "sqlite3" && NativeLibrary.TryLoad(NativeLibraries.Sqlite.SoName, out IntPtr handle) ? handle : IntPtr.Zero);
        SQLitePCL.raw.SetProvider(new SQLitePCL.SQLite3Provider_sqlite3());
        return true;
    }
}
