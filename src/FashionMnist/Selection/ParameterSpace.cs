using YamlDotNet.Core;
using YamlDotNet.Serialization;

namespace FashionMnist.Selection;

/// <summary>One searched setting and the values it takes.</summary>
public sealed record SearchDimension(string Name, IReadOnlyList<string> Values);

/// <summary>One point of a search space: its index in the full grid and its "name=value" settings.</summary>
public sealed record Candidate(int Index, IReadOnlyDictionary<string, string> Settings)
{
    /// <summary>"name=value name=value", for logs and tables.</summary>
    public string Describe() => string.Join(" ", Settings.Select(kv => $"{kv.Key}={kv.Value}"));
}

/// <summary>
/// A grid of settings: the cartesian product of each dimension's values, in a fixed order (the last dimension
/// varies fastest), so candidate <c>i</c> is the same candidate on every machine — which is what lets shards of
/// one search run apart and be merged. Written on the command line as <c>"k=1,3,5;weights=uniform,distance"</c>
/// or in a YAML/JSON file mapping each name to a list (or a single value).
/// </summary>
public sealed class ParameterSpace
{
    /// <summary>The largest grid accepted; larger spaces need random search.</summary>
    public const int MaxCandidates = 1_000_000;

    /// <summary>The grid of <paramref name="dimensions"/>; a name given twice, a dimension without values or a grid over <see cref="MaxCandidates"/> is a <see cref="FashionMnistException"/>.</summary>
    public ParameterSpace(IReadOnlyList<SearchDimension> dimensions)
    {
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var d in dimensions)
        {
            if (!seen.Add(d.Name))
                throw new FashionMnistException($"The search space names '{d.Name}' twice", "Give each setting once, with all its values.");
            if (d.Values.Count == 0)
                throw new FashionMnistException($"The search space gives no values for '{d.Name}'", "List at least one value, e.g. k=1,3,5.");
        }
        Dimensions = dimensions;
        long size = 1;
        foreach (var d in dimensions)
        {
            size *= d.Values.Count;
            if (size > MaxCandidates)
                throw new FashionMnistException($"The search space has more than {MaxCandidates:N0} candidates", "Use fewer values, or --random N to sample some.");
        }
        Count = (int)size;
    }

    /// <summary>The searched settings, in grid order.</summary>
    public IReadOnlyList<SearchDimension> Dimensions { get; }

    /// <summary>Number of candidates in the full grid (1 for an empty space: the defaults).</summary>
    public int Count { get; }

    /// <summary>The grid as text in the --grid syntax (also the identity of a search in result files).</summary>
    public override string ToString() => string.Join(";", Dimensions.Select(d => $"{d.Name}={string.Join(",", d.Values)}"));

    /// <summary>Candidate <paramref name="index"/> of the full grid (0-based; the last dimension varies fastest).</summary>
    public Candidate this[int index]
    {
        get
        {
            if ((uint)index >= (uint)Count) throw new ArgumentOutOfRangeException(nameof(index));
            var settings = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            int rest = index;
            for (int d = Dimensions.Count - 1; d >= 0; d--)
            {
                var values = Dimensions[d].Values;
                settings[Dimensions[d].Name] = values[rest % values.Count];
                rest /= values.Count;
            }
            // Keep the dimension order for display.
            var ordered = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            foreach (var d in Dimensions) ordered[d.Name] = settings[d.Name];
            return new Candidate(index, ordered);
        }
    }

    /// <summary>Every candidate of the grid, in index order.</summary>
    public IEnumerable<Candidate> All() => Enumerable.Range(0, Count).Select(i => this[i]);

    /// <summary><paramref name="count"/> distinct candidates drawn with a seed (all of them, in order, if count >= Count), sorted by index.</summary>
    public IReadOnlyList<Candidate> Sample(int count, int seed)
    {
        if (count < 1) throw new FashionMnistException($"--random must be at least 1, got {count}", "Pass --random N with N >= 1.");
        if (count >= Count) return All().ToList();
        var chosen = new HashSet<int>();
        var random = new Random(seed);
        while (chosen.Count < count) chosen.Add(random.Next(Count));
        return chosen.Order().Select(i => this[i]).ToList();
    }

    /// <summary>Parses "name=v1,v2;name2=v3". Empty text is the empty space (one candidate: the defaults).</summary>
    public static ParameterSpace Parse(string text)
    {
        var dimensions = new List<SearchDimension>();
        foreach (string part in text.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            int equals = part.IndexOf('=');
            if (equals <= 0)
                throw new FashionMnistException($"The grid part '{part}' is not of the form name=value1,value2",
                    "Write the grid as \"k=1,3,5;weights=uniform,distance\".");
            string name = part[..equals].Trim();
            var values = part[(equals + 1)..].Split(',', StringSplitOptions.TrimEntries);
            if (values.Any(v => v.Length == 0))
                throw new FashionMnistException($"The grid part '{part}' has an empty value", "Separate values with single commas, e.g. k=1,3,5.");
            dimensions.Add(new SearchDimension(name, values));
        }
        return new ParameterSpace(dimensions);
    }

    /// <summary>
    /// Reads a YAML or JSON file mapping each setting to a list of values (or one value), e.g.
    /// <code>k: [1, 3, 5]
    /// weights: [uniform, distance]</code>
    /// </summary>
    public static ParameterSpace ReadFile(string path)
    {
        string text = InputFile.ReadAllText(path, "Grid file", "Check the path given with --grid-file.", 1L << 20);
        return FromYaml(text, path);
    }

    /// <summary>The search space of YAML or JSON text (a grid file's content); <paramref name="path"/> names it in messages.</summary>
    public static ParameterSpace FromYaml(string text, string path)
    {
        YamlGuard.Check(text, $"The grid file '{path}'");
        Dictionary<string, object?>? map;
        try
        {
            map = new DeserializerBuilder().Build().Deserialize<Dictionary<string, object?>>(text);
        }
        catch (Exception e) when (YamlGuard.IsSyntaxError(e))
        {
            throw new FashionMnistException($"The grid file '{path}' is not valid YAML/JSON: {e.Message}",
                "Write it as a mapping of setting names to value lists, e.g. k: [1, 3, 5].", ExitCodes.BadInput, e);
        }
        if (map is null || map.Count == 0)
            throw new FashionMnistException($"The grid file '{path}' is empty", "Write it as a mapping of setting names to value lists, e.g. k: [1, 3, 5].");
        var dimensions = new List<SearchDimension>();
        foreach (var (name, value) in map)
        {
            var values = value switch
            {
                IEnumerable<object?> list when value is not string => list.Select(v => Scalar(path, name, v)).ToList(),
                _ => [Scalar(path, name, value)],
            };
            dimensions.Add(new SearchDimension(name, values));
        }
        return new ParameterSpace(dimensions);
    }

    private static string Scalar(string path, string name, object? value) => value switch
    {
        string s => s,
        null => throw new FashionMnistException($"The grid file '{path}' gives '{name}' an empty value", "Give every setting one or more values."),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => throw new FashionMnistException($"The grid file '{path}' gives '{name}' a value that is not a number or text",
            "Values must be numbers or words, e.g. k: [1, 3, 5]."),
    };

    /// <summary>The two spaces together (e.g. --grid and --grid-file); a name in both is an error.</summary>
    public ParameterSpace Concat(ParameterSpace other) => new(Dimensions.Concat(other.Dimensions).ToList());
}
