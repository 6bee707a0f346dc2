namespace FashionMnist.WebLoad;

/// <summary>A phase's figures and its verdict (what the JSON holds).</summary>
public sealed record PhaseResult(
    string Phase, string Server, int Concurrency, bool TimedOut,
    GoodSummary Good, HostileSummary Hostile, MemorySummary Memory,
    bool ServerUp, int ServerErrors, IReadOnlyList<string> ServerLogLines,
    double[]? LoadAverageAtStart, LoadSummary LoadAverageDuring, double[]? LoadAverageAtEnd,
    IReadOnlyList<Snapshot> Timeline, IReadOnlyList<string> Failures, ServerCpuSummary? ServerCpu = null)
{
    /// <summary>The checks of issue 15: no 5xx, no good request failed, every hostile one answered as it should, the server up.</summary>
    public bool Passed => Failures.Count == 0;

    /// <summary>Every answered good request's latency (ms), kept so that several rounds can be judged as one run
    /// (<see cref="WebLoadRun"/>'s figure over all of a server's speed requests); not written to the JSON.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public IReadOnlyList<double> GoodLatenciesMs { get; init; } = [];

    internal static PhaseResult From(PhaseSettings settings, ServerUnderTest server, List<GoodOutcome> good, List<HostileOutcome> hostile,
        double goodSeconds, double seconds, ProcStatus before, ProcStatus? after, bool healthy, bool timedOut,
        double[]? loadAtStart, LoadSummary loadDuring, double[]? loadAtEnd, List<Snapshot> timeline, TimeSpan? serverCpu = null)
    {
        var latencies = good.Where(g => g.Status == 200).Select(g => g.Milliseconds).ToList();
        int stopped = good.Count(g => g.Status == -1);
        good = good.Where(g => g.Status != -1).ToList(); // stopped by the deadline: counted apart
        var goodSummary = new GoodSummary(
            good.Count, good.Count(g => g.Status == 200), good.Count(g => g.Status != 200),
            good.GroupBy(g => g.Error is null ? g.Status.ToString() : "no answer").ToDictionary(g => g.Key, g => g.Count()),
            good.Where(g => g.Error is not null).Select(g => g.Error!).Distinct().Take(5).ToList(),
            Math.Round(goodSeconds, 2), goodSeconds > 0 ? Math.Round(good.Count(g => g.Status == 200) / goodSeconds, 1) : 0,
            LoadPhase.Percentile(latencies, 0.50), LoadPhase.Percentile(latencies, 0.90), LoadPhase.Percentile(latencies, 0.99),
            latencies.Count > 0 ? Math.Round(latencies.Max(), 1) : null,
            ServerTimingSummary.From(good.Where(g => g.Status == 200).Select(g => g.ServerTiming)));
        var kinds = hostile.GroupBy(h => h.Kind).OrderBy(g => g.Key, StringComparer.Ordinal).ToDictionary(g => g.Key, g => new HostileKindSummary(
            g.Count(), g.Count(h => h.AsExpected),
            g.GroupBy(h => h.Hung ? "hang" : h.Status?.ToString() ?? "no answer").ToDictionary(s => s.Key, s => s.Count()),
            LoadPhase.Percentile(g.Select(h => h.Milliseconds).ToList(), 0.5)));
        var hostileSummary = new HostileSummary(hostile.Count, hostile.Count(h => h.AsExpected), kinds);
        var memory = new MemorySummary(before.RssKb / 1024, after is null ? null : after.RssKb / 1024,
            Math.Max(server.SampledPeakKb, after?.RssKb ?? 0) / 1024, after is null ? null : after.PeakRssKb / 1024, after?.Threads);
        int serverErrors = good.Count(g => g.Status >= 500) + hostile.Count(h => h.Status >= 500);

        var failures = new List<string>();
        if (timedOut) failures.Add($"the phase passed its deadline of {settings.Deadline.TotalSeconds:0} s ({stopped} good requests in flight were stopped)");
        if (serverErrors > 0) failures.Add($"{serverErrors} answers were 5xx");
        if (goodSummary.Failed > 0) failures.Add($"{goodSummary.Failed} good requests failed ({string.Join(", ", goodSummary.ByStatus.Where(s => s.Key != "200").Select(s => $"{s.Key}: {s.Value}"))})");
        foreach (var (kind, k) in kinds.Where(k => k.Value.AsExpected < k.Value.Sent))
            failures.Add($"hostile '{kind}': {k.Sent - k.AsExpected} of {k.Sent} answered unexpectedly ({string.Join(", ", k.ByStatus.Select(s => $"{s.Key}: {s.Value}"))})");
        if (!healthy) failures.Add("the server did not answer /healthz afterwards (or exited)");
        if (settings.RssLimitMb is long limit && memory.RssPeakSampledMb > limit)
            failures.Add($"the server's memory reached {memory.RssPeakSampledMb} MB (limit {limit} MB)");
        if (RssGrowth(timeline) is long growth && growth > settings.RssGrowthLimitMb)
            failures.Add($"the server's memory kept growing: the second half's highest RSS is {growth} MB above the first half's (limit {settings.RssGrowthLimitMb} MB)");
        var logLines = server.Log.Where(l => !l.StartsWith("Serving model", StringComparison.Ordinal)).TakeLast(20).ToList();
        return new PhaseResult(settings.Name, server.Label, settings.Concurrency, timedOut, goodSummary, hostileSummary, memory,
            healthy, serverErrors, logLines, loadAtStart, loadDuring, loadAtEnd, timeline, failures,
            serverCpu is { } cpu ? new ServerCpuSummary(Math.Round(cpu.TotalSeconds, 2),
                good.Count + hostile.Count > 0 ? Math.Round(cpu.TotalMilliseconds / (good.Count + hostile.Count), 2) : null) : null)
        { GoodLatenciesMs = latencies };
    }

    /// <summary>Highest RSS of a timeline's second half minus that of its first half (null under 4 snapshots): a leak shows as steady growth.</summary>
    internal static long? RssGrowth(IReadOnlyList<Snapshot> timeline)
    {
        var rss = timeline.Where(t => t.RssMb is not null).Select(t => t.RssMb!.Value).ToList();
        if (rss.Count < 4) return null;
        return rss.Skip(rss.Count / 2).Max() - rss.Take(rss.Count / 2).Max();
    }
}

