using System.ComponentModel;
using FashionMnist.Models;

namespace FashionMnist.Tests.Models;

public class OptionBinderTests
{
    private enum Weights { Uniform, Distance }

    private sealed record ToyOptions : ModelOptions
    {
        [Description("Neighbours")] public int K { get; init; } = 5;
        public double LearningRate { get; init; } = 0.1;
        public Weights Weights { get; init; } = Weights.Uniform;
        public int? MaxDepth { get; init; }
        public int[] Hidden { get; init; } = [256, 128];

        public override void Validate() => Require(K >= 1, "k", "must be at least 1", K);
    }

    [Fact]
    public void Binds_kebab_snake_and_pascal_names_over_defaults()
    {
        var options = OptionBinder.Bind<ToyOptions>(new Dictionary<string, string>
        {
            ["k"] = "7", ["learning_rate"] = "0.01", ["Weights"] = "distance", ["max-depth"] = "none", ["hidden"] = "512,64",
        });
        Assert.Equal(7, options.K);
        Assert.Equal(0.01, options.LearningRate);
        Assert.Equal(Weights.Distance, options.Weights);
        Assert.Null(options.MaxDepth);
        Assert.Equal([512, 64], options.Hidden);
    }

    [Fact]
    public void Unknown_name_lists_the_valid_ones()
    {
        var e = Assert.Throws<FashionMnistException>(() => OptionBinder.Bind<ToyOptions>(new Dictionary<string, string> { ["kk"] = "1" }));
        Assert.Contains("'kk'", e.Message);
        Assert.Contains("learning-rate", e.Message);
        Assert.Equal(ExitCodes.BadInput, e.ExitCode);
    }

    [Fact]
    public void Bad_value_and_failed_validation_say_what_is_expected()
    {
        var parse = Assert.Throws<FashionMnistException>(() => OptionBinder.Bind<ToyOptions>(new Dictionary<string, string> { ["k"] = "five" }));
        Assert.Contains("whole number", parse.Message);
        var range = Assert.Throws<FashionMnistException>(() => OptionBinder.Bind<ToyOptions>(new Dictionary<string, string> { ["k"] = "0" }));
        Assert.Contains("at least 1", range.Message);
        var choice = Assert.Throws<FashionMnistException>(() => OptionBinder.Bind<ToyOptions>(new Dictionary<string, string> { ["weights"] = "cosine" }));
        Assert.Contains("uniform, distance", choice.Message);
    }

    [Fact]
    public void ToSettings_round_trips()
    {
        var options = new ToyOptions { K = 3, LearningRate = 1e-3, Weights = Weights.Distance, MaxDepth = 4 };
        var settings = OptionBinder.ToSettings(options);
        Assert.Equal("3", settings["k"]);
        Assert.Equal("distance", settings["weights"]);
        Assert.Equal(options with { }, OptionBinder.Bind<ToyOptions>(settings) with { Hidden = options.Hidden });
    }
}
