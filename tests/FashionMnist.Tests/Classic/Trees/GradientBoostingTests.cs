using FashionMnist.Tests.Support;
using FashionMnist.Classic;
using FashionMnist.Models;
using static FashionMnist.Tests.Classic.Trees.TreeTestHelpers;

namespace FashionMnist.Tests.Classic.Trees;

// Changes the process-wide ComputeThreads.Count: runs alone, so no other test fits with a thread count it did not choose.
[Collection(Isolated.Name)]
public class GradientBoostingTests
{
    // 20 rows, two per class, feature = 10 x class. The start scores are the log priors, so p = 0.1 everywhere:
    // g = p - y is -0.9 on the tree's class and +0.1 elsewhere, h = p(1 - p) = 0.09.
    private static (FeatureMatrix X, byte[] Y) TenClassToy()
    {
        var x = new byte[20];
        var y = new byte[20];
        for (int i = 0; i < 20; i++) { y[i] = (byte)(i / 2); x[i] = (byte)(10 * (i / 2)); }
        return (FeatureMatrix.FromBytes(x, 20, 1), y);
    }

    private static BoostingOptions OneStump => new()
    {
        Rounds = 1, MaxDepth = 1, LearningRate = 0.5, L2 = 1, MinChildWeight = 0, EarlyStoppingRounds = 0,
    };

    [Fact]
    public void One_round_leaf_values_match_the_hand_computed_newton_step()
    {
        var (x, y) = TenClassToy();
        var model = new GradientBoosting(OneStump);
        model.Fit(x, y, FitContext.Default);
        Assert.Equal(1, model.RoundCount);
        Assert.All(model.BaseScores, s => Assert.Equal(Math.Log(0.1), s, 5));

        // Class 0's tree: the best stump isolates x <= 0 (gain 1.8²/1.18 + 1.8²/2.62 = 3.98, the largest).
        // Left: G = 2(-0.9) = -1.8, H = 0.18 → -G/(H+λ)·lr = 1.8/1.18·0.5 = 0.76271.
        // Right: G = 18(0.1) = 1.8, H = 1.62 → -1.8/2.62·0.5 = -0.34351.
        var tree0 = model.Rounds[0][0];
        Assert.Equal(0, tree0.Nodes[0].Threshold);
        Assert.Equal(0.5f * 1.8f / 1.18f, tree0.LeafValues[0], 5);
        Assert.Equal(-0.5f * 1.8f / 2.62f, tree0.LeafValues[1], 5);
        // Class 9's tree mirrors it: x <= 80 left (18 rows), x = 90 right.
        var tree9 = model.Rounds[0][9];
        Assert.Equal(80, tree9.Nodes[0].Threshold);
        Assert.Equal(-0.5f * 1.8f / 2.62f, tree9.LeafValues[0], 5);
        Assert.Equal(0.5f * 1.8f / 1.18f, tree9.LeafValues[1], 5);

        float[] p = Probabilities(model, FeatureMatrix.FromBytes([0, 90], 2, 1));
        Assert.Equal(0, Array.IndexOf(p[..10], p[..10].Max()));
        Assert.Equal(9, Array.IndexOf(p[10..], p[10..].Max()));
        Assert.Equal(1f, p[..10].Sum(), 5);
    }

    [Fact]
    public void Lambda_and_min_child_weight_act_as_in_xgboost()
    {
        var (x, y) = TenClassToy();
        var strong = new GradientBoosting(OneStump with { L2 = 10 });
        strong.Fit(x, y, FitContext.Default);
        Assert.Equal(0.5f * 1.8f / 10.18f, strong.Rounds[0][0].LeafValues[0], 5);

        // Two rows carry H = 0.18 < 0.2: no child may be that light, so the class-0 tree cannot isolate x = 0.
        var heavy = new GradientBoosting(OneStump with { MinChildWeight = 0.2 });
        heavy.Fit(x, y, FitContext.Default);
        Assert.NotEqual(0, heavy.Rounds[0][0].Nodes[0].Threshold);
    }

    [Fact]
    public void Learns_fashion_mnist_with_a_validation_curve_and_early_stopping()
    {
        var logs = new List<string>();
        var model = ModelCatalog.Create("gradient-boosting", new Dictionary<string, string>
        {
            ["rounds"] = "200", ["learning-rate"] = "0.5", ["max-depth"] = "3", ["early-stopping-rounds"] = "5",
        });
        model.Fit(SmallTrain, new FitContext { Seed = 2, Log = logs.Add });
        double accuracy = model.Score(SmallTest);
        Assert.InRange(accuracy, 0.78, 1.0);

        var boosting = (GradientBoosting)((Pipeline)model).Estimator;
        var history = boosting.History;
        Assert.True(history.Epochs.Count < 200, "early stopping should end a 200-round fit on 2,700 rows");
        Assert.Equal(history.BestEpoch, boosting.RoundCount);
        Assert.Equal(history.Epochs.Count, boosting.RoundCount + 5);
        double bestLoss = history.Epochs.Min(e => e.ValidationLoss!.Value);
        Assert.Equal(bestLoss, history.Epochs[boosting.RoundCount - 1].ValidationLoss);
        Assert.True(history.Epochs[^1].TrainLoss < history.Epochs[0].TrainLoss);
        Assert.Contains(logs, line => line.StartsWith("round 1: train mlogloss", StringComparison.Ordinal));
        Assert.Contains(logs, line => line.StartsWith("early stopping", StringComparison.Ordinal));
    }

