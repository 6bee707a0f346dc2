using FashionMnist.Interop;
using FashionMnist.Numerics;

namespace FashionMnist.Bench.Neural;

/// <summary>One neural GEMM shape on one backend, single-threaded (as the layers call it from their batch slices).</summary>
public sealed record NeuralGemmRecord(string Shape, int M, int N, int K, bool TransA, bool TransB, string Backend,
    double CpuMedianMs, double CpuGflops, double? RatioToOpenBlas);

/// <summary>
/// The exact single-threaded products the zoo's layers make per batch slice (batch 128 on 2 threads = 64 images,
/// inference 500), managed kernel vs OpenBLAS, interleaved, thread CPU time: the evidence for which backend
/// <c>NeuralGemm</c> uses for which layer.
/// </summary>
public sealed class NeuralGemmSuite : IBenchSuite
{
    public string Name => "neural-gemm";

    public string Description => "The neural layers' own GEMM shapes (per 64-image slice), managed vs OpenBLAS, 1 thread, CPU time.";

    private sealed record Shape(string Name, int M, int N, int K, bool TransA = false, bool TransB = false);

    private static readonly Shape[] Shapes =
    [
        new("mlp dense1 forward (x Wt)", 64, 256, 784, TransB: true),
        new("mlp dense1 inference (x Wt)", 500, 256, 784, TransB: true),
        new("mlp dense1 weight gradient (dyT x)", 256, 784, 128, TransA: true),
        new("mlp dense2 forward", 64, 128, 256, TransB: true),
        new("cnn1 dense forward (x Wt)", 64, 128, 5408, TransB: true),
        new("cnn1 dense weight gradient", 128, 5408, 128, TransA: true),
        new("cnn1 dense input gradient (dy W)", 64, 5408, 128),
        new("cnn3 conv2 forward (W cols)", 64, 847, 288),
        new("cnn3 conv2 weight gradient (dy colsT)", 64, 288, 847, TransB: true),
        new("cnn3 conv2 column gradient (Wt dy)", 288, 847, 64, TransA: true),
        new("cnn3 conv3 forward", 128, 810, 576),
        new("conv1 forward (26x26 image)", 32, 676, 9),
        new("cnn4 conv2 forward (24x24 image)", 32, 576, 288),
    ];

    public IReadOnlyList<object> Run(BenchContext context)
    {
        var results = new List<object>();
        bool haveOpenBlas = OpenBlas.IsAvailable;
        foreach (Shape s in Shapes)
        {
            var random = new Random(1);
            float[] a = Fill(s.M * s.K, random), b = Fill(s.K * s.N, random), c = new float[s.M * s.N];
            int lda = s.TransA ? s.M : s.K, ldb = s.TransB ? s.K : s.N;
            var backends = haveOpenBlas ? new[] { GemmBackend.Managed, GemmBackend.OpenBlas } : [GemmBackend.Managed];
            var actions = backends.Select(backend => (Action)(() =>
                Gemm.Multiply(backend, 1, s.TransA, s.TransB, s.M, s.N, s.K, 1f, a, lda, b, ldb, 0f, c, s.N))).ToList();
            Timing[] timings = Measure.Interleaved(actions, context.Runs);
            double? openBlasMs = haveOpenBlas ? timings[1].CpuMedianMs : null;
            for (int i = 0; i < backends.Length; i++)
            {
                double ms = timings[i].CpuMedianMs ?? timings[i].MedianMs;
                double gflops = 2.0 * s.M * s.N * s.K / (ms * 1e6);
                var record = new NeuralGemmRecord(s.Name, s.M, s.N, s.K, s.TransA, s.TransB, backends[i].ToString().ToLowerInvariant(),
                    ms, Measure.Round(gflops, 1), openBlasMs is double o ? Measure.Round(o / ms, 2) : null);
                context.Log.WriteLine($"  {s.Name,-40} {record.Backend,-9} {ms,8:F4} CPU-ms {gflops,7:F1} GFLOP/s  ratio {record.RatioToOpenBlas}");
                results.Add(record);
            }
        }
        return results;
    }

    private static float[] Fill(int length, Random random)
    {
        var values = new float[length];
        for (int i = 0; i < length; i++) values[i] = (float)(random.NextDouble() - 0.5);
        return values;
    }
}
