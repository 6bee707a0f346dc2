using FashionMnist.Classic;
using FashionMnist.Data;
using FashionMnist.Interop;
using FashionMnist.Models;
using FashionMnist.Tests.Support;

namespace FashionMnist.Tests.Classic.Native;

/// <summary>One RBF SVM fitted on 2,000 real images, shared by the tests that only read it.</summary>
public sealed class FittedSvm
{
    public FittedSvm()
    {
        Train = TestData.BalancedTrain(200);
        Test = TestData.BalancedTest(50);
        Model = (Pipeline)ModelCatalog.Create("svm");
        Model.Fit(Train, new FitContext { Log = Log.Add, Progress = new SynchronousProgress<FitProgress>(Progress.Add) });
    }

    public ImageSet Train { get; }
    public ImageSet Test { get; }
    internal Pipeline Model { get; }
    internal SvmClassifier Svm => (SvmClassifier)Model.Estimator;
    public List<string> Log { get; } = [];
    public List<FitProgress> Progress { get; } = [];
}

public class SvmClassifierTests(FittedSvm fitted) : IClassFixture<FittedSvm>
{
    [Fact]
    public void Rbf_svm_on_raw_pixels_reaches_the_expected_accuracy()
    {
        // Measured 0.858 with LIBSVM 3.24 (C=10, gamma=scale): the slice is 2,000 training images, 500 test images.
        double accuracy = fitted.Model.Score(fitted.Test);
        Assert.InRange(accuracy, 0.83, 1.0);
        Assert.InRange(fitted.Svm.SupportVectorCount, 200, fitted.Train.Count);
        Assert.True(fitted.Svm.DenseLayout); // raw pixels are about half non-zero
        Assert.Contains(fitted.Log, line => line.Contains("support vectors"));
        if (fitted.Svm.TrainingThreads > 1)
        {
            // Pairs on several threads: one step per pair of classes, 0 to 45, in order.
            Assert.Equal(Enumerable.Range(0, 46).Select(d => (d, 45L)), fitted.Progress.Select(p => ((int)p.Done, p.Total)));
            Assert.Contains(fitted.Log, line => line.Contains("CPU per thread") && line.Contains("costliest pair"));
        }
        else
        {
            // LIBSVM's svm_train has no progress callback: one indeterminate stage (Total 0), then done.
            Assert.Equal([(0L, 0L), (1L, 1L)], fitted.Progress.Select(p => (p.Done, p.Total)));
        }
    }

    [Theory]
    [InlineData("rbf", false, false)]
    [InlineData("linear", true, false)]
    [InlineData("rbf", false, true)]
    public void Pairs_trained_on_several_threads_give_the_sequential_model(string kernel, bool floatFeatures, bool probability)
    {
        // One thread (LIBSVM's sequential svm_train; for probability=true our pairs one after another) against the
        // pairs on 2 and 3 threads: the same saved state (LIBSVM's model text with 17-digit coefficients, probA/probB,
        // gamma, layout) and exactly the same probabilities. With probability=true each pair's cross-validation
        // shuffle comes from its own generator, not from the order the threads draw in.
        var train = TestData.BalancedTrain(20);
        var test = fitted.Test.Take(100);
        FeatureMatrix Features(ImageSet images) => floatFeatures
            ? FeatureMatrix.FromFloats(images.ToFloats(PixelScaling.Standardized), images.Count, ImageSet.PixelCount)
            : FeatureMatrix.FromImages(images);
        var options = new SvmOptions { Kernel = Enum.Parse<SvmKernel>(kernel, ignoreCase: true), Probability = probability };
        byte[]? expectedState = null;
        float[]? expectedProbabilities = null;
        foreach (int threads in new[] { 1, 2, 3 })
        {
            using var svm = new SvmClassifier(options) { TrainingThreadsOverride = threads };
            svm.Fit(Features(train), train.Labels, FitContext.Default);
            Assert.Equal(threads, svm.TrainingThreads);
            Assert.Equal(probability, svm.NativeModel.HasProbabilities);
            var stream = new MemoryStream();
            using (var writer = new BinaryWriter(stream)) svm.SaveState(writer);
            var probabilities = new float[test.Count * 10];
            svm.PredictProbabilities(Features(test), probabilities);
            expectedState ??= stream.ToArray();
            expectedProbabilities ??= probabilities;
            Assert.Equal(expectedState, stream.ToArray());
            Assert.Equal(expectedProbabilities, probabilities);
        }
    }

