using FashionMnist.Classic;
using FashionMnist.Data;
using FashionMnist.Models;
using FashionMnist.Tests.Support;

namespace FashionMnist.Tests.Classic.Native;

/// <summary>One 20-round XGBoost model fitted on 2,000 real images, shared by the tests that only read it.</summary>
public sealed class FittedXGBoost
{
    public FittedXGBoost()
    {
        Train = TestData.BalancedTrain(200);
        Test = TestData.BalancedTest(50);
        Model = (Pipeline)ModelCatalog.Create("xgboost", new Dictionary<string, string> { ["n-estimators"] = "20" });
        Model.Fit(Train, new FitContext { Log = Log.Add, Progress = new SynchronousProgress<FitProgress>(Progress.Add) });
    }

    public ImageSet Train { get; }
    public ImageSet Test { get; }
    public Pipeline Model { get; }
    public XGBoostClassifier Booster => (XGBoostClassifier)Model.Estimator;
    public List<string> Log { get; } = [];
    public List<FitProgress> Progress { get; } = [];
}

/// <summary>IProgress that reports on the calling thread (Progress&lt;T&gt; posts to the thread pool).</summary>
public sealed class SynchronousProgress<T>(Action<T> report) : IProgress<T>
{
    public void Report(T value) => report(value);
}

public class XGBoostClassifierTests(FittedXGBoost fitted) : IClassFixture<FittedXGBoost>
{
    [Fact]
    public void Boosting_on_raw_pixels_reaches_the_expected_accuracy_and_keeps_its_curve()
    {
        // Measured 0.824 with XGBoost 1.7.4 (20 rounds, depth 6, eta 0.3, hist) on 2,000 training / 500 test images.
        Assert.InRange(fitted.Model.Score(fitted.Test), 0.79, 1.0);
        var epochs = fitted.Booster.History.Epochs;
        Assert.Equal(20, epochs.Count);
        Assert.Equal(20, fitted.Booster.BoostedRounds);
        Assert.Equal(20, fitted.Booster.History.BestEpoch);
        Assert.True(epochs[^1].TrainLoss < epochs[0].TrainLoss / 3, "train mlogloss falls");
        Assert.True(epochs[^1].TrainAccuracy > 0.95);
        Assert.Null(epochs[0].ValidationLoss);
        Assert.Equal(20, fitted.Log.Count(line => line.StartsWith("round ")));
        Assert.Equal(Enumerable.Range(1, 20).Select(i => (long)i), fitted.Progress.Select(p => p.Done));
        Assert.All(fitted.Progress, p => Assert.Equal(20, p.Total));
    }

    [Fact]
    public void Probabilities_are_rows_that_sum_to_one()
    {
        float[] probabilities = fitted.Model.PredictProbabilities(fitted.Test);
        Assert.Equal(fitted.Test.Count * 10, probabilities.Length);
        for (int r = 0; r < fitted.Test.Count; r++)
            Assert.Equal(1.0, probabilities.AsSpan(r * 10, 10).ToArray().Sum(), 4);
        // A second prediction on the same images (a fresh DMatrix each time) gives the same answer.
        Assert.Equal(probabilities, fitted.Model.PredictProbabilities(fitted.Test));
    }

