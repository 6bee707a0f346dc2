using FashionMnist.Evaluation;

namespace FashionMnist.Evaluation;

/// <summary>
/// How much CPU the whole machine spent, from the first line of /proc/stat, so a comparison can tell how much of the
/// machine other processes took while it ran: machine CPU over the run minus our own. The load average cannot say
/// that: it counts our own threads, and its 1- and 15-minute windows still hold work that ended before we started.
/// </summary>
internal static class MachineLoad
{
    /// <summary>/proc/stat counts in USER_HZ ticks, 100 per second on every Linux build .NET runs on.</summary>
    private const double TicksPerSecond = 100;

    /// <summary>Busy CPU seconds of all cores since boot (user, nice, system, irq, softirq, steal), or null off Linux.</summary>
    public static double? BusySeconds()
    {
        try
        {
            using var reader = new StreamReader("/proc/stat");
            return ParseBusySeconds(reader.ReadLine());
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>
    /// The busy seconds in an aggregate "cpu" line: user nice system idle iowait irq softirq steal [guest guest_nice].
    /// Idle and iowait are not busy; guest time is already inside user; steal (the hypervisor giving our cores to
    /// other guests) counts as someone else's work.
    /// </summary>
    internal static double? ParseBusySeconds(string? line)
    {
        if (line is null || !line.StartsWith("cpu ", StringComparison.Ordinal)) return null;
        string[] fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (fields.Length < 8) return null;
        long busy = 0;
        foreach (int field in new[] { 1, 2, 3, 6, 7, 8 })
        {
            if (field >= fields.Length) continue; // steal is missing on very old kernels
            if (!long.TryParse(fields[field], NumberStyles.None, CultureInfo.InvariantCulture, out long ticks)) return null;
            busy += ticks;
        }
        return busy / TicksPerSecond;
    }

    /// <summary>
    /// Cores other processes kept busy on average over <paramref name="wallSeconds"/>: machine busy time minus ours,
    /// per second. Null when either reading is missing or the interval is empty.
    /// </summary>
    public static double? OtherCoresBusy(double? machineAtStart, double? machineAtEnd, double ownCpuSeconds, double wallSeconds)
    {
        if (machineAtStart is not double start || machineAtEnd is not double end || wallSeconds <= 0) return null;
        return Math.Max(0, end - start - ownCpuSeconds) / wallSeconds;
    }

    /// <summary>The 15-minute load average from /proc/loadavg, or null where there is none.</summary>
    public static double? LoadAverage()
    {
        try
        {
            string[] fields = File.ReadAllText("/proc/loadavg").Split(' ');
            return fields.Length >= 3 && double.TryParse(fields[2], System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out double load) ? load : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