    [Fact]
    public void Vote_shares_sum_to_one_and_pick_LIBSVMs_voted_class()
    {
        float[] probabilities = fitted.Model.PredictProbabilities(fitted.Test);
        for (int r = 0; r < fitted.Test.Count; r++)
        {
            var row = probabilities.AsSpan(r * 10, 10);
            Assert.Equal(1.0, row.ToArray().Sum(), 4);
            foreach (float p in row) Assert.InRange(p, 0f, 1f);
        }
        // LIBSVM's own vote (svm_predict_values' return) agrees except where votes tie (then we break ties by confidence).
        byte[] ours = ClassifierExtensions.ArgMaxRows(probabilities, 10);
        byte[] libsvm = LibSvmVotes(fitted.Svm, fitted.Test);
        int agree = ours.Zip(libsvm).Count(p => p.First == p.Second);
        Assert.InRange(agree, fitted.Test.Count * 98 / 100, fitted.Test.Count);
    }

    private static byte[] LibSvmVotes(SvmClassifier svm, ImageSet images)
    {
        var model = svm.NativeModel;
        var nodes = new SvmNode[ImageSet.PixelCount + 1];
        var values = new double[model.DecisionValueCount];
        var result = new byte[images.Count];
        for (int i = 0; i < images.Count; i++)
        {
            LibSvm.WriteRow(images.Image(i), 1.0 / 255, keepZeros: false, nodes);
            result[i] = (byte)model.PredictValues(nodes, values);
        }
        return result;
    }

    [Fact]
    public void Batched_parallel_prediction_equals_row_by_row_prediction()
    {
        float[] batch = fitted.Model.PredictProbabilities(fitted.Test);
        for (int i = 0; i < fitted.Test.Count; i += 7)
        {
            float[] single = fitted.Model.PredictProbabilities(fitted.Test.Slice(i, 1));
            // The matrix multiply may block a 1-row batch differently: equal up to float rounding.
            for (int c = 0; c < 10; c++) Assert.Equal(batch[i * 10 + c], single[c], 5);
        }
    }

