using System.Diagnostics;
using System.Net.Sockets;
using System.Reflection;
using System.Runtime;
using System.Text;
using FashionMnist.Imaging;

namespace FashionMnist.Web;

/// <summary>What a warm-up did: how long, how many requests on how many workers in how many rounds, whether it ended
/// because the JIT went quiet (rather than at the time limit), how fast the first and the last answers were, and how
/// many methods the JIT compiled (in all, and in the last round).</summary>
public sealed record WarmUpReport(TimeSpan Elapsed, int Requests, int Workers, int Rounds, bool JitQuiet, TimeSpan FirstRequest, TimeSpan LastRequests,
    long MethodsCompiled, long MethodsCompiledInLastRound)
{
    /// <summary>The process's CPU time (every thread, the JIT's included) during the warm-up: unlike the wall time it
    /// hardly depends on what else the machine runs.</summary>
    public TimeSpan CpuTime { get; init; }

    /// <summary>One line for the server's log.</summary>
    public string Describe() => string.Create(System.Globalization.CultureInfo.InvariantCulture,
        $"Warmed up in {Elapsed.TotalSeconds:0.0} s, {CpuTime.TotalSeconds:0.0} s of CPU ({(JitQuiet ? "the JIT went quiet" : "time limit; the JIT was still compiling")}): " +
        $"{Requests} requests of built-in photos on {Workers} connections in {Rounds} round{(Rounds == 1 ? "" : "s")}, the first {FirstRequest.TotalMilliseconds:0} ms, " +
        $"the last ones {LastRequests.TotalMilliseconds:0.0} ms each; {MethodsCompiled} methods compiled, {MethodsCompiledInLastRound} in the last round");
}

/// <summary>
/// Sends POST /api/classify requests with a few built-in photos to a throwaway copy of the server on a loopback port,
/// before the real one listens: Kestrel's connections and HTTP parsing, the middleware, the upload's parsing
/// (multipart form and raw body, like the page and API clients), the decode (JPEG at reduced scale, and a PNG), the
/// garment pipeline with its test-time augmentation views, the model, the PNG data URL and the JSON answer. The
/// compiled code is the process's, so the real server finds it ready. (Only the endpoint in process, without Kestrel,
/// left about 3,000 methods of Kestrel, sockets and pipelines to be compiled under the first real requests.)
/// <para>Why: .NET compiles a method quickly and unoptimised on its first call and recompiles it optimised (with
/// tiered PGO, after an instrumented stage) once it has been called 30 times, in a background thread, after a
/// 100 ms quiet period without new first-time compilations. Under a burst of 16 concurrent uploads that took the
/// whole first 500 requests: 151 req/s against 240 warm, p99 231 ms against 88-107, 11.2 ms of server CPU per answer
/// against 7.5 (docs/web.md). Warming up with twice as many workers as there are photo slots also runs the paths
/// only concurrent requests take (waiting in the slots' queue, ONNX Runtime called side by side, the array pools'
/// per-core stores).</para>
/// <para>Memory: every buffer the path rents goes back to its pool, the requests' own garbage is collected like any
/// request's; what stays is what the first real requests would have kept (pooled buffers, the JIT's code).</para>
/// </summary>
internal static class ServerWarmUp
{
    private const string Boundary = "fmnist-warm-up-boundary";

    /// <summary>CC0 photos from clothing-dataset-small (WarmUp/SOURCE.md): a portrait, a landscape and a tall one, as phones send.</summary>
    private static readonly string[] PhotoNames = ["t-shirt.jpg", "shoes.jpg", "pants.jpg"];

    /// <summary>Requests per worker in one round.</summary>
    internal const int RequestsPerRound = 8;

    /// <summary>A round in which the JIT compiled no more methods than this ends the warm-up. Measured (docs/web.md,
    /// DOTNET_JitDisasmSummary): after the first rounds, which compile thousands, a round compiles tens of methods that
    /// are called a few times per request or less (the multipart reader's parts, the thread pool's and timers'), then
    /// fewer than 10; what is left the first real requests finish at little cost.</summary>
    internal const int QuietMethods = 8;

    /// <summary>
    /// Rounds of <see cref="RequestsPerRound"/> requests per worker, each followed by a pause that lets the JIT's
    /// background thread finish what the round queued (under load it competes with the workers for the cores), until
    /// a round compiles at most <see cref="QuietMethods"/> methods or <paramref name="budget"/> has passed.
    /// </summary>
    public static async Task<WarmUpReport> RunAsync(Uri address, int workers, TimeSpan budget, CancellationToken cancellation)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(workers, 1);
        List<Upload> uploads = Uploads();
        long compiledAtStart = JitInfo.GetCompiledMethodCount();
        TimeSpan cpuAtStart = Environment.CpuUsage.TotalTime;
        var clock = Stopwatch.StartNew();
        var times = new List<TimeSpan>[workers];
        for (int w = 0; w < workers; w++) times[w] = [];
        int rounds = 0;
        long compiledInLastRound;
        bool quiet;
        do
        {
            long before = JitInfo.GetCompiledMethodCount();
            var running = new Task[workers];
            for (int w = 0; w < workers; w++)
            {
                // Each worker a client with one request in flight; staggered, so that the workers do not send the same
                // photo at the same time.
                List<TimeSpan> mine = times[w];
                int first = w + rounds * RequestsPerRound;
                running[w] = Task.Run(async () =>
                {
                    for (int i = 0; i < RequestsPerRound && (i == 0 || clock.Elapsed < budget); i++)
                    {
                        long start = Stopwatch.GetTimestamp();
                        await SendAsync(address, uploads[(first + i) % uploads.Count], cancellation);
                        mine.Add(Stopwatch.GetElapsedTime(start));
                    }
                }, cancellation);
            }
            await Task.WhenAll(running);
            await JitSettledAsync(budget - clock.Elapsed, cancellation);
            rounds++;
            compiledInLastRound = JitInfo.GetCompiledMethodCount() - before;
            quiet = compiledInLastRound <= QuietMethods;
        }
        while (!quiet && clock.Elapsed < budget);

