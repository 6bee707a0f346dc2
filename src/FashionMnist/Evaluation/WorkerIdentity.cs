using FashionMnist.Numerics;

namespace FashionMnist.Evaluation;

/// <summary>
/// Which process ran a unit of work: host, process id (with its start time, so a reused id is not mistaken for it),
/// threads, and the scheduler's index when there is one (a Slurm job array task, a Kubernetes Indexed Job pod).
/// </summary>
public sealed record WorkerIdentity
{
    /// <summary>The machine's host name.</summary>
    public string Host { get; init; } = "";
    /// <summary>The process id on that host.</summary>
    public int ProcessId { get; init; }
    /// <summary>When that process started, so a reused id is not taken for it.</summary>
    public DateTimeOffset? ProcessStartUtc { get; init; }
    /// <summary>Compute threads the process used (<see cref="FashionMnist.Numerics.ComputeThreads"/>).</summary>
    public int Threads { get; init; }

    /// <summary>SLURM_JOB_ID (for an array task: SLURM_ARRAY_JOB_ID).</summary>
    public string? SlurmJobId { get; init; }

    /// <summary>SLURM_ARRAY_TASK_ID.</summary>
    public int? SlurmArrayTaskId { get; init; }

    /// <summary>JOB_COMPLETION_INDEX of a Kubernetes Indexed Job.</summary>
    public int? KubernetesIndex { get; init; }

    /// <summary>This process, now.</summary>
    public static WorkerIdentity Current()
    {
        using var self = Process.GetCurrentProcess();
        DateTimeOffset? started = null;
        try { started = new DateTimeOffset(self.StartTime.ToUniversalTime(), TimeSpan.Zero); }
        catch (Exception e) when (e is InvalidOperationException or System.ComponentModel.Win32Exception or NotSupportedException) { }
        return new WorkerIdentity
        {
            Host = Environment.MachineName,
            ProcessId = Environment.ProcessId,
            ProcessStartUtc = started,
            Threads = ComputeThreads.Count,
            SlurmJobId = Variable("SLURM_ARRAY_JOB_ID") ?? Variable("SLURM_JOB_ID"),
            SlurmArrayTaskId = Number("SLURM_ARRAY_TASK_ID"),
            KubernetesIndex = Number("JOB_COMPLETION_INDEX"),
        };
    }

    /// <summary>"host pid 1234 (Slurm job 77 task 2)" for tables and messages.</summary>
    public string Describe()
    {
        string text = $"{Host} pid {ProcessId.ToString(CultureInfo.InvariantCulture)}";
        if (SlurmArrayTaskId is int task) text += $" (Slurm job {SlurmJobId} task {task.ToString(CultureInfo.InvariantCulture)})";
        else if (SlurmJobId is not null) text += $" (Slurm job {SlurmJobId})";
        if (KubernetesIndex is int index) text += $" (Kubernetes index {index.ToString(CultureInfo.InvariantCulture)})";
        return text;
    }

    /// <summary>
    /// Whether this worker is certainly dead: it ran on this host and no process with its id and start time exists.
    /// On another host nobody can tell, so the answer is false (its heartbeat will tell instead).
    /// </summary>
    public bool IsGoneFromThisHost() =>
        new RunEnvironment("", 0, 0, "", "", "", "", null, Host, ProcessId, ProcessStartUtc).ProcessIsGone();

    private static string? Variable(string name) => Environment.GetEnvironmentVariable(name) is { Length: > 0 } value ? value : null;

    private static int? Number(string name) =>
        int.TryParse(Environment.GetEnvironmentVariable(name), NumberStyles.Integer, CultureInfo.InvariantCulture, out int value) ? value : null;
}
