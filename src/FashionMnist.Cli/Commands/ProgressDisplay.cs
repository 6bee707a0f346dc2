namespace FashionMnist.Cli.Commands;

/// <summary>
/// Draws <see cref="FitProgress"/> reports as Spectre progress bars on stderr (so stdout stays clean for --json),
/// one bar per stage, with time left. When stderr is not a terminal nothing is drawn.
/// </summary>
internal static class ProgressDisplay
{
    public static IAnsiConsole Stderr { get; } = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });

    public static T Run<T>(Func<IProgress<FitProgress>?, T> work)
    {
        if (!Stderr.Profile.Capabilities.Interactive) return work(null);
        T result = default!;
        Stderr.Progress()
            .AutoClear(true)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(),
                new ElapsedTimeColumn(), new RemainingTimeColumn(), new SpinnerColumn())
            .Start(context => result = work(new Reporter(context)));
        return result;
    }

    private sealed class Reporter(ProgressContext context) : IProgress<FitProgress>
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
}
