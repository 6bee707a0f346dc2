using System.Net;
using System.Runtime.InteropServices;

namespace FashionMnist.WebLoad;

/// <summary>Everything a run does; defaults are the issue's figures (2,000 photos at 16 concurrent, 200 hostile, 10-minute soak off).</summary>
public sealed record WebLoadSettings
{
    /// <summary>Servers to compare, each a built fmnist.dll with a label (the first is the baseline of every ratio).</summary>
    public required IReadOnlyList<(string Label, string FmnistDll)> Servers { get; init; }

    public required string Model { get; init; }

    /// <summary>Extra `fmnist serve` arguments (e.g. --no-tta).</summary>
    public IReadOnlyList<string> ServeArguments { get; init; } = [];

    /// <summary>Extra `fmnist serve` arguments for one server only, by label (an option the other build does not know).</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<string>> ServeArgumentsFor { get; init; } = new Dictionary<string, IReadOnlyList<string>>();

    public required IReadOnlyList<byte[]> Photos { get; init; }
    public string PhotoSource { get; init; } = "";

    public int Concurrency { get; init; } = 16;
    public int WarmUpRequests { get; init; } = 64;

    /// <summary>The speed phase (issue 14): good photos only, split into rounds that alternate between the servers.</summary>
    public int SpeedRequests { get; init; } = 2000;
    public int SpeedRounds { get; init; } = 4;

    /// <summary>The hostile phase (issue 15): good photos with hostile requests interleaved (0 good: skipped).</summary>
    public int HostileGoodRequests { get; init; } = 2000;
    public int HostileRequests { get; init; } = 200;

