using FashionMnist.Tests.Support;
using FashionMnist.Classic;
using FashionMnist.Data;
using FashionMnist.Models;
using static FashionMnist.Tests.Classic.Trees.TreeTestHelpers;

namespace FashionMnist.Tests.Classic.Trees;

// Changes the process-wide ComputeThreads.Count: runs alone, so no other test fits with a thread count it did not choose.
[Collection(Isolated.Name)]
public class RandomForestTests
{
    // x = 10..70 with classes 0 0 1 0 1 1 1. Weighted Gini of the children for each threshold (by hand):
    // <=10: 0 + 6(1-20/36)=2.67; <=20: 0 + 5(1-17/25)=1.6; <=30: 1.33 + 1.5=2.83; <=40: 4(1-10/16) + 0 = 1.5 (best);
    // <=50: 2.4; <=60: 3. So a stump splits at 40: left {3 of class 0, 1 of class 1}, right {3 of class 1}.
    private static readonly byte[] s_toyX = [10, 20, 30, 40, 50, 60, 70];
    private static readonly byte[] s_toyY = [0, 0, 1, 0, 1, 1, 1];

    private static ForestOptions Stump(SplitCriterion criterion = SplitCriterion.Gini) => new()
    {
        Trees = 1, MaxDepth = 1, Bootstrap = false, MaxFeatures = "all", Criterion = criterion,
    };

    [Theory]
    [InlineData(SplitCriterion.Gini)]
    [InlineData(SplitCriterion.Entropy)] // entropy also prefers 40 here: 4 H(1/4) = 3.25 bits vs 3.61 at 20
    public void Stump_splits_at_the_hand_computed_threshold_with_leaf_class_shares(SplitCriterion criterion)
    {
        var forest = new RandomForest(Stump(criterion));
        forest.Fit(Column(s_toyX), s_toyY, FitContext.Default);

        float[] p = Probabilities(forest, Column(40, 41, 0, 255));
        Assert.Equal(0.75f, p[0], 6); // x = 40 goes left: 3 of 4 are class 0
        Assert.Equal(0.25f, p[1], 6);
        Assert.Equal(0f, p[10], 6);   // x = 41 goes right: all class 1
        Assert.Equal(1f, p[11], 6);
        Assert.Equal(0.75f, p[20], 6);
        Assert.Equal(1f, p[31], 6);
        Assert.Equal([1f], forest.FeatureImportances);
    }

    [Fact]
    public void Fully_grown_tree_reproduces_its_training_labels()
    {
        var forest = new RandomForest(Stump() with { MaxDepth = null });
        forest.Fit(Column(s_toyX), s_toyY, FitContext.Default);
        float[] p = Probabilities(forest, Column(s_toyX));
        for (int i = 0; i < s_toyY.Length; i++) Assert.Equal(1f, p[i * 10 + s_toyY[i]]);
    }

    [Fact]
    public void Min_samples_leaf_moves_the_split_to_the_best_allowed_threshold()
    {
        // Classes 0 1 1 1 1 1 1: unconstrained, <=10 isolates the lone 0. With 3 rows per leaf at least, only
        // <=30 (children [1,2] | [0,4]: Gini 3(1-5/9) = 1.33) and <=40 ([1,3] | [0,3]: 4(1-10/16) = 1.5) remain.
        byte[] labels = [0, 1, 1, 1, 1, 1, 1];
        var free = new RandomForest(Stump());
        free.Fit(Column(s_toyX), labels, FitContext.Default);
        Assert.Equal(1f, Probabilities(free, Column(10))[0], 6);

        var forest = new RandomForest(Stump() with { MinSamplesLeaf = 3 });
        forest.Fit(Column(s_toyX), labels, FitContext.Default);
        float[] p = Probabilities(forest, Column(30, 31));
        Assert.Equal(1f / 3, p[0], 6);
        Assert.Equal(1f, p[11], 6);

        // 7 rows cannot make two leaves of 4, and min-samples-split 8 forbids splitting 7: one leaf, the class shares.
        foreach (var options in new[] { Stump() with { MinSamplesLeaf = 4 }, Stump() with { MinSamplesSplit = 8 } })
        {
            var unsplit = new RandomForest(options);
            unsplit.Fit(Column(s_toyX), s_toyY, FitContext.Default);
            Assert.Equal(3f / 7, Probabilities(unsplit, Column(0))[0], 6);
            Assert.Equal([0f], unsplit.FeatureImportances);
        }
    }

