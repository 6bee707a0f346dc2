using FashionMnist.Data;
using FashionMnist.Interop;
using FashionMnist.Tests.Support;
using static FashionMnist.Tests.Interop.LibSvmOneVsOneTests;

namespace FashionMnist.Tests.Interop;

/// <summary>
/// Probability training without libc's process-wide rand(): our generator is glibc's, our Platt scaling is LIBSVM's
/// (bit for bit against svm_train after srand), and a seeded fit stays the same while other code draws from rand().
/// The tests that seed or disturb libc's generator are in this one class, so they never run at the same time.
/// </summary>
public class LibSvmProbabilityTests
{
    [Theory]
    [InlineData(0u)]
    [InlineData(1u)]
    [InlineData(42u)]
    [InlineData(2147483648u)]
    [InlineData(uint.MaxValue)]
    public void The_generator_draws_what_glibcs_random_draws(uint seed)
    {
        int[] expected = LibcRandom.Draws(seed, 2000);
        var ours = new GlibcRandom(seed);
        Assert.Equal(expected, Enumerable.Range(0, 2000).Select(_ => ours.Next()));
        var skipped = new GlibcRandom(seed);
        skipped.Skip(1234);
        Assert.Equal(expected[1234], skipped.Next());
    }

    private static LibSvmParameters Parameters(SvmKernelType kernel, double gamma) =>
        new(kernel, C: 10, gamma, Degree: 3, Coef0: 0, CacheSizeMb: 10, Tolerance: 1e-3, Shrinking: true, Probability: true);

    /// <summary>
    /// LIBSVM's own svm_train with probability=1 after srand(seed). Valid only if nothing else drew from rand()
    /// meanwhile (ONNX Runtime's thread may, in this test process): then libc's next draw is the one after LIBSVM's
    /// (k-1)·l draws (one per row of each pair). Otherwise the fit is repeated.
    /// </summary>
    private static LibSvmModel SvmTrainAfterSrand(LibSvmProblem problem, LibSvmParameters parameters, int classes, uint seed)
    {
        for (int attempt = 0; ; attempt++)
        {
            LibcRandom.Seed(seed);
            LibSvmModel model = LibSvmModel.TrainWhole(problem, parameters);
            var expected = new GlibcRandom(seed);
            expected.Skip((long)(classes - 1) * problem.Count);
            if (LibcRandom.Next() == expected.Next()) return model;
            model.Dispose();
            Assert.True(attempt < 5, "something kept drawing from libc's rand() during svm_train");
        }
    }

    [Theory]
    [InlineData("Rbf", 1, 7u)]
    [InlineData("Rbf", 3, 7u)]
    [InlineData("Linear", 2, 12345u)]
    public void Toy_three_classes_give_svm_trains_probability_model(string kernelName, int threads, uint seed)
    {
        var parameters = Parameters(Enum.Parse<SvmKernelType>(kernelName), gamma: 0.5);
        using LibSvmProblem problem = Problem(s_toyPoints, 2, s_toyLabels);
        using LibSvmModel libsvm = SvmTrainAfterSrand(problem, parameters, 3, seed);
        using LibSvmModel ours = LibSvmOneVsOne.Train(problem, parameters, threads, seed: unchecked((int)seed));
        Assert.True(ours.HasProbabilities);
        AssertSameModel(libsvm, ours, 2); // the model text includes probA and probB to 17 digits
        AssertSameProbabilities(libsvm, ours, Grid(), 2);
    }

    [Fact]
    public void Real_images_give_svm_trains_probability_model()
    {
        // 300 images, 10 classes in their original order: 2,700 draws, 45 sigmoids.
        ImageSet images = TestData.Train.Take(300);
        using LibSvmProblem problem = Problem(images.ToFloats(PixelScaling.UnitRange), ImageSet.PixelCount, images.Labels);
        var parameters = Parameters(SvmKernelType.Rbf, gamma: 0.0102);
        using LibSvmModel libsvm = SvmTrainAfterSrand(problem, parameters, 10, 42);
        using LibSvmModel ours = LibSvmModel.Train(problem, parameters, seed: 42);
        AssertSameModel(libsvm, ours, ImageSet.PixelCount);
        AssertSameProbabilities(libsvm, ours, TestData.Test.Take(40).ToFloats(PixelScaling.UnitRange), ImageSet.PixelCount);
    }

