using System.Diagnostics;
using System.Text.RegularExpressions;

namespace FashionMnist.WebLoad;

/// <summary>
/// One `fmnist serve` process on a free loopback port: started from a built fmnist.dll, watched through /proc
/// (resident memory sampled every 50 ms, the kernel's own peak), and stopped by its PID at the end.
/// </summary>
public sealed partial class ServerUnderTest : IAsyncDisposable
{
    private readonly Process _process;
    private readonly List<string> _log;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _sampler;
    private long _sampledPeakKb;

    private ServerUnderTest(string label, Process process, Uri address, List<string> log)
    {
        Label = label;
        _log = log;
        _process = process;
        Address = address;
        _sampler = Task.Run(SampleAsync);
    }

    public string Label { get; }
    public Uri Address { get; }
    public int Pid => _process.Id;
    public bool HasExited => _process.HasExited;

    /// <summary>Lines the server wrote to stderr/stdout (its log: one line per unhandled error, nothing else expected).</summary>
    public IReadOnlyList<string> Log { get { lock (_log) return [.. _log]; } }

    /// <summary>The highest resident set seen by the 50 ms sampler since the last <see cref="ResetSampledPeak"/>.</summary>
    public long SampledPeakKb => Interlocked.Read(ref _sampledPeakKb);

    public void ResetSampledPeak() => Interlocked.Exchange(ref _sampledPeakKb, ProcStatus.Read(Pid)?.RssKb ?? 0);

    /// <summary>
    /// Starts `dotnet FMNIST_DLL serve --model MODEL --urls http://127.0.0.1:0 EXTRA...` and waits until it answers
    /// /healthz (it prints the bound address on stderr).
    /// </summary>
    public static async Task<ServerUnderTest> StartAsync(string label, string fmnistDll, string model, IEnumerable<string> extraArguments,
        IDictionary<string, string>? environment = null, TimeSpan? startTimeout = null)
    {
        if (!File.Exists(fmnistDll)) throw new FileNotFoundException($"fmnist.dll not found at '{fmnistDll}': build src/FashionMnist.Cli in Release first.");
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        foreach (string a in (string[])[fmnistDll, "serve", "--model", model, "--urls", "http://127.0.0.1:0", .. extraArguments]) start.ArgumentList.Add(a);
        start.Environment["NO_COLOR"] = "1";
        if (environment is not null)
            foreach (var (key, value) in environment) start.Environment[key] = value;
        var process = Process.Start(start) ?? throw new InvalidOperationException("dotnet did not start");
        var bound = new TaskCompletionSource<Uri>(TaskCreationOptions.RunContinuationsAsynchronously);
        var log = new List<string>();
        void OnLine(string? line)
        {
            if (line is null) return;
            lock (log) log.Add(line);
            if (ServingLine().Match(line) is { Success: true } m) bound.TrySetResult(new Uri(m.Groups[1].Value));
        }
        process.ErrorDataReceived += (_, e) => OnLine(e.Data);
        process.OutputDataReceived += (_, e) => OnLine(e.Data);
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();
        process.EnableRaisingEvents = true;
        process.Exited += (_, _) => bound.TrySetException(new InvalidOperationException(
            $"fmnist serve exited with {process.ExitCode} before listening:\n{string.Join('\n', log)}"));
        Uri address;
        try
        {
            // Generous: serve warms itself up before it prints the line (10 s at most by default, longer if told).
            address = await bound.Task.WaitAsync(startTimeout ?? TimeSpan.FromMinutes(5));
        }
        catch
        {
            if (!process.HasExited) process.Kill();
            process.Dispose();
            throw;
        }
        // Stopped with the tool, even when the tool itself is stopped (timeout's SIGTERM, Ctrl+C): never left behind.
        AppDomain.CurrentDomain.ProcessExit += (_, _) => { try { if (!process.HasExited) process.Kill(); } catch (InvalidOperationException) { } };
        Console.CancelKeyPress += (_, _) => { try { if (!process.HasExited) process.Kill(); } catch (InvalidOperationException) { } };
        return new ServerUnderTest(label, process, address, log);
    }

