namespace FashionMnist.Numerics;

/// <summary>
/// The one thread-count setting for the whole process: our parallel loops and OpenBLAS together.
/// Default: FMNIST_THREADS if set, else SLURM_CPUS_PER_TASK (the cores a Slurm task was given), else all cores. Set it once at start-up (the CLI's --threads).
/// </summary>
public static class ComputeThreads
{
    private static int s_count = Initial();

    public static int Count
    {
        get => s_count;
        set
        {
            if (value < 1)
                throw new FashionMnistException($"Thread count must be at least 1, got {value}", "Pass --threads N with N >= 1.");
            s_count = value;
            Changed?.Invoke(value);
        }
    }

    /// <summary>Raised when <see cref="Count"/> changes, so native libraries can follow.</summary>
    public static event Action<int>? Changed;

    public static ParallelOptions ParallelOptions => new() { MaxDegreeOfParallelism = s_count };

    private static int Initial()
    {
        foreach (string variable in new[] { "FMNIST_THREADS", "SLURM_CPUS_PER_TASK" })
            if (int.TryParse(Environment.GetEnvironmentVariable(variable), out int n) && n >= 1) return n;
        return Environment.ProcessorCount;
    }
}
