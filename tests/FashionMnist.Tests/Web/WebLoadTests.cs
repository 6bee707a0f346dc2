using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using FashionMnist.Tests.Imaging;
using FashionMnist.Tests.Support;
using Xunit.Abstractions;

namespace FashionMnist.Tests.Web;

/// <summary>
/// A bounded load test on loopback: N photo uploads at 16 concurrent, every one must succeed, latency and throughput
/// are reported, and the managed heap must not keep growing. The default suite sends 160 requests; the full run is
///   FMNIST_LOAD_REQUESTS=2000 dotnet test tests/FashionMnist.Tests -c Release --filter FullyQualifiedName~WebLoadTests --logger "console;verbosity=detailed"
/// (numbers in docs/photos.md). It runs alone (<see cref="Isolated"/>): the heap it checks is the whole test process's.
/// </summary>
[Collection(Isolated.Name)]
public sealed class WebLoadTests(WebAppFixture app, ITestOutputHelper output) : IClassFixture<WebAppFixture>
{
    [Fact]
    public async Task Many_concurrent_uploads_all_succeed_within_bounds()
    {
        int requests = int.TryParse(Environment.GetEnvironmentVariable("FMNIST_LOAD_REQUESTS"), out int n) ? n : 160;
        const int concurrency = 16;
        byte[][] photos = TestImages.FixturePhotos.Select(f => File.ReadAllBytes(TestImages.FixturePath(f))).ToArray();
        using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(requests > 500 ? 15 : 3));

        async Task<double> SendAsync(int i, CancellationToken cancellation)
        {
            var content = new ByteArrayContent(photos[i % photos.Length]);
            content.Headers.ContentType = new MediaTypeHeaderValue("image/jpeg");
            long start = Stopwatch.GetTimestamp();
            using HttpResponseMessage response = await app.Client.PostAsync("/api/classify", content, cancellation);
            await response.Content.ReadAsByteArrayAsync(cancellation);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            return Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        }

        // Warm up (JIT, thread pool, gdk-pixbuf loaders), then measure the heap we start from.
        await Parallel.ForEachAsync(Enumerable.Range(0, 2 * concurrency), new ParallelOptions { MaxDegreeOfParallelism = concurrency }, async (i, c) => await SendAsync(i, c));
        long heapBefore = GC.GetTotalMemory(forceFullCollection: true);

        var latencies = new double[requests];
        var clock = Stopwatch.StartNew();
        await Parallel.ForEachAsync(Enumerable.Range(0, requests),
            new ParallelOptions { MaxDegreeOfParallelism = concurrency, CancellationToken = deadline.Token },
            async (i, c) => latencies[i] = await SendAsync(i, c));
        double seconds = clock.Elapsed.TotalSeconds;
        long heapAfter = GC.GetTotalMemory(forceFullCollection: true);

        Array.Sort(latencies);
        double P(double q) => latencies[(int)Math.Min(latencies.Length - 1, Math.Ceiling(q * latencies.Length) - 1)];
        output.WriteLine($"{requests} requests, {concurrency} concurrent, {Environment.ProcessorCount} cores: {requests / seconds:0.0} req/s, " +
                         $"p50 {P(0.50):0} ms, p99 {P(0.99):0} ms, max {latencies[^1]:0} ms; managed heap {heapBefore >> 20} -> {heapAfter >> 20} MB, " +
                         $"working set {Environment.WorkingSet >> 20} MB");
        Assert.True(heapAfter - heapBefore < 64L << 20, $"heap grew from {heapBefore >> 20} MB to {heapAfter >> 20} MB");
        Assert.True(app.Model.OverlappingCalls == 0);
    }
}
