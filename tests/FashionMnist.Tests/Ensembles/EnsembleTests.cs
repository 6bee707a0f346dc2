using System.Text.Json;
using FashionMnist.Data;
using FashionMnist.Ensembles;
using FashionMnist.Models;
using FashionMnist.Tests.Support;

namespace FashionMnist.Tests.Ensembles;

/// <summary>The ensemble model: soft vote and stacking on real images, self-contained files, members' lifetimes, errors, the CLI.</summary>
public sealed class EnsembleTests : IDisposable
{
    private static readonly ImageSet Train = TestData.BalancedTrain(60), Test = TestData.BalancedTest(30);
    private readonly string _folder = Directory.CreateTempSubdirectory("fmnist-ensemble-").FullName;

    public void Dispose()
    {
        try { Directory.Delete(_folder, recursive: true); } catch (IOException) { }
    }

    /// <summary>Trains a small model and saves it, as `fmnist train --out` would.</summary>
    private string Saved(string name, Dictionary<string, string> settings, int seed = 3)
    {
        using var model = ModelCatalog.Create(name, settings);
        model.Fit(Train, new FitContext { Seed = seed });
        string path = Path.Combine(_folder, $"{name}-{seed}.fmm");
        ModelFile.Save(model, path, new Dictionary<string, string> { ["seed"] = seed.ToString() });
        return path;
    }

    private string Mlp() => Saved("mlp", new() { ["hidden"] = "32", ["epochs"] = "3", ["validation-fraction"] = "0" });
    private string Knn() => Saved("knn", new() { ["k"] = "5" });

