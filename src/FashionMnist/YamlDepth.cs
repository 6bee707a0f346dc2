using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace FashionMnist;

/// <summary>
/// Bounds how deeply YAML (and so JSON) text nests before it is loaded into a tree. YamlDotNet's representation
/// model and deserializer recurse once per level, so a file of 50,000 '[' overflowed the stack and killed the
/// process (exit 134, no message to catch). Its parser is a state machine, not recursive: walking its events first
/// costs one pass and no recursion.
/// </summary>
public static class YamlDepth
{
    /// <summary>Far more than any spec or grid needs (a spec is 3 deep, a grid 2).</summary>
    public const int DefaultMax = 32;

    /// <summary>Throws a <see cref="FashionMnistException"/> naming <paramref name="source"/> when the text nests deeper than
    /// <paramref name="max"/>; syntax errors are left for the real load to report.</summary>
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
