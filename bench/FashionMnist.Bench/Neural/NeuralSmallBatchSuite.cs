using FashionMnist.Data;
using FashionMnist.Models;
using FashionMnist.Neural;
using FashionMnist.Neural.Layers;
using FashionMnist.Numerics;

namespace FashionMnist.Bench.Neural;

/// <summary>One small-batch prediction, the convolutions' old per-call set-up against the current one.</summary>
/// <param name="Model">Catalog name (zoo defaults: mirror TTA, so batch 1 is two views).</param>
/// <param name="Batch">Images per call (1: <c>fmnist predict</c> on one image; 6: one photo's six views in <c>serve</c>).</param>
/// <param name="Views">Rows through the network per call: 2 per image with the mirror, 1 for the single-view call (what each of
/// two threads runs at batch 1, <c>NeuralClassifier.PredictViewRows</c>).</param>
/// <param name="BeforeCpuUs">Thread CPU µs per call with the weights packed in every multiply and any few Winograd tiles in a 48-tile block.</param>
/// <param name="NowCpuUs">The same with the weights kept packed and narrow Winograd blocks.</param>
/// <param name="NowOverBefore">NowCpuUs / BeforeCpuUs (below 1: faster now).</param>
/// <param name="SameBits">Whether both give the same probabilities to the bit.</param>
public sealed record SmallBatchRecord(string Model, int Batch, int Views, double BeforeCpuUs, double NowCpuUs, double NowOverBefore, bool SameBits);

/// <summary>
/// Batch-1 (one view, and both mirror views) and batch-6 inference of cnn3 and cnn-deep on ONE thread, thread CPU time, with the two switches
/// <see cref="Conv2D.WeightPanelsAllowed"/> and <see cref="Conv2D.NarrowWinogradBlocksAllowed"/> off (the per-call set-up
/// before: cnn3's conv3 packed its 128 x 576 weights and padded 9 pixels to 32 lanes, cnn-deep's last conv computed 48
/// Winograd tiles for 9) and on, interleaved in one process so both see the same machine. docs/neural.md quotes it.
/// </summary>
public sealed class NeuralSmallBatchSuite : IBenchSuite
{
    public string Name => "neural-small";

    public string Description => "cnn3/cnn-deep at batch 1 and 6 (1 thread, thread CPU): the convolutions' old per-call set-up vs now, interleaved in one process, with a bit check.";

    public IReadOnlyList<object> Run(BenchContext context)
    {
        var data = FashionMnistData.Load();
        var results = new List<object>();
        int saved = ComputeThreads.Count;
        try
        {
            ComputeThreads.Count = 1;
            foreach (string name in new[] { "cnn3", "cnn-deep" })
            {
                Sequential network = ((NeuralClassifier)ModelCatalog.Create(name)).CreateArchitecture().Build(42);
                Conv2D[] convs = network.Layers.OfType<Conv2D>().ToArray();
                foreach (var (batch, mirror) in new[] { (1, false), (1, true), (6, true) })
                {
                    ImageSet images = data.Test.Slice(0, batch);
                    int views = mirror ? 2 * batch : batch;
                    float[] before = new float[batch * 10], now = new float[batch * 10];
                    Action Predict(bool current, float[] target) => () =>
                    {
                        foreach (Conv2D conv in convs) conv.WeightPanelsAllowed = conv.NarrowWinogradBlocksAllowed = current;
                        NeuralClassifier.Predict(network, images, target, mirror);
                    };
                    Action oldWay = Predict(false, before), newWay = Predict(true, now);
                    // Warm both for a second first: in a fresh process the first path measured ran at twice its warm cost
                    // for longer than the interleaved runs' own warm-up (JIT tiering; 190 against 85 µs for cnn3's one view).
                    for (long until = Environment.TickCount64 + (context.Quick ? 200 : 1000); Environment.TickCount64 < until;)
                    {
                        oldWay();
                        newWay();
                    }
                    Timing[] timings = Measure.Interleaved([oldWay, newWay], context.Quick ? 3 : 21, minRunMs: context.Quick ? 20 : 100);
                    double old = (timings[0].CpuMedianMs ?? timings[0].MedianMs) * 1000, current = (timings[1].CpuMedianMs ?? timings[1].MedianMs) * 1000;
                    bool same = before.AsSpan().SequenceEqual(now);
                    var record = new SmallBatchRecord(name, batch, views, Measure.Round(old, 1), Measure.Round(current, 1), Measure.Round(current / old, 3), same);
                    context.Log.WriteLine($"  {name,-9} batch {batch} ({views,2} views): {old,8:F1} -> {current,8:F1} thread-CPU µs per call ({record.NowOverBefore:F3}), bits {(same ? "identical" : "DIFFER")}");
                    results.Add(record);
                }
                foreach (Conv2D conv in convs) conv.WeightPanelsAllowed = conv.NarrowWinogradBlocksAllowed = true;
            }
        }
        finally { ComputeThreads.Count = saved; }
        return results;
    }
}
