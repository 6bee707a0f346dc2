using FashionMnist.Interop;
using MathNet.Numerics.LinearAlgebra;

namespace FashionMnist.Classic;

/// <summary>Which solver <see cref="SymmetricEigen"/> uses.</summary>
internal enum EigenSolver
{
    /// <summary>LAPACK dsyevd from OpenBLAS when it is installed, else MathNet.</summary>
    Auto,
    Lapack,
    MathNet,
}

/// <summary>
/// Eigen-decomposition of a symmetric matrix in double precision, for PCA. LAPACK's divide-and-conquer dsyevd
/// (OpenBLAS) is the fast path; MathNet.Numerics' managed solver is the fallback when OpenBLAS is absent
/// (measured in docs/classic.md: the managed solver is several times slower on 784 columns and far slower on
/// 1,296 HOG features).
/// </summary>
internal static class SymmetricEigen
{
    /// <summary>
    /// Eigenvalues, largest first, and the matching unit eigenvectors (eigenvector j in row j: <c>vectors[j * n + i]</c>)
    /// of the symmetric n x n row-major <paramref name="matrix"/> (read only).
    /// </summary>
    public static (double[] Values, double[] Vectors) Decompose(ReadOnlySpan<double> matrix, int n, EigenSolver solver = EigenSolver.Auto)
    {
        if (matrix.Length != (long)n * n) throw new ArgumentException($"Need {n}x{n} values, got {matrix.Length}.", nameof(matrix));
        bool lapack = solver switch
        {
            EigenSolver.Lapack => true,
            EigenSolver.MathNet => false,
            _ => Lapack.IsAvailable,
        };
        var values = new double[n];
        var vectors = new double[n * n];
        if (lapack)
        {
            var work = matrix.ToArray();
            var ascending = new double[n];
            Lapack.SymmetricEigen(work, n, ascending);
            for (int j = 0; j < n; j++)
            {
                values[j] = ascending[n - 1 - j];
                work.AsSpan((n - 1 - j) * n, n).CopyTo(vectors.AsSpan(j * n, n));
            }
            return (values, vectors);
        }
        var copy = matrix.ToArray();
        var evd = Matrix<double>.Build.Dense(n, n, (i, j) => copy[i * n + j]).Evd(Symmetricity.Symmetric);
        var eigenvectors = evd.EigenVectors;
        for (int j = 0; j < n; j++)
        {
            int source = n - 1 - j; // MathNet sorts ascending
            values[j] = evd.EigenValues[source].Real;
            for (int i = 0; i < n; i++) vectors[j * n + i] = eigenvectors[i, source];
        }
        return (values, vectors);
    }
}
