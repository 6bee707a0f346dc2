namespace FashionMnist.Interop;

/// <summary>
/// CPU time of the calling thread (Linux clock_gettime(CLOCK_THREAD_CPUTIME_ID)). On a shared machine a
/// single-threaded piece of work's CPU time excludes the periods the scheduler gave the core to someone else,
/// so it is far steadier than wall time (it still includes cache pollution by the neighbours). Used by the
/// LIBSVM pair solvers' log and by the benchmarks.
/// </summary>
internal static unsafe class CpuClock
{
    private const int ProcessCpuTimeId = 2, ThreadCpuTimeId = 3;
    private static readonly delegate* unmanaged<int, long*, int> s_clockGetTime = Load();

    public static bool IsAvailable => s_clockGetTime != null;

    /// <summary>Milliseconds of CPU time this thread has used, or NaN where unsupported.</summary>
    public static double ThreadMs() => Read(ThreadCpuTimeId);

    /// <summary>Milliseconds of CPU time all threads of this process have used, or NaN where unsupported.</summary>
    public static double ProcessMs() => Read(ProcessCpuTimeId);

    private static double Read(int clock)
    {
        if (s_clockGetTime == null) return double.NaN;
        long* spec = stackalloc long[2]; // struct timespec { time_t tv_sec; long tv_nsec; } on 64-bit Linux
        return s_clockGetTime(clock, spec) == 0 ? spec[0] * 1e3 + spec[1] / 1e6 : double.NaN;
    }

    /// <summary>Seconds of CPU time this thread has used, or NaN where unsupported.</summary>
    public static double ThreadSeconds() => ThreadMs() / 1e3;

    private static delegate* unmanaged<int, long*, int> Load()
    {
        if (!OperatingSystem.IsLinux() || !NativeLibrary.TryLoad("libc.so.6", out nint libc)) return null;
        return NativeLibrary.TryGetExport(libc, "clock_gettime", out nint f) ? (delegate* unmanaged<int, long*, int>)f : null;
    }
}
