using FashionMnist.Data;
using FashionMnist.Imaging;
using FashionMnist.Models;
using FashionMnist.Neural;
using FashionMnist.Neural.Layers;
using FashionMnist.Tests.Support;

namespace FashionMnist.Tests.Neural;

public class SpecAndCatalogTests
{
    private const string Good = """
        layers:
          - conv2d: {filters: 8, kernel: 3, padding: same}
          - batchnorm
          - relu
          - maxpool: {size: 2}
          - conv2d: {filters: 16, kernel: 3x2, stride: 2}
          - leakyrelu: {alpha: 0.1}
          - globalavgpool
          - dropout: {rate: 0.3}
          - dense: {units: 10, init: glorot}
        """;

    [Fact]
    public void A_yaml_spec_builds_the_network_it_describes()
    {
        Sequential network = ArchitectureSpec.Parse(Good).Build(1);
        Assert.Equal(9, network.Layers.Count);
        var conv = Assert.IsType<Conv2D>(network.Layers[4]);
        Assert.Equal((3, 2, 2), (conv.KernelHeight, conv.KernelWidth, conv.Stride));
        Assert.Equal(new Shape(8, 28, 28), network.Layers[0].OutputShape);
        Assert.Equal(new Shape(16, 6, 7), network.Layers[4].OutputShape); // 14x14 -> (14-3)/2+1 x (14-2)/2+1
        Assert.Equal(Shape.Flat(10), network.OutputShape);
    }

    [Fact]
    public void Json_works_and_written_specs_read_back_the_same()
    {
        const string json = """{"layers": [{"flatten": null}, {"dense": {"units": 32}}, "elu", {"dense": {"units": 10}}]}""";
        Sequential fromJson = ArchitectureSpec.Parse(json).Build(1);
        Assert.Equal(4, fromJson.Layers.Count);
        foreach (Sequential network in new[] { fromJson, ArchitectureSpec.Parse(Good).Build(1) })
        {
            Sequential again = ArchitectureSpec.Parse(ArchitectureSpec.Write(network)).Build(1);
            Assert.Equal(network.Describe(), again.Describe());
        }
    }

    [Theory]
    [InlineData("layers:\n  - conv3d: {filters: 8}\n", "layer 1: unknown layer 'conv3d'", "conv2d, dense")]
    [InlineData("layers:\n  - flatten\n  - dense: {unit: 10}\n", "layer 2 (dense) has no parameter 'unit'", "units")]
    [InlineData("layers:\n  - conv2d: {filters: many}\n", "layer 1 (conv2d): 'filters' must be a whole number, got 'many'", "")]
    [InlineData("layers:\n  - dropout: {rate: 1.5}\n", "layer 1 (dropout): rate must be in [0, 1)", "")]
    [InlineData("layers:\n  - conv2d: {filters: 4, padding: full}\n", "'padding' must be one of valid, same", "")]
    [InlineData("layers:\n  - dense\n", "'units' is required", "")]
    [InlineData("layer:\n  - dense: {units: 10}\n", "unknown top-level key 'layer'", "")]
    [InlineData("layers: [dense: {units: 10}\n", "not valid YAML/JSON", "")]
    public void Spec_mistakes_name_the_layer_and_the_problem(string spec, string expected, string hint)
    {
        var e = Assert.Throws<FashionMnistException>(() => ArchitectureSpec.Parse(spec, "my.yaml"));
        Assert.Contains("my.yaml", e.Message);
        Assert.Contains(expected, e.Message);
        Assert.Contains(hint, e.Message);
        Assert.Equal(ExitCodes.BadInput, e.ExitCode);
    }

    [Theory]
    [InlineData("layers:\n  - conv2d: {filters: 4, kernel: 3}\n  - dense: {units: 10}\n", "Layer 2 (dense) gets input 4x26x26", "flat input")]
    [InlineData("layers:\n  - maxpool2d: {size: 8}\n  - maxpool2d: {size: 3}\n  - conv2d: {filters: 4, kernel: 3}\n", "Layer 3 (conv2d) gets input 1:", "does not fit")]
    public void Shape_mismatches_name_the_layer_and_its_input(string spec, string expected, string detail)
    {
        var e = Assert.Throws<FashionMnistException>(() => ArchitectureSpec.Parse(spec).Build(1));
        Assert.Contains(expected, e.Message);
        Assert.Contains(detail, e.Message);
    }

    [Fact]
    public void Custom_model_reads_its_spec_file_and_checks_the_output_size()
    {
        string folder = Directory.CreateTempSubdirectory("fmnist-spec-").FullName;
        try
        {
            string path = Path.Combine(folder, "net.yaml");
            File.WriteAllText(path, "layers:\n  - flatten\n  - dense: {units: 7}\n");
            var model = ModelCatalog.Create("custom", new Dictionary<string, string> { ["spec"] = path, ["epochs"] = "1", ["validation-fraction"] = "0" });
            var e = Assert.Throws<FashionMnistException>(() => model.Fit(TestData.BalancedTrain(5)));
            Assert.Contains("ends with 7 outputs", e.Message);

            var missing = ModelCatalog.Create("custom", new Dictionary<string, string> { ["spec"] = Path.Combine(folder, "nope.yaml") });
            e = Assert.Throws<FashionMnistException>(() => missing.Fit(TestData.BalancedTrain(5)));
            Assert.Contains("does not exist", e.Message);

            e = Assert.Throws<FashionMnistException>(() => ModelCatalog.Create("custom"));
            Assert.Contains("--spec", e.Message);
        }
        finally { Directory.Delete(folder, recursive: true); }
    }

