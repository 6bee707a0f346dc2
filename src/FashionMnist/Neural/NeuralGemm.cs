using FashionMnist.Numerics;

namespace FashionMnist.Neural;

/// <summary>
/// The engine's one call site for matrix multiplies. Layers call it from their batch-slice threads, so each
/// call must run on the calling thread only: <see cref="SingleThreadedScope"/> makes OpenBLAS single-threaded
/// while a network trains or predicts (our slices own the cores; two thread pools fighting over two cores
/// is slower). When numerics gains an explicit single-threaded entry point, only this file changes.
/// </summary>
internal static class NeuralGemm
{
    private static int s_scopes;
    private static readonly Lock s_lock = new();

    public static void Multiply(bool transA, bool transB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, float beta, Span<float> c, int ldc) =>
        Gemm.Multiply(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);

    /// <summary>While alive, the GEMM backend uses only the calling thread.</summary>
    public static IDisposable SingleThreadedScope() => new Scope();

    private sealed class Scope : IDisposable
    {
        private bool _disposed;

        public Scope()
        {
            lock (s_lock)
            {
                if (s_scopes++ == 0) SetBackendThreads(1);
            }
        }

        public void Dispose()
        {
            if (_disposed) return;
            _disposed = true;
            lock (s_lock)
            {
                if (--s_scopes == 0) SetBackendThreads(ComputeThreads.Count);
            }
        }
    }

    private static void SetBackendThreads(int threads)
    {
        if (Gemm.Backend == GemmBackend.OpenBlas) OpenBlasNative.openblas_set_num_threads(threads);
    }
}
