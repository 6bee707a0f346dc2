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
        BitConverter.GetBytes(4).CopyTo(bytes, 8);
        File.WriteAllBytes(calibrated, bytes);
        Assert.Contains("format version 4; this fmnist reads version 3", Assert.Throws<FashionMnistException>(() => ModelFile.Load(calibrated)).Message);

        string onnx = Path.Combine(AppContext.BaseDirectory, "Fixtures", "onnx", "torch-small-cnn.onnx");
        string output = Path.Combine(_folder, "out.fmm");
        Assert.Contains("only fmnist model files can hold a photo calibration",
            Assert.Throws<FashionMnistException>(() => ModelFile.SaveWithCalibration(onnx, output, s_calibration)).Message);
        Assert.False(File.Exists(output));
    }

    private static double[] Identity(double scale) => [.. Enumerable.Range(0, 100).Select(i => i / 10 == i % 10 ? scale : 0.0)];

    [Fact]
    public void A_matrix_calibration_is_version_3_and_a_version_2_file_cannot_smuggle_one_in()
    {
        string plain = SavedMlp(), calibrated = Path.Combine(_folder, "matrix.fmm"), prior = Path.Combine(_folder, "prior.fmm");
        double[] matrix = Identity(1.25);
        matrix[0 * 10 + 6] = 0.375; // class 0's logit takes some of class 6's evidence
        var withMatrix = s_calibration with { Matrix = matrix };
        ModelFile.SaveWithCalibration(plain, calibrated, withMatrix);
        ModelFile.SaveWithCalibration(plain, prior, s_calibration);
        Assert.Equal(3, VersionOf(calibrated));
        Assert.Equal(2, VersionOf(prior)); // no matrix: still readable by the fmnist before matrices
        PhotoCalibration read = ModelFile.ReadHeader(calibrated).Calibration!;
        Assert.Equal(matrix, read.Matrix);
        Assert.Equal("matrix", read.Form);
        Assert.Equal("prior", ModelFile.ReadHeader(prior).Calibration!.Form);

        // The same bytes under version 2 (checksum made valid): a version-2 reader would drop the matrix, so it is refused.
        byte[] bytes = File.ReadAllBytes(calibrated);
        BitConverter.GetBytes(2).CopyTo(bytes, 8);
        SHA256.HashData(bytes.AsSpan(0, bytes.Length - 32)).CopyTo(bytes, bytes.Length - 32);
        File.WriteAllBytes(calibrated, bytes);
        var e = Assert.Throws<FashionMnistException>(() => ModelFile.Load(calibrated));
        Assert.Contains("damaged photo calibration", e.Message);
        Assert.Contains("matrices need version 3", e.Message);

        Assert.Throws<ArgumentException>(() => (s_calibration with { Matrix = new double[99] }).Validate());
        Assert.Throws<ArgumentOutOfRangeException>(() => (s_calibration with { Matrix = [.. Identity(1).Select((w, i) => i == 5 ? double.NaN : w)] }).Validate());
    }

    [Fact]
    public void A_matrix_moves_evidence_between_classes()
    {
        float[] p = [0.64f, 0.16f, 0.04f, 0.04f, 0.04f, 0.02f, 0.02f, 0.02f, 0.01f, 0.01f];
        var q = new float[10];
        var baseline = new PhotoCalibration { Temperature = 1, LogPrior = new double[10], Pipeline = "garment", Views = 6 };
        // W = I / 2 is the temperature 2: the same answer as the temperature form.
        var tempered = new float[10];
        (baseline with { Temperature = 2 }).Apply(p, tempered);
        (baseline with { Matrix = Identity(0.5) }).Apply(p, q);
        for (int k = 0; k < 10; k++) Assert.Equal(tempered[k], q[k], 6);
        // W swapping rows 0 and 1: class 0 gets class 1's log-probability and the other way round.
        double[] swap = Identity(1);
        (swap[0], swap[1], swap[10], swap[11]) = (0, 1, 1, 0);
        (baseline with { Matrix = swap }).Apply(p, q);
        Assert.Equal(0.16f, q[0], 6);
        Assert.Equal(0.64f, q[1], 6);
        // Row 0 = (1, 1, 0 ...): logit ln 0.64 + ln 0.16 = ln 0.1024 against the others' own ln p, plus an offset.
        double[] pool = Identity(1);
        pool[1] = 1;
        (baseline with { Matrix = pool, LogPrior = [Math.Log(2), 0, 0, 0, 0, 0, 0, 0, 0, 0] }).Apply(p, q);
        double z0 = 2 * 0.1024, sum = z0 + 0.36;
        Assert.Equal(z0 / sum, q[0], 5);
        Assert.Equal(0.16 / sum, q[1], 5);
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
