using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Http.Headers;

namespace FashionMnist.WebLoad;

/// <summary>What one phase sends: good photos at a concurrency, and optionally one hostile request per N good ones.</summary>
public sealed record PhaseSettings
{
    public required string Name { get; init; }

    /// <summary>Good requests to send (the phase ends after them), or null for a time-bounded phase.</summary>
    public int? GoodRequests { get; init; }

    /// <summary>Length of a time-bounded phase (the soak).</summary>
    public TimeSpan? Duration { get; init; }

    public int Concurrency { get; init; } = 16;

    /// <summary>One hostile request is started after every this many good answers (0: none).</summary>
    public int GoodPerHostile { get; init; }

    /// <summary>Hostile requests in flight at most (slow ones take seconds).</summary>
    public int HostileConcurrency { get; init; } = 4;

    /// <summary>Good uploads as multipart/form-data (as the page sends them) or as raw image/jpeg (image/png) bodies.</summary>
    public bool Multipart { get; init; } = true;

    /// <summary>How often a memory/throughput snapshot is taken (the soak's timeline).</summary>
    public TimeSpan? SnapshotEvery { get; init; }

    /// <summary>The server's resident memory may not pass this (sampled every 50 ms); null: not checked.</summary>
    public long? RssLimitMb { get; init; }

    /// <summary>A timed phase (the soak) fails when the highest RSS of its second half passes that of its first half by more (a leak).</summary>
    public long RssGrowthLimitMb { get; init; } = 128;

    /// <summary>A phase that runs longer than this is stopped and reported as such.</summary>
    public TimeSpan Deadline { get; init; } = TimeSpan.FromMinutes(30);
}

/// <summary>Runs one phase against one server and measures it.</summary>
public static class LoadPhase
{
    public static async Task<PhaseResult> RunAsync(ServerUnderTest server, PhaseSettings settings, IReadOnlyList<byte[]> photos,
        IReadOnlyList<HostileKind> hostileKinds, HttpClient client, TextWriter log)
    {
        await using var loadAverage = new LoadAverageSampler();
        ProcStatus before = server.Status() ?? throw new InvalidOperationException("The server is not running.");
        server.ResetSampledPeak();
        TimeSpan? cpuAtStart = server.CpuTime();
        double[]? loadAtStart = LoadAverageSampler.Read();

        using var deadline = new CancellationTokenSource(settings.Deadline);
        var good = new ConcurrentBag<GoodOutcome>();
        var hostile = new ConcurrentBag<HostileOutcome>();
        var hostileTasks = new ConcurrentBag<Task>();
        using var hostileSlots = new SemaphoreSlim(settings.HostileConcurrency);
        var snapshots = new List<Snapshot>();
        int next = -1, answered = 0, hostileStarted = 0;
        var clock = Stopwatch.StartNew();
        bool timeUp() => settings.Duration is { } d && clock.Elapsed >= d;

        async Task GoodWorkerAsync()
        {
            while (!deadline.IsCancellationRequested && !timeUp())
            {
                int i = Interlocked.Increment(ref next);
                if (settings.GoodRequests is int total && i >= total) return;
                good.Add(await SendGoodAsync(client, photos[i % photos.Count], settings.Multipart, clock, deadline.Token));
                int done = Interlocked.Increment(ref answered);
                if (settings.GoodPerHostile > 0 && hostileKinds.Count > 0 && done % settings.GoodPerHostile == 0)
                {
                    int h = Interlocked.Increment(ref hostileStarted) - 1;
                    hostileTasks.Add(SendHostileAsync(server.Address, hostileKinds[h % hostileKinds.Count], hostileSlots, clock, hostile, deadline.Token));
                }
            }
        }

        Task snapshotter = settings.SnapshotEvery is { } every ? Task.Run(async () =>
        {
            int lastGood = 0;
            while (!deadline.IsCancellationRequested && Volatile.Read(ref answered) < (settings.GoodRequests ?? int.MaxValue) && !timeUp())
            {
                try { await Task.Delay(every, deadline.Token); } catch (OperationCanceledException) { break; }
                var window = good.Where(g => g.EndSeconds > clock.Elapsed.TotalSeconds - every.TotalSeconds).Select(g => g.Milliseconds).ToList();
                int now = Volatile.Read(ref answered);
                var status = server.Status();
                snapshots.Add(new Snapshot(Math.Round(clock.Elapsed.TotalSeconds), now, Math.Round((now - lastGood) / every.TotalSeconds, 1),
                    Percentile(window, 0.99), status?.RssKb / 1024, good.Count(g => g.Status >= 500) + hostile.Count(h => h.Status >= 500),
                    LoadAverageSampler.Read()?[0]));
                lastGood = now;
                log.WriteLine($"  {settings.Name} {server.Label} t={clock.Elapsed.TotalSeconds:0}s good={now} rss={status?.RssKb / 1024} MB");
            }
        }) : Task.CompletedTask;

        await Task.WhenAll(Enumerable.Range(0, settings.Concurrency).Select(_ => Task.Run(GoodWorkerAsync)));
        double goodSeconds = clock.Elapsed.TotalSeconds;
        await Task.WhenAll(hostileTasks);
        TimeSpan? cpuAtEnd = server.CpuTime();
        await snapshotter;
        double seconds = clock.Elapsed.TotalSeconds;
        await Task.Delay(1000); // let the server finish what the vanished clients left behind
        bool healthy = await server.IsHealthyAsync();
        ProcStatus? after = server.Status();
        return PhaseResult.From(settings, server, good.ToList(), hostile.ToList(), goodSeconds, seconds, before, after, healthy,
            deadline.IsCancellationRequested, loadAtStart, loadAverage.Summary(), LoadAverageSampler.Read(), snapshots,
            cpuAtEnd - cpuAtStart);
    }

