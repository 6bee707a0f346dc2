namespace FashionMnist.Cli;

/// <summary>How one output stream is written: escape codes or not, colours, line width, live progress.</summary>
/// <param name="Ansi">Escape codes (styles, colours, cursor movement) may be written.</param>
/// <param name="Colors">Colours may be used (implies <paramref name="Ansi"/>).</param>
/// <param name="Width">Columns to lay tables and long lines out in.</param>
/// <param name="Live">Progress may redraw itself in place (bars, spinners); otherwise it is plain lines.</param>
public sealed record OutputStyle(bool Ansi, bool Colors, int Width, bool Live)
{
    /// <summary>
    /// Width when the stream is not a terminal and COLUMNS is not set: wide enough that no table or line of ours is
    /// wrapped in a file, a pipe or a log (a reader there scrolls; a wrapped cell is harder to read and to grep).
    /// </summary>
    public const int UnboundedWidth = 1000;

    /// <summary>
    /// The conventions of command-line programs: escape codes and live progress only on a terminal (not in pipes,
    /// files or logs) whose TERM is not "dumb"; no escape codes at all when NO_COLOR is set (to anything non-empty,
    /// https://no-color.org) or --no-color is given; the terminal's real width, else COLUMNS, else unbounded.
    /// </summary>
    public static OutputStyle Decide(bool isTerminal, int terminalWidth, bool noColorFlag, string? noColorVariable,
        string? term, string? columns)
    {
        bool plain = noColorFlag || !string.IsNullOrEmpty(noColorVariable) || string.Equals(term, "dumb", StringComparison.Ordinal);
        bool ansi = isTerminal && !plain;
        int? fromColumns = int.TryParse(columns, out int c) && c >= 20 ? c : null;
        int width = isTerminal && terminalWidth >= 20 ? terminalWidth : fromColumns ?? (isTerminal ? 80 : UnboundedWidth);
        return new OutputStyle(ansi, ansi, width, ansi);
    }
}

/// <summary>
/// The two consoles every command writes to, set up once per run from <see cref="OutputStyle.Decide"/>: stdout for
/// results (tables, --json) and stderr for progress, logs and errors. Spectre.Console alone would write escape codes
/// into pipes, ignore NO_COLOR and wrap at 80 columns off a terminal.
/// </summary>
public static class Terminal
{
    private static IAnsiConsole? s_stderr;

    /// <summary>The style of stderr (progress and logs).</summary>
    public static OutputStyle ErrorStyle { get; private set; } = new(false, false, OutputStyle.UnboundedWidth, false);

    /// <summary>Results: tables, summaries (the same as <see cref="AnsiConsole.Console"/>).</summary>
    public static IAnsiConsole Stdout => AnsiConsole.Console;

    /// <summary>Progress, log lines, warnings: stdout stays clean for --json and pipes.</summary>
    public static IAnsiConsole Stderr => s_stderr ??= Create(Console.Error, ErrorStyle);

    /// <summary>Sets up both consoles for this process (call before any output).</summary>
    public static void Configure(bool noColorFlag)
    {
        // --no-color is NO_COLOR for this process: .NET's own console (which Spectre calls to reset colours when it
        // writes without escape codes) and any program we start honour the variable too.
        if (noColorFlag) Environment.SetEnvironmentVariable("NO_COLOR", "1");
        string? noColor = Environment.GetEnvironmentVariable("NO_COLOR"), term = Environment.GetEnvironmentVariable("TERM"),
            columns = Environment.GetEnvironmentVariable("COLUMNS");
        var outStyle = OutputStyle.Decide(!Console.IsOutputRedirected, WindowWidth(), noColorFlag, noColor, term, columns);
        ErrorStyle = OutputStyle.Decide(!Console.IsErrorRedirected, WindowWidth(), noColorFlag, noColor, term, columns);
        AnsiConsole.Console = Create(Console.Out, outStyle);
        s_stderr = Create(Console.Error, ErrorStyle);
    }

    /// <summary>A console on <paramref name="writer"/> that writes exactly as <paramref name="style"/> says.</summary>
    public static IAnsiConsole Create(TextWriter writer, OutputStyle style)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(writer),
            Ansi = style.Ansi ? AnsiSupport.Yes : AnsiSupport.No,
            ColorSystem = style.Colors ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
            Interactive = style.Live ? InteractionSupport.Yes : InteractionSupport.No,
        });
        console.Profile.Width = style.Width;
        return console;
    }

    private static int WindowWidth()
    {
        try
        {
            return Console.IsOutputRedirected && Console.IsErrorRedirected ? 0 : Console.WindowWidth;
        }
        catch (IOException)
        {
            return 0;
        }
    }
}
