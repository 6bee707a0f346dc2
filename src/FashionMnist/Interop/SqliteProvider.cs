using System.Reflection;
using System.Runtime.InteropServices;

namespace FashionMnist.Interop;

/// <summary>
/// Points Microsoft.Data.Sqlite at Debian's libsqlite3.so.0. The NuGet source here lacks the
/// SQLitePCLRaw bundle that ships its own native SQLite, so we take only the P/Invoke provider
/// (SQLitePCLRaw.provider.e_sqlite3, whose imports name "e_sqlite3") and resolve that name to the
/// system library. The SQLite C API is the same; only the file name differs.
/// Call <see cref="EnsureInitialized"/> before the first SqliteConnection.
/// </summary>
public static class SqliteProvider
{
    private static readonly Lazy<bool> s_initialized = new(Initialize);

    public static void EnsureInitialized() => _ = s_initialized.Value;

    private static bool Initialize()
    {
        NativeLibraries.Require(NativeLibraries.Sqlite);
        Assembly providerAssembly = typeof(SQLitePCL.SQLite3Provider_e_sqlite3).Assembly;
        NativeLibrary.SetDllImportResolver(providerAssembly, (name, _, _) =>
            name == "e_sqlite3" && NativeLibrary.TryLoad(NativeLibraries.Sqlite.SoName, out IntPtr handle) ? handle : IntPtr.Zero);
        SQLitePCL.raw.SetProvider(new SQLitePCL.SQLite3Provider_e_sqlite3());
        return true;
    }
}