    [Fact]
    public void Save_and_load_through_a_model_file_keep_predictions_and_history()
    {
        string path = Path.Combine(Path.GetTempPath(), $"fmnist-xgb-test-{Guid.NewGuid():N}.fmm");
        try
        {
            ModelFile.Save(fitted.Model, path);
            var loaded = (Pipeline)ModelFile.Load(path);
            Assert.Equal("xgboost", loaded.Name);
            Assert.Equal(fitted.Model.Options, loaded.Options);
            Assert.Equal(fitted.Model.PredictProbabilities(fitted.Test), loaded.PredictProbabilities(fitted.Test));
            var booster = (XGBoostClassifier)loaded.Estimator;
            Assert.Equal(20, booster.BoostedRounds);
            Assert.Equal(fitted.Booster.History.Epochs.Select(e => e.TrainLoss), booster.History.Epochs.Select(e => e.TrainLoss));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Early_stopping_on_a_held_out_split_keeps_the_best_round()
    {
        var log = new List<string>();
        var model = (Pipeline)ModelCatalog.Create("xgboost", new Dictionary<string, string>
        {
            ["n-estimators"] = "300", ["early-stopping-rounds"] = "5", ["validation-fraction"] = "0.2",
        });
        model.Fit(TestData.BalancedTrain(30), new FitContext { Log = log.Add });
        var booster = (XGBoostClassifier)model.Estimator;
        var epochs = booster.History.Epochs;
        Assert.InRange(epochs.Count, 6, 299);
        int best = booster.History.BestEpoch!.Value;
        Assert.Equal(epochs.Count - 5, best);
        Assert.Equal(best, booster.BoostedRounds);
        double bestLoss = epochs[best - 1].ValidationLoss!.Value;
        Assert.All(epochs, e => Assert.True(e.ValidationLoss >= bestLoss));
        Assert.Contains(log, line => line.Contains("holding out 60 of 300"));
        Assert.Contains(log, line => line.Contains("early stop"));
        Assert.InRange(model.Score(fitted.Test), 0.6, 1.0);
    }

    [Fact]
    public void A_given_validation_set_of_images_is_evaluated_every_round()
    {
        var model = ModelCatalog.Create("xgboost", new Dictionary<string, string> { ["n-estimators"] = "4" });
        model.Fit(TestData.BalancedTrain(20), new FitContext { Validation = TestData.BalancedTest(10) });
        var epochs = ((XGBoostClassifier)((Pipeline)model).Estimator).History.Epochs;
        Assert.Equal(4, epochs.Count);
        Assert.Same(((XGBoostClassifier)((Pipeline)model).Estimator).History, model.TrainingHistory());
        Assert.All(epochs, e => Assert.InRange(e.ValidationAccuracy!.Value, 0.3, 1.0));
        Assert.True(epochs[^1].ValidationLoss < epochs[0].ValidationLoss);
    }

    [Fact]
    public void Cancellation_stops_between_rounds()
    {
        using var cancel = new CancellationTokenSource();
        var model = ModelCatalog.Create("xgboost", new Dictionary<string, string> { ["n-estimators"] = "100" });
        var progress = new SynchronousProgress<FitProgress>(p => { if (p.Done == 3) cancel.Cancel(); });
        Assert.ThrowsAny<OperationCanceledException>(() =>
            model.Fit(TestData.BalancedTrain(10), new FitContext { Progress = progress, Cancellation = cancel.Token }));
        Assert.False(model.IsFitted);
    }

    [Theory]
    [InlineData("eta", "0", "'eta' must be greater than 0 and at most 1")]
    [InlineData("eta", "-0.1", "'eta' must be greater than 0 and at most 1")]
    [InlineData("max-depth", "-1", "'max-depth' must be 0 (no limit) or more")]
    [InlineData("subsample", "1.5", "'subsample' must be greater than 0 and at most 1")]
    [InlineData("colsample-bytree", "0", "'colsample-bytree' must be greater than 0 and at most 1")]
    [InlineData("n-estimators", "0", "'n-estimators' must be at least 1")]
    [InlineData("tree-method", "gpu", "Use one of: hist, approx, exact")]
    [InlineData("early-stopping-rounds", "0", "'early-stopping-rounds' must be at least 1")]
    public void Bad_options_give_clear_errors(string name, string value, string expected)
    {
        var e = Assert.Throws<FashionMnistException>(() => ModelCatalog.Create("xgboost", new Dictionary<string, string> { [name] = value }));
        Assert.Contains(expected, e.Message);
        Assert.Equal(ExitCodes.BadInput, e.ExitCode);
    }

    [Fact]
    public void Misuse_gives_clear_errors()
    {
        var model = ModelCatalog.Create("xgboost", new Dictionary<string, string> { ["early-stopping-rounds"] = "3" });
        var tooFew = Assert.Throws<FashionMnistException>(() => model.Fit(TestData.BalancedTrain(1)));
        Assert.Contains("too few to hold out a validation share", tooFew.Message);

        var wrongWidth = FeatureMatrix.FromFloats(new float[3 * 5], 3, 5);
        var width = Assert.Throws<FashionMnistException>(() => fitted.Booster.PredictProbabilities(wrongWidth, new float[30]));
        Assert.Contains("trained on 784 features but got 5", width.Message);
    }
}

/// <summary>Model files whose checksum is right but whose native part is not a model.</summary>
public class NativeModelFileTests
{
    private sealed class Impostor(string name, ModelOptions options, Action<BinaryWriter> writeState) : IClassifier
    {
        public string Name => name;
        public ModelOptions Options => options;
        public void Dispose() { }
        public bool IsFitted => true;
        public void Fit(ImageSet train, FitContext? context = null) { }
        public void PredictProbabilities(ImageSet images, Span<float> probabilities) { }
        public void SaveState(BinaryWriter writer) => writeState(writer);
    }

    private static FashionMnistException LoadBroken(string name, ModelOptions options, Action<BinaryWriter> writeEstimator)
    {
        string path = Path.Combine(Path.GetTempPath(), $"fmnist-broken-{Guid.NewGuid():N}.fmm");
        try
        {
            ModelFile.Save(new Impostor(name, options, w => { w.Write(0); writeEstimator(w); }), path);
            return Assert.Throws<FashionMnistException>(() => ModelFile.Load(path));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void A_stored_svm_that_LIBSVM_cannot_read_is_reported_as_damaged()
    {
        var e = LoadBroken("svm", new SvmOptions(), w =>
        {
            w.Write(1); w.Write(784); w.Write(true); w.Write(true); w.Write(0.01);
            byte[] text = "svm_type c_svc\nnonsense\n"u8.ToArray();
            w.Write(text.Length); w.Write(text);
        });
        Assert.Contains("damaged 'svm' state", e.Message);
        Assert.Contains("LIBSVM's format", e.Message);
    }

    [Fact]
    public void A_stored_booster_that_XGBoost_cannot_read_is_reported_as_damaged()
    {
        var e = LoadBroken("xgboost", new XGBoostOptions(), w =>
        {
            w.Write(1); w.Write(784); new TrainingHistory().Write(w);
            byte[] junk = "{\"learner\": 42"u8.ToArray();
            w.Write(junk.Length); w.Write(junk);
        });
        Assert.Contains("damaged 'xgboost' state", e.Message);
        Assert.Contains("XGBoost could not read the stored booster", e.Message);
    }
}
