using System.Diagnostics;
using FashionMnist.Data;
using FashionMnist.Interop;
using FashionMnist.Models;
using FashionMnist.Onnx;

namespace FashionMnist.Tests.Onnx;

/// <summary>Runs exported files in ONNX Runtime and in Debian's python3-onnx checker, and compares with our own predictions.</summary>
internal static class OnnxTestSupport
{
    /// <summary>ORT's 'probabilities' for raw pixels fed as the contract says: float32 [N,1,28,28], values 0-255.</summary>
    public static float[] RunInOnnxRuntime(byte[] model, ImageSet images)
    {
        using var session = OnnxRuntimeSession.Load(model, "export", threads: 2);
        var pixels = new float[images.Count * ImageSet.PixelCount];
        ImageSet.WriteFloats(images.Pixels, pixels, PixelScaling.Raw);
        var (values, shape) = session.Run(OnnxContract.Input, pixels, [images.Count, 1, ImageSet.Height, ImageSet.Width], OnnxContract.Probabilities);
        Assert.Equal([images.Count, FashionMnistClasses.Count], shape);
        return values;
    }

    /// <summary>Largest |Δp| and the share of equal argmaxes between two N x 10 probability matrices.</summary>
    public static (double MaxDelta, double Agreement) Compare(float[] ours, float[] theirs)
    {
        Assert.Equal(ours.Length, theirs.Length);
        double maxDelta = 0;
        for (int i = 0; i < ours.Length; i++) maxDelta = Math.Max(maxDelta, Math.Abs(ours[i] - theirs[i]));
        byte[] a = ClassifierExtensions.ArgMaxRows(ours, FashionMnistClasses.Count), b = ClassifierExtensions.ArgMaxRows(theirs, FashionMnistClasses.Count);
        int same = 0;
        for (int i = 0; i < a.Length; i++) if (a[i] == b[i]) same++;
        return (maxDelta, (double)same / a.Length);
    }

    /// <summary>Exports, runs in ORT on <paramref name="images"/>, checks the file with python3-onnx; returns the comparison.</summary>
    public static (double MaxDelta, double Agreement, byte[] Model) ExportAndCompare(IClassifier model, ImageSet images)
    {
        byte[] onnx = OnnxExporter.Export(model);
        float[] ours = model.PredictProbabilities(images);
        float[] theirs = RunInOnnxRuntime(onnx, images);
        for (int r = 0; r < images.Count; r++)
        {
            double sum = 0;
            for (int c = 0; c < FashionMnistClasses.Count; c++) sum += theirs[r * FashionMnistClasses.Count + c];
            Assert.InRange(sum, 1 - 1e-5, 1 + 1e-5);
        }
        PythonOnnxChecker.Check(onnx);
        var (delta, agreement) = Compare(ours, theirs);
        return (delta, agreement, onnx);
    }
}

/// <summary>onnx.checker.check_model(m, full_check=True) from Debian's python3-onnx 1.12 (the CI's validator of IR ≤ 8, opset ≤ 17).</summary>
internal static class PythonOnnxChecker
{
    /// <summary>Debian's interpreter, where python3-onnx is installed (a pyenv or venv python3 earlier on PATH lacks it).</summary>
    private const string DebianPython = "/usr/bin/python3";

    private const string Script = "import sys, onnx\nm = onnx.load(sys.argv[1])\nonnx.checker.check_model(m, full_check=True)\nprint('ok', m.ir_version, [(o.domain, o.version) for o in m.opset_import])\n";

    public static string Check(byte[] model)
    {
        string path = Path.Combine(Path.GetTempPath(), $"fmnist-check-{Guid.NewGuid():N}.onnx");
        File.WriteAllBytes(path, model);
        try
        {
            var start = new ProcessStartInfo(DebianPython) { RedirectStandardOutput = true, RedirectStandardError = true };
            start.ArgumentList.Add("-c");
            start.ArgumentList.Add(Script);
            start.ArgumentList.Add(path);
            Process process;
            try
            {
                process = Process.Start(start)!;
            }
            catch (System.ComponentModel.Win32Exception e)
            {
                throw new Xunit.Sdk.XunitException($"python3 is not installed ({e.Message}); setup/setup.sh installs python3-onnx for this test.");
            }
            using (process)
            {
                string output = process.StandardOutput.ReadToEnd(), error = process.StandardError.ReadToEnd();
                process.WaitForExit();
                if (error.Contains("No module named 'onnx'", StringComparison.Ordinal))
                    throw new Xunit.Sdk.XunitException("python3-onnx is missing: install it with apt-get install python3-onnx (setup/setup.sh does).");
                Assert.True(process.ExitCode == 0, $"onnx.checker rejected the export:\n{error}");
                Assert.StartsWith("ok 8", output);
                return output;
            }
        }
        finally
        {
            File.Delete(path);
        }
    }
}
