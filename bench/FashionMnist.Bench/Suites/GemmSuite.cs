using FashionMnist.Interop;
using FashionMnist.Numerics;

namespace FashionMnist.Bench.Suites;

/// <summary>SGEMM speed of both backends, on square sizes and on the CNN's im2col shapes, 1 thread and all threads.</summary>
public sealed class GemmSuite : IBenchSuite
{
    public string Name => "gemm";

    public string Description => "GEMM GFLOP/s: managed vs OpenBLAS, square 512/1024/2048 and CNN im2col shapes, 1 and all threads.";

    /// <summary>C[m x n] = op(A)[m x k] * op(B)[k x n].</summary>
    public sealed record Shape(string Name, int M, int N, int K, bool TransA = false, bool TransB = false);

    public sealed record GemmResult(
        string Shape, int M, int N, int K, bool TransA, bool TransB,
        string Implementation, int Threads, double Gflops, double MedianMs, double MinMs, double MaxMs, int Runs,
        double? CpuGflops, double? CpuMedianMs, double? RatioToOpenBlas);

    /// <summary>How many threads OpenBLAS reports after being asked for all of them (the own-threads variant).</summary>
    public sealed record OpenBlasThreadCheck(int OpenBlasThreadsRequested, int OpenBlasThreadsGranted,
        double SetSameCountUs, double SetChangedCountUs);

    public static IReadOnlyList<Shape> Shapes(bool quick)
    {
        var shapes = new List<Shape>
        {
            new("square-512", 512, 512, 512),
            new("square-1024", 1024, 1024, 1024),
        };
        if (!quick) shapes.Add(new("square-2048", 2048, 2048, 2048));
        // The CNN's convolutions as im2col products (batch 128): M = batch x output pixels, K = in-channels x 3 x 3, N = filters.
        shapes.Add(new("conv1-forward", 100352, 32, 9));
        shapes.Add(new("conv2-forward", 25088, 64, 288));
        shapes.Add(new("conv3-forward", 6272, 128, 576));
        // conv1's weight gradient: dW[32 x 9] = dY^T[32 x 100352] * cols[100352 x 9] (tiny output, huge K).
        shapes.Add(new("conv1-weight-gradient", 32, 9, 100352, TransA: true));
        // KNN-style distances: a block of query images times the training images transposed.
        shapes.Add(new("knn-block", 512, 8192, 784, TransB: true));
        return shapes;
    }

    public IReadOnlyList<object> Run(BenchContext context)
    {
        var results = new List<object>();
        bool haveOpenBlas = OpenBlas.IsAvailable;
        int[] threadCounts = context.Threads > 1 ? [1, context.Threads] : [1];
        if (haveOpenBlas && context.Threads > 1)
        {
            // The process starts OpenBLAS with OPENBLAS_NUM_THREADS=1; check its pool can still grow for the comparison.
            OpenBlas.SetThreads(context.Threads);
            int granted = OpenBlas.CurrentThreads;
            // What a per-call openblas_set_num_threads would cost (the wrapper caches the value instead).
            int n = context.Threads;
            const int calls = 10_000; // per timed action, so the per-call cost is above the rounding of Timing
            Timing same = Measure.Time(() => { for (int i = 0; i < calls; i++) OpenBlasNative.openblas_set_num_threads(n); }, context.Runs, minRunMs: 5);
            Timing alternating = Measure.Time(() =>
            {
                for (int i = 0; i < calls / 2; i++) { OpenBlasNative.openblas_set_num_threads(1); OpenBlasNative.openblas_set_num_threads(n); }
            }, context.Runs, minRunMs: 5);
            OpenBlas.SetThreads(1);
            OpenBlasNative.openblas_set_num_threads(1);
            var check = new OpenBlasThreadCheck(context.Threads, granted,
                Measure.Round(same.MedianMs * 1000 / calls, 4), Measure.Round(alternating.MedianMs * 1000 / calls, 4));
            results.Add(check);
            context.Log.WriteLine($"  openblas-own-threads: asked for {context.Threads} threads, OpenBLAS reports {granted}; " +
                $"openblas_set_num_threads costs {check.SetSameCountUs} us (same count), {check.SetChangedCountUs} us (changing)");
        }
        foreach (var shape in Shapes(context.Quick))
        {
            var rng = new Random(42);
            int aRows = shape.TransA ? shape.K : shape.M, aCols = shape.TransA ? shape.M : shape.K;
            int bRows = shape.TransB ? shape.N : shape.K, bCols = shape.TransB ? shape.K : shape.N;
            float[] a = Random(rng, aRows * aCols), b = Random(rng, bRows * bCols), c = new float[shape.M * shape.N];
            double flops = 2.0 * shape.M * shape.N * shape.K;

            foreach (int threads in threadCounts)
            {
                var variants = new List<(string Name, Action Call)>();
                if (haveOpenBlas)
                {
                    variants.Add(("openblas", () => Call(GemmBackend.OpenBlas, threads)));
                    if (threads > 1)
                        variants.Add(("openblas-own-threads", () =>
                        {
                            OpenBlasGemm.UseOpenBlasThreads = true;
                            try { Call(GemmBackend.OpenBlas, threads); }
                            finally { OpenBlasGemm.UseOpenBlasThreads = false; }
                        }));
                }
                variants.Add(("managed", () => Call(GemmBackend.Managed, threads)));

                double? openBlasMs = null;
                Timing[] timings = Measure.Interleaved(variants.Select(v => v.Call).ToList(), context.Runs);
                for (int v = 0; v < variants.Count; v++)
                {
                    var (name, t) = (variants[v].Name, timings[v]);
                    // One thread: the calling thread's CPU time is the steady measure on a shared machine (see Timing).
                    // More threads: the work runs on other threads too, so only wall time means anything.
                    double? cpuMs = threads == 1 ? t.CpuMedianMs : null;
                    double compareMs = cpuMs ?? t.MedianMs;
                    if (name == "openblas") openBlasMs = compareMs;
                    double gflops = flops / (t.MedianMs * 1e6);
                    double? cpuGflops = cpuMs is double cm ? Measure.Round(flops / (cm * 1e6), 1) : null;
                    double? ratio = openBlasMs is double o && name != "openblas" ? Measure.Round(o / compareMs, 3) : null;
                    results.Add(new GemmResult(shape.Name, shape.M, shape.N, shape.K, shape.TransA, shape.TransB,
                        name, threads, Measure.Round(gflops, 1), t.MedianMs, t.MinMs, t.MaxMs, t.Runs, cpuGflops, cpuMs, ratio));
                    context.Log.WriteLine($"  gemm {shape.Name,-22} {name,-21} x{threads}: {gflops,7:F1} GFLOP/s wall" +
                        $"{(cpuGflops is double cg ? $", {cg,7:F1} per CPU-second" : "")}{(ratio is double r ? $"  ({r:F2}x OpenBLAS)" : "")}");
                }
            }
            OpenBlas.SetThreads(1); // back to the project's policy after the own-threads variant

            void Call(GemmBackend backend, int threads) =>
                Gemm.Multiply(backend, threads, shape.TransA, shape.TransB, shape.M, shape.N, shape.K, 1f,
                    a, aCols, b, bCols, 0f, c, shape.N);
        }
        return results;
    }

    private static float[] Random(Random rng, int count)
    {
        var values = new float[count];
        for (int i = 0; i < values.Length; i++) values[i] = (float)(rng.NextDouble() - 0.5);
        return values;
    }
}