    [Fact]
    public void Save_and_load_through_a_model_file_keep_the_predictions()
    {
        string path = Path.Combine(Path.GetTempPath(), $"fmnist-svm-test-{Guid.NewGuid():N}.fmm");
        try
        {
            ModelFile.Save(fitted.Model, path);
            var loaded = (Pipeline)ModelFile.Load(path);
            Assert.Equal("svm", loaded.Name);
            Assert.Equal(fitted.Model.Options, loaded.Options);
            Assert.Equal(fitted.Model.Predict(fitted.Test), loaded.Predict(fitted.Test));
            float[] before = fitted.Model.PredictProbabilities(fitted.Test), after = loaded.PredictProbabilities(fitted.Test);
            for (int i = 0; i < before.Length; i++) Assert.Equal(before[i], after[i], 4); // LIBSVM's text keeps 8 digits
            var svm = (SvmClassifier)loaded.Estimator;
            Assert.Equal(fitted.Svm.EffectiveGamma, svm.EffectiveGamma);
            Assert.Equal(fitted.Svm.SupportVectorCount, svm.SupportVectorCount);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Matrix_multiply_prediction_matches_LIBSVMs_own_prediction()
    {
        using var viaLibSvm = SvmClassifier.Load(fitted.Svm.Options, Reload(fitted.Svm));
        viaLibSvm.UseLibSvmPrediction = true;
        var test = FeatureMatrix.FromImages(fitted.Test);
        var fast = new float[test.Rows * 10];
        var exact = new float[test.Rows * 10];
        fitted.Svm.PredictProbabilities(test, fast);
        viaLibSvm.PredictProbabilities(test, exact);
        for (int i = 0; i < fast.Length; i++) Assert.Equal(exact[i], fast[i], 4);
        Assert.Equal(ClassifierExtensions.ArgMaxRows(exact, 10), ClassifierExtensions.ArgMaxRows(fast, 10));
    }

    [Fact]
    public void LIBSVM_prediction_on_parallel_threads_equals_row_by_row_prediction()
    {
        // svm_predict_values only reads the model: rows predicted on ComputeThreads.Count threads at once give
        // exactly what one row at a time gives.
        using var viaLibSvm = SvmClassifier.Load(fitted.Svm.Options, Reload(fitted.Svm));
        viaLibSvm.UseLibSvmPrediction = true;
        var test = fitted.Test.Take(120);
        var batch = new float[test.Count * 10];
        viaLibSvm.PredictProbabilities(FeatureMatrix.FromImages(test), batch);
        for (int i = 0; i < test.Count; i++)
        {
            var single = new float[10];
            viaLibSvm.PredictProbabilities(FeatureMatrix.FromImages(test.Slice(i, 1)), single);
            Assert.Equal(batch.AsSpan(i * 10, 10).ToArray(), single);
        }
    }

    [Theory]
    [InlineData("linear")]
    [InlineData("poly")]
    [InlineData("sigmoid")]
    [InlineData("rbf")]
    public void Every_kernel_predicts_like_LIBSVM(string kernel)
    {
        var train = TestData.BalancedTrain(20);
        var options = OptionBinder.Bind<SvmOptions>(new Dictionary<string, string> { ["kernel"] = kernel, ["coef0"] = kernel == "sigmoid" ? "-1" : "1" });
        using var svm = new SvmClassifier(options);
        svm.Fit(FeatureMatrix.FromImages(train), train.Labels, FitContext.Default);
        var test = FeatureMatrix.FromImages(TestData.BalancedTest(10));
        var fast = new float[test.Rows * 10];
        var exact = new float[test.Rows * 10];
        svm.PredictProbabilities(test, fast);
        svm.UseLibSvmPrediction = true;
        svm.PredictProbabilities(test, exact);
        for (int i = 0; i < fast.Length; i++) Assert.Equal(exact[i], fast[i], 4);
    }

    private static BinaryReader Reload(SvmClassifier svm)
    {
        var stream = new MemoryStream();
        using (var writer = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true)) svm.SaveState(writer);
        stream.Position = 0;
        return new BinaryReader(stream);
    }

    [Fact]
    public void Two_classes_or_one_thread_use_LIBSVMs_sequential_training()
    {
        var train = TestData.BalancedTrain(10);
        int[] coatsAndBags = [.. Enumerable.Range(0, train.Count).Where(i => train.Labels[i] is 4 or 8)];
        var two = train.Subset(coatsAndBags);
        using var pair = new SvmClassifier(new SvmOptions()) { TrainingThreadsOverride = 2 };
        pair.Fit(FeatureMatrix.FromImages(two), two.Labels, FitContext.Default);
        Assert.Equal(1, pair.TrainingThreads); // one pair: nothing to run in parallel
        using var all = new SvmClassifier(new SvmOptions()) { TrainingThreadsOverride = 64 };
        all.Fit(FeatureMatrix.FromImages(train), train.Labels, FitContext.Default);
        Assert.Equal(45, all.TrainingThreads); // at most one thread per pair
    }

    [Fact]
    public void Float_features_train_as_well_as_bytes()
    {
        // The same pixels as floats in [0, 1] (what a scaling step would give) reach the same model.
        var train = TestData.BalancedTrain(60);
        var floats = FeatureMatrix.FromFloats(train.ToFloats(PixelScaling.UnitRange), train.Count, ImageSet.PixelCount);
        using var fromFloats = new SvmClassifier(new SvmOptions());
        using var fromBytes = new SvmClassifier(new SvmOptions());
        fromFloats.Fit(floats, train.Labels, FitContext.Default);
        fromBytes.Fit(FeatureMatrix.FromImages(train), train.Labels, FitContext.Default);
        Assert.Equal(fromBytes.EffectiveGamma, fromFloats.EffectiveGamma, 6);
        var test = fitted.Test;
        var p1 = new float[test.Count * 10];
        var p2 = new float[test.Count * 10];
        fromFloats.PredictProbabilities(FeatureMatrix.FromFloats(test.ToFloats(PixelScaling.UnitRange), test.Count, ImageSet.PixelCount), p1);
        fromBytes.PredictProbabilities(FeatureMatrix.FromImages(test), p2);
        byte[] a = ClassifierExtensions.ArgMaxRows(p1, 10), b = ClassifierExtensions.ArgMaxRows(p2, 10);
        Assert.InRange(a.Zip(b).Count(p => p.First == p.Second), test.Count * 99 / 100, test.Count);
        Assert.InRange(a.Zip(test.Labels).Count(p => p.First == p.Second), test.Count * 70 / 100, test.Count);
    }

    [Fact]
    public void Sparse_and_dense_node_layouts_give_the_same_model()
    {
        var train = TestData.BalancedTrain(30);
        using var sparse = new SvmClassifier(new SvmOptions()) { DenseLayoutOverride = false, UseLibSvmPrediction = true };
        using var dense = new SvmClassifier(new SvmOptions()) { DenseLayoutOverride = true, UseLibSvmPrediction = true };
        sparse.Fit(FeatureMatrix.FromImages(train), train.Labels, FitContext.Default);
        dense.Fit(FeatureMatrix.FromImages(train), train.Labels, FitContext.Default);
        Assert.False(sparse.DenseLayout);
        Assert.Equal(sparse.SupportVectorCount, dense.SupportVectorCount);
        var test = FeatureMatrix.FromImages(TestData.BalancedTest(5));
        var p1 = new float[test.Rows * 10];
        var p2 = new float[test.Rows * 10];
        sparse.PredictProbabilities(test, p1);
        dense.PredictProbabilities(test, p2);
        for (int i = 0; i < p1.Length; i++) Assert.Equal(p1[i], p2[i], 5);
    }

    [Fact]
    public void Probability_estimates_are_reproducible_rows_that_sum_to_one()
    {
        var train = TestData.BalancedTrain(30);
        var model = ModelCatalog.Create("svm", new Dictionary<string, string> { ["probability"] = "true" });
        model.Fit(train);
        float[] probabilities = model.PredictProbabilities(fitted.Test);
        var again = ModelCatalog.Create("svm", new Dictionary<string, string> { ["probability"] = "true" });
        again.Fit(train);
        Assert.Equal(probabilities, again.PredictProbabilities(fitted.Test)); // same seed, same Platt fits
        for (int r = 0; r < fitted.Test.Count; r++)
            Assert.Equal(1.0, probabilities.AsSpan(r * 10, 10).ToArray().Sum(), 4);
        var svm = (SvmClassifier)((Pipeline)model).Estimator;
        Assert.True(svm.NativeModel.HasProbabilities);
        Assert.InRange(model.Score(fitted.Test), 0.6, 1.0);
    }

    [Fact]
    public void Probability_fits_running_at_once_each_give_what_their_seed_gives_alone()
    {
        // LIBSVM's probability training shuffles with rand(), whose state libc shares by the whole process: each fit
        // draws from a generator of its own instead, so fits on several threads cannot mix up their draws.
        var train = TestData.BalancedTrain(20);
        float[] Fit(int seed)
        {
            using var model = ModelCatalog.Create("svm", new Dictionary<string, string> { ["probability"] = "true" });
            model.Fit(train, new FitContext { Seed = seed });
            return model.PredictProbabilities(fitted.Test);
        }
        float[] alone1 = Fit(1), alone2 = Fit(2);
        Assert.NotEqual(alone1, alone2); // the seed matters, or this test could not see a mix-up
        var together = new float[6][];
        Parallel.For(0, together.Length, new ParallelOptions { MaxDegreeOfParallelism = 6 }, i => together[i] = Fit(1 + i % 2));
        for (int i = 0; i < together.Length; i++) Assert.Equal(i % 2 == 0 ? alone1 : alone2, together[i]);
    }

    [Fact]
    public void Gamma_scale_and_auto_follow_scikit_learn()
    {
        // Bytes 0, 255, 0, 255 are fed as 0, 1, 0, 1: mean 0.5, variance 0.25; 2 features → gamma = 1 / (2 x 0.25) = 2.
        var bytes = FeatureMatrix.FromBytes([0, 255, 0, 255], 2, 2);
        Assert.Equal(2.0, SvmClassifier.ResolveGamma(new SvmOptions(), bytes), 12);
        // Floats 1..6 (3 features): mean 3.5, variance 17.5 / 6 → gamma = 1 / (3 x 17.5 / 6) = 2 / 17.5.
        var floats = FeatureMatrix.FromFloats([1, 2, 3, 4, 5, 6], 2, 3);
        Assert.Equal(2 / 17.5, SvmClassifier.ResolveGamma(new SvmOptions(), floats), 12);
        Assert.Equal(1.0 / 3, SvmClassifier.ResolveGamma(new SvmOptions { Gamma = "auto" }, floats), 12);
        Assert.Equal(0.25, SvmClassifier.ResolveGamma(new SvmOptions { Gamma = "0.25" }, floats));
        Assert.Equal(1.0, SvmClassifier.ResolveGamma(new SvmOptions(), FeatureMatrix.FromBytes([7, 7, 7, 7], 2, 2))); // constant: 1, as scikit-learn
    }

    [Theory]
    [InlineData("c", "-1", "'c' must be a number greater than 0")]
    [InlineData("c", "0", "'c' must be a number greater than 0")]
    [InlineData("gamma", "0", "'gamma' must be greater than 0")]
    [InlineData("gamma", "-0.5", "'gamma' must be greater than 0")]
    [InlineData("gamma", "fast", "'gamma' must be a number > 0, 'scale' or 'auto'")]
    [InlineData("kernel", "cubic", "Use one of: linear, poly, rbf, sigmoid")]
    [InlineData("degree", "0", "'degree' must be at least 1")]
    [InlineData("tolerance", "0", "'tolerance' must be greater than 0")]
    [InlineData("cache-size", "-5", "'cache-size' must be greater than 0")]
    public void Bad_options_give_clear_errors(string name, string value, string expected)
    {
        var e = Assert.Throws<FashionMnistException>(() => ModelCatalog.Create("svm", new Dictionary<string, string> { [name] = value }));
        Assert.Contains(expected, e.Message);
        Assert.Equal(ExitCodes.BadInput, e.ExitCode);
    }

    [Fact]
    public void Misuse_gives_clear_errors()
    {
        var oneClass = TestData.BalancedTrain(20).Subset(Enumerable.Range(0, 20).Where(i => TestData.BalancedTrain(20).Labels[i] == 0).ToArray());
        var e = Assert.Throws<FashionMnistException>(() => ModelCatalog.Create("svm").Fit(oneClass));
        Assert.Contains("at least 2 classes", e.Message);

        var wrongWidth = FeatureMatrix.FromFloats(new float[3 * 5], 3, 5);
        var width = Assert.Throws<FashionMnistException>(() => fitted.Svm.PredictProbabilities(wrongWidth, new float[30]));
        Assert.Contains("trained on 784 features but got 5", width.Message);

        var floats = FeatureMatrix.FromFloats(new float[2 * 784], 2, 784);
        var kind = Assert.Throws<FashionMnistException>(() => fitted.Svm.PredictProbabilities(floats, new float[20]));
        Assert.Contains("trained on raw pixels", kind.Message);

        Assert.Throws<InvalidOperationException>(() => new SvmClassifier(new SvmOptions()).PredictProbabilities(floats, new float[20]));
    }
}
