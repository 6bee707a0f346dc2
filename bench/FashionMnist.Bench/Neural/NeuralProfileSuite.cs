using System.Diagnostics;
using System.Globalization;
using FashionMnist.Data;
using FashionMnist.Interop;
using FashionMnist.Models;
using FashionMnist.Neural;
using FashionMnist.Neural.Layers;
using FashionMnist.Numerics;

namespace FashionMnist.Bench.Neural;

/// <summary>One layer's share of a training step (forward + backward) or of an inference batch.</summary>
/// <param name="Model">Catalog name.</param>
/// <param name="Pass">"train" (batch 128: forward, backward) or "inference" (batch 1000: forward only).</param>
/// <param name="Layer">0-based layer index, or -1 for the rest of the step (input conversion, loss, optimiser).</param>
/// <param name="Name">The layer with its settings.</param>
/// <param name="ForwardCpuMs">Thread CPU milliseconds per batch in the forward pass (median over the timed batches).</param>
/// <param name="BackwardCpuMs">Same for the backward pass (0 for inference).</param>
public sealed record LayerProfileRecord(string Model, string Pass, int Layer, string Name, double ForwardCpuMs, double BackwardCpuMs);

/// <summary>
/// Per-layer CPU profile of the zoo models on ONE thread (so the calling thread's CPU time is all the work;
/// on the shared machine that is far steadier than wall time). Training: batch 128 steps on real images with
/// Adam; inference: batch 1000. Records per layer plus a "step total" line, whose sum x 469 is the single-core
/// CPU cost of one 60,000-image epoch.
/// </summary>
public sealed class NeuralProfileSuite : IBenchSuite
{
    public string Name => "neural-profile";

    public string Description => "Per-layer thread-CPU profile of mlp/cnn1/cnn3 (1 thread): where a training step and an inference batch spend their time.";

    public IReadOnlyList<object> Run(BenchContext context)
    {
        // FMNIST_NEURAL_MODELS=mlp,cnn3 narrows the run (handy while tuning one model).
        string? only = Environment.GetEnvironmentVariable("FMNIST_NEURAL_MODELS");
        var models = !string.IsNullOrWhiteSpace(only) ? only.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            : context.Quick ? new[] { "mlp", "cnn3" } : new[] { "mlp", "cnn1", "cnn3", "cnn4", "cnn-deep" };
        int steps = context.Quick ? 6 : 20;
        var data = FashionMnistData.Load();
        int saved = ComputeThreads.Count;
        ComputeThreads.Count = 1;
        try
        {
            var records = new List<object>();
            foreach (string model in models)
            {
                records.AddRange(Profile(model, data.Train, steps, context.Log));
            }
            return records;
        }
        finally
        {
            ComputeThreads.Count = saved;
        }
    }

    public static List<LayerProfileRecord> Profile(string model, ImageSet train, int steps, TextWriter log)
    {
        var classifier = (NeuralClassifier)ModelCatalog.Create(model, new Dictionary<string, string>());
        Sequential network = classifier.CreateArchitecture().Build(1);
        var observer = new CpuObserver(network.Layers.Count);
        network.Observer = observer;
        var parameters = network.Parameters.ToList();
        var optimizer = Optimizer.Create(OptimizerKind.Adam, parameters, 0f);
        const int batch = 128, inferenceBatch = 1000;
        var input = new float[inferenceBatch * ImageSet.PixelCount];
        var labels = new byte[batch];
        var gradient = new float[batch * 10];
        var rest = new List<double>();
        for (int step = 0; step < steps + 15; step++)
        {
            if (step == 15) observer.Reset();
            double begin = CpuClock.ThreadMs();
            int first = step * batch % (train.Count - batch);
            InputBatch.Convert(train.Pixels.AsSpan(first * ImageSet.PixelCount, batch * ImageSet.PixelCount), input);
            train.Labels.AsSpan(first, batch).CopyTo(labels);
            double afterInput = CpuClock.ThreadMs();
            float[] logits = network.Forward(input, batch, new PassInfo(true, (ulong)step));
            double afterForward = CpuClock.ThreadMs();
            SoftmaxCrossEntropy.Compute(logits, labels, batch, 10, 0f, gradient);
            double afterLoss = CpuClock.ThreadMs();
            network.Backward(input, gradient, batch);
            double afterBackward = CpuClock.ThreadMs();
            optimizer.Step(1e-4f);
            double end = CpuClock.ThreadMs();
            if (step >= 15) rest.Add(afterInput - begin + afterLoss - afterForward + end - afterBackward);
        }
        var records = Collect(model, "train", network, observer, rest);
        Write(records, log, batch);

        observer.Reset();
        rest.Clear();
        // Inference as NeuralClassifier.Predict runs it: 1,000 images in cache-sized chunks.
        int chunk = NeuralClassifier.ChunkSize(network);
        var probabilities = new float[inferenceBatch * 10];
        for (int step = 0; step < Math.Max(3, steps / 4) + 4; step++)
        {
            if (step == 4) observer.Reset();
            double begin = CpuClock.ThreadMs(), other = 0;
            for (int start = 0; start < inferenceBatch; start += chunk)
            {
                int n = Math.Min(chunk, inferenceBatch - start);
                double t0 = CpuClock.ThreadMs();
                InputBatch.Convert(train.Pixels.AsSpan(start * ImageSet.PixelCount, n * ImageSet.PixelCount), input);
                double t1 = CpuClock.ThreadMs();
                float[] logits = network.Forward(input, n, PassInfo.Inference);
                double t2 = CpuClock.ThreadMs();
                SoftmaxCrossEntropy.Softmax(logits, probabilities.AsSpan(start * 10), n, 10);
                other += t1 - t0 + CpuClock.ThreadMs() - t2;
            }
            if (step >= 4) rest.Add(other);
        }
        observer.SumPerBatch(Math.Max(3, steps / 4), (inferenceBatch + chunk - 1) / chunk);
        var inference = Collect(model, "inference", network, observer, rest);
        Write(inference, log, inferenceBatch);
        records.AddRange(inference);
        return records;
    }

