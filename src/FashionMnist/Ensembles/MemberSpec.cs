using System.Text;
using System.Text.RegularExpressions;
using FashionMnist.Models;

namespace FashionMnist.Ensembles;

/// <summary>
/// One member of an ensemble as written in its <c>members</c> option: a catalog model, <c>name</c> or
/// <c>name(option=value;option=value)</c>, or else the path of a saved model file. Members are separated by commas outside
/// parentheses, so settings may hold commas themselves (<c>mlp(hidden=256,128)</c>). A catalog member's settings may also
/// name the seed of its fit, <c>cnn3(seed=7)</c>: the seed is the fit's and not a model option, so it is kept apart from
/// <see cref="Settings"/>.
/// </summary>
public sealed partial record MemberSpec
{
    /// <summary>The member as written.</summary>
    public required string Text { get; init; }

    /// <summary>The catalog model to train, or null for a model file.</summary>
    public string? CatalogName { get; init; }

    /// <summary>Settings over the catalog model's defaults (empty for a file).</summary>
    public IReadOnlyDictionary<string, string> Settings { get; init; } = new Dictionary<string, string>();

    /// <summary>
    /// The catalog member's <c>seed=</c> as written, or null when it names none (then the ensemble picks its seed,
    /// <see cref="TrainingSeeds"/>). <see cref="EnsembleOptions.Validate"/> refuses a value that is not an integer.
    /// </summary>
    public string? SeedText { get; init; }

    /// <summary>The seed of the member's fit when <see cref="SeedText"/> is an integer, else null.</summary>
    public int? Seed => int.TryParse(SeedText, NumberStyles.Integer, CultureInfo.InvariantCulture, out int seed) ? seed : null;

    /// <summary>The model file's path, or null for a catalog model.</summary>
    public string? Path { get; init; }

    /// <summary>A short name for logs and progress: the catalog name or the file's name.</summary>
    public string DisplayName => CatalogName ?? System.IO.Path.GetFileName(Path!);

    /// <summary>The name of the setting that gives a catalog member its own seed.</summary>
    internal const string SeedSetting = "seed";

    [GeneratedRegex(@"^(?<name>[A-Za-z0-9][A-Za-z0-9_-]*)\s*(\((?<settings>.*)\))?$", RegexOptions.Singleline)]
    private static partial Regex CatalogPattern();

    /// <summary>Splits and reads a member list; syntax errors are <see cref="FormatException"/>s saying where.</summary>
    public static IReadOnlyList<MemberSpec> ParseList(string text)
    {
        var members = new List<MemberSpec>();
        foreach (string item in SplitTopLevel(text ?? ""))
        {
            string trimmed = item.Trim();
            if (trimmed.Length == 0) continue;
            members.Add(Parse(trimmed));
        }
        return members;
    }

    private static MemberSpec Parse(string text)
    {
        Match match = CatalogPattern().Match(text);
        if (match.Success && ModelCatalog.TryGet(match.Groups["name"].Value, out var descriptor))
        {
            var settings = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            string? seed = null;
            if (match.Groups["settings"].Success)
            {
                foreach (string pair in match.Groups["settings"].Value.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                {
                    int equals = pair.IndexOf('=');
                    if (equals <= 0) throw new FormatException($"'{pair}' in '{text}' is not option=value");
                    string name = pair[..equals].Trim(), value = pair[(equals + 1)..].Trim();
                    if (string.Equals(name, SeedSetting, StringComparison.OrdinalIgnoreCase)) seed = value;
                    else settings[name] = value;
                }
            }
            return new MemberSpec { Text = text, CatalogName = descriptor.Name, Settings = settings, SeedText = seed };
        }
        if (text.Contains('(') && !System.IO.Path.Exists(text))
            throw new FormatException($"'{text}' is neither a catalog model (known: {string.Join(", ", ModelCatalog.Names)}) nor a file");
        return new MemberSpec { Text = text, Path = text };
    }

    /// <summary>
    /// The seed each member is trained with, in the list's order: a catalog member's own <c>seed=</c>, else the
    /// ensemble's seed plus the member's position among the catalog members (the first gets the seed itself, so a
    /// one-member ensemble is the model trained alone; the next seed + 1, ...), so members of the same settings differ
    /// unless told otherwise. Null for a file member (trained already), and for a catalog member without <c>seed=</c>
    /// while <paramref name="ensembleSeed"/> is not known yet (validation before the fit).
    /// </summary>
    internal static int?[] TrainingSeeds(IReadOnlyList<MemberSpec> members, int? ensembleSeed)
    {
        var seeds = new int?[members.Count];
        int position = 0;
        for (int i = 0; i < members.Count; i++)
        {
            if (members[i].CatalogName is null) continue;
            // Wraps around at int.MaxValue, as any int --seed may be given: seeds only need to differ, not to grow.
            seeds[i] = members[i].Seed ?? (ensembleSeed is int seed ? unchecked(seed + position) : null);
            position++;
        }
        return seeds;
    }

    /// <summary>Commas outside parentheses separate members; unbalanced parentheses are an error.</summary>
    private static IEnumerable<string> SplitTopLevel(string text)
    {
        var current = new StringBuilder();
        int depth = 0;
        foreach (char c in text)
        {
            if (c == '(') depth++;
            else if (c == ')' && --depth < 0) throw new FormatException($"a ')' without its '(' in '{text}'");
            if (c == ',' && depth == 0)
            {
                yield return current.ToString();
                current.Clear();
            }
            else current.Append(c);
        }
        if (depth != 0) throw new FormatException($"a '(' is not closed in '{text}'");
        yield return current.ToString();
    }
}
