using System.Runtime.InteropServices;
using FashionMnist.Interop;

namespace FashionMnist.Numerics;

/// <summary>Which implementation multiplies matrices.</summary>
public enum GemmBackend
{
    /// <summary>OpenBLAS if it is installed, else managed.</summary>
    Auto,
    OpenBlas,
    Managed,
}

/// <summary>
/// The project's one matrix multiply: C = alpha * op(A) * op(B) + beta * C, row-major, float32,
/// where op(X) is X or its transpose. A is m x k after op, B is k x n after op, C is m x n;
/// lda/ldb/ldc are row strides of the matrices as stored. The backend is OpenBLAS's cblas_sgemm
/// or the managed SIMD kernel; FMNIST_GEMM=managed|openblas forces one.
/// </summary>
public static partial class Gemm
{
    private static GemmBackend s_backend = InitialBackend();

    /// <summary>The backend in use (never <see cref="GemmBackend.Auto"/> once read).</summary>
    public static GemmBackend Backend
    {
        get => s_backend;
        set => s_backend = Resolve(value);
    }

    public static void Multiply(bool transA, bool transB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, float beta, Span<float> c, int ldc)
    {
        CheckShapes(transA, transB, m, n, k, a.Length, lda, b.Length, ldb, c.Length, ldc);
        if (m == 0 || n == 0) return;
        if (s_backend == GemmBackend.OpenBlas)
            OpenBlasMultiply(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
        else
            ManagedGemm.Multiply(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    }

    /// <summary>C = A * B for dense row-major A (m x k), B (k x n), C (m x n).</summary>
    public static void Multiply(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c, int m, int n, int k) =>
        Multiply(false, false, m, n, k, 1f, a, k, b, n, 0f, c, n);

    internal static void CheckShapes(bool transA, bool transB, int m, int n, int k,
        int aLength, int lda, int bLength, int ldb, int cLength, int ldc)
    {
        if (m < 0 || n < 0 || k < 0) throw new ArgumentException($"GEMM sizes must not be negative (m={m}, n={n}, k={k}).");
        int aRows = transA ? k : m, aCols = transA ? m : k;
        int bRows = transB ? n : k, bCols = transB ? k : n;
        Check("A", aRows, aCols, aLength, lda);
        Check("B", bRows, bCols, bLength, ldb);
        Check("C", m, n, cLength, ldc);

        static void Check(string name, int rows, int cols, int length, int ld)
        {
            if (ld < Math.Max(1, cols))
                throw new ArgumentException($"GEMM: leading dimension of {name} ({ld}) is smaller than its {cols} columns.");
            if (rows > 0 && cols > 0 && (long)(rows - 1) * ld + cols > length)
                throw new ArgumentException($"GEMM: {name} needs {(long)(rows - 1) * ld + cols} elements ({rows}x{cols}, stride {ld}) but has {length}.");
        }
    }

    private static GemmBackend InitialBackend()
    {
        string? forced = Environment.GetEnvironmentVariable("FMNIST_GEMM");
        GemmBackend wanted = forced?.Trim().ToLowerInvariant() switch
        {
            "managed" => GemmBackend.Managed,
            "openblas" => GemmBackend.OpenBlas,
            _ => GemmBackend.Auto,
        };
        return Resolve(wanted);
    }

    private static GemmBackend Resolve(GemmBackend wanted) => wanted switch
    {
        GemmBackend.Auto => NativeLibraries.IsAvailable(NativeLibraries.OpenBlas) ? GemmBackend.OpenBlas : GemmBackend.Managed,
        GemmBackend.OpenBlas => NativeLibraries.IsAvailable(NativeLibraries.OpenBlas) ? GemmBackend.OpenBlas
            : throw new NativeLibraryMissingException(NativeLibraries.OpenBlas),
        _ => GemmBackend.Managed,
    };

    private static unsafe void OpenBlasMultiply(bool transA, bool transB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, float beta, Span<float> c, int ldc)
    {
        fixed (float* pa = a)
        fixed (float* pb = b)
        fixed (float* pc = c)
        {
            OpenBlasNative.cblas_sgemm(OpenBlasNative.RowMajor,
                transA ? OpenBlasNative.Trans : OpenBlasNative.NoTrans,
                transB ? OpenBlasNative.Trans : OpenBlasNative.NoTrans,
                m, n, k, alpha, pa, lda, pb, ldb, beta, pc, ldc);
        }
    }
}

/// <summary>The OpenBLAS entry points the project uses (Debian libopenblas0-pthread, 32-bit integers).</summary>
internal static unsafe partial class OpenBlasNative
{
    public const int RowMajor = 101, NoTrans = 111, Trans = 112;

    [LibraryImport("openblas")]
    public static partial void cblas_sgemm(int order, int transA, int transB, int m, int n, int k,
        float alpha, float* a, int lda, float* b, int ldb, float beta, float* c, int ldc);

    [LibraryImport("openblas")]
    public static partial void openblas_set_num_threads(int threads);
}
