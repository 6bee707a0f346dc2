using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using FashionMnist.Interop;
using FashionMnist.Neural;
using FashionMnist.Neural.Layers;

namespace FashionMnist.Bench.Neural;

/// <summary>
/// The multiply-add floor of a network: FLOPs per image of each layer's forward and backward pass (2 per
/// multiply-add; backward = weight gradient + input gradient when an earlier layer has parameters), and this
/// core's FP32 FMA peak measured in place, so a measured time can be set against the time the arithmetic alone
/// would take.
/// </summary>
public static class NetworkFlops
{
    /// <summary>(forward, backward) FLOPs per image of layer <paramref name="index"/>; 0 for layers without multiply-adds.</summary>
    public static (double Forward, double Backward) PerImage(Sequential network, int index)
    {
        Layer layer = network.Layers[index];
        double macs = layer switch
        {
            Conv2D c => (double)c.OutputShape.Size * c.InputShape.Channels * c.KernelHeight * c.KernelWidth,
            Dense d => (double)d.InputShape.Size * d.Units,
            _ => 0,
        };
        if (macs == 0) return (0, 0);
        bool inputGradient = network.Layers.Take(index).Any(l => l.Parameters.Count > 0);
        return (2 * macs, 2 * macs * (inputGradient ? 2 : 1));
    }

    /// <summary>Training FLOPs per image (forward + backward over all layers).</summary>
    public static double TrainingPerImage(Sequential network) =>
        Enumerable.Range(0, network.Layers.Count).Sum(i => PerImage(network, i) is var f ? f.Forward + f.Backward : 0);

    /// <summary>Inference FLOPs per image.</summary>
    public static double InferencePerImage(Sequential network) =>
        Enumerable.Range(0, network.Layers.Count).Sum(i => PerImage(network, i).Forward);

    /// <summary>
    /// FP32 GFLOP/s of one core: 12 independent 512-bit FMA chains (enough to cover latency x ports), timed by
    /// thread CPU time so other processes on a shared machine do not count; best of five.
    /// </summary>
    public static double MeasurePeakGflopsPerCore()
    {
        const int iterations = 20_000_000;
        double best = 0;
        for (int run = 0; run < 5; run++)
        {
            double start = CpuClock.ThreadMs();
            Vector512<float> sink = FmaChains(iterations, Vector512.Create(1.0001f), Vector512.Create(0.9999f));
            double ms = CpuClock.ThreadMs() - start;
            if (sink[0] == 42f) Console.Error.Write(' ');
            best = Math.Max(best, iterations * 12.0 * Vector512<float>.Count * 2 / (ms * 1e6));
        }
        return best;
    }

    // No calls inside the loop: the JIT keeps all twelve accumulators in registers (with a call it spills them).
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static Vector512<float> FmaChains(int iterations, Vector512<float> a, Vector512<float> b)
    {
        Vector512<float> c0 = default, c1 = default, c2 = default, c3 = default, c4 = default, c5 = default;
        Vector512<float> c6 = default, c7 = default, c8 = default, c9 = default, c10 = default, c11 = default;
        for (int i = 0; i < iterations; i++)
        {
            c0 = Vector512.FusedMultiplyAdd(a, b, c0); c1 = Vector512.FusedMultiplyAdd(a, b, c1);
            c2 = Vector512.FusedMultiplyAdd(a, b, c2); c3 = Vector512.FusedMultiplyAdd(a, b, c3);
            c4 = Vector512.FusedMultiplyAdd(a, b, c4); c5 = Vector512.FusedMultiplyAdd(a, b, c5);
            c6 = Vector512.FusedMultiplyAdd(a, b, c6); c7 = Vector512.FusedMultiplyAdd(a, b, c7);
            c8 = Vector512.FusedMultiplyAdd(a, b, c8); c9 = Vector512.FusedMultiplyAdd(a, b, c9);
            c10 = Vector512.FusedMultiplyAdd(a, b, c10); c11 = Vector512.FusedMultiplyAdd(a, b, c11);
        }
        return c0 + c1 + c2 + c3 + c4 + c5 + c6 + c7 + c8 + c9 + c10 + c11;
    }
}
