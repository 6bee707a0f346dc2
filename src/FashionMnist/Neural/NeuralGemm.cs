using FashionMnist.Numerics;

namespace FashionMnist.Neural;

/// <summary>
/// The engine's one call site for matrix multiplies. Layers call it from their batch-slice threads
/// (<see cref="BatchParallel"/>), which already own the cores, so each multiply runs on the calling thread
/// only: two levels of parallelism over two cores would only fight (see docs/numerics.md, thread owner).
/// <para>
/// The backend is the managed kernel, not <see cref="Gemm.Backend"/>: on every shape the layers use it measured
/// 1.3-1.9x faster per CPU-second than OpenBLAS on this machine (bench suite <c>neural-gemm</c>, docs/neural.md),
/// and it gives the same results on every machine. <see cref="Backend"/> switches it for comparisons.
/// </para>
/// </summary>
internal static class NeuralGemm
{
    /// <summary>Which GEMM the layers use (benchmarks compare; training code never changes it).</summary>
    public static GemmBackend Backend { get; set; } = GemmBackend.Managed;

    public static void Multiply(bool transA, bool transB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, float beta, Span<float> c, int ldc) =>
        Gemm.Multiply(Backend, threads: 1, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}
