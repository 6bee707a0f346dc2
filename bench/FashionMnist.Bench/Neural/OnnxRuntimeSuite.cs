using System.Diagnostics;
using FashionMnist.Data;
using FashionMnist.Models;
using FashionMnist.Onnx;

namespace FashionMnist.Bench.Neural;

/// <summary>
/// One zoo model at one batch size, run by our engine and by ONNX Runtime on the same exported weights and threads.
/// </summary>
/// <param name="Model">Catalog name (zoo defaults: cnn3 and cnn-deep with mirror TTA, inside the ONNX graph too).</param>
/// <param name="Batch">Images per PredictProbabilities call: 1000 (evaluate), 6 (one photo: 3 thresholds x mirror), 1.</param>
/// <param name="NativeImagesPerSecond">Our engine, median of the interleaved runs.</param>
/// <param name="OnnxImagesPerSecond">ONNX Runtime 1.32 (CPU), median of the interleaved runs.</param>
/// <param name="OnnxOverNative">OnnxImagesPerSecond / NativeImagesPerSecond (above 1: ORT faster).</param>
/// <param name="Threads">Threads of both (ComputeThreads.Count = ORT's intra-op threads).</param>
/// <param name="Runs">Timed runs of each, interleaved (native, onnx, native, ...).</param>
public sealed record OnnxRuntimeRecord(string Model, int Batch, double NativeImagesPerSecond, double OnnxImagesPerSecond, double OnnxOverNative, int Threads, int Runs, int ImagesPerRun);

/// <summary>
/// ONNX Runtime against our engine on our own exports: each zoo model is trained briefly (speed does not depend on the
/// weights), exported in memory and loaded into ORT with the same thread count; then both classify the same test images,
/// alternating run by run so load changes hit both alike. Batch 1000 is `fmnist evaluate`; batch 6 is one photo in
/// `fmnist predict`/`serve` (3 segmentations x mirror). The faster runtime at batch 6 is what --runtime auto picks
/// (src/FashionMnist/Onnx/runtime-defaults.json).
/// </summary>
public sealed class OnnxRuntimeSuite : IBenchSuite
{
    public string Name => "onnx";
    public string Description => "ONNX Runtime vs our engine on the exported zoo models (same threads), batch 1000, 6 and 1";

    public IReadOnlyList<object> Run(BenchContext context)
    {
        var data = FashionMnistData.Load();
        var records = new List<object>();
        string[] models = context.Quick ? ["mlp", "cnn1"] : NeuralBenchSuite.DefaultModels;
        foreach (string name in models)
        {
            IClassifier native = ModelCatalog.Create(name, new Dictionary<string, string> { ["epochs"] = "1", ["validation-fraction"] = "0" });
            native.Fit(data.Train.Take(1280), new FitContext { Seed = 1 });
            string path = Path.Combine(Path.GetTempPath(), $"fmnist-bench-{name}-{Environment.ProcessId}.onnx");
            OnnxExporter.Export(native, path);
            try
            {
                using var onnx = (OnnxClassifier)ModelFile.Load(path);
                foreach (int batch in new[] { 1000, 6, 1 })
                {
                    OnnxRuntimeRecord record = Compare(name, native, onnx, data.Test, batch, context);
                    context.Log.WriteLine($"  {name,-9} batch {batch,4}: native {record.NativeImagesPerSecond,10:N0} img/s   onnx {record.OnnxImagesPerSecond,10:N0} img/s   onnx/native {record.OnnxOverNative:F2}");
                    records.Add(record);
                }
            }
            finally
            {
                File.Delete(path);
            }
        }
        return records;
    }

    private static OnnxRuntimeRecord Compare(string name, IClassifier native, IClassifier onnx, ImageSet test, int batch, BenchContext context)
    {
        // About the same work per run at every batch size: 2,000 images at batch 1000, fewer calls for tiny batches.
        int images = batch >= 1000 ? (context.Quick ? 1000 : 2000) : (context.Quick ? 60 : 300);
        images = Math.Min(images - images % batch, test.Count - test.Count % batch);
        var chunks = Enumerable.Range(0, images / batch).Select(i => test.Slice(i * batch, batch)).ToArray();
        var probabilities = new float[batch * FashionMnistClasses.Count];
        double Time(IClassifier model)
        {
            var clock = Stopwatch.StartNew();
            foreach (ImageSet chunk in chunks) model.PredictProbabilities(chunk, probabilities);
            return images / clock.Elapsed.TotalSeconds;
        }
        Time(native); Time(onnx); // warm-up: JIT, buffers, ORT's first-run allocations
        var nativeRuns = new List<double>();
        var onnxRuns = new List<double>();
        for (int r = 0; r < context.Runs; r++)
        {
            nativeRuns.Add(Time(native));
            onnxRuns.Add(Time(onnx));
        }
        nativeRuns.Sort();
        onnxRuns.Sort();
        double nativeMedian = Measure.Median([.. nativeRuns]), onnxMedian = Measure.Median([.. onnxRuns]);
        return new OnnxRuntimeRecord(name, batch, Math.Round(nativeMedian, 1), Math.Round(onnxMedian, 1), Math.Round(onnxMedian / nativeMedian, 3),
            context.Threads, context.Runs, images);
    }
}
