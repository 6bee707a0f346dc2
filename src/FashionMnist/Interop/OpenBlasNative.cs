namespace FashionMnist.Interop;

/// <summary>The OpenBLAS entry points the project uses (Debian libopenblas0-pthread, 32-bit integers).</summary>
internal static unsafe partial class OpenBlasNative
{
    public const int RowMajor = 101, NoTrans = 111, Trans = 112;

    [LibraryImport("openblas")]
    public static partial void cblas_sgemm(int order, int transA, int transB, int m, int n, int k,
        float alpha, float* a, int lda, float* b, int ldb, float beta, float* c, int ldc);

    [LibraryImport("openblas")]
    public static partial void openblas_set_num_threads(int threads);

    [LibraryImport("openblas")]
    public static partial int openblas_get_num_threads();

    [LibraryImport("openblas")]
    public static partial nint openblas_get_config();

    [LibraryImport("openblas")]
    public static partial nint openblas_get_corename();
}