    private static List<LayerProfileRecord> Collect(string model, string pass, Sequential network, CpuObserver observer, List<double> rest)
    {
        var records = new List<LayerProfileRecord>();
        for (int i = 0; i < network.Layers.Count; i++)
            records.Add(new LayerProfileRecord(model, pass, i, network.Layers[i].ToString(),
                Measure.Round(observer.Median(i, false)), Measure.Round(observer.Median(i, true))));
        double[] sorted = rest.Order().ToArray();
        records.Add(new LayerProfileRecord(model, pass, -1, "input + loss + optimiser", Measure.Round(sorted.Length == 0 ? 0 : Measure.Median(sorted)), 0));
        return records;
    }

    private static void Write(List<LayerProfileRecord> records, TextWriter log, int batch)
    {
        double total = records.Sum(r => r.ForwardCpuMs + r.BackwardCpuMs);
        string scaled = records[0].Pass == "train"
            ? string.Create(CultureInfo.InvariantCulture, $"{total * 469 / 1000:F2} CPU-s per 60k epoch")
            : string.Create(CultureInfo.InvariantCulture, $"{batch / total * 1000:N0} img/s per core");
        log.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{records[0].Model} {records[0].Pass} (batch {batch}, 1 thread): {total:F2} CPU-ms per batch = {scaled}"));
        foreach (var r in records)
            log.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {r.Layer,3} {r.Name,-58} fwd {r.ForwardCpuMs,8:F3}  bwd {r.BackwardCpuMs,8:F3}"));
    }

    /// <summary>Thread CPU time of each layer's calls (profiling runs on one thread).</summary>
    private sealed class CpuObserver(int layers) : ILayerObserver
    {
        private readonly List<double>[] _forward = Enumerable.Range(0, layers).Select(_ => new List<double>()).ToArray();
        private readonly List<double>[] _backward = Enumerable.Range(0, layers).Select(_ => new List<double>()).ToArray();
        private double _start;

        public void Begin(int layer, bool backward) => _start = CpuClock.ThreadMs();

        public void End(int layer, bool backward) => (backward ? _backward : _forward)[layer].Add(CpuClock.ThreadMs() - _start);

        /// <summary>Turns per-call samples into per-batch sums when a batch took several calls (chunked inference).</summary>
        public void SumPerBatch(int batches, int callsPerBatch)
        {
            foreach (var list in _forward.Concat(_backward))
            {
                if (list.Count != batches * callsPerBatch) continue;
                var sums = Enumerable.Range(0, batches).Select(b => list.Skip(b * callsPerBatch).Take(callsPerBatch).Sum()).ToList();
                list.Clear();
                list.AddRange(sums);
            }
        }

        public void Reset()
        {
            foreach (var list in _forward.Concat(_backward)) list.Clear();
        }

        public double Median(int layer, bool backward)
        {
            double[] sorted = (backward ? _backward : _forward)[layer].Order().ToArray();
            return sorted.Length == 0 ? 0 : Measure.Median(sorted);
        }
    }
}
