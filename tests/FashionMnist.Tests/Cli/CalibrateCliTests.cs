using System.Text.Json;
using FashionMnist.Tests.Imaging;
using FashionMnist.Models;
using FashionMnist.Tests.Support;

namespace FashionMnist.Tests.Cli;

/// <summary>`fmnist calibrate` through the real program: every bad input is exit 2 with no output file; a fit is applied by predict.</summary>
public sealed class CalibrateCliTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("fmnist-calibrate-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private string Out => Path.Combine(_folder, "out.fmm");

    private string Model()
    {
        string path = Path.Combine(_folder, "mlp.fmm");
        if (File.Exists(path)) return path;
        using var model = ModelCatalog.Create("mlp", new Dictionary<string, string> { ["hidden"] = "32", ["epochs"] = "2", ["validation-fraction"] = "0" });
        model.Fit(TestData.BalancedTrain(60), new FitContext { Seed = 2 });
        ModelFile.Save(model, path);
        return path;
    }

    /// <summary>A labels.csv listing each fixture photo <paramref name="copies"/> times (absolute paths).</summary>
    private string Labels(int copies)
    {
        var lines = new List<string> { "file,source_class,fashion_mnist_labels" };
        string[] labels = ["0", "1", "5 7 9", "3", "2 6", "4"];
        for (int c = 0; c < copies; c++)
            for (int i = 0; i < TestImages.FixturePhotos.Length; i++)
                lines.Add($"{TestImages.FixturePath(TestImages.FixturePhotos[i])},{Path.GetFileNameWithoutExtension(TestImages.FixturePhotos[i])},{labels[i]}");
        string path = Path.Combine(_folder, $"labels-{copies}.csv");
        File.WriteAllLines(path, lines);
        return path;
    }

    private void AssertBadInput(CliRunner.Result result, string expected)
    {
        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains(expected, result.Stderr);
        Assert.DoesNotContain("   at ", result.Stderr);
        Assert.False(File.Exists(Out), "no output file after an error");
        Assert.Empty(Directory.GetFiles(_folder, "out.fmm.tmp-*"));
    }

    [Fact]
    public void Bad_labels_are_exit_2_without_an_output_file()
    {
        AssertBadInput(CliRunner.Run("calibrate", "--model", Model(), "--labels", Path.Combine(_folder, "none.csv"), "--out", Out), "Labels file");
        string malformed = Path.Combine(_folder, "bad.csv");
        File.WriteAllText(malformed, "file,source_class,fashion_mnist_labels\na.jpg;pants\n");
        AssertBadInput(CliRunner.Run("calibrate", "--model", Model(), "--labels", malformed, "--out", Out), "line 2: expected 3 comma-separated fields");
    }

    [Fact]
    public void Too_few_photos_per_class_is_exit_2()
    {
        AssertBadInput(CliRunner.Run("calibrate", "--model", Model(), "--labels", Labels(2), "--out", Out),
            "has 2 photo(s) of source class");
        AssertBadInput(CliRunner.Run("calibrate", "--model", Model(), "--labels", Labels(2), "--out", Out, "--folds", "2", "--penalty", "-1"),
            "--penalty must be a finite number of 0 or more");
        AssertBadInput(CliRunner.Run("calibrate", "--model", Model(), "--labels", Labels(2), "--out", Out, "--folds", "2", "--penalty", "1", "--temperature-only"),
            "Both --penalty and --temperature-only");
        AssertBadInput(CliRunner.Run("calibrate", "--model", Model(), "--labels", Labels(2), "--out", Out, "--folds", "1"), "--folds must be between 2 and 50");
        AssertBadInput(CliRunner.Run("calibrate", "--model", Model(), "--labels", Labels(2), "--out", Out, "--folds", "2", "--repeats", "0"), "--repeats must be between 1 and 50");
        AssertBadInput(CliRunner.Run("calibrate", "--model", Model(), "--labels", Labels(2), "--out", Out, "--folds", "2", "--matrix-penalty", "0"), "--matrix-penalty must be a finite number above 0");
        AssertBadInput(CliRunner.Run("calibrate", "--model", Model(), "--labels", Labels(2), "--out", Out, "--folds", "2", "--matrix-penalty", "0.1", "--no-matrix"),
            "Both --matrix-penalty and --no-matrix");
        AssertBadInput(CliRunner.Run("calibrate", "--model", Model(), "--labels", Labels(2), "--out", Out, "--folds", "2", "--pool", Path.Combine(_folder, "other.fmm")),
            "other.fmm");
    }

    [Fact]
    public void A_model_that_cannot_hold_a_calibration_or_does_not_exist_is_exit_2()
    {
        string onnx = Path.Combine(AppContext.BaseDirectory, "Fixtures", "onnx", "torch-small-cnn.onnx");
        AssertBadInput(CliRunner.Run("calibrate", "--model", onnx, "--labels", Labels(2), "--out", Out, "--folds", "2"),
            "only fmnist model files can hold a photo calibration");
        AssertBadInput(CliRunner.Run("calibrate", "--model", Path.Combine(_folder, "none.fmm"), "--labels", Labels(2), "--out", Out, "--folds", "2"),
            "does not exist");
    }

    [Fact]
    public void A_fitted_calibration_is_saved_and_applied_by_predict_only_on_its_own_photo_path()
    {
        string labels = Labels(2);
        var fit = CliRunner.Run("calibrate", "--model", Model(), "--labels", labels, "--out", Out, "--folds", "2", "--json");
        Assert.True(fit.ExitCode == 0, fit.ToString());
        using (var report = JsonDocument.Parse(fit.Stdout))
        {
            Assert.Equal(12, report.RootElement.GetProperty("photos").GetInt32());
            Assert.Equal(5, report.RootElement.GetProperty("repeats").GetInt32()); // the default: five fold splits averaged
            Assert.Contains(report.RootElement.GetProperty("form").GetString(), new[] { "temperature", "prior", "matrix" });
            // The grid: the prior's penalties, then the matrix penalties at the chosen prior penalty.
            Assert.Equal(10 + 5, report.RootElement.GetProperty("grid").GetArrayLength());
            Assert.Equal(10, report.RootElement.GetProperty("log_prior").GetArrayLength());
            // The fit minimises the loss on its own photos: in-sample it is no worse than uncalibrated.
            Assert.True(report.RootElement.GetProperty("in_sample").GetProperty("log_loss").GetDouble()
                        <= report.RootElement.GetProperty("uncalibrated").GetProperty("log_loss").GetDouble() + 1e-9);
        }
        PhotoCalibration calibration = ModelFile.ReadHeader(Out).Calibration!;
        Assert.Equal(("garment", 6), (calibration.Pipeline, calibration.Views));

        JsonElement Calibration(params string[] extra)
        {
            var result = CliRunner.Run(["predict", "--model", Out, "--labels", labels, "--json", .. extra]);
            Assert.True(result.ExitCode == 0, result.ToString());
            return JsonDocument.Parse(result.Stdout).RootElement.GetProperty("calibration").Clone();
        }
        JsonElement applied = Calibration();
        Assert.True(applied.GetProperty("applied").GetBoolean());
        Assert.Equal(calibration.Temperature, applied.GetProperty("temperature").GetDouble());
        JsonElement off = Calibration("--no-calibration");
        Assert.False(off.GetProperty("applied").GetBoolean());
        Assert.Equal("--no-calibration", off.GetProperty("not_applied").GetString());
        JsonElement oneView = Calibration("--no-tta");
        Assert.False(oneView.GetProperty("applied").GetBoolean());
        Assert.Contains("fitted with 6 test-time view(s) per photo, this run uses 1", oneView.GetProperty("not_applied").GetString());
    }

    [Fact]
    public void Pooled_models_fit_one_calibration_for_the_recipe()
    {
        // The same model pooled with itself: every photo's rows agree and share a fold, so the fit is the model's own.
        string labels = Labels(2), own = Path.Combine(_folder, "own.fmm");
        var single = CliRunner.Run("calibrate", "--model", Model(), "--labels", labels, "--out", own, "--folds", "2", "--no-matrix", "--json");
        var pooled = CliRunner.Run("calibrate", "--model", Model(), "--pool", Model(), "--labels", labels, "--out", Out, "--folds", "2", "--no-matrix", "--json");
        Assert.True(single.ExitCode == 0, single.ToString());
        Assert.True(pooled.ExitCode == 0, pooled.ToString());
        using var a = JsonDocument.Parse(single.Stdout);
        using var b = JsonDocument.Parse(pooled.Stdout);
        Assert.Equal(2, b.RootElement.GetProperty("pooled_models").GetInt32());
        Assert.Equal(a.RootElement.GetProperty("penalty").ToString(), b.RootElement.GetProperty("penalty").ToString());
        Assert.Equal(a.RootElement.GetProperty("temperature").GetDouble(), b.RootElement.GetProperty("temperature").GetDouble(), 6);
        Assert.Equal(a.RootElement.GetProperty("cross_validated").GetProperty("log_loss").GetDouble(),
            b.RootElement.GetProperty("cross_validated").GetProperty("log_loss").GetDouble(), 6);
    }
}