public sealed record GoodSummary(
    int Sent, int Ok, int Failed, Dictionary<string, int> ByStatus, IReadOnlyList<string> Errors,
    double Seconds, double RequestsPerSecond, double? P50Ms, double? P90Ms, double? P99Ms, double? MaxMs,
    IReadOnlyDictionary<string, ServerTimingSummary> ServerTiming);

/// <summary>
/// CPU the server process used during the phase (all threads, user + system, from /proc) and per answer (good and
/// hostile): unlike req/s and latencies, this hardly depends on what else the machine runs, so a change of the server's
/// cost shows even on a busy machine (2 cores at 100 % allow 2,000 / CpuMsPerAnswer answers per second at most).
/// </summary>
public sealed record ServerCpuSummary(double CpuSeconds, double? CpuMsPerAnswer);

public sealed record HostileSummary(int Sent, int AsExpected, Dictionary<string, HostileKindSummary> Kinds);

public sealed record HostileKindSummary(int Sent, int AsExpected, Dictionary<string, int> ByStatus, double? P50Ms);

/// <summary>Resident memory of the server in MB: before the phase, after it, the highest sampled (50 ms) during it, and the kernel's peak since start.</summary>
public sealed record MemorySummary(long RssBeforeMb, long? RssAfterMb, long RssPeakSampledMb, long? RssPeakSinceStartMb, int? ThreadsAfter);

/// <summary>The mean and p99 of one Server-Timing phase (ms) over the good answers.</summary>
public sealed record ServerTimingSummary(double MeanMs, double? P99Ms)
{
    /// <summary>Parses "name;dur=1.2, other;dur=3" headers and summarises each name.</summary>
    internal static IReadOnlyDictionary<string, ServerTimingSummary> From(IEnumerable<string?> headers)
    {
        var values = new Dictionary<string, List<double>>();
        foreach (string? header in headers)
        {
            if (header is null) continue;
            foreach (string metric in header.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            {
                string[] parts = metric.Split(';', StringSplitOptions.TrimEntries);
                string? duration = parts.Skip(1).FirstOrDefault(p => p.StartsWith("dur=", StringComparison.Ordinal));
                if (duration is null || !double.TryParse(duration[4..], System.Globalization.CultureInfo.InvariantCulture, out double ms)) continue;
                if (!values.TryGetValue(parts[0], out var list)) values[parts[0]] = list = [];
                list.Add(ms);
            }
        }
        return values.ToDictionary(v => v.Key, v => new ServerTimingSummary(Math.Round(v.Value.Average(), 2), LoadPhase.Percentile(v.Value, 0.99)));
    }
}