    [Fact]
    public void By_default_every_row_trains_and_nothing_is_held_out()
    {
        var logs = new List<string>();
        var model = new GradientBoosting(new BoostingOptions { Rounds = 2, MaxDepth = 2 });
        Assert.Equal(0, model.Options.EarlyStoppingRounds);
        Assert.Equal(200, new BoostingOptions().Rounds);
        Assert.Equal(0.5, model.Options.ColumnSample);
        model.Fit(FeatureMatrix.FromImages(SmallTrain.Take(600)), SmallTrain.Labels.AsSpan(0, 600), new FitContext { Log = logs.Add });
        Assert.Equal(2, model.RoundCount);
        Assert.All(model.History.Epochs, e => Assert.Null(e.ValidationLoss));
        Assert.DoesNotContain(logs, line => line.Contains("early stopping", StringComparison.Ordinal));
    }

    [Fact]
    public void Uses_the_given_validation_set_when_there_is_one()
    {
        // Through the pipeline, as users fit it: the pipeline hands the estimator the validation features.
        var options = new BoostingOptions { Rounds = 3, MaxDepth = 2 };
        var model = new GradientBoosting(options);
        var validation = SmallTest.Take(200);
        var pipeline = new Pipeline("gradient-boosting", options, model);
        pipeline.Fit(SmallTrain.Take(500), new FitContext { Validation = validation });
        Assert.Same(model.History, pipeline.TrainingHistory());
        var scoredBy = model.History.Epochs[^1].ValidationAccuracy!.Value;
        Assert.Equal(pipeline.Score(validation), scoredBy, 6);
    }

    [Fact]
    public void Leaf_wise_growth_respects_max_leaves()
    {
        var model = new GradientBoosting(new BoostingOptions { Rounds = 3, MaxDepth = null, MaxLeaves = 5, EarlyStoppingRounds = 0 });
        model.Fit(FeatureMatrix.FromImages(SmallTrain.Take(1000)), SmallTrain.Labels.AsSpan(0, 1000), FitContext.Default);
        Assert.All(model.Rounds.SelectMany(r => r), tree => Assert.Equal(5, tree.LeafCount));
        Assert.Contains(model.Rounds.SelectMany(r => r), tree => tree.Depth() > 2); // leaf-wise: unbalanced trees
    }

    [Fact]
    public void Same_seed_gives_the_same_model_on_one_or_two_threads()
    {
        var train = SmallTrain.Take(1000);
        float[] Fit(int threads, int seed) => WithThreads(threads, () =>
        {
            var model = ModelCatalog.Create("gradient-boosting", new Dictionary<string, string>
            {
                ["rounds"] = "4", ["max-depth"] = "3", ["subsample"] = "0.7", ["column-sample"] = "0.5",
            });
            model.Fit(train, new FitContext { Seed = seed });
            return model.PredictProbabilities(SmallTest.Take(300));
        });
        float[] one = Fit(1, 9), two = Fit(2, 9);
        Assert.Equal(one, two);
        Assert.NotEqual(one, Fit(2, 10));
    }

    [Fact]
    public void Save_and_load_give_identical_predictions_and_keep_the_history()
    {
        var model = ModelCatalog.Create("gradient-boosting", new Dictionary<string, string> { ["rounds"] = "5", ["max-depth"] = "3" });
        model.Fit(SmallTrain.Take(1000), FitContext.Default);
        IClassifier loaded = RoundTrip(model);
        Assert.Equal(model.PredictProbabilities(SmallTest), loaded.PredictProbabilities(SmallTest));
        var history = ((GradientBoosting)((Pipeline)loaded).Estimator).History;
        Assert.Equal(((GradientBoosting)((Pipeline)model).Estimator).History.Epochs, history.Epochs);
    }

    [Fact]
    public void Reports_rounds_and_stops_when_cancelled()
    {
        var reports = new List<FitProgress>();
        var model = new GradientBoosting(new BoostingOptions { Rounds = 3, MaxDepth = 2, EarlyStoppingRounds = 0 });
        var features = FeatureMatrix.FromImages(SmallTrain.Take(300));
        model.Fit(features, SmallTrain.Labels.AsSpan(0, 300), new FitContext { Progress = new SynchronousProgress(reports.Add) });
        Assert.Equal(new FitProgress("rounds", 3, 3), reports[^1]);

        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        Assert.ThrowsAny<OperationCanceledException>(() =>
            model.Fit(features, SmallTrain.Labels.AsSpan(0, 300), new FitContext { Cancellation = cancelled.Token }));
    }

    [Theory]
    [InlineData("learning-rate", "0", "greater than 0")]
    [InlineData("learning-rate", "-0.1", "greater than 0")]
    [InlineData("subsample", "1.5", "(0, 1]")]
    [InlineData("column-sample", "0", "(0, 1]")]
    [InlineData("max-depth", "0", "at least 1")]
    [InlineData("max-depth", "none", "only when max-leaves is set")]
    [InlineData("min-samples-leaf", "0", "at least 1")]
    [InlineData("rounds", "0", "at least 1")]
    [InlineData("l2", "-1", "at least 0")]
    public void Bad_options_are_clear_errors(string option, string value, string expected)
    {
        var e = Assert.Throws<FashionMnistException>(() => ModelCatalog.Create("gradient-boosting", new Dictionary<string, string> { [option] = value }));
        Assert.Contains(option, e.Message);
        Assert.Contains(expected, e.Message);
    }
}
