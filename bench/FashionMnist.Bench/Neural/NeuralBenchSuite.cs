using System.Diagnostics;
using System.Globalization;
using FashionMnist.Data;
using FashionMnist.Models;
using FashionMnist.Neural;
using FashionMnist.Numerics;

namespace FashionMnist.Bench.Neural;

/// <summary>One model's speed: seconds per 60,000-image training epoch and inference images per second.</summary>
/// <param name="Model">Catalog name.</param>
/// <param name="EpochSeconds">Seconds for one epoch of 60,000 images, extrapolated from <paramref name="MeasuredImages"/> timed training images.</param>
/// <param name="InferenceImagesPerSecond">Test-set images classified per second at batch 1000.</param>
/// <param name="Threads">ComputeThreads.Count during the run.</param>
/// <param name="Batch">Training batch size.</param>
/// <param name="MeasuredImages">How many training images were timed (after a warm-up).</param>
/// <param name="EpochCpuSeconds">Process CPU seconds for the same epoch (all threads): on a shared machine, wall time
/// inflates with the other load but CPU time much less, so EpochCpuSeconds / Threads is a fair estimate of an idle machine's epoch time.</param>
/// <param name="InferenceImagesPerCpuSecond">Test images classified per process CPU second (all threads): on a shared
/// machine, InferenceImagesPerCpuSecond x Threads estimates the idle machine's inference speed.</param>
public sealed record NeuralBenchRecord(string Model, double EpochSeconds, double InferenceImagesPerSecond, int Threads, int Batch, int MeasuredImages,
    double EpochCpuSeconds, double InferenceImagesPerCpuSecond);

/// <summary>
/// Training and inference speed of the zoo models. Training: one warm-up epoch over 1,280 images (JIT, buffers),
/// then one timed epoch over <c>trainImages</c> images (no validation split, no checkpoint), scaled to 60,000.
/// Inference: a warm-up pass over 1,000 test images, then the whole 10,000-image test set, timed.
/// The PyTorch 1.13 reference figures for the same machine are in docs/neural.md.
/// </summary>
public static class NeuralBenchSuite
{
    public const int EpochImages = 60_000;
    public static readonly string[] DefaultModels = ["mlp", "cnn1", "cnn3", "cnn4", "cnn-deep"];

    public static IReadOnlyList<NeuralBenchRecord> Run(IEnumerable<string>? models = null, int trainImages = 12_800, Action<string>? log = null)
    {
        var data = FashionMnistData.Load();
        var records = new List<NeuralBenchRecord>();
        foreach (string name in models ?? DefaultModels)
        {
            var settings = new Dictionary<string, string> { ["epochs"] = "1", ["validation-fraction"] = "0", ["batch-size"] = "128" };
            var warm = ModelCatalog.Create(name, settings);
            warm.Fit(data.Train.Take(1280), new FitContext { Seed = 1 });
            var model = ModelCatalog.Create(name, settings);
            ImageSet slice = data.Train.Take(trainImages);
            TimeSpan cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
            var clock = Stopwatch.StartNew();
            model.Fit(slice, new FitContext { Seed = 1 });
            double epochSeconds = clock.Elapsed.TotalSeconds * EpochImages / slice.Count;
            double epochCpuSeconds = (Process.GetCurrentProcess().TotalProcessorTime - cpuBefore).TotalSeconds * EpochImages / slice.Count;

            var probabilities = new float[data.Test.Count * FashionMnistClasses.Count];
            model.PredictProbabilities(data.Test.Take(1000), probabilities);
            cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
            clock.Restart();
            model.PredictProbabilities(data.Test, probabilities);
            double imagesPerSecond = data.Test.Count / clock.Elapsed.TotalSeconds;
            double imagesPerCpuSecond = data.Test.Count / (Process.GetCurrentProcess().TotalProcessorTime - cpuBefore).TotalSeconds;

            var record = new NeuralBenchRecord(name, epochSeconds, imagesPerSecond, ComputeThreads.Count, 128, slice.Count, epochCpuSeconds, imagesPerCpuSecond);
            log?.Invoke(string.Create(CultureInfo.InvariantCulture,
                $"{name,-9} epoch {epochSeconds,7:F2} s ({epochCpuSeconds,7:F2} CPU-s)   inference {imagesPerSecond,9:N0} img/s ({imagesPerCpuSecond,9:N0} per CPU-s)   threads {record.Threads}  (timed {slice.Count} training images)"));
            records.Add(record);
        }
        return records;
    }

    /// <summary>Console entry: <c>neural [model ...] [--images N]</c>; prints one line per model and a JSON array.</summary>
    public static int RunFromCommandLine(string[] args)
    {
        var models = new List<string>();
        int images = 12_800;
        for (int i = 0; i < args.Length; i++)
        {
            if (args[i] == "--images" && i + 1 < args.Length) images = int.Parse(args[++i], CultureInfo.InvariantCulture);
            else models.Add(args[i]);
        }
        var records = Run(models.Count == 0 ? null : models, images, Console.WriteLine);
        Console.WriteLine(System.Text.Json.JsonSerializer.Serialize(records));
        return 0;
    }
}
