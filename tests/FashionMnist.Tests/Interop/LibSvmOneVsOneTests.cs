using FashionMnist.Data;
using FashionMnist.Interop;
using FashionMnist.Tests.Support;

namespace FashionMnist.Tests.Interop;

/// <summary>
/// The one-vs-one pairs trained on several threads must give exactly the model LIBSVM's sequential svm_train gives:
/// same support vectors (by row), bit-identical coefficients and rho, the same model file, the same decision values.
/// </summary>
public class LibSvmOneVsOneTests
{
    // Three overlapping clusters in 2-D (class 2 near the origin, 0 to the right, 1 above), rows interleaved so that
    // LIBSVM's first-appearance class order is 2, 0, 1 and grouping has to reorder rows.
    internal static readonly float[] s_toyPoints =
    [
        0.1f, 0.2f, 3.0f, 0.1f, 0.2f, 2.9f, -0.3f, 0.4f, 2.6f, -0.2f, 0.5f, 3.3f,
        0.9f, 0.8f, 2.2f, 0.6f, 0.7f, 2.1f, 0.4f, -0.6f, 3.4f, 0.5f, -0.4f, 2.4f,
        1.3f, 1.1f, 1.4f, 0.2f, 1.0f, 1.6f, -0.8f, -0.1f, 3.8f, -0.5f, 0.1f, 3.9f,
        1.1f, 1.5f, 1.7f, 1.2f, 1.4f, 1.5f,
    ];
    internal static readonly byte[] s_toyLabels = [2, 0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 0, 1];

    private static LibSvmParameters Parameters(SvmKernelType kernel, double c = 10, double gamma = 0.5, double cacheMb = 10) =>
        new(kernel, c, gamma, Degree: 3, Coef0: 0, CacheSizeMb: cacheMb, Tolerance: 1e-3, Shrinking: true, Probability: false);

    internal static LibSvmProblem Problem(float[] values, int columns, byte[] labels, bool keepZeros = false) =>
        LibSvmProblem.From<float>(values, columns, Enumerable.Range(0, labels.Length).ToArray(), labels, 1, keepZeros);

    /// <summary>Every part of the two models that svm_train sets, compared bit for bit.</summary>
    internal static void AssertSameModel(LibSvmModel expected, LibSvmModel actual, int columns)
    {
        Assert.Equal(expected.Labels, actual.Labels);
        Assert.Equal(expected.SupportVectorIndices, actual.SupportVectorIndices);
        LibSvmDecisionFunction e = expected.ExportDecisionFunction(columns), a = actual.ExportDecisionFunction(columns);
        Assert.Equal(e.SupportVectorsPerClass, a.SupportVectorsPerClass);
        Assert.Equal(e.SupportVectors, a.SupportVectors);
        Assert.Equal(Bits(e.Rho), Bits(a.Rho));
        Assert.Equal(e.Coefficients.Length, a.Coefficients.Length);
        for (int q = 0; q < e.Coefficients.Length; q++) Assert.Equal(Bits(e.Coefficients[q]), Bits(a.Coefficients[q]));
        Assert.Equal((e.Kernel, e.Gamma, e.Coef0, e.Degree), (a.Kernel, a.Gamma, a.Coef0, a.Degree));
        // svm_save_model's text (coefficients and rho to 17 digits): the very same model file.
        Assert.Equal(expected.ToBytes(), actual.ToBytes());
    }

    internal static long[] Bits(double[] values) => values.Select(BitConverter.DoubleToInt64Bits).ToArray();

    /// <summary>Decision values and voted labels of LIBSVM's own svm_predict_values, compared exactly.</summary>
    private static void AssertSamePredictions(LibSvmModel expected, LibSvmModel actual, float[] rows, int columns)
    {
        var nodes = new SvmNode[columns + 1];
        var e = new double[expected.DecisionValueCount];
        var a = new double[actual.DecisionValueCount];
        for (int r = 0; r < rows.Length / columns; r++)
        {
            LibSvm.WriteRow<float>(rows.AsSpan(r * columns, columns), 1, keepZeros: false, nodes);
            Assert.Equal(expected.PredictValues(nodes, e), actual.PredictValues(nodes, a));
            Assert.Equal(Bits(e), Bits(a));
        }
    }

    internal static float[] Grid()
    {
        var grid = new List<float>();
        for (float x = -1; x <= 4; x += 0.5f)
            for (float y = -1; y <= 4; y += 0.5f) grid.AddRange([x, y]);
        return [.. grid];
    }