    /// <summary>A hostile request with neither an answer nor a close this long after it was sent is a hang (a failure).</summary>
    public TimeSpan HangAfter { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Slow clients spread a photo over this long.</summary>
    public TimeSpan SlowClientTime { get; init; } = TimeSpan.FromSeconds(6);

    /// <summary>The soak (0: skipped): mixed load for this long, one hostile per 10 good, a snapshot every <see cref="SoakSnapshotEvery"/>.</summary>
    public TimeSpan SoakDuration { get; init; } = TimeSpan.Zero;
    public TimeSpan SoakSnapshotEvery { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>The server's resident memory may not pass this in any phase (sampled every 50 ms).</summary>
    public long RssLimitMb { get; init; } = 1024;

    public bool Multipart { get; init; } = true;
    public string Conditions { get; init; } = "";
    public TimeSpan PhaseDeadline { get; init; } = TimeSpan.FromMinutes(30);
}

public sealed record WebLoadReport(
    string Tool, DateTimeOffset Started, double TotalSeconds, string Conditions, MachineSummary Machine,
    string Model, IReadOnlyList<string> ServeArguments, string Photos, int PhotoCount, int Concurrency,
    IReadOnlyList<ServerSummary> Servers, IReadOnlyList<PhaseResult> Phases, IReadOnlyList<SpeedComparison> Speed,
    IReadOnlyList<string> Failures)
{
    public bool Passed => Failures.Count == 0;
}

public sealed record MachineSummary(string Cpu, int LogicalCores, string Os, string DotNet, string Host)
{
    public static MachineSummary Collect()
    {
        string cpu = RuntimeInformation.ProcessArchitecture.ToString();
        try { cpu = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? cpu; }
        catch (IOException) { }
        return new(cpu, Environment.ProcessorCount, RuntimeInformation.OSDescription, RuntimeInformation.FrameworkDescription, Environment.MachineName);
    }
}

/// <summary>One server: its arguments beyond --model and --urls, what it printed until it listened (its own warm-up's
/// line), and its memory when it listened and after the client's warm-up.</summary>
public sealed record ServerSummary(string Label, string FmnistDll, IReadOnlyList<string> ServeArguments, IReadOnlyList<string> StartLog,
    long RssAtStartMb, long? RssAfterWarmUpMb);

/// <summary>The speed phase per server: each round's rate and p99, their medians, and the ratio to the first server; also
/// the median server CPU ms per answer and its ratio (the figure that a busy machine disturbs least), and all its rounds
/// taken as one run (<see cref="AllRounds"/>).</summary>
public sealed record SpeedComparison(string Server, double[] RequestsPerSecond, double?[] P99Ms, double MedianRequestsPerSecond, double? MedianP99Ms,
    double? RateRatioToBaseline, double? P99RatioToBaseline, double? MedianServerCpuMsPerAnswer = null, double? ServerCpuRatioToBaseline = null)
{
    /// <summary>Every speed round of this server as one run: issue 14's goal is stated for 2,000 requests (≥ 200 req/s,
    /// p99 ≤ 150 ms), which the rounds split only to alternate builds.</summary>
    public AllRoundsSummary? AllRounds { get; init; }
}

/// <summary>Answered requests over the summed seconds of the rounds, and the p99 over all their latencies.</summary>
public sealed record AllRoundsSummary(int Requests, double Seconds, double RequestsPerSecond, double? P99Ms);

/// <summary>Starts the servers, runs the phases (speed, hostile, soak), stops the servers; never leaves a process behind.</summary>
public static class WebLoadRun
{
    public static async Task<WebLoadReport> RunAsync(WebLoadSettings settings, TextWriter log)
    {
        var started = DateTimeOffset.Now;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var hostileKinds = HostileKinds.All(settings.Photos[0], settings.SlowClientTime, settings.HangAfter);
        var servers = new List<ServerUnderTest>();
        var summaries = new List<ServerSummary>();
        var clients = new Dictionary<ServerUnderTest, HttpClient>();
        var phases = new List<PhaseResult>();
        try
        {
            foreach (var (label, dll) in settings.Servers)
            {
                IReadOnlyList<string> arguments = [.. settings.ServeArguments, .. settings.ServeArgumentsFor.GetValueOrDefault(label, [])];
                var server = await ServerUnderTest.StartAsync(label, dll, settings.Model, arguments);
                IReadOnlyList<string> startLog = server.Log;
                servers.Add(server);
                long atStart = (server.Status()?.RssKb ?? 0) / 1024;
                var client = new HttpClient(new SocketsHttpHandler
                {
                    MaxConnectionsPerServer = settings.Concurrency,
                    PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
                    AutomaticDecompression = DecompressionMethods.None,
                }) { BaseAddress = server.Address, Timeout = TimeSpan.FromSeconds(120) };
                clients[server] = client;
                foreach (string line in startLog.Where(l => l.StartsWith("Warmed up", StringComparison.Ordinal))) log.WriteLine($"{label}: {line}");
                log.WriteLine($"{label}: pid {server.Pid} on {server.Address}, {atStart} MB; warming up ({settings.WarmUpRequests} requests)");
                var warm = await LoadPhase.RunAsync(server, new PhaseSettings { Name = "warm-up", GoodRequests = settings.WarmUpRequests, Concurrency = settings.Concurrency, Multipart = settings.Multipart, Deadline = settings.PhaseDeadline },
                    settings.Photos, [], client, log);
                if (!warm.Passed) phases.Add(warm);
                summaries.Add(new ServerSummary(label, dll, arguments, startLog, atStart, (server.Status()?.RssKb ?? 0) / 1024));
            }

            if (settings.SpeedRequests > 0)
            {
                int rounds = Math.Max(1, settings.SpeedRounds), perRound = Math.Max(1, settings.SpeedRequests / rounds);
                for (int round = 0; round < rounds; round++)
                {
                    // A B, then B A: a neighbour's burst hurts both sides alike.
                    var order = round % 2 == 0 ? servers : Enumerable.Reverse(servers).ToList();
                    foreach (var server in order)
                    {
                        var result = await LoadPhase.RunAsync(server, new PhaseSettings
                        {
                            Name = $"speed-{round + 1}", RssLimitMb = settings.RssLimitMb, GoodRequests = perRound, Concurrency = settings.Concurrency, Multipart = settings.Multipart, Deadline = settings.PhaseDeadline,
                        }, settings.Photos, [], clients[server], log);
                        Report(log, result);
                        phases.Add(result);
                    }
                }
            }

            if (settings.HostileGoodRequests > 0)
                foreach (var server in servers)
                {
                    var result = await LoadPhase.RunAsync(server, new PhaseSettings
                    {
                        Name = "hostile", RssLimitMb = settings.RssLimitMb, GoodRequests = settings.HostileGoodRequests, Concurrency = settings.Concurrency, Multipart = settings.Multipart,
                        GoodPerHostile = settings.HostileRequests > 0 ? Math.Max(1, settings.HostileGoodRequests / settings.HostileRequests) : 0,
                        Deadline = settings.PhaseDeadline,
                    }, settings.Photos, hostileKinds, clients[server], log);
                    Report(log, result);
                    phases.Add(result);
                }

            if (settings.SoakDuration > TimeSpan.Zero)
                foreach (var server in servers)
                {
                    var result = await LoadPhase.RunAsync(server, new PhaseSettings
                    {
                        Name = "soak", RssLimitMb = settings.RssLimitMb, Duration = settings.SoakDuration, Concurrency = settings.Concurrency, Multipart = settings.Multipart, GoodPerHostile = 10,
                        SnapshotEvery = settings.SoakSnapshotEvery, Deadline = settings.SoakDuration + TimeSpan.FromMinutes(5),
                    }, settings.Photos, hostileKinds, clients[server], log);
                    Report(log, result);
                    phases.Add(result);
                }
        }
        finally
        {
            foreach (var client in clients.Values) client.Dispose();
            foreach (var server in servers) await server.DisposeAsync();
        }

        var speed = Compare(phases.Where(p => p.Phase.StartsWith("speed-", StringComparison.Ordinal)).ToList(), settings.Servers.Select(s => s.Label).ToList());
        var failures = phases.SelectMany(p => p.Failures.Select(f => $"{p.Phase} on {p.Server}: {f}")).ToList();
        return new WebLoadReport("fmnist-web-load", started, Math.Round(clock.Elapsed.TotalSeconds, 1), settings.Conditions, MachineSummary.Collect(),
            settings.Model, settings.ServeArguments, settings.PhotoSource, settings.Photos.Count, settings.Concurrency, summaries, phases, speed, failures);
    }

    private static void Report(TextWriter log, PhaseResult r) =>
        log.WriteLine($"{r.Phase} {r.Server}: {r.Good.Ok}/{r.Good.Sent} ok, {r.Good.RequestsPerSecond} req/s, p50 {r.Good.P50Ms} p99 {r.Good.P99Ms} ms; " +
                      $"hostile {r.Hostile.AsExpected}/{r.Hostile.Sent} as expected; 5xx {r.ServerErrors}; rss {r.Memory.RssBeforeMb}->{r.Memory.RssAfterMb} MB " +
                      $"(peak {r.Memory.RssPeakSampledMb}); server cpu {r.ServerCpu?.CpuMsPerAnswer} ms/answer; load {r.LoadAverageDuring.Mean}{(r.Passed ? "" : "; FAILED: " + string.Join("; ", r.Failures))}");

    private static List<SpeedComparison> Compare(List<PhaseResult> speed, List<string> labels)
    {
        var result = new List<SpeedComparison>();
        double? baseRate = null, baseP99 = null, baseCpu = null;
        foreach (string label in labels)
        {
            var runs = speed.Where(p => p.Server == label).OrderBy(p => p.Phase, StringComparer.Ordinal).ToList();
            if (runs.Count == 0) continue;
            double rate = Median(runs.Select(r => r.Good.RequestsPerSecond));
            double? p99 = runs.All(r => r.Good.P99Ms is not null) ? Median(runs.Select(r => r.Good.P99Ms!.Value)) : null;
            double? cpu = runs.All(r => r.ServerCpu?.CpuMsPerAnswer is not null) ? Median(runs.Select(r => r.ServerCpu!.CpuMsPerAnswer!.Value)) : null;
            baseRate ??= rate;
            baseP99 ??= p99;
            baseCpu ??= cpu;
            result.Add(new SpeedComparison(label, runs.Select(r => r.Good.RequestsPerSecond).ToArray(), runs.Select(r => r.Good.P99Ms).ToArray(),
                rate, p99, baseRate > 0 ? Math.Round(rate / baseRate.Value, 3) : null, p99 is not null && baseP99 > 0 ? Math.Round(p99.Value / baseP99.Value, 3) : null,
                cpu, cpu is not null && baseCpu > 0 ? Math.Round(cpu.Value / baseCpu.Value, 3) : null) { AllRounds = AllRoundsOf(runs) });
        }
        return result;
    }

    private static AllRoundsSummary AllRoundsOf(List<PhaseResult> runs)
    {
        var latencies = runs.SelectMany(r => r.GoodLatenciesMs).ToList();
        double seconds = runs.Sum(r => r.Good.Seconds);
        return new AllRoundsSummary(latencies.Count, Math.Round(seconds, 2), seconds > 0 ? Math.Round(latencies.Count / seconds, 1) : 0,
            LoadPhase.Percentile(latencies, 0.99));
    }

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }
}
