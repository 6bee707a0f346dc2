using System.Text.Json;
using FashionMnist.Classic;
using FashionMnist.Classic.Knn;
using FashionMnist.Models;
using FashionMnist.Neural;
using FashionMnist.Tests.Support;

namespace FashionMnist.Tests.Cli;

/// <summary>"Did you mean": model names, option names, enum values and flags; the names scikit-learn users type.</summary>
public class SuggestionTests
{
    [Theory]
    [InlineData("kitten", "sitting", 3)]
    [InlineData("knn", "knn", 0)]
    [InlineData("kn", "knn", 1)]
    [InlineData("trian", "train", 1)]   // one swap of neighbours, not two substitutions
    [InlineData("ca", "abc", 3)]        // optimal string alignment: no edits of a swapped pair
    [InlineData("", "abc", 3)]
    public void Distance_is_the_optimal_string_alignment_distance(string a, string b, int expected)
    {
        Assert.Equal(expected, Spelling.Distance(a, b));
        Assert.Equal(expected, Spelling.Distance(b, a));
    }

    [Fact]
    public void Closest_prefers_names_the_word_begins_then_the_nearest_in_edits()
    {
        string[] models = ["gradient-boosting", "knn", "random-forest", "svm", "xgboost", "cnn-deep", "cnn1", "cnn3", "cnn4", "custom", "mlp"];
        Assert.Equal(["knn"], Spelling.Closest("kn", models));
        Assert.Equal(["cnn-deep", "cnn1", "cnn3", "cnn4"], Spelling.Closest("cnn", models));
        Assert.Equal(["random-forest"], Spelling.Closest("random_forest", models)); // dashes and underscores are alike
        Assert.Equal(["random-forest"], Spelling.Closest("random", models));
        Assert.Equal(["svm"], Spelling.Closest("svn", models));
        Assert.Equal(["xgboost"], Spelling.Closest("XGBost", models));
        Assert.Empty(Spelling.Closest("transformer", models));
        Assert.Empty(Spelling.Closest("a", models)); // one letter is no word to begin
        Assert.Equal("Did you mean --epochs?", Spelling.DidYouMean("--epoch", ["--epochs", "--seed", "--out"]));
        Assert.Equal("Did you mean a, b or c?", Spelling.Question(["a", "b", "c"]));
        Assert.Equal("", Spelling.DidYouMean("zzzz", ["--epochs"]));
    }

    [Fact]
    public void Unknown_model_suggests_the_nearest()
    {
        var e = Assert.Throws<FashionMnistException>(() => ModelCatalog.Get("kn"));
        Assert.Contains("Unknown model 'kn'. Did you mean knn?", e.Message);
        Assert.Contains("Choose one of:", e.Message);
        Assert.DoesNotContain("Did you mean", Assert.Throws<FashionMnistException>(() => ModelCatalog.Get("transformer")).Message);
    }

    [Fact]
    public void Unknown_option_suggests_the_option_even_through_its_alias()
    {
        var typo = Assert.Throws<FashionMnistException>(() => ModelCatalog.Options("knn", new Dictionary<string, string> { ["weight"] = "uniform" }));
        Assert.Contains("Model 'knn' has no option 'weight'. Did you mean weights?", typo.Message);
        // "neighbours" is nearest to scikit-learn's n_neighbors, which is k here.
        var alias = Assert.Throws<FashionMnistException>(() => ModelCatalog.Options("knn", new Dictionary<string, string> { ["neighbours"] = "3" }));
        Assert.Contains("Did you mean k?", alias.Message);
    }

    [Fact]
    public void Bad_enum_value_suggests_the_nearest()
    {
        var e = Assert.Throws<FashionMnistException>(() => ModelCatalog.Options("mlp", new Dictionary<string, string> { ["optimizer"] = "adan" }));
        Assert.Equal("Option 'optimizer' cannot be 'adan'. Did you mean adam? Use one of: adam, sgd, adamw.", e.Message);
    }

    [Fact]
    public void Adamw_is_written_one_way_and_accepted_both_ways()
    {
        foreach (string spelling in new[] { "adamw", "adam-w", "AdamW", "adam_w" })
            Assert.Equal(OptimizerKind.AdamW, ((MlpOptions)ModelCatalog.Options("mlp", new Dictionary<string, string> { ["optimizer"] = spelling })).Optimizer);
        Assert.Equal("adamw", OptionBinder.Format(OptimizerKind.AdamW));
        Assert.Equal(["adam", "sgd", "adamw"], OptionBinder.EnumWords(typeof(OptimizerKind)));
        var optimizer = OptionBinder.Describe(typeof(MlpOptions)).Single(o => o.Name == "optimizer");
        Assert.Contains("adamw", optimizer.Description);
        Assert.Equal("adamw", OptionBinder.ToSettings(new DeepCnnOptions())["optimizer"]); // model files and run records too
    }