        TimeSpan firstRequest = times.Max(t => t[0]);
        // The last requests' typical time: the median over every worker's last round.
        TimeSpan[] last = times.SelectMany(t => t.Skip(Math.Max(0, t.Count - RequestsPerRound))).Order().ToArray();
        return new WarmUpReport(clock.Elapsed, times.Sum(t => t.Count), workers, rounds, quiet, firstRequest, last[last.Length / 2],
            JitInfo.GetCompiledMethodCount() - compiledAtStart, compiledInLastRound) { CpuTime = Environment.CpuUsage.TotalTime - cpuAtStart };
    }

    /// <summary>Waits (at most <paramref name="limit"/>) until the JIT has compiled nothing for a while: the runtime
    /// starts counting calls only 100 ms after the last first-time compilation, then compiles in the background.</summary>
    private static async Task JitSettledAsync(TimeSpan limit, CancellationToken cancellation)
    {
        var clock = Stopwatch.StartNew();
        long count = JitInfo.GetCompiledMethodCount();
        var unchangedSince = Stopwatch.StartNew();
        while (unchangedSince.ElapsedMilliseconds < 150 && clock.Elapsed < limit)
        {
            await Task.Delay(25, cancellation);
            long now = JitInfo.GetCompiledMethodCount();
            if (now != count) (count, unchangedSince) = (now, Stopwatch.StartNew());
        }
    }

    /// <summary>One upload as a client would send it.</summary>
    private sealed record Upload(string Name, string ContentType, byte[] Body);

    /// <summary>Each photo as a multipart form (the page) and as a raw body (API clients); one of them also as a PNG.</summary>
    private static List<Upload> Uploads()
    {
        var uploads = new List<Upload>();
        foreach (string name in PhotoNames)
        {
            byte[] jpeg = ReadPhoto(name);
            uploads.Add(Multipart(name, jpeg, "image/jpeg"));
            uploads.Add(new Upload(name, "image/jpeg", jpeg));
        }
        // A PNG takes other paths: a full-size decode (no JPEG scaling) and the box reduction from every pixel.
        byte[] png = ImageCodec.EncodePng(ImageCodec.Decode(ReadPhoto(PhotoNames[0]), PhotoNames[0]));
        uploads.Add(Multipart("t-shirt.png", png, "image/png"));
        return uploads;
    }

    private static Upload Multipart(string name, byte[] file, string contentType)
    {
        byte[] head = Encoding.ASCII.GetBytes(
            $"--{Boundary}\r\nContent-Disposition: form-data; name=\"image\"; filename=\"{name}\"\r\nContent-Type: {contentType}\r\n\r\n");
        byte[] tail = Encoding.ASCII.GetBytes($"\r\n--{Boundary}--\r\n");
        return new Upload(name, $"multipart/form-data; boundary={Boundary}", [.. head, .. file, .. tail]);
    }

    private static byte[] ReadPhoto(string name)
    {
        using Stream stream = Assembly.GetExecutingAssembly().GetManifestResourceStream("FashionMnist.Web.WarmUp." + name)
            ?? throw new InvalidOperationException($"The warm-up photo {name} is missing from the assembly.");
        var bytes = new byte[stream.Length];
        stream.ReadExactly(bytes);
        return bytes;
    }

    /// <summary>One request over a new loopback connection (Connection: close, so the answer ends with the connection);
    /// anything but a 200 stops the warm-up.</summary>
    private static async Task SendAsync(Uri address, Upload upload, CancellationToken cancellation)
    {
        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(address.Host, address.Port, cancellation);
        byte[] head = Encoding.ASCII.GetBytes(
            $"POST /api/classify HTTP/1.1\r\nHost: {address.Authority}\r\nContent-Type: {upload.ContentType}\r\nContent-Length: {upload.Body.Length}\r\nConnection: close\r\n\r\n");
        await socket.SendAsync(head, cancellation);
        await socket.SendAsync(upload.Body, cancellation);
        using var answer = new MemoryStream();
        byte[] buffer = new byte[16 * 1024];
        int read;
        while ((read = await socket.ReceiveAsync(buffer, cancellation)) > 0) answer.Write(buffer, 0, read);
        string text = Encoding.UTF8.GetString(answer.GetBuffer(), 0, (int)answer.Length);
        if (!text.StartsWith("HTTP/1.1 200 ", StringComparison.Ordinal))
            throw new InvalidOperationException(
                $"the built-in photo {upload.Name} ({upload.ContentType.Split(';')[0]}) was answered: {text.Split("\r\n")[0]} {text[(text.IndexOf("\r\n\r\n", StringComparison.Ordinal) + 4)..]}");
    }
}
