namespace FashionMnist.Interop;

/// <summary>
/// The C# face of OpenBLAS: sgemm on spans and the library's own thread count.
/// OpenBLAS's thread count is process-global state; this class caches it so that the
/// (cheap but locking) openblas_set_num_threads call happens only when the wanted count changes.
/// </summary>
internal static unsafe class OpenBlas
{
    private static int s_threads; // 0 = not set by us yet
    private static readonly Lock s_lock = new();

    public static bool IsAvailable => NativeLibraries.IsAvailable(NativeLibraries.OpenBlas);

    /// <summary>Makes OpenBLAS use <paramref name="threads"/> threads for the following calls.</summary>
    public static void SetThreads(int threads)
    {
        if (Volatile.Read(ref s_threads) == threads) return;
        NativeLibraries.Require(NativeLibraries.OpenBlas);
        lock (s_lock)
        {
            if (s_threads == threads) return;
            OpenBlasNative.openblas_set_num_threads(threads);
            Volatile.Write(ref s_threads, threads);
        }
    }

    public static int CurrentThreads
    {
        get
        {
            NativeLibraries.Require(NativeLibraries.OpenBlas);
            return OpenBlasNative.openblas_get_num_threads();
        }
    }

    /// <summary>OpenBLAS's build configuration and the CPU kernel set it picked (e.g. "Cooperlake").</summary>
    public static string Describe()
    {
        NativeLibraries.Require(NativeLibraries.OpenBlas);
        string config = Marshal.PtrToStringUTF8(OpenBlasNative.openblas_get_config()) ?? "";
        string core = Marshal.PtrToStringUTF8(OpenBlasNative.openblas_get_corename()) ?? "";
        return $"{config.Trim()} ({core.Trim()})";
    }

    public static void Sgemm(bool transA, bool transB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, float beta, Span<float> c, int ldc)
    {
        fixed (float* pa = a)
        fixed (float* pb = b)
        fixed (float* pc = c)
            Sgemm(transA, transB, m, n, k, alpha, pa, lda, pb, ldb, beta, pc, ldc);
    }

    public static void Sgemm(bool transA, bool transB, int m, int n, int k, float alpha,
        float* a, int lda, float* b, int ldb, float beta, float* c, int ldc)
    {
        NativeLibraries.Require(NativeLibraries.OpenBlas);
        OpenBlasNative.cblas_sgemm(OpenBlasNative.RowMajor,
            transA ? OpenBlasNative.Trans : OpenBlasNative.NoTrans,
            transB ? OpenBlasNative.Trans : OpenBlasNative.NoTrans,
            m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    }
}