    [GeneratedRegex(@"Serving model .* on (http://[^ ,]+)")]
    private static partial Regex ServingLine();

    /// <summary>GET /healthz answers 200 (with a fresh connection: the server accepts new clients).</summary>
    public async Task<bool> IsHealthyAsync()
    {
        if (_process.HasExited) return false;
        try
        {
            using var client = new HttpClient { BaseAddress = Address, Timeout = TimeSpan.FromSeconds(30) };
            using HttpResponseMessage response = await client.GetAsync("/healthz");
            return response.IsSuccessStatusCode;
        }
        catch (HttpRequestException) { return false; }
        catch (TaskCanceledException) { return false; }
    }

    public ProcStatus? Status() => _process.HasExited ? null : ProcStatus.Read(Pid);

    /// <summary>CPU time the server has used since it started (all its threads, user and system), or null once it exited.</summary>
    public TimeSpan? CpuTime()
    {
        try
        {
            _process.Refresh();
            return _process.HasExited ? null : _process.TotalProcessorTime;
        }
        catch (InvalidOperationException) { return null; }
    }

    private async Task SampleAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            if (ProcStatus.Read(Pid) is { } status)
            {
                long current;
                while (status.RssKb > (current = Interlocked.Read(ref _sampledPeakKb)) &&
                       Interlocked.CompareExchange(ref _sampledPeakKb, status.RssKb, current) != current) { }
            }
            try { await Task.Delay(50, _stop.Token); } catch (OperationCanceledException) { }
        }
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        await _sampler;
        if (!_process.HasExited)
        {
            _process.Kill();
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
        _stop.Dispose();
    }
}

/// <summary>Memory and threads of a process from /proc/PID/status (Linux), in kB.</summary>
public sealed record ProcStatus(long RssKb, long PeakRssKb, int Threads)
{
    public static ProcStatus? Read(int pid)
    {
        try
        {
            long rss = 0, hwm = 0;
            int threads = 0;
            foreach (string line in File.ReadLines($"/proc/{pid}/status"))
            {
                if (line.StartsWith("VmRSS:")) rss = Kb(line);
                else if (line.StartsWith("VmHWM:")) hwm = Kb(line);
                else if (line.StartsWith("Threads:")) threads = int.Parse(line[8..].Trim());
            }
            return new ProcStatus(rss, hwm, threads);
        }
        catch (IOException) { return null; }
        catch (UnauthorizedAccessException) { return null; }
    }

    private static long Kb(string line) => long.Parse(line.Split(':', 2)[1].Trim().Split(' ')[0]);
}

/// <summary>The 1-minute load average, sampled once a second while a phase runs.</summary>
public sealed class LoadAverageSampler : IAsyncDisposable
{
    private readonly List<double> _samples = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _task;

    public LoadAverageSampler() => _task = Task.Run(async () =>
    {
        while (!_stop.IsCancellationRequested)
        {
            if (Read() is { } l) lock (_samples) _samples.Add(l[0]);
            try { await Task.Delay(1000, _stop.Token); } catch (OperationCanceledException) { }
        }
    });

    /// <summary>1, 5 and 15-minute load averages now, or null off Linux.</summary>
    public static double[]? Read()
    {
        try { return File.ReadAllText("/proc/loadavg").Split(' ')[..3].Select(double.Parse).ToArray(); }
        catch (IOException) { return null; }
    }

    public LoadSummary Summary()
    {
        lock (_samples)
            return _samples.Count == 0 ? new LoadSummary(0, 0, 0)
                : new LoadSummary(Math.Round(_samples.Min(), 2), Math.Round(_samples.Average(), 2), Math.Round(_samples.Max(), 2));
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        await _task;
        _stop.Dispose();
    }
}

public sealed record LoadSummary(double Min, double Mean, double Max);
