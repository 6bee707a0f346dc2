using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace FashionMnist;

/// <summary>
/// Checks YAML (and so JSON) text for the two shapes that kill the process before it is loaded into a tree, walking
/// YamlDotNet's parser events first (a state machine, not recursive: one pass, no recursion):
/// <list type="bullet">
/// <item>Deep nesting: YamlDotNet's representation model and deserializer recurse once per level, so a file of 50,000
/// '[' overflowed the stack (exit 134, no message to catch).</item>
/// <item>Aliases: <c>&amp;a [*a]</c> makes the tree a cycle, and YamlDotNet's node hashing and alias resolution then
/// recurse without end (found by the spec harness: <c>{&amp;F [*F]: 0}</c> and its kin, a stack overflow again); aliases
/// that do not cycle can still multiply a small file into a huge tree (the "billion laughs"). No spec or grid needs
/// one, so any alias is refused.</item>
/// </list>
/// </summary>
internal static class YamlGuard
{
    /// <summary>Far more than any spec or grid needs (a spec is 3 deep, a grid 2).</summary>
    public const int DefaultMax = 32;

    /// <summary>Throws a <see cref="FashionMnistException"/> naming <paramref name="source"/> when the text nests deeper than
    /// <paramref name="max"/> or uses an alias; syntax errors are left for the real load to report.</summary>
    public static void Check(string text, string source, int max = DefaultMax)
    {
        var parser = new Parser(new StringReader(text));
        int depth = 0;
        try
        {
            while (parser.MoveNext())
            {
                switch (parser.Current)
                {
                    case MappingStart or SequenceStart:
                        if (++depth > max)
                            throw new FashionMnistException(
                                $"{source} nests lists or mappings more than {max} levels deep (line {parser.Current.Start.Line})",
                                "Flatten it: a spec or grid file needs only a few levels.");
                        break;
                    case MappingEnd or SequenceEnd:
                        depth--;
                        break;
                    case AnchorAlias alias:
                        throw new FashionMnistException(
                            $"{source} uses the alias *{alias.Value} (line {alias.Start.Line}); aliases are not supported",
                            "Write the value out in full where the alias stands: a spec or grid file is small.");
                }
            }
        }
        catch (YamlException e)
        {
            throw Invalid(source, e, e.Start.Line, e.Start.Column);
        }
        // YamlDotNet's scanner also throws these on some malformed text (found by fuzzing): still the user's input.
        catch (Exception e) when (e is InvalidOperationException or ArgumentException)
        {
            throw Invalid(source, e, parser.Current?.Start.Line ?? 0, parser.Current?.Start.Column ?? 0);
        }
    }

    /// <summary>The exceptions YamlDotNet throws for text it cannot read (not only <see cref="YamlException"/>).</summary>
    public static bool IsSyntaxError(Exception e) => e is YamlException or InvalidOperationException or ArgumentException;

    private static FashionMnistException Invalid(string source, Exception e, long line, long column) =>
        new($"{source} is not valid YAML/JSON (line {line}, column {column}): {e.Message}",
            "Fix the syntax (YAML, or JSON, which is YAML's subset).", ExitCodes.BadInput, e);
}
