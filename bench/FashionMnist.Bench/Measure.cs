using System.Diagnostics;
using FashionMnist.Interop;

namespace FashionMnist.Bench;

/// <summary>
/// Timing of one measurement in milliseconds: the median is the number to quote; min/max show the noise.
/// CpuMedianMs is the median CPU time of the timing thread per call: for single-threaded calls the steadier
/// number on a shared machine (it leaves out time the core was given to other processes).
/// </summary>
public sealed record Timing(double MedianMs, double MinMs, double MaxMs, int Runs, int CallsPerRun, double? CpuMedianMs = null);

/// <summary>
/// A small Stopwatch harness: warm up (JIT tiers, caches, lazy native loads: native-facts trap 6),
/// then time several runs and report the median. Each run repeats the call until it lasts at least
/// <c>minRunMs</c>, so microsecond calls are not swamped by timer resolution.
/// </summary>
public static class Measure
{
    public static Timing Time(Action action, int runs, double minRunMs = 20, int warmups = 2)
    {
        WarmUp(action, warmups);
        // Calibrate: how many calls make one run long enough.
        var watch = Stopwatch.StartNew();
        action();
        double once = Math.Max(watch.Elapsed.TotalMilliseconds, 1e-3);
        int calls = (int)Math.Clamp(Math.Ceiling(minRunMs / once), 1, 100_000);

        var samples = new double[runs];
        for (int r = 0; r < runs; r++)
        {
            watch.Restart();
            for (int c = 0; c < calls; c++) action();
            samples[r] = watch.Elapsed.TotalMilliseconds / calls;
        }
        Array.Sort(samples);
        return new Timing(Round(Median(samples)), Round(samples[0]), Round(samples[^1]), runs, calls);
    }

    /// <summary>
    /// Times several alternatives run by run in turn (A B C A B C ...), so on a shared, noisy machine each one
    /// sees the same background load and their ratio stays meaningful even when absolute times drift.
    /// </summary>
    public static Timing[] Interleaved(IReadOnlyList<Action> actions, int runs, double minRunMs = 20, int warmups = 2)
    {
        var calls = new int[actions.Count];
        var watch = new Stopwatch();
        for (int v = 0; v < actions.Count; v++)
        {
            WarmUp(actions[v], warmups);
            watch.Restart();
            actions[v]();
            double once = Math.Max(watch.Elapsed.TotalMilliseconds, 1e-3);
            calls[v] = (int)Math.Clamp(Math.Ceiling(minRunMs / once), 1, 100_000);
        }
        var samples = new double[actions.Count][];
        var cpu = new double[actions.Count][];
        for (int v = 0; v < actions.Count; v++) (samples[v], cpu[v]) = (new double[runs], new double[runs]);
        for (int r = 0; r < runs; r++)
            for (int v = 0; v < actions.Count; v++)
            {
                double cpuStart = CpuClock.ThreadMs();
                watch.Restart();
                for (int c = 0; c < calls[v]; c++) actions[v]();
                samples[v][r] = watch.Elapsed.TotalMilliseconds / calls[v];
                cpu[v][r] = (CpuClock.ThreadMs() - cpuStart) / calls[v];
            }
        var timings = new Timing[actions.Count];
        for (int v = 0; v < actions.Count; v++)
        {
            Array.Sort(samples[v]);
            Array.Sort(cpu[v]);
            double cpuMedian = Median(cpu[v]);
            timings[v] = new Timing(Round(Median(samples[v])), Round(samples[v][0]), Round(samples[v][^1]), runs, calls[v],
                double.IsNaN(cpuMedian) ? null : Round(cpuMedian));
        }
        return timings;
    }

    /// <summary>At least <paramref name="calls"/> calls and 300 ms, so tiered JIT has promoted the hot methods.</summary>
    private static void WarmUp(Action action, int calls, double minMs = 300)
    {
        var watch = Stopwatch.StartNew();
        for (int i = 0; i < calls || (watch.Elapsed.TotalMilliseconds < minMs && i < 1000); i++) action();
    }

    public static double Median(double[] sorted) =>
        sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;

    public static double Round(double value, int digits = 4) => Math.Round(value, digits);
}
