using System.Numerics;

namespace FashionMnist.Numerics;

/// <summary>
/// Managed GEMM fallback. PLACEHOLDER: a correct, simple row-streaming implementation, to be
/// replaced by the packed, cache-blocked Vector256/512 FMA kernel (see docs/numerics.md).
/// </summary>
internal static class ManagedGemm
{
    public static void Multiply(bool transA, bool transB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, float beta, Span<float> c, int ldc)
    {
        var row = new float[n];
        for (int i = 0; i < m; i++)
        {
            Array.Clear(row);
            for (int p = 0; p < k; p++)
            {
                float aip = transA ? a[p * lda + i] : a[i * lda + p];
                if (aip == 0f) continue;
                if (!transB)
                {
                    ReadOnlySpan<float> bRow = b.Slice(p * ldb, n);
                    int j = 0;
                    var va = new Vector<float>(aip);
                    for (; j <= n - Vector<float>.Count; j += Vector<float>.Count)
                        (new Vector<float>(row, j) + va * new Vector<float>(bRow.Slice(j))).CopyTo(row, j);
                    for (; j < n; j++) row[j] += aip * bRow[j];
                }
                else
                {
                    for (int j = 0; j < n; j++) row[j] += aip * b[j * ldb + p];
                }
            }
            Span<float> cRow = c.Slice(i * ldc, n);
            for (int j = 0; j < n; j++)
                cRow[j] = alpha * row[j] + (beta == 0f ? 0f : beta * cRow[j]);
        }
    }
}