    [Fact]
    public void Two_classes_labelled_minus_one_first_give_svm_trains_probability_model()
    {
        float[] points = [-1, 0, 1, 0, -2, 1, 2, -1, -1.5f, -1, 0.5f, 0.5f, -0.5f, 0.2f, 1.5f, 0.1f, -1.2f, 0.4f, 0.8f, -0.3f, 0.1f, 0.1f, -0.1f, -0.2f];
        int rows = points.Length / 2;
        using var problem = LibSvmProblem.From<float>(points, 2, [.. Enumerable.Range(0, rows)], new byte[rows], 1, keepZeros: false);
        problem.Use(pointer =>
        {
            unsafe
            {
                double* y = ((SvmProblem*)pointer)->Labels;
                for (int r = 0; r < rows; r++) y[r] = r % 2 == 0 ? -1 : 1;
            }
            return 0;
        });
        var parameters = Parameters(SvmKernelType.Rbf, gamma: 0.5);
        using LibSvmModel libsvm = SvmTrainAfterSrand(problem, parameters, 2, 3);
        using LibSvmModel ours = LibSvmModel.Train(problem, parameters, seed: 3);
        Assert.Equal([1, -1], ours.Labels);
        AssertSameModel(libsvm, ours, 2);
    }

    [Fact]
    public void A_seeded_probability_fit_is_unchanged_while_another_thread_draws_from_libc_rand()
    {
        // What made SvmClassifierTests' probability tests flaky in the full suite: ONNX Runtime's background thread
        // calls rand() now and then, and one draw in the middle of a fit moved LIBSVM's later shuffles. Here a thread
        // draws all the time; the fit must still be exactly the one made in peace.
        ImageSet images = TestData.BalancedTrain(15);
        using LibSvmProblem problem = Problem(images.ToFloats(PixelScaling.UnitRange), ImageSet.PixelCount, images.Labels);
        var parameters = Parameters(SvmKernelType.Rbf, gamma: 0.0102);
        float[] test = TestData.Test.Take(30).ToFloats(PixelScaling.UnitRange);
        double[] Probabilities()
        {
            using LibSvmModel model = LibSvmModel.Train(problem, parameters, seed: 5);
            return PredictProbabilities(model, test, ImageSet.PixelCount);
        }
        double[] alone = Probabilities();

        long draws = 0;
        using var stop = new CancellationTokenSource();
        var drawing = new Thread(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                LibcRandom.Next();
                Interlocked.Increment(ref draws);
            }
        }) { IsBackground = true };
        drawing.Start();
        try
        {
            // Fit until the other thread has drawn during a fit (it almost always has on the first).
            for (int attempt = 0; ; attempt++)
            {
                long before = Interlocked.Read(ref draws);
                double[] disturbed = Probabilities();
                Assert.Equal(Bits(alone), Bits(disturbed));
                if (Interlocked.Read(ref draws) > before) break;
                Assert.True(attempt < 20, "the drawing thread never ran during a fit");
            }
        }
        finally
        {
            stop.Cancel();
            drawing.Join();
        }
    }

    private static double[] PredictProbabilities(LibSvmModel model, float[] rows, int columns)
    {
        var nodes = new SvmNode[columns + 1];
        var probabilities = new double[rows.Length / columns * model.ClassCount];
        for (int r = 0; r < rows.Length / columns; r++)
        {
            LibSvm.WriteRow<float>(rows.AsSpan(r * columns, columns), 1, keepZeros: false, nodes);
            model.PredictProbability(nodes, probabilities.AsSpan(r * model.ClassCount, model.ClassCount));
        }
        return probabilities;
    }

    private static void AssertSameProbabilities(LibSvmModel expected, LibSvmModel actual, float[] rows, int columns) =>
        Assert.Equal(Bits(PredictProbabilities(expected, rows, columns)), Bits(PredictProbabilities(actual, rows, columns)));
}
