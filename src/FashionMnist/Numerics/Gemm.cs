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
/// <para>
/// Threads: .NET owns them. A call from the top level splits the work into
/// <see cref="ComputeThreads.Count"/> large chunks (OpenBLAS itself always runs single-threaded on
/// each chunk). A caller that is already parallel (a layer processing a batch per thread, KNN
/// scoring blocks in a Parallel.For) wraps its per-thread work in <c>using (Gemm.Sequential())</c>
/// so each call stays on its own thread. See docs/numerics.md.
/// </para>
/// </summary>
public static partial class Gemm
{
    private static GemmBackend s_backend = InitialBackend();

    [ThreadStatic] private static int t_sequentialDepth;

    /// <summary>The backend in use (never <see cref="GemmBackend.Auto"/> once read).</summary>
    public static GemmBackend Backend
    {
        get => s_backend;
        set => s_backend = Resolve(value);
    }

    /// <summary>Threads a <see cref="Multiply(bool, bool, int, int, int, float, ReadOnlySpan{float}, int, ReadOnlySpan{float}, int, float, Span{float}, int)"/>
    /// call on this thread may use: 1 inside a <see cref="Sequential"/> scope, else <see cref="ComputeThreads.Count"/>.</summary>
    public static int ThreadsPerCall => t_sequentialDepth > 0 ? 1 : ComputeThreads.Count;

    /// <summary>
    /// Until disposed, GEMM calls made on this thread run on this thread only. Use it inside your own
    /// parallel loops: <c>Parallel.For(..., i => { using var _ = Gemm.Sequential(); Gemm.Multiply(...); })</c>.
    /// Scopes nest.
    /// </summary>
    public static SequentialScope Sequential()
    {
        t_sequentialDepth++;
        return new SequentialScope(Environment.CurrentManagedThreadId);
    }

    /// <summary>Ends a <see cref="Sequential"/> scope; dispose it on the thread that opened it.</summary>
    public readonly struct SequentialScope : IDisposable
    {
        private readonly int _threadId;

        internal SequentialScope(int threadId) => _threadId = threadId;

        public void Dispose()
        {
            if (_threadId == 0) return; // default(SequentialScope)
            if (Environment.CurrentManagedThreadId != _threadId)
                throw new InvalidOperationException("A Gemm.Sequential() scope must be disposed on the thread that opened it.");
            if (t_sequentialDepth > 0) t_sequentialDepth--;
        }
    }

    public static void Multiply(bool transA, bool transB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, float beta, Span<float> c, int ldc) =>
        Multiply(s_backend, ThreadsPerCall, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);

    /// <summary>C = A * B for dense row-major A (m x k), B (k x n), C (m x n).</summary>
    public static void Multiply(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c, int m, int n, int k) =>
        Multiply(false, false, m, n, k, 1f, a, k, b, n, 0f, c, n);

    /// <summary>With an explicit backend and thread count (benchmarks, tests).</summary>
    internal static void Multiply(GemmBackend backend, int threads, bool transA, bool transB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, float beta, Span<float> c, int ldc)
    {
        CheckShapes(transA, transB, m, n, k, a.Length, lda, b.Length, ldb, c.Length, ldc);
        if (m == 0 || n == 0) return;
        if (Resolve(backend) == GemmBackend.OpenBlas)
            OpenBlasGemm.Multiply(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, threads);
        else
            ManagedGemm.Multiply(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, threads);
    }

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
        // Lenient here (a type initializer must not throw); the CLI calls CheckEnvironment to report a bad value.
        return Resolve(TryParse(forced) ?? GemmBackend.Auto);
    }

    private static GemmBackend? TryParse(string? text) => text?.Trim().ToLowerInvariant() switch
    {
        "auto" or "" => GemmBackend.Auto,
        "managed" => GemmBackend.Managed,
        "openblas" => GemmBackend.OpenBlas,
        _ => null,
    };

    /// <summary>FMNIST_GEMM checked, when set: an unknown backend is an error, not silently ignored.</summary>
    public static void CheckEnvironment()
    {
        string? text = Environment.GetEnvironmentVariable("FMNIST_GEMM");
        if (text is null) return;
        Backend = TryParse(text) ?? throw new FashionMnistException($"FMNIST_GEMM='{text}' is not a GEMM backend",
            "Set it to auto, openblas or managed, or unset it.");
    }

    private static GemmBackend Resolve(GemmBackend wanted) => Resolve(wanted, NativeLibraries.OpenBlas);

    /// <summary>Auto becomes OpenBLAS when <paramref name="openBlas"/> loads, else managed; a forced OpenBLAS that
    /// does not load is an error naming the package. (The library is a parameter so tests can pass a missing one.)</summary>
    internal static GemmBackend Resolve(GemmBackend wanted, NativeLibraryInfo openBlas) => wanted switch
    {
        GemmBackend.Auto => NativeLibraries.IsAvailable(openBlas) ? GemmBackend.OpenBlas : GemmBackend.Managed,
        GemmBackend.OpenBlas => NativeLibraries.IsAvailable(openBlas) ? GemmBackend.OpenBlas
            : throw new NativeLibraryMissingException(openBlas),
        _ => GemmBackend.Managed,
    };
}
