namespace FashionMnist.Tests.Numerics;

/// <summary>A GEMM problem with random operands and the naive double-precision answer to check against.</summary>
internal sealed class GemmCase
{
    public GemmCase(int m, int n, int k, bool transA, bool transB, float alpha = 1f, float beta = 0f, int pad = 0, int seed = 1)
    {
        (M, N, K, TransA, TransB, Alpha, Beta) = (m, n, k, transA, transB, alpha, beta);
        var random = new Random(seed);
        int aRows = transA ? k : m, aCols = transA ? m : k;
        int bRows = transB ? n : k, bCols = transB ? k : n;
        // A padded leading dimension (pad > 0) makes each operand a sub-matrix view of a wider one.
        Lda = Math.Max(1, aCols + pad);
        Ldb = Math.Max(1, bCols + pad);
        Ldc = Math.Max(1, n + pad);
        A = Fill(random, aRows * Lda);
        B = Fill(random, bRows * Ldb);
        C0 = Fill(random, m * Ldc);
        Expected = new double[m * n];
        Magnitude = new double[m * n];
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                double sum = 0, size = 0;
                for (int p = 0; p < k; p++)
                {
                    double product = (double)GetA(i, p) * GetB(p, j);
                    sum += product;
                    size += Math.Abs(product);
                }
                double c = beta == 0f ? 0 : (double)beta * C0[i * Ldc + j]; // BLAS: beta = 0 never reads C
                Expected[i * n + j] = alpha * sum + c;
                Magnitude[i * n + j] = Math.Abs(alpha) * size + Math.Abs(c);
            }
    }

    public int M { get; }
    public int N { get; }
    public int K { get; }
    public bool TransA { get; }
    public bool TransB { get; }
    public float Alpha { get; }
    public float Beta { get; }
    public int Lda { get; }
    public int Ldb { get; }
    public int Ldc { get; }
    public float[] A { get; }
    public float[] B { get; }
    public float[] C0 { get; }
    public double[] Expected { get; }
    private double[] Magnitude { get; }

    private float GetA(int i, int p) => TransA ? A[p * Lda + i] : A[i * Lda + p];
    private float GetB(int p, int j) => TransB ? B[j * Ldb + p] : B[p * Ldb + j];

    public float[] FreshC() => (float[])C0.Clone();

    /// <summary>Checks every element against the reference (float rounding grows with k) and that padding is untouched.</summary>
    public void Verify(float[] c, string label)
    {
        const double unit = 1.0 / (1 << 24);
        for (int i = 0; i < M; i++)
        {
            for (int j = 0; j < N; j++)
            {
                double expected = Expected[i * N + j];
                double tolerance = 4 * unit * (K + 2) * Magnitude[i * N + j] + 1e-30;
                double actual = c[i * Ldc + j];
                if (!(Math.Abs(actual - expected) <= tolerance))
                    Assert.Fail($"{label} {this}: C[{i},{j}] = {actual}, expected {expected} (tolerance {tolerance:g3}).");
            }
            for (int j = N; j < Ldc && i * Ldc + j < c.Length; j++)
                if (BitConverter.SingleToInt32Bits(c[i * Ldc + j]) != BitConverter.SingleToInt32Bits(C0[i * Ldc + j]))
                    Assert.Fail($"{label} {this}: wrote into padding C[{i},{j}] outside the {M}x{N} view.");
        }
    }

    public override string ToString() =>
        $"{M}x{N}x{K} (m x n x k) transA={TransA} transB={TransB} alpha={Alpha} beta={Beta} lda={Lda} ldb={Ldb} ldc={Ldc}";

    private static float[] Fill(Random random, int count)
    {
        var values = new float[count];
        for (int i = 0; i < count; i++) values[i] = (float)(random.NextDouble() * 2 - 1);
        return values;
    }
}
