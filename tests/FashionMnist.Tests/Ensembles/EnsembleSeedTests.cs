using FashionMnist.Data;
using FashionMnist.Ensembles;
using FashionMnist.Models;
using FashionMnist.Tests.Support;

namespace FashionMnist.Tests.Ensembles;

/// <summary>
/// Each catalog member of an ensemble trains with its own seed: its seed= if it names one, else the ensemble's seed plus
/// its position among the catalog members; members that would be the same model twice are refused.
/// </summary>
public sealed class EnsembleSeedTests : IDisposable
{
    private const string Mlp = "mlp(hidden=32;epochs=1;batch-size=32;validation-fraction=0)";
    private static readonly ImageSet Train = TestData.BalancedTrain(30), Test = TestData.BalancedTest(20);
    private readonly string _folder = Directory.CreateTempSubdirectory("fmnist-ensemble-seeds-").FullName;

    public void Dispose()
    {
        try { Directory.Delete(_folder, recursive: true); } catch (IOException) { }
    }

    private static float[] TrainedAlone(int seed)
    {
        var spec = MemberSpec.ParseList(Mlp).Single();
        using var model = ModelCatalog.Create(spec.CatalogName!, spec.Settings);
        model.Fit(Train, new FitContext { Seed = seed });
        return model.PredictProbabilities(Test);
    }

    private static string SeedInFile(byte[] file) => ModelFile.ReadHeader(file, "member").Metadata["seed"];

    [Fact]
    public void Two_members_of_the_same_settings_are_two_models_with_consecutive_seeds()
    {
        // A file member first: positions count catalog members only, so the first mlp gets the seed itself.
        string knn = Path.Combine(_folder, "knn.fmm");
        using (var trained = ModelCatalog.Create("knn", new Dictionary<string, string> { ["k"] = "3" }))
        {
            trained.Fit(Train);
            ModelFile.Save(trained, knn, new Dictionary<string, string> { ["seed"] = "3" });
        }
        var lines = new List<string>();
        using var ensemble = (EnsembleClassifier)ModelCatalog.Create(new EnsembleOptions { Members = $"{knn},{Mlp},{Mlp}" });
        ensemble.Fit(Train, new FitContext { Seed = 5, Log = lines.Add });

        Assert.Equal(["3", "5", "6"], ensemble.MemberFiles.Select(SeedInFile));
        float[] first = ensemble.Members[1].PredictProbabilities(Test), second = ensemble.Members[2].PredictProbabilities(Test);
        Assert.NotEqual(first, second);
        Assert.Equal(TrainedAlone(6), second);
        // The log says which seed each member trains with.
        Assert.Contains(lines, l => l.StartsWith("member 2/3 (mlp, seed 5): epoch 1/1", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("member 3/3 (mlp, seed 6): epoch 1/1", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("member 1/3 (knn.fmm): loaded", StringComparison.Ordinal) && l.EndsWith("(trained with seed 3)", StringComparison.Ordinal));
    }

    [Fact]
    public void A_member_naming_its_seed_is_the_model_trained_alone_with_that_seed()
    {
        using var ensemble = (EnsembleClassifier)ModelCatalog.Create(new EnsembleOptions { Members = $"knn(k=3),{Mlp[..^1]};seed=7)" });
        ensemble.Fit(Train, new FitContext { Seed = 1 });
        Assert.Equal(TrainedAlone(7), ensemble.Members[1].PredictProbabilities(Test));
        Assert.Equal("7", SeedInFile(ensemble.MemberFiles[1]));
        // seed= is the fit's, not an option of the member's model.
        Assert.DoesNotContain("seed", OptionBinder.ToSettings(ensemble.Members[1].Options).Keys);
    }

    [Fact]
    public void A_one_member_ensemble_is_the_model_trained_alone_with_the_ensembles_seed()
    {
        using var ensemble = ModelCatalog.Create(new EnsembleOptions { Members = Mlp });
        ensemble.Fit(Train, new FitContext { Seed = 9 });
        Assert.Equal(TrainedAlone(9), ensemble.PredictProbabilities(Test));
    }

    [Fact]
    public void Stacking_refits_each_catalog_member_with_its_own_seed()
    {
        var lines = new List<string>();
        using var ensemble = ModelCatalog.Create(new EnsembleOptions { Members = $"{Mlp},{Mlp}", Method = EnsembleMethod.Stacking, Folds = 2 });
        ensemble.Fit(Train, new FitContext { Seed = 11, Log = lines.Add });
        foreach (int seed in new[] { 11, 12 })
            for (int fold = 1; fold <= 2; fold++)
                Assert.Contains($"stacking: mlp (seed {seed}) fold {fold}/2: refitted on 150 images, predicted 150", lines);
    }

    [Theory]
    [InlineData("mlp(seed=abc)", "member 'mlp(seed=abc)' has seed=abc, which is not an integer")]
    [InlineData("knn,mlp(hidden=32;seed=99999999999)", "member 'mlp(hidden=32;seed=99999999999)' has seed=99999999999, which is not an integer")]
    // epochs=30 is mlp's default: the same options written another way.
    [InlineData("mlp(seed=5),mlp(epochs=30;seed=5)", "members 1 ('mlp(seed=5)') and 2 ('mlp(epochs=30;seed=5)') have the same options and the same seed (5)")]
    public void Bad_seeds_and_identical_members_are_refused_before_any_training(string members, string expected)
    {
        var error = Assert.Throws<FashionMnistException>(() => ModelCatalog.Create("ensemble", new Dictionary<string, string> { ["members"] = members }));
        Assert.Contains(expected, error.Message);
        Assert.Equal(ExitCodes.BadInput, error.ExitCode);
    }

    [Fact]
    public void Members_of_other_options_may_share_a_seed()
    {
        using var ensemble = ModelCatalog.Create(new EnsembleOptions { Members = "mlp(hidden=16;seed=5),mlp(hidden=32;seed=5)" });
        Assert.False(ensemble.IsFitted);
    }

    [Theory]
    [InlineData("mlp(hidden=32;epochs=1;seed=abc)", "42", "has seed=abc, which is not an integer", "whole number")]
    [InlineData("mlp(hidden=32;epochs=1;seed=5),mlp(hidden=32;epochs=1;seed=5)", "42", "have the same options and the same seed (5)", "different seeds")]
    // Only the fit knows that the second member (no seed=) gets --seed + 1 = 42, the first member's own.
    [InlineData("mlp(hidden=32;epochs=1;seed=42),mlp(hidden=32;epochs=1)", "41", "have the same options and the same seed (42)", "different seeds")]
    public void The_cli_refuses_bad_seeds_and_identical_members_with_exit_2_and_no_file(string members, string seed, string problem, string remedy)
    {
        string output = Path.Combine(_folder, "vote.fmm");
        var run = CliRunner.Run("train", "ensemble", "--set", $"members={members}", "--seed", seed, "--out", output,
            "--train-limit", "300", "--test-limit", "100", "--no-store");
        Assert.True(run.ExitCode == 2, run.ToString());
        Assert.Contains(problem, run.Stderr);
        Assert.Contains(remedy, run.Stderr);
        Assert.DoesNotContain("   at ", run.Stderr);
        Assert.False(File.Exists(output), "no model file after a refused ensemble");
    }
}
