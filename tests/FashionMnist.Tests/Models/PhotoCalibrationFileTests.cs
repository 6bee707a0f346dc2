using System.Security.Cryptography;
using System.Text;
using FashionMnist.Models;
using FashionMnist.Tests.Support;

namespace FashionMnist.Tests.Models;

/// <summary>The photo calibration in the model file: version 2 only when present, the model itself copied untouched.</summary>
public sealed class PhotoCalibrationFileTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("fmnist-photo-calibration-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static readonly PhotoCalibration s_calibration = new()
    {
        Temperature = 0.7667302313651916,
        LogPrior = [1.4966858152691043, 1.42, 0.65, 0.5, -0.43, 0.08, 0.71, -0.58, -3.252763568942108, -0.6],
        Pipeline = "garment", Views = 6,
        Facts = new Dictionary<string, string> { ["photos"] = "196", ["penalty"] = "0.001" },
    };

    private string SavedMlp()
    {
        using var model = ModelCatalog.Create("mlp", new Dictionary<string, string> { ["hidden"] = "16", ["epochs"] = "1", ["validation-fraction"] = "0" });
        model.Fit(TestData.BalancedTrain(20), new FitContext { Seed = 1 });
        string path = Path.Combine(_folder, "mlp.fmm");
        ModelFile.Save(model, path, new Dictionary<string, string> { ["seed"] = "1" });
        return path;
    }

    private static int VersionOf(string path) => BitConverter.ToInt32(File.ReadAllBytes(path), 8);

    [Fact]
    public void Calibration_round_trips_and_the_model_predicts_as_before()
    {
        string plain = SavedMlp(), calibrated = Path.Combine(_folder, "mlp-photo.fmm");
        ModelFile.SaveWithCalibration(plain, calibrated, s_calibration, new Dictionary<string, string> { ["note"] = "x" });

        Assert.Equal(1, VersionOf(plain));
        Assert.Equal(2, VersionOf(calibrated));
        var (model, header) = ModelFile.LoadWithHeader(calibrated);
        using (model)
        {
            PhotoCalibration read = header.Calibration!;
            Assert.Equal(s_calibration.Temperature, read.Temperature);
            Assert.Equal(s_calibration.LogPrior, read.LogPrior);
            Assert.Equal(("garment", 6), (read.Pipeline, read.Views));
            Assert.Equal("196", read.Facts["photos"]);
            Assert.Equal("x", header.Metadata["note"]);
            Assert.Equal("1", header.Metadata["seed"]);
            Assert.Null(ModelFile.ReadHeader(plain).Calibration);

            // Fashion-MNIST predictions are the model's own: the calibration never touches IClassifier.
            using IClassifier original = ModelFile.Load(plain);
            var test = TestData.Test.Subset(Enumerable.Range(0, 200).ToArray());
            var a = new float[200 * 10];
            var b = new float[200 * 10];
            original.PredictProbabilities(test, a);
            model.PredictProbabilities(test, b);
            Assert.Equal(a, b);
        }
    }

    [Fact]
    public void Removing_the_calibration_gives_back_the_version_1_file_byte_for_byte()
    {
        string plain = SavedMlp(), calibrated = Path.Combine(_folder, "cal.fmm"), removed = Path.Combine(_folder, "removed.fmm");
        ModelFile.SaveWithCalibration(plain, calibrated, s_calibration);
        ModelFile.SaveWithCalibration(calibrated, removed, null);
        Assert.Equal(File.ReadAllBytes(plain), File.ReadAllBytes(removed));
    }

    [Fact]
    public void A_damaged_calibration_with_a_valid_checksum_is_a_clear_error()
    {
        string plain = SavedMlp(), calibrated = Path.Combine(_folder, "cal.fmm");
        ModelFile.SaveWithCalibration(plain, calibrated, s_calibration with { Temperature = 0.5 });
        byte[] bytes = File.ReadAllBytes(calibrated);
        byte[] from = Encoding.UTF8.GetBytes("\"temperature\":0.5"), to = Encoding.UTF8.GetBytes("\"temperature\":0.0");
        int at = bytes.AsSpan().IndexOf(from);
        Assert.True(at > 0);
        to.CopyTo(bytes, at);
        SHA256.HashData(bytes.AsSpan(0, bytes.Length - 32)).CopyTo(bytes, bytes.Length - 32);
        File.WriteAllBytes(calibrated, bytes);
        var e = Assert.Throws<FashionMnistException>(() => ModelFile.Load(calibrated));
        Assert.Contains("damaged photo calibration", e.Message);
        Assert.Contains("temperature", e.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void A_newer_version_is_refused_and_an_onnx_model_cannot_hold_a_calibration()
    {
        string plain = SavedMlp(), calibrated = Path.Combine(_folder, "cal.fmm");
        ModelFile.SaveWithCalibration(plain, calibrated, s_calibration);
        byte[] bytes = File.ReadAllBytes(calibrated);
        BitConverter.GetBytes(3).CopyTo(bytes, 8);
        File.WriteAllBytes(calibrated, bytes);
        Assert.Contains("format version 3; this fmnist reads version 2", Assert.Throws<FashionMnistException>(() => ModelFile.Load(calibrated)).Message);

        string onnx = Path.Combine(AppContext.BaseDirectory, "Fixtures", "onnx", "torch-small-cnn.onnx");
        string output = Path.Combine(_folder, "out.fmm");
        Assert.Contains("only fmnist model files can hold a photo calibration",
            Assert.Throws<FashionMnistException>(() => ModelFile.SaveWithCalibration(onnx, output, s_calibration)).Message);
        Assert.False(File.Exists(output));
    }

    [Fact]
    public void Applying_tempers_the_log_probabilities_and_adds_the_prior()
    {
        float[] p = [0.64f, 0.16f, 0.04f, 0.04f, 0.04f, 0.02f, 0.02f, 0.02f, 0.01f, 0.01f];
        var q = new float[10];
        var identity = new PhotoCalibration { Temperature = 1, LogPrior = new double[10], Pipeline = "garment", Views = 6 };
        identity.Apply(p, q);
        for (int k = 0; k < 10; k++) Assert.Equal(p[k], q[k], 6);
        // T = 2: q ∝ √p, so q_0 / q_1 = √(0.64 / 0.16) = 2; an offset ln 2 on class 1 then makes them equal.
        var tempered = identity with { Temperature = 2 };
        tempered.Apply(p, q);
        Assert.Equal(2, q[0] / q[1], 5);
        (tempered with { LogPrior = [0, Math.Log(2), 0, 0, 0, 0, 0, 0, 0, 0] }).Apply(p, q);
        Assert.Equal(1, q[0] / q[1], 5);
        Assert.Equal(1, q.Sum(), 5);
        Assert.Equal("fitted with 6 test-time view(s) per photo, this run uses 1", identity.Mismatch("garment", 1));
        Assert.Contains("'seed'", identity.Mismatch("seed", 6));
        Assert.Null(identity.Mismatch("garment", 6));
    }
}