    [Fact]
    public void Soft_vote_is_the_mean_of_the_members_probabilities_and_the_file_is_self_contained()
    {
        string mlp = Mlp(), knn = Knn();
        using var ensemble = ModelCatalog.Create(new EnsembleOptions { Members = $"{mlp},{knn}" });
        ensemble.Fit(Train, new FitContext { Seed = 1 });
        float[] expected;
        using (IClassifier a = ModelFile.Load(mlp), b = ModelFile.Load(knn))
        {
            float[] pa = a.PredictProbabilities(Test), pb = b.PredictProbabilities(Test);
            expected = pa.Zip(pb, (x, y) => (x + y) / 2).ToArray();
        }
        float[] actual = ensemble.PredictProbabilities(Test);
        for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], actual[i], 6);

        // The ensemble's file embeds the members: it loads and predicts the same with the member files gone.
        string path = Path.Combine(_folder, "e.fmm");
        ModelFile.Save(ensemble, path);
        File.Delete(mlp);
        File.Delete(knn);
        using var loaded = (EnsembleClassifier)ModelFile.Load(path);
        Assert.Equal(actual, loaded.PredictProbabilities(Test));
        Assert.Equal(["mlp", "knn"], loaded.Members.Select(m => m.Name));
    }

    [Fact]
    public void Catalog_members_are_trained_by_the_fit_and_disposed_with_the_ensemble()
    {
        var ensemble = (EnsembleClassifier)ModelCatalog.Create(new EnsembleOptions { Members = "mlp(hidden=16,8;epochs=2;validation-fraction=0),knn(k=3)" });
        var lines = new List<string>();
        ensemble.Fit(Train, new FitContext { Seed = 4, Log = lines.Add });
        Assert.Contains(lines, l => l.StartsWith("member 1/2 (mlp, seed 4): epoch 2/2", StringComparison.Ordinal));
        Assert.Equal([16, 8], ((FashionMnist.Neural.MlpOptions)ensemble.Members[0].Options).Hidden);
        Assert.True(ensemble.Score(Test) > 0.4, $"ensemble scored {ensemble.Score(Test)}");
        var members = ensemble.Members;
        Assert.All(members, m => Assert.True(m.IsFitted));
        ensemble.Dispose();
        Assert.All(members, m => Assert.False(m.IsFitted));
        ensemble.Dispose();
    }

    [Fact]
    public void Stacking_refits_each_member_on_the_folds_and_learns_a_meta_model()
    {
        string mlp = Mlp(), knn = Knn();
        var lines = new List<string>();
        var ensemble = (EnsembleClassifier)ModelCatalog.Create(new EnsembleOptions { Members = $"{mlp},{knn}", Method = EnsembleMethod.Stacking, Folds = 3 });
        ensemble.Fit(Train, new FitContext { Seed = 2, Log = lines.Add });
        // Each member's options refitted on 3 folds with the seed its file records; the member used for prediction is the given file's model.
        foreach (string member in new[] { "mlp-3.fmm", "knn-3.fmm" })
            for (int fold = 1; fold <= 3; fold++)
                Assert.Contains($"stacking: {member} (seed 3) fold {fold}/3: refitted on 400 images, predicted 200", lines);
        Assert.Contains(lines, l => l.Contains("meta-model fitted on 600 out-of-fold rows"));
        var meta = ensemble.MetaModel!;
        Assert.Equal(20, meta.Features);
        float[] probabilities = ensemble.PredictProbabilities(Test);
        for (int r = 0; r < Test.Count; r++) Assert.Equal(1.0, probabilities.AsSpan(r * 10, 10).ToArray().Sum(), 4);
        double stacked = ensemble.Score(Test);
        using IClassifier a = ModelFile.Load(mlp), b = ModelFile.Load(knn);
        Assert.True(stacked >= Math.Max(a.Score(Test), b.Score(Test)) - 0.05, $"stacking {stacked} vs members {a.Score(Test)}, {b.Score(Test)}");
        // Round trip with the meta-model.
        using var buffer = new MemoryStream();
        ModelFile.Write(ensemble, buffer);
        using var loaded = ModelFile.Load(buffer.ToArray(), "stacked.fmm");
        Assert.Equal(probabilities, loaded.PredictProbabilities(Test));
        ensemble.Dispose();
    }

    [Fact]
    public void The_meta_model_reaches_the_hand_computed_optimum()
    {
        // One constant-zero feature: only the biases matter, and the optimum predicts the label frequencies, 3:1:0 ... smoothed
        // by nothing (no penalty on biases): p = (0.75, 0.25) for two classes.
        var model = new SoftmaxRegression(features: 1, classes: 2);
        byte[] labels = [0, 0, 0, 1, 0, 0, 0, 1];
        model.Fit(new float[labels.Length], labels, l2: 0.1);
        var p = new float[2];
        model.PredictProbabilities([0f], p);
        Assert.Equal(0.75, p[0], 4);
        Assert.Equal(0.25, p[1], 4);
        // A separable feature with a penalty: the weight grows until the penalty balances the loss, then stops; the
        // fitted model puts the right class first and is symmetric (p(x) = 1 − p(−x)).
        var separable = new SoftmaxRegression(1, 2);
        separable.Fit(new float[] { -2, -1, 1, 2 }, new byte[] { 0, 0, 1, 1 }, l2: 0.01);
        var q = new float[4];
        separable.PredictProbabilities(new float[] { -1.5f, 1.5f }, q);
        Assert.True(q[0] > 0.9 && q[3] > 0.9);
        Assert.Equal(q[0], q[3], 4);
        Assert.True(double.IsFinite(separable.Objective) && separable.Iterations > 1);
    }

    [Theory]
    [InlineData("", "Option 'members' must name at least one")]
    [InlineData("cnn3(epochs=0)", "member 'cnn3(epochs=0)' is not valid")]
    [InlineData("mlp(epochs)", "'epochs' in 'mlp(epochs)' is not option=value")]
    [InlineData("mlp(epochs=2", "a '(' is not closed")]
    [InlineData("ensemble(members=knn)", "names the ensemble model itself")]
    [InlineData("knn,nosuchmodel(k=1)", "'nosuchmodel(k=1)' is neither a catalog model")]
    public void Bad_member_lists_are_clear_errors_naming_the_option(string members, string expected)
    {
        var error = Assert.Throws<FashionMnistException>(() => ModelCatalog.Create("ensemble", new Dictionary<string, string> { ["members"] = members }));
        Assert.Contains(expected, error.Message);
        Assert.Contains("members", error.Message);
        Assert.Equal(ExitCodes.BadInput, error.ExitCode);
    }

    [Fact]
    public void A_missing_or_damaged_member_file_is_a_clear_error()
    {
        using var missing = ModelCatalog.Create(new EnsembleOptions { Members = Path.Combine(_folder, "gone.fmm") });
        var error = Assert.Throws<FashionMnistException>(() => missing.Fit(Train));
        Assert.Contains("gone.fmm' is neither a catalog model nor an existing model file", error.Message);
        string damaged = Path.Combine(_folder, "damaged.fmm");
        byte[] bytes = File.ReadAllBytes(Mlp());
        bytes[^40] ^= 0xFF;
        File.WriteAllBytes(damaged, bytes);
        using var withDamaged = ModelCatalog.Create(new EnsembleOptions { Members = damaged });
        Assert.Contains("fails its checksum", Assert.Throws<FashionMnistException>(() => withDamaged.Fit(Train)).Message);
    }

    [Fact]
    public void Cli_builds_scores_and_evaluates_an_ensemble_of_saved_files()
    {
        string mlp = Mlp(), knn = Knn(), output = Path.Combine(_folder, "cli.fmm");
        var built = CliRunner.Run("ensemble", "--models", $"{mlp},{knn}", "--out", output, "--test-limit", "300", "--no-store", "--json");
        Assert.True(built.ExitCode == 0, built.ToString());
        using var doc = JsonDocument.Parse(built.Stdout);
        Assert.Equal("soft-vote", doc.RootElement.GetProperty("method").GetString());
        Assert.Equal(2, doc.RootElement.GetProperty("members").GetArrayLength());
        double accuracy = doc.RootElement.GetProperty("test_accuracy").GetDouble();
        Assert.InRange(accuracy, 0.4, 1.0);

        var evaluate = CliRunner.Run("evaluate", "--model", output, "--test-limit", "300", "--no-store", "--json");
        Assert.True(evaluate.ExitCode == 0, evaluate.ToString());
        using var eval = JsonDocument.Parse(evaluate.Stdout);
        Assert.Equal(accuracy, eval.RootElement.GetProperty("test_accuracy").GetDouble(), 12);
        Assert.Equal("ensemble", eval.RootElement.GetProperty("model").GetString());

        var bad = CliRunner.Run("ensemble", "--models", $"{mlp},{Path.Combine(_folder, "nope.fmm")}", "--out", output, "--no-store");
        Assert.Equal(2, bad.ExitCode);
        Assert.Contains("nope.fmm' does not exist", bad.Stderr);
        Assert.DoesNotContain("   at ", bad.Stderr);
        var method = CliRunner.Run("ensemble", "--models", mlp, "--method", "majority", "--no-store");
        Assert.Equal(2, method.ExitCode);
        Assert.Contains("method", method.Stderr);
    }
}
