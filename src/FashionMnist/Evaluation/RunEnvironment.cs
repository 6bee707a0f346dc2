using System.Reflection;
using FashionMnist.Numerics;

namespace FashionMnist.Evaluation;

/// <summary>The machine and software a run ran on, so numbers can be compared and reproduced.</summary>
public sealed record RunEnvironment(
    string CpuModel,
    int LogicalCores,
    int Threads,
    string GemmBackend,
    string OperatingSystem,
    string DotNetVersion,
    string ProjectVersion,
    string? GitCommit,
    string Host,
    int ProcessId,
    DateTimeOffset? ProcessStartUtc)
{
    /// <summary>An environment with nothing known, for records that were made without one.</summary>
    public static RunEnvironment Empty { get; } = new("", 0, 0, "", "", "", "", null, "", 0, null);

    private static readonly Lazy<string> s_cpu = new(ReadCpuModel);
    private static readonly Lazy<string?> s_commit = new(ReadGitCommit);

    /// <summary>This process's environment now.</summary>
    public static RunEnvironment Current()
    {
        using var self = Process.GetCurrentProcess();
        return new RunEnvironment(
            s_cpu.Value,
            Environment.ProcessorCount,
            ComputeThreads.Count,
            Gemm.Backend.ToString(),
            RuntimeInformation.OSDescription,
            RuntimeInformation.FrameworkDescription,
            typeof(RunEnvironment).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown",
            s_commit.Value,
            Environment.MachineName,
            Environment.ProcessId,
            StartTime(self));
    }

    /// <summary>
    /// Whether the process that wrote a 'running' row is certainly gone: same host, and no process with that
    /// id and start time exists. On another host we cannot tell, so the answer is false.
    /// </summary>
    public bool ProcessIsGone()
    {
        if (ProcessId <= 0 || !string.Equals(Host, Environment.MachineName, StringComparison.Ordinal)) return false;
        try
        {
            using var process = Process.GetProcessById(ProcessId);
            if (process.HasExited) return true;
            DateTimeOffset? started = StartTime(process);
            // A reused process id has a different start time.
            return ProcessStartUtc is DateTimeOffset expected && started is DateTimeOffset actual
                && Math.Abs((expected - actual).TotalSeconds) > 2;
        }
        catch (ArgumentException) { return true; } // no such process
        catch (InvalidOperationException) { return true; }
    }

    private static DateTimeOffset? StartTime(Process process)
    {
        try { return new DateTimeOffset(process.StartTime.ToUniversalTime(), TimeSpan.Zero); }
        catch (Exception e) when (e is InvalidOperationException or System.ComponentModel.Win32Exception or NotSupportedException) { return null; }
    }

    private static string ReadCpuModel()
    {
        try
        {
            foreach (string line in File.ReadLines("/proc/cpuinfo"))
                if (line.StartsWith("model name", StringComparison.Ordinal) && line.IndexOf(':') is int colon and > 0)
                    return line[(colon + 1)..].Trim();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        return RuntimeInformation.ProcessArchitecture.ToString();
    }

    /// <summary>The commit of the git work tree the program runs from (or the working folder), if git can tell within a second.</summary>
    private static string? ReadGitCommit()
    {
        foreach (string folder in new[] { AppContext.BaseDirectory, Environment.CurrentDirectory })
        {
            try
            {
                var start = new ProcessStartInfo("git", ["-C", folder, "rev-parse", "HEAD"])
                {
                    RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
                };
                using var git = Process.Start(start);
                if (git is null) continue;
                string output = git.StandardOutput.ReadToEnd().Trim();
                if (!git.WaitForExit(1000)) { git.Kill(); continue; }
                if (git.ExitCode == 0 && output.Length >= 7) return output;
            }
            catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException) { return null; }
        }
        return null;
    }
}
