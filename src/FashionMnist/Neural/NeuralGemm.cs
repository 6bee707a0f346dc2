using FashionMnist.Numerics;

namespace FashionMnist.Neural;

/// <summary>
/// The engine's one call site for matrix multiplies. Layers call it from their batch-slice threads
/// (<see cref="BatchParallel"/>), which already own the cores, so each multiply runs on the calling thread
/// only: two levels of parallelism over two cores would only fight (see docs/numerics.md, thread owner).
/// </summary>
internal static class NeuralGemm
{
    public static void Multiply(bool transA, bool transB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, float beta, Span<float> c, int ldc) =>
        Gemm.Multiply(Gemm.Backend, threads: 1, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}
