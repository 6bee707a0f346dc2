using System.Runtime.InteropServices;
using FashionMnist.Interop;

namespace FashionMnist.Tests.Interop;

public partial class XGBoostInteropTests
{
    [LibraryImport("libc.so.6", EntryPoint = "getenv", StringMarshalling = StringMarshalling.Utf8)]
    private static partial nint NativeGetEnv(string name);

    [Fact]
    public void Library_loads_with_passive_OpenMP_waiting_visible_to_native_code()
    {
        XGBoost.EnsureReady();
        Assert.Equal(new Version(1, 7, 4), XGBoost.LibraryVersion);
        string? policy = Marshal.PtrToStringUTF8(NativeGetEnv("OMP_WAIT_POLICY"));
        // Either ours, or a value the user exported before starting the tests (which we keep).
        Assert.Equal(Environment.GetEnvironmentVariable("OMP_WAIT_POLICY") ?? "passive", policy);
    }

    [Fact]
    public void Bytes_widen_to_floats_exactly_including_the_tail()
    {
        var bytes = Enumerable.Range(0, 1000).Select(i => (byte)(i * 37)).ToArray();
        var floats = new float[bytes.Length];
        XGBoost.BytesToFloats(bytes, floats);
        for (int i = 0; i < bytes.Length; i++) Assert.Equal(bytes[i], floats[i]);
    }

    [Fact]
    public void Evaluation_lines_parse_into_set_and_metric()
    {
        var metrics = XGBoostBooster.ParseEvaluation("[12]\ttrain-mlogloss:0.25\ttrain-merror:0.05\tvalid-mlogloss:0.375");
        Assert.Equal(0.25, metrics[("train", "mlogloss")]);
        Assert.Equal(0.05, metrics[("train", "merror")]);
        Assert.Equal(0.375, metrics[("valid", "mlogloss")]);
        Assert.Equal(3, metrics.Count);
    }

    private static (XGBoostDMatrix Matrix, XGBoostBooster Booster) TrainToy(int rounds)
    {
        // y = 1 when x0 > 0.5: a stump learns it.
        var random = new Random(3);
        float[] x = new float[200 * 3];
        byte[] y = new byte[200];
        for (int i = 0; i < 200; i++)
        {
            for (int j = 0; j < 3; j++) x[i * 3 + j] = (float)random.NextDouble();
            y[i] = (byte)(x[i * 3] > 0.5f ? 1 : 0);
        }
        var matrix = XGBoostDMatrix.FromFloats(x, 200, 3, threads: 1);
        matrix.SetLabels(y);
        var booster = XGBoostBooster.Create(matrix);
        booster.SetParameter("objective", "multi:softprob");
        booster.SetParameter("num_class", 2);
        booster.SetParameter("nthread", 1);
        for (int i = 0; i < rounds; i++) booster.UpdateOneIteration(i, matrix);
        return (matrix, booster);
    }

    [Fact]
    public void Booster_learns_a_threshold_and_a_slice_predicts_like_an_iteration_range()
    {
        var (matrix, booster) = TrainToy(6);
        using (matrix)
        using (booster)
        {
            Assert.Equal(6, booster.BoostedRounds);
            Assert.Equal(3, booster.FeatureCount);
            using var fresh = XGBoostDMatrix.FromFloats([0.9f, 0.1f, 0.1f, 0.1f, 0.9f, 0.9f], 2, 3, threads: 1);
            float[] p = booster.Predict(fresh);
            Assert.Equal(4, p.Length);
            Assert.True(p[1] > 0.9f && p[2] > 0.9f, string.Join(",", p));
            using XGBoostBooster sliced = booster.Slice(0, 2);
            Assert.Equal(2, sliced.BoostedRounds);
            Assert.Equal(booster.Predict(fresh, iterationEnd: 2), sliced.Predict(fresh));
            Assert.NotEqual(booster.Predict(fresh), sliced.Predict(fresh));
            Assert.Throws<ArgumentOutOfRangeException>(() => booster.Slice(0, 10));
        }
    }

    [Fact]
    public void Save_and_load_keep_predictions()
    {
        var (matrix, booster) = TrainToy(4);
        using (matrix)
        using (booster)
        {
            using XGBoostBooster loaded = XGBoostBooster.Load(booster.Save("ubj"));
            using XGBoostBooster fromJson = XGBoostBooster.Load(booster.Save("json"));
            using var fresh = XGBoostDMatrix.FromFloats([0.7f, 0.2f, 0.3f], 1, 3, threads: 1);
            Assert.Equal(booster.Predict(fresh), loaded.Predict(fresh));
            Assert.Equal(booster.Predict(fresh), fromJson.Predict(fresh));
            var e = Assert.Throws<XGBoostException>(() => XGBoostBooster.Load("{not a model"u8));
            Assert.False(string.IsNullOrWhiteSpace(e.NativeMessage));
        }
    }

    [Fact]
    public void Native_errors_surface_with_XGBoosts_own_message()
    {
        var (matrix, booster) = TrainToy(0);
        using (matrix)
        using (booster)
        {
            booster.SetParameter("tree_method", "nonsense"); // XGBoost checks parameters when the next round configures
            var e = Assert.Throws<XGBoostException>(() => booster.UpdateOneIteration(0, matrix));
            Assert.Contains("nonsense", e.NativeMessage);
            Assert.StartsWith("XGBoost failed: ", e.Message);
            Assert.DoesNotContain("Stack trace", e.Message);
            Assert.Equal(ExitCodes.Failure, e.ExitCode);
        }
    }

    [Fact]
    public void Evaluating_reports_the_configured_metric_for_each_set()
    {
        var (matrix, booster) = TrainToy(2);
        using (matrix)
        using (booster)
        {
            booster.SetParameter("eval_metric", "merror");
            var metrics = booster.EvaluateOneIteration(1, [(matrix, "train")]);
            Assert.True(metrics[("train", "merror")] < 0.1);
        }
    }
}
