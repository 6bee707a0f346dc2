using FashionMnist.Interop;

namespace FashionMnist.Numerics;

/// <summary>
/// OpenBLAS behind the <see cref="Gemm"/> threading policy: OpenBLAS itself runs single-threaded and
/// we split large products into one contiguous block of rows (or columns) of C per thread, the same
/// way <see cref="ManagedGemm"/> does. So one owner (.NET) schedules every thread in the process.
/// <see cref="UseOpenBlasThreads"/> switches to OpenBLAS's own pool instead (benchmarks compare both).
/// </summary>
internal static unsafe class OpenBlasGemm
{
    /// <summary>False (default): we partition, OpenBLAS runs with 1 thread. True: OpenBLAS gets all threads.</summary>
    internal static bool UseOpenBlasThreads { get; set; }

    public static void Multiply(bool transA, bool transB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, float beta, Span<float> c, int ldc, int threads)
    {
        long macs = (long)m * n * k;
        threads = (int)Math.Clamp(macs / ManagedGemm.MinParallelMacsPerThread, 1, Math.Max(1, threads));
        fixed (float* pa = a)
        fixed (float* pb = b)
        fixed (float* pc = c)
        {
            if (threads == 1 || UseOpenBlasThreads)
            {
                OpenBlas.SetThreads(threads);
                OpenBlas.Sgemm(transA, transB, m, n, k, alpha, pa, lda, pb, ldb, beta, pc, ldc);
                return;
            }
            OpenBlas.SetThreads(1);
            nint aa = (nint)pa, ba = (nint)pb, ca = (nint)pc;
            if (m >= n)
            {
                int chunk = (m + threads - 1) / threads;
                Parallel.For(0, (m + chunk - 1) / chunk, new ParallelOptions { MaxDegreeOfParallelism = threads }, t =>
                {
                    int i0 = t * chunk, rows = Math.Min(chunk, m - i0);
                    float* ai = (float*)aa + (transA ? i0 : (long)i0 * lda);
                    OpenBlas.Sgemm(transA, transB, rows, n, k, alpha, ai, lda, (float*)ba, ldb, beta, (float*)ca + (long)i0 * ldc, ldc);
                });
            }
            else
            {
                int chunk = (n + threads - 1) / threads;
                Parallel.For(0, (n + chunk - 1) / chunk, new ParallelOptions { MaxDegreeOfParallelism = threads }, t =>
                {
                    int j0 = t * chunk, cols = Math.Min(chunk, n - j0);
                    float* bj = (float*)ba + (transB ? (long)j0 * ldb : j0);
                    OpenBlas.Sgemm(transA, transB, m, cols, k, alpha, (float*)aa, lda, bj, ldb, beta, (float*)ca + j0, ldc);
                });
            }
        }
    }
}
