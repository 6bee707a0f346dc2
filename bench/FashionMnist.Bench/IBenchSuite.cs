namespace FashionMnist.Bench;

/// <summary>
/// One group of measurements (data, gemm, later classic, neural, ...). A suite returns plain records
/// (anything System.Text.Json can serialise); the runner puts them under the suite's name in the results file.
/// To add one: implement this interface and list it in <see cref="BenchRunner.Suites"/>.
/// </summary>
public interface IBenchSuite
{
    /// <summary>The name used with --suite and as the key in the JSON file.</summary>
    string Name { get; }

    /// <summary>One line for --help.</summary>
    string Description { get; }

    IReadOnlyList<object> Run(BenchContext context);
}

/// <summary>What every suite gets: quick mode, thread count, progress output (stderr).</summary>
public sealed class BenchContext(bool quick, int threads, TextWriter log)
{
    /// <summary>Fewer runs and no largest sizes: a smoke test of the harness, not numbers to publish.</summary>
    public bool Quick { get; } = quick;

    /// <summary>The "all threads" setting (<see cref="Numerics.ComputeThreads.Count"/>).</summary>
    public int Threads { get; } = threads;

    public TextWriter Log { get; } = log;

    /// <summary>Timed runs per measurement (the median is reported).</summary>
    public int Runs => Quick ? 3 : 7;
}