    [Fact]
    public void Float_features_are_quantile_binned_and_split_between_neighbouring_values()
    {
        float[] x = [0.1f, 0.2f, 0.3f, 0.4f, 0.5f, 0.6f, 0.7f];
        var forest = new RandomForest(Stump());
        forest.Fit(FeatureMatrix.FromFloats(x, 7, 1), s_toyY, FitContext.Default);
        float[] p = Probabilities(forest, FeatureMatrix.FromFloats([0.44f, 0.46f, -5f, 99f], 4, 1));
        Assert.Equal(0.75f, p[0], 6);  // 0.44 is below the cut 0.45
        Assert.Equal(1f, p[11], 6);    // 0.46 is above it
        Assert.Equal(0.75f, p[20], 6);
        Assert.Equal(1f, p[31], 6);
    }

    [Fact]
    public void Predicting_other_features_than_fitted_says_so()
    {
        var forest = new RandomForest(Stump());
        forest.Fit(Column(s_toyX), s_toyY, FitContext.Default);
        var e = Assert.Throws<FashionMnistException>(() => Probabilities(forest, FeatureMatrix.FromFloats([0.5f], 1, 1)));
        Assert.Contains("raw pixels", e.Message);
        var wrongWidth = Assert.Throws<FashionMnistException>(() => Probabilities(forest, FeatureMatrix.FromBytes([1, 2], 1, 2)));
        Assert.Contains("1 features but got 2", wrongWidth.Message);
    }

    [Fact]
    public void Learns_fashion_mnist_and_its_oob_score_tracks_held_out_accuracy()
    {
        var model = ModelCatalog.Create("random-forest", new Dictionary<string, string> { ["trees"] = "40" });
        model.Fit(SmallTrain, new FitContext { Seed = 7 });
        double accuracy = model.Score(SmallTest);
        Assert.InRange(accuracy, 0.78, 1.0); // 3,000 training images; 100 trees on all 60,000 reach 0.875

        var forest = (RandomForest)((Pipeline)model).Estimator;
        Assert.NotNull(forest.OobScore);
        Assert.InRange(forest.OobScore!.Value, accuracy - 0.05, accuracy + 0.05);
        Assert.Equal(40, forest.TreeCount);

        float[] probabilities = model.PredictProbabilities(SmallTest.Take(20));
        for (int r = 0; r < 20; r++) Assert.Equal(1f, probabilities.AsSpan(r * 10, 10).ToArray().Sum(), 4);
    }

    [Fact]
    public void Importances_sum_to_one_and_are_zero_on_pixels_that_never_change()
    {
        var forest = new RandomForest(new ForestOptions { Trees = 20 });
        forest.Fit(FeatureMatrix.FromImages(SmallTrain), SmallTrain.Labels, new FitContext { Seed = 3 });
        float[] importances = forest.FeatureImportances;
        Assert.Equal(ImageSet.PixelCount, importances.Length);
        Assert.Equal(1.0, importances.Sum(v => (double)v), 4);

        var constant = Enumerable.Range(0, ImageSet.PixelCount)
            .Where(p => Enumerable.Range(0, SmallTrain.Count).All(i => SmallTrain.Image(i)[p] == SmallTrain.Image(0)[p])).ToList();
        Assert.Contains(0, constant); // the top-left corner is black in every one of these images
        Assert.All(constant, p => Assert.Equal(0f, importances[p]));
        // The informative pixels are inside the picture, not on its border.
        int top = Array.IndexOf(importances, importances.Max());
        Assert.InRange(top % 28, 2, 25);
        Assert.InRange(top / 28, 2, 25);
    }

    [Fact]
    public void Same_seed_gives_the_same_forest_on_one_or_two_threads_and_another_seed_does_not()
    {
        var train = SmallTrain.Take(1500);
        float[] Fit(int threads, int seed) => WithThreads(threads, () =>
        {
            var model = ModelCatalog.Create("random-forest", new Dictionary<string, string> { ["trees"] = "8" });
            model.Fit(train, new FitContext { Seed = seed });
            return model.PredictProbabilities(SmallTest);
        });
        float[] one = Fit(1, 5), two = Fit(2, 5), other = Fit(2, 6);
        Assert.Equal(one, two);
        Assert.NotEqual(one, other);
    }

