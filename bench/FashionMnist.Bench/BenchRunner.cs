using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using FashionMnist.Bench.Classic;
using FashionMnist.Bench.Suites;
using FashionMnist.Numerics;

namespace FashionMnist.Bench;

/// <summary>Parses the command line, runs the chosen suites and writes one JSON file atomically.</summary>
public static class BenchRunner
{
    /// <summary>Every suite the runner knows, in the order they run. Add new ones here.</summary>
    public static IReadOnlyList<IBenchSuite> Suites { get; } =
        [new DataSuite(), new GemmSuite(), new GemmKernelSuite(), new ClassicSuite(), new Neural.NeuralSuite(), new Neural.NeuralProfileSuite(), new Neural.NeuralGemmSuite(), new Neural.NeuralSmallBatchSuite(), new Neural.NeuralEpochSuite(), new Neural.OnnxRuntimeSuite(), new PhotoSuite()];

    public sealed record Results(
        string Tool, DateTimeOffset Started, double TotalSeconds, bool Quick, string Conditions,
        MachineInfo Machine, double[]? LoadAverageAtEnd, Dictionary<string, IReadOnlyList<object>> Suites);

    private static readonly JsonSerializerOptions s_json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    public static int Run(string[] args)
    {
        var names = new List<string>();
        string? output = null, conditions = null;
        bool quick = false;
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--quick": quick = true; break;
                case "--out" when i + 1 < args.Length: output = args[++i]; break;
                case "--conditions" when i + 1 < args.Length: conditions = args[++i]; break;
                case "--threads" when i + 1 < args.Length && int.TryParse(args[i + 1], out int t) && t >= 1:
                    ComputeThreads.Count = t; i++; break;
                case "--suite" when i + 1 < args.Length:
                    names.AddRange(args[++i].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)); break;
                case "-h" or "--help": PrintHelp(Console.Out); return 0;
                default:
                    if (args[i].StartsWith('-'))
                        return Fail($"unknown or incomplete option '{args[i]}'");
                    names.Add(args[i]);
                    break;
            }
        }
        if (names.Count == 0) names.AddRange(Suites.Select(s => s.Name));
        var unknown = names.Where(n => Suites.All(s => s.Name != n)).ToList();
        if (unknown.Count > 0) return Fail($"unknown suite '{string.Join("', '", unknown)}' (known: {string.Join(", ", Suites.Select(s => s.Name))})");

        output ??= Path.Combine("bench", "results", $"{DateTime.Now:yyyy-MM-dd-HHmm}-{Environment.MachineName}.json");
        var started = DateTimeOffset.Now;
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var machine = MachineInfo.Collect();
        Console.Error.WriteLine($"bench: {machine.CpuModel}, {machine.LogicalCores} cores, threads {ComputeThreads.Count}, " +
            $"kernel {machine.ManagedGemmKernel}, load {string.Join(' ', machine.LoadAverageAtStart ?? [])}{(quick ? ", QUICK" : "")}");
        var context = new BenchContext(quick, ComputeThreads.Count, Console.Error);
        var suites = new Dictionary<string, IReadOnlyList<object>>();
        foreach (var suite in Suites.Where(s => names.Contains(s.Name)))
        {
            Console.Error.WriteLine($"suite {suite.Name}: {suite.Description}");
            suites[suite.Name] = suite.Run(context);
        }
        var results = new Results("fmnist-bench", started, Math.Round(watch.Elapsed.TotalSeconds, 1), quick,
            conditions ?? "", machine, MachineInfo.LoadAverage(), suites);
        AtomicFile.WriteAllText(output, JsonSerializer.Serialize(results, s_json) + "\n");
        Console.Error.WriteLine($"wrote {output}");
        return 0;
    }

    private static int Fail(string message)
    {
        Console.Error.WriteLine($"error: {message}. Run with --help to see the options.");
        return ExitCodes.BadInput;
    }

    private static void PrintHelp(TextWriter w)
    {
        w.WriteLine("fmnist benchmarks: bench/run.sh [suite ...] [--suite a,b] [--quick] [--threads N] [--out FILE] [--conditions TEXT]");
        w.WriteLine("  suites (default: all):");
        foreach (var s in Suites) w.WriteLine($"    {s.Name,-12} {s.Description}");
        w.WriteLine("  --quick       fewer runs, no largest sizes (checks the harness; numbers not for publishing)");
        w.WriteLine("  --threads N   the 'all threads' setting (default: FMNIST_THREADS or all cores)");
        w.WriteLine("  --out FILE    results file (default: bench/results/<date>-<host>.json), written atomically");
        w.WriteLine("  --conditions  free text stored in the file, e.g. 'shared machine, 8 other jobs'");
    }
}
