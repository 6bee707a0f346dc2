using FashionMnist.Cli;
using FashionMnist.Cli.Commands;
using FashionMnist.Models;
using FashionMnist.Tests.Support;
using Spectre.Console;

namespace FashionMnist.Tests.Cli;

/// <summary>
/// Colour and live progress only on a terminal, NO_COLOR and --no-color honoured, no wrapping at 80 columns off a
/// terminal, plain one-line progress in logs, one error prefix.
/// </summary>
public class OutputConventionTests
{
    /// <summary>As a user's shell would run it: a colour terminal type, no NO_COLOR (CliRunner sets it by default).</summary>
    private static readonly Dictionary<string, string?> ColourTerminalType = new() { ["NO_COLOR"] = null, ["TERM"] = "xterm-256color", ["COLUMNS"] = null };

    [Theory]
    // terminal?, width, --no-color, NO_COLOR, TERM, COLUMNS → ansi, width, live
    [InlineData(true, 132, false, null, "xterm-256color", null, true, 132, true)]
    [InlineData(true, 132, false, "1", "xterm-256color", null, false, 132, false)]    // NO_COLOR: no escape codes at all
    [InlineData(true, 132, false, "", "xterm-256color", null, true, 132, true)]      // set but empty does not count (no-color.org)
    [InlineData(true, 132, true, null, "xterm-256color", null, false, 132, false)]   // --no-color
    [InlineData(true, 132, false, null, "dumb", null, false, 132, false)]            // TERM=dumb
    [InlineData(false, 0, false, null, "xterm-256color", null, false, OutputStyle.UnboundedWidth, false)] // a pipe or a file
    [InlineData(false, 0, false, null, "xterm-256color", "100", false, 100, false)] // COLUMNS asked for a width
    [InlineData(true, 0, false, null, "xterm", "90", true, 90, true)]                // a terminal that reports no width
    public void Output_style_follows_the_conventions(bool terminal, int width, bool flag, string? noColor, string? term, string? columns,
        bool ansi, int expectedWidth, bool live)
    {
        var style = OutputStyle.Decide(terminal, width, flag, noColor, term, columns);
        Assert.Equal(new OutputStyle(ansi, ansi, expectedWidth, live), style);
    }

    [Fact]
    public void A_console_made_without_ansi_writes_no_escape_codes_even_for_markup()
    {
        var writer = new StringWriter();
        var console = Terminal.Create(writer, OutputStyle.Decide(true, 100, false, "1", "xterm-256color", null));
        console.MarkupLine("[bold red]styled[/] text");
        console.Write(new Table().AddColumn("[green]a[/]").AddRow("[blue]b[/]"));
        Assert.DoesNotContain('\u001b', writer.ToString());
        Assert.Contains("styled text", writer.ToString());

        var colourful = new StringWriter();
        Terminal.Create(colourful, OutputStyle.Decide(true, 100, false, null, "xterm-256color", null)).MarkupLine("[bold]styled[/]");
        Assert.Contains('\u001b', colourful.ToString()); // the same markup on a terminal is styled: the test can fail
    }

    [Theory]
    [InlineData("models", "mlp")]
    [InlineData("models")]
    [InlineData("data", "info")]
    [InlineData("data", "verify")]
    [InlineData("train", "kn")]
    public void Redirected_output_has_no_escape_codes(params string[] args)
    {
        var result = CliRunner.Run(args, ColourTerminalType);
        Assert.DoesNotContain('\u001b', result.Stdout);
        Assert.DoesNotContain('\u001b', result.Stderr);
        Assert.False(string.IsNullOrWhiteSpace(result.Stdout + result.Stderr));
    }

    [Fact]
    public void Tables_in_a_pipe_are_not_wrapped_at_80_columns()
    {
        var result = CliRunner.Run(["models", "mlp"], ColourTerminalType);
        Assert.True(result.ExitCode == 0, result.ToString());
        // Every option is one row: its name and the end of its (long) description share a line.
        foreach (var option in OptionBinder.Describe(ModelCatalog.Get("mlp").OptionsType))
            Assert.Single(result.Stdout.Split('\n'), line => line.Contains($" {option.Name} ") && line.Contains(option.Description[^12..]));
        Assert.Contains(result.Stdout.Split('\n'), line => line.Length > 80);

        var narrow = CliRunner.Run(["models", "mlp"], new Dictionary<string, string?>(ColourTerminalType) { ["COLUMNS"] = "80" });
        Assert.All(narrow.Stdout.Split('\n'), line => Assert.True(line.Length <= 80, line)); // unless COLUMNS asks for a width
    }