    [Fact]
    public void Entropy_and_options_change_the_forest()
    {
        var train = SmallTrain.Take(1000);
        float[] Fit(Dictionary<string, string> settings)
        {
            settings["trees"] = "5";
            var model = ModelCatalog.Create("random-forest", settings);
            model.Fit(train, new FitContext { Seed = 1 });
            return model.PredictProbabilities(SmallTest.Take(200));
        }
        float[] gini = Fit([]);
        Assert.NotEqual(gini, Fit(new() { ["criterion"] = "entropy" }));
        Assert.NotEqual(gini, Fit(new() { ["max-features"] = "log2" }));
        Assert.NotEqual(gini, Fit(new() { ["bootstrap"] = "false" }));
        float[] shallow = Fit(new() { ["max-depth"] = "2" });
        Assert.NotEqual(gini, shallow);
    }

    [Fact]
    public void Max_depth_bounds_every_tree()
    {
        var forest = new RandomForest(new ForestOptions { Trees = 4, MaxDepth = 3 });
        forest.Fit(FeatureMatrix.FromImages(SmallTrain), SmallTrain.Labels, FitContext.Default);
        Assert.All(forest.Trees, tree => Assert.Equal(3, tree.Depth()));
    }

    [Fact]
    public void Save_and_load_give_identical_predictions()
    {
        var model = ModelCatalog.Create("random-forest", new Dictionary<string, string> { ["trees"] = "6", ["criterion"] = "entropy" });
        model.Fit(SmallTrain.Take(1000), FitContext.Default);
        IClassifier loaded = RoundTrip(model);
        Assert.Equal("random-forest", loaded.Name);
        Assert.Equal(model.PredictProbabilities(SmallTest), loaded.PredictProbabilities(SmallTest));
        var forest = (RandomForest)((Pipeline)model).Estimator;
        var loadedForest = (RandomForest)((Pipeline)loaded).Estimator;
        Assert.Equal(forest.FeatureImportances, loadedForest.FeatureImportances);
        Assert.Equal(forest.OobScore, loadedForest.OobScore);
    }

    [Fact]
    public void Reports_progress_per_tree_and_stops_when_cancelled()
    {
        var reports = new List<FitProgress>();
        var progress = new SynchronousProgress(reports.Add);
        var forest = new RandomForest(new ForestOptions { Trees = 5 });
        forest.Fit(FeatureMatrix.FromImages(SmallTrain.Take(500)), SmallTrain.Labels.AsSpan(0, 500), new FitContext { Progress = progress });
        Assert.Equal(new FitProgress("trees", 5, 5), reports[^1]);
        Assert.Equal(6, reports.Count);

        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        Assert.ThrowsAny<OperationCanceledException>(() =>
            forest.Fit(FeatureMatrix.FromImages(SmallTrain.Take(500)), SmallTrain.Labels.AsSpan(0, 500), new FitContext { Cancellation = cancelled.Token }));
    }

    [Theory]
    [InlineData("max-depth", "0", "at least 1")]
    [InlineData("min-samples-leaf", "0", "at least 1")]
    [InlineData("min-samples-split", "1", "at least 2")]
    [InlineData("trees", "0", "at least 1")]
    [InlineData("max-features", "sqr", "sqrt, log2, all")]
    [InlineData("max-features", "1.5", "fraction in (0, 1]")]
    [InlineData("criterion", "misclassification", "gini, entropy")]
    public void Bad_options_are_clear_errors(string option, string value, string expected)
    {
        var e = Assert.Throws<FashionMnistException>(() => ModelCatalog.Create("random-forest", new Dictionary<string, string> { [option] = value }));
        Assert.Contains(option, e.Message);
        Assert.Contains(expected, e.Message);
        Assert.Equal(ExitCodes.BadInput, e.ExitCode);
    }

    [Theory]
    [InlineData("sqrt", 28)]
    [InlineData("log2", 9)]
    [InlineData("all", 784)]
    [InlineData("0.1", 78)]
    [InlineData("50", 50)]
    [InlineData("5000", 784)]
    public void Max_features_rules(string rule, int expected) =>
        Assert.Equal(expected, new ForestOptions { MaxFeatures = rule }.FeaturesPerSplit(784));
}

/// <summary>IProgress that reports on the calling thread (Progress&lt;T&gt; posts to the thread pool).</summary>
internal sealed class SynchronousProgress(Action<FitProgress> report) : IProgress<FitProgress>
{
    public void Report(FitProgress value) => report(value);
}