    [Fact]
    public void The_zoo_is_in_the_catalog_with_the_cli_option_names()
    {
        foreach (string name in new[] { "mlp", "cnn1", "cnn3", "cnn4", "cnn-deep", "custom" })
        {
            var descriptor = ModelCatalog.Get(name);
            Assert.Equal("neural", descriptor.Family);
            var names = OptionBinder.Describe(descriptor.OptionsType).Select(o => o.Name).ToList();
            Assert.Superset(new HashSet<string> { "epochs", "batch-size", "learning-rate", "optimizer", "augment" }, names.ToHashSet());
            Assert.All(OptionBinder.Describe(descriptor.OptionsType), o => Assert.False(string.IsNullOrWhiteSpace(o.Description), $"{name}.{o.Name}"));
        }
        Assert.Contains("spec", OptionBinder.Describe(typeof(CustomOptions)).Select(o => o.Name));
        var mlp = (NeuralClassifier)ModelCatalog.Create("mlp", new Dictionary<string, string> { ["hidden"] = "128,64", ["optimizer"] = "adamw" });
        Assert.Equal(OptimizerKind.AdamW, mlp.NeuralOptions.Optimizer);
        Assert.Contains("dense(units=64", mlp.CreateArchitecture().Build(0).Describe());
        var e = Assert.Throws<FashionMnistException>(() => ModelCatalog.Create("cnn3", new Dictionary<string, string> { ["dropout"] = "1.2" }));
        Assert.Contains("'dropout' must be in [0, 1)", e.Message);
        e = Assert.Throws<FashionMnistException>(() => ModelCatalog.Create("cnn3", new Dictionary<string, string> { ["optimizer"] = "rmsprop" }));
        Assert.Contains("adam, sgd, adamw", e.Message);
    }

    [Fact]
    public void Schedules_follow_their_formulas()
    {
        Assert.Equal(0.1, Schedules.Rate(LearningRateSchedule.Step, 1, step: 25, totalSteps: 100, stepsPerEpoch: 10, stepEpochs: 2, stepGamma: 0.1), 12);
        Assert.Equal(1.0, Schedules.Rate(LearningRateSchedule.Cosine, 1, 0, 101, 10), 12);
        Assert.Equal(0.5, Schedules.Rate(LearningRateSchedule.Cosine, 1, 50, 101, 10), 12);
        Assert.Equal(1.0 / 25, Schedules.Rate(LearningRateSchedule.OneCycle, 1, 0, 101, 10), 12);
        Assert.Equal(1.0, Schedules.Rate(LearningRateSchedule.OneCycle, 1, 30, 101, 10), 12);
        Assert.Equal(1.0 / 25e4, Schedules.Rate(LearningRateSchedule.OneCycle, 1, 100, 101, 10), 12);
    }
}

public class AugmentationTests
{
    private static byte[] OneBrightPixel(int y, int x)
    {
        var image = new byte[ImageSet.PixelCount];
        image[y * 28 + x] = 255;
        return image;
    }

    [Fact]
    public void Without_changes_it_is_the_identity()
    {
        byte[] image = TestData.BalancedTrain(1).Pixels[..784];
        var output = new byte[784];
        Augmentation.Apply(image, output, new AugmentationSettings(0, false, 0), key: 9);
        Assert.Equal(image, output);
    }

    [Fact]
    public void Shifts_and_flips_move_pixels_where_they_should()
    {
        var output = new byte[784];
        var seen = new HashSet<(int, int)>();
        for (ulong key = 0; key < 400; key++)
        {
            Augmentation.Apply(OneBrightPixel(10, 5), output, new AugmentationSettings(2, true, 0), key);
            int at = Array.IndexOf(output, (byte)255);
            Assert.Equal(1, output.Count(b => b != 0)); // moved, never duplicated or lost (it is far from the border)
            int y = at / 28, x = at % 28;
            Assert.InRange(y, 8, 12);
            Assert.True(x is >= 3 and <= 7 || x is >= 20 and <= 24, $"x={x}"); // shifted, or mirrored (27-5=22) and shifted
            seen.Add((y, x));
        }
        Assert.True(seen.Count >= 40, $"only {seen.Count} distinct placements"); // 5 x 5 x 2 = 50 possible
    }

    [Fact]
    public void The_same_key_gives_the_same_image_and_erasing_paints_a_rectangle()
    {
        byte[] image = new byte[784];
        var a = new byte[784];
        var b = new byte[784];
        var settings = new AugmentationSettings(0, false, 1.0);
        Augmentation.Apply(image, a, settings, 123);
        Augmentation.Apply(image, b, settings, 123);
        Assert.Equal(a, b);
        int painted = a.Count(v => v != 0);
        Assert.InRange(painted, 5, (int)(0.2 * 784) + 30); // 2-20% of the image, a few noise pixels may be 0
    }
}
