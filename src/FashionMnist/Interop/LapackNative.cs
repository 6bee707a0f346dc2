namespace FashionMnist.Interop;

/// <summary>
/// The LAPACK routines the project uses. Debian's OpenBLAS (libopenblas0-pthread) carries LAPACK's Fortran entry
/// points (dsyevd_, ssyevd_, ...) but not the LAPACKE C layer, so these are the Fortran signatures: every argument
/// by reference, column-major matrices, and gfortran's hidden string lengths for the character arguments at the end.
/// </summary>
internal static unsafe partial class LapackNative
{
    /// <summary>All eigenvalues (ascending) and, with jobz 'V', eigenvectors of a symmetric matrix (divide and conquer).</summary>
    [LibraryImport("openblas", EntryPoint = "dsyevd_")]
    public static partial void dsyevd(byte* jobz, byte* uplo, int* n, double* a, int* lda, double* w,
        double* work, int* lwork, int* iwork, int* liwork, int* info, nuint jobzLength, nuint uploLength);
}