    [Theory]
    [InlineData("Rbf", 1)]
    [InlineData("Rbf", 2)]
    [InlineData("Rbf", 3)]
    [InlineData("Linear", 2)]
    [InlineData("Polynomial", 2)]
    public void Toy_three_classes_give_svm_trains_model_for_any_thread_count(string kernelName, int threads)
    {
        var kernel = Enum.Parse<SvmKernelType>(kernelName);
        using LibSvmProblem problem = Problem(s_toyPoints, 2, s_toyLabels);
        using LibSvmModel sequential = LibSvmModel.Train(problem, Parameters(kernel));
        using LibSvmModel parallel = LibSvmOneVsOne.Train(problem, Parameters(kernel), threads);
        Assert.Equal([2, 0, 1], parallel.Labels); // first-appearance order, as svm_train
        AssertSameModel(sequential, parallel, 2);
        AssertSamePredictions(sequential, parallel, Grid(), 2);
    }

    [Fact]
    public void A_class_with_a_single_sample_is_assembled_like_svm_train()
    {
        // The toy set plus one point of class 7 at (4, 4): its pairs have one positive or negative row.
        float[] points = [.. s_toyPoints, 4f, 4f];
        byte[] labels = [.. s_toyLabels, 7];
        using LibSvmProblem problem = Problem(points, 2, labels);
        using LibSvmModel sequential = LibSvmModel.Train(problem, Parameters(SvmKernelType.Rbf));
        using LibSvmModel parallel = LibSvmOneVsOne.Train(problem, Parameters(SvmKernelType.Rbf), threads: 2);
        Assert.Equal(4, parallel.ClassCount);
        Assert.Contains(labels.Length, parallel.SupportVectorIndices!); // the lone point is a support vector
        AssertSameModel(sequential, parallel, 2);
        AssertSamePredictions(sequential, parallel, Grid(), 2);
    }

    [Fact]
    public void Two_classes_labelled_minus_one_first_keep_LIBSVMs_plus_one_first_swap()
    {
        // svm_group_classes puts +1 in slot 0 of a -1/+1 problem even when -1 comes first; our grouping must too.
        float[] points = [-1, 0, 1, 0, -2, 1, 2, -1, -1.5f, -1, 0.5f, 0.5f];
        using var problem = LibSvmProblem.From<float>(points, 2, [0, 1, 2, 3, 4, 5], [0, 1, 0, 1, 0, 1], 1, keepZeros: false);
        problem.Use(pointer =>
        {
            unsafe
            {
                double* y = ((SvmProblem*)pointer)->Labels;
                for (int r = 0; r < 6; r++) y[r] = r % 2 == 0 ? -1 : 1;
            }
            return 0;
        });
        using LibSvmModel sequential = LibSvmModel.Train(problem, Parameters(SvmKernelType.Linear));
        using LibSvmModel parallel = LibSvmOneVsOne.Train(problem, Parameters(SvmKernelType.Linear), threads: 2);
        Assert.Equal([1, -1], parallel.Labels);
        AssertSameModel(sequential, parallel, 2);
    }

    [Theory]
    [InlineData("Rbf", false)]
    [InlineData("Linear", true)]
    public void Real_images_in_their_original_order_give_svm_trains_model(string kernelName, bool keepZeros)
    {
        var kernel = Enum.Parse<SvmKernelType>(kernelName);
        // The first 300 training images as they come (unsorted, uneven classes) without class 9, then one later
        // class-9 image: a class present once. Pixels in [0, 1], gamma near 'scale' for raw pixels.
        ImageSet head = TestData.Train.Take(300);
        int nine = Enumerable.Range(300, 1000).First(i => TestData.Train.Labels[i] == 9);
        ImageSet images = TestData.Train.Subset([.. Enumerable.Range(0, 300).Where(i => head.Labels[i] != 9), nine]);
        Assert.Equal(1, images.Labels.Count(l => l == 9));
        float[] pixels = images.ToFloats(PixelScaling.UnitRange);
        using LibSvmProblem problem = Problem(pixels, ImageSet.PixelCount, images.Labels, keepZeros);
        var parameters = Parameters(kernel, c: 10, gamma: 0.0102);
        using LibSvmModel sequential = LibSvmModel.Train(problem, parameters);
        using LibSvmModel parallel = LibSvmOneVsOne.Train(problem, parameters, threads: 2);
        Assert.Equal(10, parallel.ClassCount);
        AssertSameModel(sequential, parallel, ImageSet.PixelCount);
        AssertSamePredictions(sequential, parallel, TestData.Test.Take(40).ToFloats(PixelScaling.UnitRange), ImageSet.PixelCount);
    }

