using System.Diagnostics;
using System.Globalization;

namespace FashionMnist.Cli.Commands;

/// <summary>
/// Shows <see cref="FitProgress"/> reports on stderr (so stdout stays clean for --json). On a terminal: Spectre
/// progress bars, one per stage, with time left. Elsewhere (a pipe, a file, a CI log, NO_COLOR): plain lines, one per
/// event — a stage that took a while finished, or every <see cref="HeartbeatSeconds"/> seconds how far a long stage
/// has got — never redrawn and never wrapped.
/// </summary>
internal static class ProgressDisplay
{
    /// <summary>Seconds between the plain "still working" lines of a long stage.</summary>
    public const double HeartbeatSeconds = 15;

    /// <summary>A stage that finishes quicker than this gets no line of its own (the result follows at once).</summary>
    public const double NotableSeconds = 2;

    /// <summary>The console for progress and log lines.</summary>
    public static IAnsiConsole Stderr => Terminal.Stderr;

    /// <summary>The plain reporter of the work running now, if any (its pending line may be told by a log line).</summary>
    private static LineReporter? s_current;

    /// <summary>Writes one log line (an epoch, a round) on stderr, as plain text.</summary>
    public static void Log(string line)
    {
        s_current?.BeforeLog(line);
        Stderr.WriteLine(line);
    }

    public static T Run<T>(Func<IProgress<FitProgress>?, T> work)
    {
        if (!Terminal.ErrorStyle.Live)
        {
            var reporter = new LineReporter(Stderr);
            s_current = reporter;
            try
            {
                return work(reporter);
            }
            finally
            {
                reporter.Flush();
                s_current = null;
            }
        }
        T result = default!;
        Stderr.Progress()
            .AutoClear(true)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(),
                new ElapsedTimeColumn(), new RemainingTimeColumn(), new SpinnerColumn())
            .Start(context => result = work(new BarReporter(context)));
        return result;
    }

    private sealed class BarReporter(ProgressContext context) : IProgress<FitProgress>
    {
        private readonly Dictionary<string, ProgressTask> _tasks = new(StringComparer.Ordinal);

        public void Report(FitProgress value)
        {
            lock (_tasks)
            {
                if (!_tasks.TryGetValue(value.Stage, out var task))
                    _tasks[value.Stage] = task = context.AddTask(Markup.Escape(value.Stage), maxValue: Math.Max(1, value.Total));
                // Total 0 means "no known length" (LIBSVM's solver reports no progress): a spinner, not a stuck bar.
                task.IsIndeterminate = value.Total <= 0;
                task.MaxValue = Math.Max(1, value.Total);
                task.Value = Math.Min(value.Done, task.MaxValue);
                if (value.Detail is not null) task.Description = Markup.Escape($"{value.Stage}: {value.Detail}");
            }
        }
    }

    /// <summary>
    /// Plain progress: a line when a stage that took at least <see cref="NotableSeconds"/> finishes, and a heartbeat
    /// line when a stage has run <see cref="HeartbeatSeconds"/> since the last line. A stage's "done" line waits for
    /// the next event: when that is a log line about the same stage ("epoch 3/30: loss ..."), the log says it better
    /// and the "done" line is dropped.
    /// </summary>
    internal sealed class LineReporter(IAnsiConsole console, Func<double>? clock = null) : IProgress<FitProgress>
    {
        private readonly Stopwatch _stopwatch = Stopwatch.StartNew();
        private readonly Dictionary<string, double> _started = new(StringComparer.Ordinal);
        private readonly HashSet<string> _finished = new(StringComparer.Ordinal);
        private double _lastLine;
        private (string Stage, string Line)? _pending;

        private double Now => clock?.Invoke() ?? _stopwatch.Elapsed.TotalSeconds;

        public void Report(FitProgress value)
        {
            lock (_finished)
            {
                double now = Now;
                double started = _started.TryGetValue(value.Stage, out double s) ? s : _started[value.Stage] = now;
                if (value.Total > 0 && value.Done >= value.Total)
                {
                    if (!_finished.Add(value.Stage) || now - started < NotableSeconds) return;
                    FlushLocked();
                    _lastLine = now;
                    _pending = (value.Stage, string.Create(CultureInfo.InvariantCulture, $"{value.Stage}: {value.Total:N0}/{value.Total:N0} done [{now:0} s]"));
                }
                else if (now - Math.Max(_lastLine, started) >= HeartbeatSeconds)
                {
                    FlushLocked();
                    _lastLine = now;
                    console.WriteLine(Describe(value, now));
                }
            }
        }

        /// <summary>A log line is about to be written: it replaces a pending "done" line about the same stage.</summary>
        public void BeforeLog(string line)
        {
            lock (_finished)
            {
                if (_pending is { } pending && line.StartsWith(pending.Stage, StringComparison.Ordinal)) _pending = null;
                else FlushLocked();
            }
        }

        /// <summary>Writes the pending "done" line, if any (at the end of the work).</summary>
        public void Flush()
        {
            lock (_finished) FlushLocked();
        }

        private void FlushLocked()
        {
            if (_pending is { } pending) console.WriteLine(pending.Line);
            _pending = null;
        }

        internal static string Describe(FitProgress value, double seconds)
        {
            string amount = value.Total > 0
                ? string.Create(CultureInfo.InvariantCulture, $"{value.Done:N0}/{value.Total:N0} ({100.0 * value.Done / value.Total:0} %)")
                : "working";
            string detail = string.IsNullOrEmpty(value.Detail) ? "" : $", {value.Detail}";
            return string.Create(CultureInfo.InvariantCulture, $"{value.Stage}: {amount}{detail} [{seconds:0} s]");
        }
    }
}
