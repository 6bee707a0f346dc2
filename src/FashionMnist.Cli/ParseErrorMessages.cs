using System.CommandLine.Parsing;

namespace FashionMnist.Cli;

/// <summary>
/// The lines printed for a command line that does not parse. System.CommandLine reports a mistyped flag as two
/// "Unrecognized command or argument" errors (the flag and its value); we print one line per unknown flag or command
/// with the nearest real one ("did you mean --epochs?"), and pass every other error through.
/// </summary>
public static class ParseErrorMessages
{
    public static IReadOnlyList<string> Describe(ParseResult parse)
    {
        var lines = new List<string>();
        var unmatched = parse.UnmatchedTokens;
        Command command = parse.CommandResult.Command;
        var skipped = new HashSet<int>();
        for (int i = 0; i < unmatched.Count; i++)
        {
            string token = unmatched[i];
            if (token.StartsWith('-') && token.Length > 1 && !double.TryParse(token, out _))
            {
                string flag = token.Split('=', 2)[0];
                string hint = Spelling.DidYouMean(flag, OptionNames(command));
                lines.Add($"unknown option '{flag}' for '{CommandPath(parse)}'." + (hint.Length > 0 ? " " + hint : ""));
                // "--epoch 3": the 3 was meant as the unknown flag's value; one line about the flag says it all.
                if (!token.Contains('=') && i + 1 < unmatched.Count && !unmatched[i + 1].StartsWith('-')) skipped.Add(i + 1);
            }
            else if (!skipped.Contains(i) && command.Subcommands.Count > 0)
            {
                // "fmnist trian knn": the rest of the line belongs to the command that was meant; this one line is the error.
                string hint = Spelling.DidYouMean(token, command.Subcommands.Where(c => !c.Hidden).SelectMany(c => c.Aliases.Prepend(c.Name)));
                return [$"unknown command '{token}' for '{CommandPath(parse)}'." + (hint.Length > 0 ? " " + hint : "")];
            }
            else if (!skipped.Contains(i))
                lines.Add($"unexpected argument '{token}' for '{CommandPath(parse)}'.");
        }
        foreach (ParseError error in parse.Errors)
            if (!(error.SymbolResult is CommandResult && unmatched.Any(t => error.Message.Contains($"'{t}'", StringComparison.Ordinal))))
                lines.Add(error.Message);
        return lines;
    }

    /// <summary>"fmnist train": the command the user was typing.</summary>
    public static string CommandPath(ParseResult parse)
    {
        var names = new List<string>();
        for (var result = parse.CommandResult; result is not null; result = result.Parent as CommandResult)
            names.Insert(0, result.Command is RootCommand ? "fmnist" : result.Command.Name);
        return string.Join(' ', names);
    }

    /// <summary>Every flag the command accepts: its own options and its ancestors' recursive ones, aliases included.</summary>
    private static IEnumerable<string> OptionNames(Command command)
    {
        var options = command.Options.ToList();
        foreach (Command parent in Ancestors(command)) options.AddRange(parent.Options.Where(o => o.Recursive));
        return options.Where(o => !o.Hidden).SelectMany(o => o.Aliases.Prepend(o.Name)).Where(n => n.StartsWith('-'));
    }

    private static IEnumerable<Command> Ancestors(Command command)
    {
        var seen = new HashSet<Command>();
        var queue = new Queue<Command>(command.Parents.OfType<Command>());
        while (queue.TryDequeue(out var parent))
            if (seen.Add(parent))
            {
                yield return parent;
                foreach (var grand in parent.Parents.OfType<Command>()) queue.Enqueue(grand);
            }
    }
}
