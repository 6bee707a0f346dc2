using System.Text;

namespace FashionMnist.Interop;

/// <summary>
/// Environment variables native libraries read once, when they load: OpenBLAS and XGBoost's OpenMP.
/// <see cref="Environment.SetEnvironmentVariable(string, string)"/> is not seen by native getenv
/// (native-facts trap 2), so these go through libc's setenv, and must happen before the library loads.
/// <see cref="Prepare"/> runs automatically when this assembly loads (module initializer), so hosts
/// (CLI, tests, benchmarks) get it for free; calling it again is harmless. A value the user already
/// set in the environment is kept.
/// </summary>
internal static unsafe class NativeEnvironment
{
    /// <summary>What <see cref="Prepare"/> sets unless already set.</summary>
    public static IReadOnlyDictionary<string, string> Defaults { get; } = BuildDefaults();

    private static Dictionary<string, string> BuildDefaults()
    {
        var defaults = new Dictionary<string, string>
        {
            // .NET owns the threads (docs/numerics.md): OpenBLAS runs on the calling thread, so it needs no
            // worker pool of its own, and no spinning pool threads fight ours (trap 3).
            ["OPENBLAS_NUM_THREADS"] = "1",
            // If someone does raise OpenBLAS's thread count, its idle workers sleep almost at once instead of spinning.
            ["OPENBLAS_THREAD_TIMEOUT"] = "4",
            // XGBoost's OpenMP threads yield when idle; spinning made 2 threads 4x slower on a busy machine (trap 1).
            ["OMP_WAIT_POLICY"] = "passive",
        };
        return defaults;
    }

    private static int s_prepared;

#pragma warning disable CA2255 // must run before any native library of this assembly loads
    [ModuleInitializer]
#pragma warning restore CA2255
    internal static void PrepareOnLoad() => Prepare();

    /// <summary>Sets <see cref="Defaults"/> in the native environment (idempotent, keeps user values).</summary>
    public static void Prepare()
    {
        if (Interlocked.Exchange(ref s_prepared, 1) == 1) return;
        foreach (var (name, value) in Defaults)
            if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable(name)))
                Set(name, value);
    }

    /// <summary>Sets a variable so both managed code and native getenv see it.</summary>
    public static void Set(string name, string value)
    {
        Environment.SetEnvironmentVariable(name, value);
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS() && !OperatingSystem.IsFreeBSD()) return;
        var setenv = SetEnv.Function;
        if (setenv == null) return;
        byte[] n = Encoding.UTF8.GetBytes(name + "\0"), v = Encoding.UTF8.GetBytes(value + "\0");
        fixed (byte* pn = n)
        fixed (byte* pv = v)
            setenv(pn, pv, 1);
    }

    /// <summary>The value native code sees (libc getenv), or null.</summary>
    public static string? GetNative(string name)
    {
        var getenv = SetEnv.Get;
        if (getenv == null) return Environment.GetEnvironmentVariable(name);
        byte[] n = Encoding.UTF8.GetBytes(name + "\0");
        fixed (byte* pn = n)
            return Marshal.PtrToStringUTF8((nint)getenv(pn));
    }

    // Looked up by hand from libc.so.6: the [DllImport("libc")] probing can hit the libc.so linker script.
    private static class SetEnv
    {
        public static readonly delegate* unmanaged<byte*, byte*, int, int> Function;
        public static readonly delegate* unmanaged<byte*, byte*> Get;

        static SetEnv()
        {
            string soName = OperatingSystem.IsLinux() ? "libc.so.6" : OperatingSystem.IsMacOS() ? "libSystem.dylib" : "libc.so.7";
            if (!NativeLibrary.TryLoad(soName, out nint libc)) return;
            if (NativeLibrary.TryGetExport(libc, "setenv", out nint set)) Function = (delegate* unmanaged<byte*, byte*, int, int>)set;
            if (NativeLibrary.TryGetExport(libc, "getenv", out nint get)) Get = (delegate* unmanaged<byte*, byte*>)get;
        }
    }
}
