using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using FashionMnist.Data;
using FashionMnist.Models;
using FashionMnist.Onnx;
using FashionMnist.Tests.Support;

namespace FashionMnist.Tests.Onnx;

/// <summary>
/// The README's "Use your model elsewhere" snippets are exactly samples/onnx-csharp/Program.cs and
/// samples/onnx-node/classify.mjs; both programs run on an fmnist export and print the class and probability fmnist
/// itself gives for a test image. The C# one is built with the solution; the JavaScript one runs under node with
/// onnxruntime-node, which setup/npm-packages.sh installs.
/// </summary>
public class SnippetTests
{
    private static string Root()
    {
        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
            if (File.Exists(Path.Combine(folder.FullName, "FashionMnist.slnx"))) return folder.FullName;
        throw new InvalidOperationException("The repository root (FashionMnist.slnx) is not above the test binaries.");
    }

    private static string Normalize(string code) => code.Replace("\r\n", "\n").Trim();

    /// <summary>The fenced block of <paramref name="language"/> in the README's "Use your model elsewhere" section.</summary>
    private static string ReadmeBlock(string language)
    {
        string readme = File.ReadAllText(Path.Combine(Root(), "README.md"));
        int section = readme.IndexOf("## Use your model elsewhere", StringComparison.Ordinal);
        Assert.True(section >= 0, "README has no 'Use your model elsewhere' section");
        int end = readme.IndexOf("\n## ", section + 5, StringComparison.Ordinal);
        string text = end < 0 ? readme[section..] : readme[section..end];
        Match block = Regex.Match(text, $"```{language}\\n(.*?)```", RegexOptions.Singleline);
        Assert.True(block.Success, $"no ```{language} block in the section");
        return Normalize(block.Groups[1].Value);
    }

    [Fact]
    public void The_readme_shows_the_sample_programs_verbatim_in_about_ten_lines()
    {
        string csharp = Normalize(File.ReadAllText(Path.Combine(Root(), "samples", "onnx-csharp", "Program.cs")));
        string javascript = Normalize(File.ReadAllText(Path.Combine(Root(), "samples", "onnx-node", "classify.mjs")));
        Assert.Equal(csharp, ReadmeBlock("csharp"));
        Assert.Equal(javascript, ReadmeBlock("javascript"));
        Assert.InRange(csharp.Split('\n').Length, 5, 11);
        Assert.InRange(javascript.Split('\n').Length, 5, 11);
    }

    [Fact]
    public void Both_snippets_predict_what_fmnist_predicts_on_a_test_image()
    {
        string folder = Path.Combine(Path.GetTempPath(), $"fmnist-snippets-{Guid.NewGuid():N}");
        Directory.CreateDirectory(folder);
        try
        {
            IClassifier model = ModelCatalog.Create("cnn1", new Dictionary<string, string> { ["epochs"] = "1", ["validation-fraction"] = "0" });
            model.Fit(TestData.BalancedTrain(60), new FitContext { Seed = 3 });
            string onnx = Path.Combine(folder, "cnn1.onnx"), image = Path.Combine(folder, "image.raw");
            OnnxExporter.Export(model, onnx);
            ImageSet one = TestData.Test.Slice(17, 1);
            File.WriteAllBytes(image, one.Pixels);
            float[] p = model.PredictProbabilities(one);
            int label = ClassifierExtensions.ArgMaxRows(p, FashionMnistClasses.Count)[0];

            string dll = Path.Combine(Root(), "samples", "onnx-csharp", "bin", "Release", "net10.0", "onnx-sample.dll");
            Assert.True(File.Exists(dll), $"{dll} is missing: build the solution (FashionMnist.slnx) in Release first.");
            AssertSamePrediction("C#", Run("dotnet", [dll, onnx, image], folder), label, p[label]);

            string sample = Path.Combine(Root(), "samples", "onnx-node");
            Assert.True(Directory.Exists(Path.Combine(sample, "node_modules", "onnxruntime-node")),
                "onnxruntime-node is not installed in samples/onnx-node: run setup/npm-packages.sh (setup/setup.sh does).");
            AssertSamePrediction("JavaScript", Run("node", [Path.Combine(sample, "classify.mjs"), onnx, image], sample), label, p[label]);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private static void AssertSamePrediction(string language, string output, int label, float probability)
    {
        Match m = Regex.Match(output, @"class (\d+), probability ([0-9.]+)");
        Assert.True(m.Success, $"{language} snippet printed: {output}");
        Assert.Equal(label, int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture));
        double printed = double.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture); // rounded to 4 decimals
        Assert.True(Math.Abs(printed - probability) <= 1e-4, $"{language} snippet: probability {printed}, fmnist {probability}");
    }

    private static string Run(string program, string[] args, string workingDirectory)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = workingDirectory };
        foreach (string arg in args) start.ArgumentList.Add(arg);
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        string stdout = process.StandardOutput.ReadToEnd();
        Assert.True(process.WaitForExit(120_000), $"{program} did not finish in 2 minutes");
        Assert.True(process.ExitCode == 0, $"{program} {string.Join(' ', args)} exited {process.ExitCode}:\n{stdout}\n{stderr.Result}");
        return stdout;
    }
}
