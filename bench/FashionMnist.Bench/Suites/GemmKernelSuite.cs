using FashionMnist.Interop;
using FashionMnist.Numerics;

namespace FashionMnist.Bench.Suites;

/// <summary>
/// The managed micro-kernels against each other and OpenBLAS, single-threaded: the evidence for which
/// kernel <see cref="GemmKernel.Best"/> picks (e.g. whether Vector512 beats Vector256 on this CPU).
/// </summary>
public sealed class GemmKernelSuite : IBenchSuite
{
    public string Name => "gemm-kernels";

    public string Description => "Single-threaded GFLOP/s of each managed micro-kernel (AVX-512, AVX2, Vector128) vs OpenBLAS.";

    public sealed record KernelResult(string Shape, string Implementation, double Gflops, double MedianMs, double? CpuGflops, double? CpuMedianMs, double? RatioToOpenBlas);

    public IReadOnlyList<object> Run(BenchContext context)
    {
        var results = new List<object>();
        GemmSuite.Shape[] shapes = [new("square-1024", 1024, 1024, 1024), new("conv2-forward", 25088, 64, 288)];
        foreach (var shape in shapes)
        {
            var rng = new Random(1);
            float[] a = new float[shape.M * shape.K], b = new float[shape.K * shape.N], c = new float[shape.M * shape.N];
            foreach (var array in new[] { a, b }) for (int i = 0; i < array.Length; i++) array[i] = (float)(rng.NextDouble() - 0.5);
            var variants = new List<(string Name, Action Call)>();
            if (OpenBlas.IsAvailable)
                variants.Add(("openblas", () => Gemm.Multiply(GemmBackend.OpenBlas, 1, false, false, shape.M, shape.N, shape.K, 1f, a, shape.K, b, shape.N, 0f, c, shape.N)));
            foreach (var kernel in GemmKernel.All.Where(k => k.IsAccelerated))
                variants.Add(($"managed {kernel.Name}", () => ManagedGemm.Multiply(false, false, shape.M, shape.N, shape.K, 1f, a, shape.K, b, shape.N, 0f, c, shape.N, 1, kernel)));
            Timing[] timings = Measure.Interleaved(variants.Select(v => v.Call).ToList(), context.Runs);
            // Single-threaded, so compare CPU time of this thread (steady on a shared machine), wall time as a fallback.
            double Compare(Timing t) => t.CpuMedianMs ?? t.MedianMs;
            double? openBlasMs = OpenBlas.IsAvailable ? Compare(timings[0]) : null;
            double flops = 2.0 * shape.M * shape.N * shape.K;
            for (int v = 0; v < variants.Count; v++)
            {
                Timing t = timings[v];
                double gflops = flops / (t.MedianMs * 1e6);
                double? cpuGflops = t.CpuMedianMs is double cm ? Measure.Round(flops / (cm * 1e6), 1) : null;
                double? ratio = openBlasMs is double o && v > 0 ? Measure.Round(o / Compare(t), 3) : null;
                results.Add(new KernelResult(shape.Name, variants[v].Name, Measure.Round(gflops, 1), t.MedianMs, cpuGflops, t.CpuMedianMs, ratio));
                context.Log.WriteLine($"  {shape.Name,-14} {variants[v].Name,-24} {gflops,7:F1} GFLOP/s wall, {cpuGflops,7:F1} per CPU-second" +
                    $"{(ratio is double r ? $"  ({r:F2}x OpenBLAS)" : "")}");
            }
        }
        return results;
    }
}
