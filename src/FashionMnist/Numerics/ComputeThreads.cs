namespace FashionMnist.Numerics;

/// <summary>
/// The one thread-count setting for the whole process: our parallel loops and OpenBLAS together.
/// Default: FMNIST_THREADS if set, else SLURM_CPUS_PER_TASK (the cores a Slurm task was given), else all cores. Set it once at start-up (the CLI's --threads).
/// </summary>
public static class ComputeThreads
{
    private static int s_count = Initial();

    /// <summary>
    /// The most threads accepted: 8 per core, at least 16. More only adds per-thread buffers and switching
    /// (--threads 100000 used to end in "Out of memory", exit 134).
    /// </summary>
    public static int MaxCount { get; } = Math.Max(16, 8 * Environment.ProcessorCount);

    public static int Count
    {
        get => s_count;
        set
        {
            Check(value, "--threads");
            s_count = value;
            Changed?.Invoke(value);
        }
    }

    /// <summary>Parses a thread count from text (FMNIST_THREADS); <paramref name="source"/> names it in messages.</summary>
    public static int Parse(string text, string source)
    {
        if (!int.TryParse(text.Trim(), System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out int value))
            throw new FashionMnistException($"{source} must be a whole number of threads, got '{text}'",
                $"Set it to a number from 1 to {MaxCount}, or unset it to use all {Environment.ProcessorCount} cores.");
        Check(value, source);
        return value;
    }

    /// <summary>FMNIST_THREADS checked, when set: a value that cannot be used is an error, not silently ignored.</summary>
    public static void CheckEnvironment()
    {
        string? text = Environment.GetEnvironmentVariable("FMNIST_THREADS");
        if (text is not null) Count = Parse(text, "FMNIST_THREADS");
    }

    private static void Check(int value, string source)
    {
        if (value < 1 || value > MaxCount)
            throw new FashionMnistException($"{source} {value} is out of range: threads must be from 1 to {MaxCount} ({Environment.ProcessorCount} cores here)",
                $"Pass a thread count from 1 to {MaxCount}; the default uses all cores.");
    }

    /// <summary>Raised when <see cref="Count"/> changes, so native libraries can follow.</summary>
    public static event Action<int>? Changed;

    public static ParallelOptions ParallelOptions => new() { MaxDegreeOfParallelism = s_count };

    private static int Initial()
    {
        // Lenient here (a type initializer must not throw); the CLI calls CheckEnvironment to report a bad value.
        foreach (string variable in new[] { "FMNIST_THREADS", "SLURM_CPUS_PER_TASK" })
            if (int.TryParse(Environment.GetEnvironmentVariable(variable), out int n) && n >= 1 && n <= Math.Max(16, 8 * Environment.ProcessorCount)) return n;
        return Environment.ProcessorCount;
    }
}