    [Fact]
    public void The_kernel_cache_size_changes_speed_never_the_model()
    {
        // The parallel path gives each thread a share of the cache: a cache of two columns must train the same model.
        ImageSet images = TestData.BalancedTrain(15);
        using LibSvmProblem problem = Problem(images.ToFloats(PixelScaling.UnitRange), ImageSet.PixelCount, images.Labels);
        using LibSvmModel large = LibSvmModel.Train(problem, Parameters(SvmKernelType.Rbf, gamma: 0.0102, cacheMb: 100));
        using LibSvmModel tiny = LibSvmOneVsOne.Train(problem, Parameters(SvmKernelType.Rbf, gamma: 0.0102, cacheMb: 0.001), threads: 3);
        AssertSameModel(large, tiny, ImageSet.PixelCount);
    }

    [Fact]
    public void Pairs_report_progress_one_at_a_time_and_cancel_between_pairs()
    {
        using LibSvmProblem problem = Problem(s_toyPoints, 2, s_toyLabels);
        var reports = new List<LibSvmPairTrained>();
        using (LibSvmModel model = LibSvmOneVsOne.Train(problem, Parameters(SvmKernelType.Rbf), 2, default, reports.Add))
            Assert.Equal(3, model.ClassCount);
        Assert.Equal([1, 2, 3], reports.Select(r => r.Done));
        Assert.All(reports, r => Assert.Equal(3, r.Total));
        Assert.Equal([(0, 1), (0, 2), (1, 2)], reports.Select(r => (r.SlotI, r.SlotJ)).Order());
        // Thread CPU time of one pair's solve: never more than its wall time (plus clock granularity), on solver 0 or 1.
        Assert.All(reports, r => Assert.InRange(r.CpuSeconds, 0, r.Seconds + 0.01));
        Assert.All(reports, r => Assert.InRange(r.Worker, 0, 1));

        using var cancel = new CancellationTokenSource();
        int trained = 0;
        Assert.ThrowsAny<OperationCanceledException>(() => LibSvmOneVsOne.Train(problem, Parameters(SvmKernelType.Rbf), 1, cancel.Token, _ =>
        {
            trained++;
            cancel.Cancel();
        }));
        Assert.Equal(1, trained);

        // A failing observer ends the fit with its own exception, once: the other solver's report, racing the first
        // failure, must not call it again (that raced into an AggregateException of two before). Repeated, as it is a race.
        for (int attempt = 0; attempt < 25; attempt++)
        {
            int calls = 0;
            var failure = Assert.Throws<InvalidOperationException>(() =>
                LibSvmOneVsOne.Train(problem, Parameters(SvmKernelType.Rbf), 2, default, _ =>
                {
                    Interlocked.Increment(ref calls);
                    throw new InvalidOperationException("observer failed");
                }));
            Assert.Equal("observer failed", failure.Message);
            Assert.Equal(1, calls);
        }
    }

    [Fact]
    public void Bad_parameters_are_refused()
    {
        using LibSvmProblem problem = Problem(s_toyPoints, 2, s_toyLabels);
        var e = Assert.Throws<FashionMnistException>(() => LibSvmOneVsOne.Train(problem, Parameters(SvmKernelType.Rbf, c: -1), 2));
        Assert.Contains("LIBSVM rejected the SVM parameters: C <= 0", e.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => LibSvmOneVsOne.Train(problem, Parameters(SvmKernelType.Rbf), 0));
    }

    [Fact]
    public void Class_groups_follow_svm_group_classes()
    {
        var groups = LibSvmClassGroups.Of([3, 1, 3, 2, 1, 3]);
        Assert.Equal([3, 1, 2], groups.Labels);
        Assert.Equal([0, 3, 5], groups.Start);
        Assert.Equal([3, 2, 1], groups.Count);
        Assert.Equal([0, 2, 5, 1, 4, 3], groups.Permutation);
        var swapped = LibSvmClassGroups.Of([-1, 1, -1]);
        Assert.Equal([1, -1], swapped.Labels);
        Assert.Equal([1, 0, 2], swapped.Permutation);
    }
}
