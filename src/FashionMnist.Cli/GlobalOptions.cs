using FashionMnist.Numerics;

namespace FashionMnist.Cli;

/// <summary>Options every command accepts.</summary>
public static class GlobalOptions
{
    public static readonly Option<int?> Threads = new("--threads")
    {
        Description = "Threads for all computation, ours and OpenBLAS's together (default: all cores, or FMNIST_THREADS).",
        Recursive = true,
    };

    public static readonly Option<GemmBackend?> Gemm = new("--gemm")
    {
        Description = "Matrix multiply backend: auto (OpenBLAS if installed), openblas or managed (default: auto, or FMNIST_GEMM).",
        Recursive = true,
    };

    public static readonly Option<bool> NoColor = new("--no-color")
    {
        Description = "No colours, styles or live progress bars (also when NO_COLOR is set, or output is not a terminal).",
        Recursive = true,
    };

    public static void AddTo(RootCommand root)
    {
        root.Add(Threads);
        root.Add(Gemm);
        root.Add(NoColor);
    }

    public static void Apply(ParseResult parse)
    {
        Terminal.Configure(parse.GetValue(NoColor));
        ComputeThreads.CheckEnvironment();
        Numerics.Gemm.CheckEnvironment();
        if (parse.GetValue(Threads) is int threads) ComputeThreads.Count = threads;
        if (parse.GetValue(Gemm) is GemmBackend backend) Numerics.Gemm.Backend = backend;
    }
}
