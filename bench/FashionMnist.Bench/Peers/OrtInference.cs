using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using FashionMnist.Data;
using Microsoft.ML.OnnxRuntime;

namespace FashionMnist.Bench.Peers;

/// <summary>
/// The inference peer: ONNX Runtime (NuGet Microsoft.ML.OnnxRuntime) running a PyTorch export of the same network
/// over the 10,000 test images, batch 1000, with the same thread count as ours (intra-op threads; inter-op 1).
/// Like our predict path, the timed loop starts from the image bytes: each batch is converted to the PyTorch peers'
/// preprocessing (pixels / 255, N x 1 x 28 x 28, one vectorised pass) into a preallocated input tensor and run into a
/// preallocated output tensor (logits; our side also computes the softmax). One warm-up pass over the
/// test set, then the median of <c>--repeat</c> passes.
/// Usage: <c>FashionMnist.Bench.dll ort-infer MODEL.onnx [--threads 2] [--repeat 5] [--batch 1000]</c>; prints one JSON object.
/// </summary>
public static class OrtInference
{
    public sealed record Result(string Model, string OnnxRuntimeVersion, int Threads, int Batch, int Repeat, int Images,
        double MedianSeconds, double ImagesPerSecond, double TestAccuracy);

    public static int RunFromCommandLine(string[] args)
    {
        if (args.Length == 0 || args[0].StartsWith('-'))
            throw new FashionMnistException("ort-infer needs an ONNX model file", "Usage: ort-infer MODEL.onnx [--threads 2] [--repeat 5] [--batch 1000].");
        string path = args[0];
        int threads = 2, repeat = 5, batch = 1000;
        for (int i = 1; i < args.Length; i++)
        {
            int value = i + 1 < args.Length && int.TryParse(args[i + 1], NumberStyles.Integer, CultureInfo.InvariantCulture, out int v) && v >= 1 ? v
                : throw new FashionMnistException($"{args[i]} needs a whole number of at least 1", "Usage: ort-infer MODEL.onnx [--threads 2] [--repeat 5] [--batch 1000].");
            switch (args[i++])
            {
                case "--threads": threads = value; break;
                case "--repeat": repeat = value; break;
                case "--batch": batch = value; break;
                default: throw new FashionMnistException($"Unknown option {args[i - 1]}", "Use --threads, --repeat or --batch.");
            }
        }
        if (!File.Exists(path)) throw new FashionMnistException($"The ONNX model {path} does not exist", "Export it first (bench/python/peers.py --export-onnx DIR).");
        var result = Run(path, FashionMnistData.Load().Test, threads, repeat, batch);
        Console.WriteLine(JsonSerializer.Serialize(result, new JsonSerializerOptions { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower, WriteIndented = true }));
        return 0;
    }

    public static Result Run(string path, ImageSet test, int threads, int repeat, int batch)
    {
        using var options = new SessionOptions
        {
            IntraOpNumThreads = threads,
            InterOpNumThreads = 1,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
        };
        using var session = new InferenceSession(path, options);
        string inputName = session.InputNames[0], outputName = session.OutputNames[0];
        int images = test.Count, batches = (images + batch - 1) / batch;
        var inputs = new List<OrtValue>();
        var outputs = new List<OrtValue>();
        var logits = new float[batches][];
        var pixels = new float[batches][];
        try
        {
            for (int b = 0; b < batches; b++)
            {
                int n = Math.Min(batch, images - b * batch);
                pixels[b] = new float[n * ImageSet.PixelCount];
                logits[b] = new float[n * FashionMnistClasses.Count];
                inputs.Add(OrtValue.CreateTensorValueFromMemory(pixels[b], [n, 1, ImageSet.Height, ImageSet.Width]));
                outputs.Add(OrtValue.CreateTensorValueFromMemory(logits[b], [n, FashionMnistClasses.Count]));
            }
            using var runOptions = new RunOptions();
            void Pass()
            {
                for (int b = 0; b < batches; b++)
                {
                    // From the image bytes, as our predict path starts: x / 255 into the batch's input tensor, then the run.
                    ReadOnlySpan<byte> source = test.Pixels.AsSpan(b * batch * ImageSet.PixelCount, pixels[b].Length);
                    System.Numerics.Tensors.TensorPrimitives.ConvertTruncating<byte, float>(source, pixels[b]);
                    System.Numerics.Tensors.TensorPrimitives.Multiply(pixels[b], 1f / 255f, pixels[b]);
                    session.Run(runOptions, [inputName], [inputs[b]], [outputName], [outputs[b]]);
                }
            }
            Pass(); // warm-up
            var seconds = new double[repeat];
            for (int r = 0; r < repeat; r++)
            {
                long start = Stopwatch.GetTimestamp();
                Pass();
                seconds[r] = Stopwatch.GetElapsedTime(start).TotalSeconds;
            }
            Array.Sort(seconds);
            double median = Measure.Median(seconds);
            int correct = 0;
            for (int b = 0; b < batches; b++)
            {
                byte[] predicted = FashionMnist.Models.ClassifierExtensions.ArgMaxRows(logits[b], FashionMnistClasses.Count);
                for (int i = 0; i < predicted.Length; i++) if (predicted[i] == test.Labels[b * batch + i]) correct++;
            }
            return new Result(Path.GetFileName(path), OrtEnv.Instance().GetVersionString(), threads, batch, repeat, images,
                Measure.Round(median, 6), Measure.Round(images / median, 1), (double)correct / images);
        }
        finally
        {
            foreach (var v in inputs.Concat(outputs)) v.Dispose();
        }
    }
}
