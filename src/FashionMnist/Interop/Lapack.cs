namespace FashionMnist.Interop;

/// <summary>
/// The C# face of LAPACK (from OpenBLAS): symmetric eigen-decomposition. Callers see spans and exceptions,
/// never Fortran conventions. Runs single-threaded: dsyevd makes thousands of small BLAS-2 calls, and with
/// OpenBLAS's own pool each one wakes a sleeping worker; on the shared 2-core machine 2 threads took 3-4.5x the
/// wall time of 1 in two of three runs (n = 1,296: 0.3-0.45 CPU-s either way), and .NET stays the one thread owner.
/// </summary>
internal static unsafe class Lapack
{
    public static bool IsAvailable => NativeLibraries.TryGetExport(NativeLibraries.OpenBlas, "dsyevd_") != IntPtr.Zero;

    /// <summary>
    /// Eigenvalues and eigenvectors of the symmetric n x n <paramref name="matrix"/> (only its upper triangle in
    /// row-major terms is read; it is overwritten). On return <paramref name="eigenvalues"/> holds them ascending and
    /// <paramref name="matrix"/> the unit eigenvectors, eigenvector j in row j (<c>matrix[j * n + i]</c>).
    /// </summary>
    public static void SymmetricEigen(Span<double> matrix, int n, Span<double> eigenvalues)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(n, 1);
        if (matrix.Length < (long)n * n) throw new ArgumentException($"Need {n}x{n} values, got {matrix.Length}.", nameof(matrix));
        if (eigenvalues.Length < n) throw new ArgumentException($"Need room for {n} eigenvalues.", nameof(eigenvalues));
        NativeLibraries.Require(NativeLibraries.OpenBlas);
        // Row-major upper = column-major lower of the same memory; a symmetric matrix is its own transpose, and the
        // column-major eigenvector columns read row-major are the rows we promise.
        byte jobz = (byte)'V', uplo = (byte)'L';
        int size = n, lda = n, info = 0, lwork = -1, liwork = -1, iworkQuery = 0;
        double workQuery = 0;
        OpenBlas.SetThreads(1);
        fixed (double* a = matrix)
        fixed (double* w = eigenvalues)
        {
            LapackNative.dsyevd(&jobz, &uplo, &size, a, &lda, w, &workQuery, &lwork, &iworkQuery, &liwork, &info, 1, 1);
            Check(info, "dsyevd (workspace query)");
            lwork = (int)Math.Ceiling(workQuery);
            liwork = iworkQuery;
            var work = new double[lwork];
            var iwork = new int[liwork];
            fixed (double* pw = work)
            fixed (int* pi = iwork)
                LapackNative.dsyevd(&jobz, &uplo, &size, a, &lda, w, pw, &lwork, pi, &liwork, &info, 1, 1);
            Check(info, "dsyevd");
        }
    }

    private static void Check(int info, string routine)
    {
        if (info < 0) throw new ArgumentException($"LAPACK {routine}: argument {-info} is invalid.");
        if (info > 0)
            throw new FashionMnistException($"The eigen-decomposition did not converge (LAPACK {routine} info {info})",
                "The covariance matrix may contain NaN or infinite values; check the input features.");
    }
}