    [Fact]
    public void No_color_flag_and_variable_keep_escape_codes_out()
    {
        // Off a terminal there are none anyway; the flag must parse everywhere and change nothing else.
        var flagged = CliRunner.Run(["models", "knn", "--no-color"], ColourTerminalType);
        Assert.True(flagged.ExitCode == 0, flagged.ToString());
        Assert.DoesNotContain('\u001b', flagged.Stdout);
        var variable = CliRunner.Run(["models", "knn"], new Dictionary<string, string?>(ColourTerminalType) { ["NO_COLOR"] = "1" });
        Assert.Equal(flagged.Stdout, variable.Stdout);
    }

    [Fact]
    public void Epoch_lines_in_a_log_are_whole_lines()
    {
        var result = CliRunner.Run(["train", "mlp", "--epochs", "2", "--set", "hidden=32", "--train-limit", "600", "--test-limit", "100", "--no-save", "--no-store"],
            ColourTerminalType);
        Assert.True(result.ExitCode == 0, result.ToString());
        var epochs = result.Stderr.Split('\n').Where(l => l.StartsWith("epoch ", StringComparison.Ordinal) && l.Contains(": loss ")).ToList();
        Assert.Equal(2, epochs.Count);
        Assert.All(epochs, line => Assert.Matches(@"^epoch \d/2: loss \S+ acc \S+ .*lr \S+ \d+\.\ds$", line)); // nothing wrapped away
        Assert.DoesNotContain('\u001b', result.Stderr);
        Assert.DoesNotContain('\r', result.Stderr); // no redrawn progress bars in a log
    }

    [Fact]
    public void Plain_progress_prints_a_line_per_finished_stage_and_heartbeats_only_for_long_ones()
    {
        var writer = new StringWriter();
        double now = 0;
        var reporter = new ProgressDisplay.LineReporter(Terminal.Create(writer, OutputStyle.Decide(false, 0, false, null, null, null)), () => now);
        reporter.Report(new FitProgress("index", 0, 1));
        reporter.Report(new FitProgress("index", 1, 1));            // done at once: no line (the result follows)
        for (int i = 0; i <= 100; i++, now += 0.5) reporter.Report(new FitProgress("trees", i, 100, $"tree {i}"));
        reporter.Report(new FitProgress("trees", 100, 100));        // a stage reported done twice is one line
        reporter.Flush();
        string[] lines = writer.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        // 50 s of trees: heartbeats at 15, 30 and 45 s, and the end.
        Assert.Equal(["trees: 30/100 (30 %), tree 30 [15 s]", "trees: 60/100 (60 %), tree 60 [30 s]", "trees: 90/100 (90 %), tree 90 [45 s]",
            "trees: 100/100 done [50 s]"], lines);

        // An epoch's "done" line gives way to the epoch's own log line; another stage's does not.
        var epochs = new StringWriter();
        now = 0;
        var neural = new ProgressDisplay.LineReporter(Terminal.Create(epochs, OutputStyle.Decide(false, 0, false, null, null, null)), () => now);
        neural.Report(new FitProgress("epoch 1/2", 0, 10));
        now = 5;
        neural.Report(new FitProgress("epoch 1/2", 10, 10));
        neural.BeforeLog("epoch 1/2: loss 0.5 acc 0.8 lr 0.001 5.0s");
        neural.Report(new FitProgress("evaluate", 0, 1));
        now = 9;
        neural.Report(new FitProgress("evaluate", 1, 1));
        neural.BeforeLog("saved model");
        Assert.Equal("evaluate: 1/1 done [9 s]\n", epochs.ToString().ReplaceLineEndings("\n"));

        Assert.Equal("search: 3/12 (25 %), k=3 [16 s]", ProgressDisplay.LineReporter.Describe(new FitProgress("search", 3, 12, "k=3"), 16.2));
        Assert.Equal("svm: working, pairs [2 s]", ProgressDisplay.LineReporter.Describe(new FitProgress("svm", 0, 0, "pairs"), 2));
    }

    [Theory]
    [InlineData("train knn --set k=0 --no-save")]                      // a model option
    [InlineData("evaluate --model /nonexistent/x.fmm")]                // a file
    [InlineData("runs show abcd --store /nonexistent/runs.db")]        // the store
    [InlineData("predict --model m.fmm")]                             // a missing argument
    [InlineData("train knn --epoch 3")]                               // the parser
    [InlineData("data show")]                                         // a required option
    public void Every_error_begins_with_lower_case_error(string command)
    {
        var result = CliRunner.Run(command.Split(' '));
        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.StartsWith("error: ", result.Stderr);
        Assert.DoesNotContain("Error:", result.Stderr);
    }

    [Theory]
    [InlineData(6.0, "6")]
    [InlineData(1_234_567.0, "1,234,567")]
    [InlineData(0.8010, "0.8010")]
    [InlineData(1.0, "1.0000")]      // an accuracy of 1 is a score, not a count
    [InlineData(2.5, "2.5000")]
    [InlineData(double.NaN, "–")]
    public void Counts_print_as_integers_and_scores_with_four_decimals(double value, string expected) =>
        Assert.Equal(expected, RunsCommands.MetricText(value));
}