    [Fact]
    public void Scikit_learn_and_xgboost_names_are_accepted()
    {
        Assert.Equal(3, ((KnnOptions)ModelCatalog.Options("knn", new Dictionary<string, string> { ["n_neighbors"] = "3" })).K);
        Assert.Equal(20, ((ForestOptions)ModelCatalog.Options("random-forest", new Dictionary<string, string> { ["n_estimators"] = "20" })).Trees);
        var boosting = (BoostingOptions)ModelCatalog.Options("gradient-boosting", new Dictionary<string, string>
        {
            ["n_estimators"] = "50", ["eta"] = "0.1", ["reg_lambda"] = "2", ["colsample_bytree"] = "0.7", ["gamma"] = "0.5",
        });
        Assert.Equal((50, 0.1, 2.0, 0.7, 0.5), (boosting.Rounds, boosting.LearningRate, boosting.L2, boosting.ColumnSample, boosting.MinSplitGain));
        var xgb = (XGBoostOptions)ModelCatalog.Options("xgboost", new Dictionary<string, string> { ["learning_rate"] = "0.05", ["rounds"] = "7" });
        Assert.Equal((0.05, 7), (xgb.Eta, xgb.NEstimators));
        Assert.Equal(1e-3, ((SvmOptions)ModelCatalog.Options("svm", new Dictionary<string, string> { ["tol"] = "0.001" })).Tolerance);
        var mlp = (MlpOptions)ModelCatalog.Options("mlp", new Dictionary<string, string> { ["lr"] = "0.01", ["hidden_layer_sizes"] = "64", ["max_iter"] = "3" });
        Assert.Equal((0.01, 64, 3), (mlp.LearningRate, mlp.Hidden[0], mlp.Epochs));
        Assert.Equal("k", OptionBinder.Resolve(typeof(KnnOptions), "n_neighbors"));
        Assert.Equal("eta", OptionBinder.Resolve(typeof(XGBoostOptions), "learning-rate"));
        Assert.Null(OptionBinder.Resolve(typeof(KnnOptions), "learning-rate"));
    }

    [Fact]
    public void No_alias_of_any_catalog_model_hides_another_option()
    {
        foreach (var model in ModelCatalog.All)
        {
            var options = OptionBinder.Describe(model.OptionsType);
            string Key(string name) => name.Replace("-", "").Replace("_", "").ToLowerInvariant();
            var owners = new Dictionary<string, string>();
            foreach (var option in options)
                foreach (string name in option.Aliases.Prepend(option.Name))
                {
                    Assert.True(!owners.TryGetValue(Key(name), out string? owner) || owner == option.Name,
                        $"{model.Name}: '{name}' names both {owner} and {option.Name}");
                    owners[Key(name)] = option.Name;
                }
        }
    }

    [Fact]
    public void A_mistyped_flag_is_one_line_with_the_flag_meant()
    {
        var result = CliRunner.Run("train", "knn", "--epoch", "3");
        Assert.True(result.ExitCode == 2, result.ToString());
        string[] errors = result.Stderr.Split('\n').Where(l => l.StartsWith("error:", StringComparison.Ordinal)).ToArray();
        Assert.Equal(["error: unknown option '--epoch' for 'fmnist train'. Did you mean --epochs?"], errors);
        Assert.DoesNotContain("Unrecognized", result.Stderr);
        Assert.Contains("Run 'fmnist train --help'", result.Stderr);

        var command = CliRunner.Run("trian", "knn");
        Assert.Equal(2, command.ExitCode);
        Assert.StartsWith("error: unknown command 'trian' for 'fmnist'. Did you mean train?", command.Stderr);
        Assert.Single(command.Stderr.Split('\n'), l => l.StartsWith("error:", StringComparison.Ordinal));

        var global = CliRunner.Run("data", "info", "--no-colour");
        Assert.Contains("Did you mean --no-color?", global.Stderr); // recursive options of the root count too
    }

    [Fact]
    public void A_mistyped_model_on_the_command_line_gets_a_suggestion()
    {
        var result = CliRunner.Run("train", "kn");
        Assert.Equal(2, result.ExitCode);
        Assert.StartsWith("error: Unknown model 'kn'. Did you mean knn?", result.Stderr);
    }

    [Fact]
    public void Learning_rate_has_both_spellings_on_every_model_that_has_one()
    {
        JsonElement Parameters(params string[] args)
        {
            var result = CliRunner.Run(["train", .. args, "--train-limit", "300", "--test-limit", "50", "--no-save", "--no-store", "--json"]);
            Assert.True(result.ExitCode == 0, result.ToString());
            using var doc = JsonDocument.Parse(result.Stdout);
            return doc.RootElement.GetProperty("parameters").Clone();
        }
        Assert.Equal("0.01", Parameters("mlp", "--epochs", "1", "--lr", "0.01").GetProperty("learning-rate").GetString());
        Assert.Equal("0.02", Parameters("mlp", "--epochs", "1", "--learning-rate", "0.02").GetProperty("learning-rate").GetString());
        Assert.Equal("0.03", Parameters("mlp", "--epochs", "1", "--set", "lr=0.03").GetProperty("learning-rate").GetString());
        Assert.Equal("0.04", Parameters("gradient-boosting", "--set", "rounds=2", "--lr", "0.04").GetProperty("learning-rate").GetString());
        var knn = CliRunner.Run("train", "knn", "--lr", "0.1", "--no-save");
        Assert.Equal(2, knn.ExitCode);
        Assert.Contains("--lr does not apply to knn", knn.Stderr);
    }
}