    private static async Task<GoodOutcome> SendGoodAsync(HttpClient client, byte[] photo, bool multipart, Stopwatch clock, CancellationToken cancellation)
    {
        HttpContent content;
        if (multipart)
        {
            var form = new MultipartFormDataContent();
            var file = new ByteArrayContent(photo);
            file.Headers.ContentType = new MediaTypeHeaderValue(Photos.ContentType(photo));
            form.Add(file, "image", Photos.ContentType(photo) == "image/png" ? "photo.png" : "photo.jpg");
            content = form;
        }
        else
        {
            content = new ByteArrayContent(photo);
            content.Headers.ContentType = new MediaTypeHeaderValue(Photos.ContentType(photo));
        }
        long start = Stopwatch.GetTimestamp();
        try
        {
            using (content)
            using (HttpResponseMessage response = await client.PostAsync("/api/classify", content, cancellation))
            {
                await response.Content.ReadAsByteArrayAsync(cancellation);
                string? timing = response.Headers.TryGetValues("Server-Timing", out var values) ? string.Join(", ", values) : null;
                return new GoodOutcome((int)response.StatusCode, Stopwatch.GetElapsedTime(start).TotalMilliseconds, clock.Elapsed.TotalSeconds, null, timing);
            }
        }
        catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
        {
            // The phase's deadline stopped it (reported once as the phase's failure, not as a failed request).
            return new GoodOutcome(-1, Stopwatch.GetElapsedTime(start).TotalMilliseconds, clock.Elapsed.TotalSeconds, "stopped at the phase's deadline", null);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or IOException)
        {
            return new GoodOutcome(0, Stopwatch.GetElapsedTime(start).TotalMilliseconds, clock.Elapsed.TotalSeconds, $"{e.GetType().Name}: {e.Message}", null);
        }
    }

    private static async Task SendHostileAsync(Uri server, HostileKind kind, SemaphoreSlim slots, Stopwatch clock, ConcurrentBag<HostileOutcome> outcomes,
        CancellationToken cancellation)
    {
        try { await slots.WaitAsync(cancellation); }
        catch (OperationCanceledException) { return; } // the phase's deadline: reported as a timeout
        try
        {
            var (request, pacing) = kind.Build(server);
            long start = Stopwatch.GetTimestamp();
            RawAnswer answer;
            try { answer = await RawHttp.SendAsync(server, request, pacing, cancellation); }
            catch (OperationCanceledException) when (cancellation.IsCancellationRequested) { return; } // the phase's deadline: reported once, as its failure
            outcomes.Add(new HostileOutcome(kind.Name, answer.Status, answer.TimedOut, !answer.TimedOut && kind.Expected.Contains(answer.Status),
                Stopwatch.GetElapsedTime(start).TotalMilliseconds));
        }
        finally
        {
            slots.Release();
        }
    }

    internal static double? Percentile(IReadOnlyList<double> values, double q)
    {
        if (values.Count == 0) return null;
        var sorted = values.Order().ToArray();
        return Math.Round(sorted[(int)Math.Clamp(Math.Ceiling(q * sorted.Length) - 1, 0, sorted.Length - 1)], 1);
    }
}

public sealed record GoodOutcome(int Status, double Milliseconds, double EndSeconds, string? Error, string? ServerTiming);

/// <summary>One hostile request: its status (null: no answer), whether it hung (no answer and no close in time), and whether that was right.</summary>
public sealed record HostileOutcome(string Kind, int? Status, bool Hung, bool AsExpected, double Milliseconds);

/// <summary>One point of a phase's timeline (the soak): answers so far, rate and p99 in the last interval, memory, 5xx so far.</summary>
public sealed record Snapshot(double Seconds, int GoodAnswered, double GoodPerSecond, double? P99Ms, long? RssMb, int ServerErrors, double? LoadAverage1);
