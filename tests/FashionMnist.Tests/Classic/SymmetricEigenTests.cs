using FashionMnist.Classic;
using FashionMnist.Interop;
using FashionMnist.Models;
using FashionMnist.Tests.Support;

namespace FashionMnist.Tests.Classic;

public class SymmetricEigenTests
{
    // Names, not values: EigenSolver is internal and a public theory cannot take it.
    public static TheoryData<string> Solvers => [nameof(EigenSolver.Lapack), nameof(EigenSolver.MathNet)];

    [Theory]
    [MemberData(nameof(Solvers))]
    public void A_hand_computed_3x3_matrix_gives_its_eigenpairs_largest_first(string solverName)
    {
        var solver = Enum.Parse<EigenSolver>(solverName);
        // [[2,1,0],[1,2,0],[0,0,5]]: 5 along z; the 2x2 block has 3 along (1,1)/√2 and 1 along (1,-1)/√2.
        double[] matrix = [2, 1, 0, 1, 2, 0, 0, 0, 5];
        var (values, vectors) = SymmetricEigen.Decompose(matrix, 3, solver);
        Assert.Equal(5, values[0], 12);
        Assert.Equal(3, values[1], 12);
        Assert.Equal(1, values[2], 12);
        Assert.Equal(1, Math.Abs(vectors[0 * 3 + 2]), 12);                    // z axis
        double s = Math.Sign(vectors[1 * 3 + 0]);
        Assert.Equal(1 / Math.Sqrt(2), s * vectors[1 * 3 + 0], 12);
        Assert.Equal(1 / Math.Sqrt(2), s * vectors[1 * 3 + 1], 12);
        Assert.Equal(0, vectors[1 * 3 + 2], 12);
        Assert.Equal(-vectors[2 * 3 + 0], vectors[2 * 3 + 1], 12);            // ∝ (1, -1, 0)
        Assert.Equal(2, matrix[0]);                                           // input left alone
    }

    [Fact]
    public void Lapack_and_mathnet_agree_on_the_covariance_of_real_images()
    {
        Assert.True(Lapack.IsAvailable, "OpenBLAS (libopenblas0-pthread) is installed on the project machines");
        // Covariance of the central 20x20 pixels of 1,000 training images (400 features; MathNet stays quick).
        const int side = 20, n = side * side, images = 1000;
        var x = new double[images * n];
        var pixels = TestData.Train.Pixels;
        for (int r = 0; r < images; r++)
            for (int i = 0; i < n; i++) x[r * n + i] = pixels[r * 784 + (4 + i / side) * 28 + 4 + i % side] / 255.0;
        var mean = new double[n];
        for (int r = 0; r < images; r++) for (int i = 0; i < n; i++) mean[i] += x[r * n + i] / images;
        var covariance = new double[n * n];
        for (int r = 0; r < images; r++)
            for (int i = 0; i < n; i++)
            {
                double xi = x[r * n + i] - mean[i];
                for (int j = i; j < n; j++) covariance[i * n + j] += xi * (x[r * n + j] - mean[j]) / (images - 1);
            }
        for (int i = 0; i < n; i++) for (int j = 0; j < i; j++) covariance[i * n + j] = covariance[j * n + i];

        var (lapackValues, lapackVectors) = SymmetricEigen.Decompose(covariance, n, EigenSolver.Lapack);
        var (managedValues, managedVectors) = SymmetricEigen.Decompose(covariance, n, EigenSolver.MathNet);
        Assert.True(lapackValues[0] > 1, $"the largest variance direction of images holds most variance ({lapackValues[0]})");
        for (int k = 0; k < n; k++) Assert.Equal(managedValues[k], lapackValues[k], 9);
        for (int k = 1; k < n; k++) Assert.True(lapackValues[k] <= lapackValues[k - 1]);
        // The leading directions (well separated eigenvalues) are the same up to sign, and unit length.
        for (int k = 0; k < 20; k++)
        {
            double dot = 0, norm = 0;
            for (int i = 0; i < n; i++)
            {
                dot += lapackVectors[k * n + i] * managedVectors[k * n + i];
                norm += lapackVectors[k * n + i] * lapackVectors[k * n + i];
            }
            Assert.Equal(1, Math.Abs(dot), 6);
            Assert.Equal(1, norm, 9);
        }
        // A·v = λ·v for the LAPACK result.
        for (int k = 0; k < 5; k++)
            for (int i = 0; i < n; i += 37)
            {
                double av = 0;
                for (int j = 0; j < n; j++) av += covariance[i * n + j] * lapackVectors[k * n + j];
                Assert.Equal(lapackValues[k] * lapackVectors[k * n + i], av, 9);
            }
    }

    [Fact]
    public void Pca_gives_the_same_components_with_either_solver()
    {
        var features = FeatureMatrix.FromImages(TestData.Train.Take(1500));
        var lapack = new PcaTransform(components: 5) { Solver = EigenSolver.Lapack };
        var managed = new PcaTransform(components: 5) { Solver = EigenSolver.MathNet };
        float[] a = lapack.FitTransform(features, FitContext.Default).Floats!;
        float[] b = managed.FitTransform(features, FitContext.Default).Floats!;
        for (int k = 0; k < 5; k++)
            Assert.True(Math.Abs(managed.ExplainedVariance[k] - lapack.ExplainedVariance[k]) <= 1e-9 * managed.ExplainedVariance[k]);
        // Same sign convention, so the projections (pixel units, magnitudes in the thousands) match.
        for (int i = 0; i < a.Length; i++) Assert.True(Math.Abs(a[i] - b[i]) <= 1e-3f * (1 + Math.Abs(b[i])), $"{a[i]} vs {b[i]} at {i}");
    }

    [Fact]
    public void Wrong_sizes_are_rejected()
    {
        Assert.Throws<ArgumentException>(() => SymmetricEigen.Decompose(new double[8], 3));
        Assert.Throws<ArgumentException>(() => Lapack.SymmetricEigen(new double[4], 3, new double[3]));
        Assert.Throws<ArgumentException>(() => Lapack.SymmetricEigen(new double[9], 3, new double[2]));
    }
}
