using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace FashionMnist.Selection;

/// <summary>One line of a search result file: one candidate's cross-validated scores plus what search it belongs to.</summary>
public sealed record SearchResultLine
{
    public string Format { get; init; } = SearchResultFile.FormatName;
    /// <summary>Hash of everything that defines the search (model, grid, cv, seed, random, data size, fixed settings): shards merge only if equal.</summary>
    public required string SearchId { get; init; }
    public required string Model { get; init; }
    public required string Grid { get; init; }
    /// <summary>Candidates of the whole search across all shards.</summary>
    public required int PlannedCandidates { get; init; }
    public required int Cv { get; init; }
    public required int Seed { get; init; }
    public required string Shard { get; init; }
    public required int TrainCount { get; init; }
    public required int Candidate { get; init; }
    public required IReadOnlyDictionary<string, string> Settings { get; init; }
    public required IReadOnlyDictionary<string, MetricLine> Metrics { get; init; }
    /// <summary>Mean seconds to fit one fold (scikit-learn's mean_fit_time).</summary>
    public required double FitSeconds { get; init; }

    /// <summary>Mean seconds to predict one held-out fold (scikit-learn's mean_score_time).</summary>
    public double ScoreSeconds { get; init; }
}

public sealed record MetricLine(double Mean, double Std, IReadOnlyList<double> Folds);

/// <summary>
/// Search results as JSON Lines (one <see cref="SearchResultLine"/> object per line, UTF-8, snake_case names),
/// so shards can be written independently, concatenated with cat, and merged with <see cref="Merge"/>.
/// </summary>
public static class SearchResultFile
{
    public const string FormatName = "fmnist-search-1";

    private static readonly JsonSerializerOptions s_json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DictionaryKeyPolicy = null,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        WriteIndented = false,
    };

    /// <summary>The identity of a search: shards of one search share it, anything else differs.</summary>
    public static string SearchId(SearchPlan plan, int trainCount)
    {
        string identity = string.Join("\n",
            plan.Recipe.ModelName, plan.Space.ToString(), plan.Folds, plan.Seed, plan.Random?.ToString() ?? "all", plan.Halving, trainCount,
            string.Join(";", plan.Recipe.BaseSettings.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => $"{kv.Key}={kv.Value}")));
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(identity)))[..16];
    }

    public static IReadOnlyList<SearchResultLine> Lines(SearchPlan plan, int trainCount, IEnumerable<CandidateResult> results)
    {
        string id = SearchId(plan, trainCount);
        int planned = plan.Random is int n ? Math.Min(n, plan.Space.Count) : plan.Space.Count;
        return results.Select(r => new SearchResultLine
        {
            SearchId = id,
            Model = plan.Recipe.ModelName,
            Grid = plan.Space.ToString(),
            PlannedCandidates = planned,
            Cv = plan.Folds,
            Seed = plan.Seed,
            Shard = plan.Shard.ToString(),
            TrainCount = r.TrainCount,
            Candidate = r.Candidate.Index,
            Settings = r.Candidate.Settings,
            Metrics = r.Metrics.ToDictionary(kv => kv.Key, kv => new MetricLine(kv.Value.Mean, kv.Value.Std, kv.Value.Folds)),
            FitSeconds = r.FitSeconds,
            ScoreSeconds = r.ScoreSeconds,
        }).ToList();
    }

    public static void Write(string path, IEnumerable<SearchResultLine> lines)
    {
        var text = new StringBuilder();
        foreach (var line in lines) text.Append(JsonSerializer.Serialize(line, s_json)).Append('\n');
        AtomicFile.WriteAllText(path, text.ToString());
    }

    public static IReadOnlyList<SearchResultLine> Read(string path)
    {
        string[] lines;
        try
        {
            lines = File.ReadAllLines(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new FashionMnistException($"Cannot read search results '{path}': {e.Message}", "Check the path.", ExitCodes.BadInput, e);
        }
        var result = new List<SearchResultLine>();
        for (int i = 0; i < lines.Length; i++)
        {
            if (string.IsNullOrWhiteSpace(lines[i])) continue;
            SearchResultLine? line;
            try
            {
                line = JsonSerializer.Deserialize<SearchResultLine>(lines[i], s_json);
            }
            catch (JsonException e)
            {
                throw new FashionMnistException($"'{path}' line {i + 1} is not a search result: {e.Message}",
                    "Pass files written by `fmnist search --out-results`.", ExitCodes.BadInput, e);
            }
            if (line is null || line.Format != FormatName)
                throw new FashionMnistException($"'{path}' line {i + 1} is not a {FormatName} search result",
                    "Pass files written by `fmnist search --out-results`.");
            result.Add(line);
        }
        return result;
    }

    /// <summary>Merged results of one search, best mean accuracy first, plus the indices of candidates no file holds.</summary>
    public static (IReadOnlyList<SearchResultLine> Lines, IReadOnlyList<int> Missing) Merge(IReadOnlyList<string> paths)
    {
        if (paths.Count == 0) throw new FashionMnistException("--merge needs at least one result file", "Pass the shards' files: --merge a.jsonl b.jsonl.");
        var all = paths.SelectMany(p => Read(p).Select(line => (Path: p, Line: line))).ToList();
        if (all.Count == 0) throw new FashionMnistException("The result files hold no results", "Check that the shards finished.");
        var first = all[0];
        foreach (var (path, line) in all)
            if (line.SearchId != first.Line.SearchId)
                throw new FashionMnistException(
                    $"'{path}' comes from a different search than '{first.Path}' (model {line.Model}, grid \"{line.Grid}\" vs model {first.Line.Model}, grid \"{first.Line.Grid}\")",
                    "Merge only shards of one search (same model, grid, --cv, --seed, --random and --train-limit).");
        var byCandidate = new SortedDictionary<int, SearchResultLine>();
        foreach (var (_, line) in all) byCandidate.TryAdd(line.Candidate, line);
        var ranked = byCandidate.Values.OrderByDescending(l => l.Metrics[Scores.Accuracy].Mean).ThenBy(l => l.Candidate).ToList();
        var missing = new List<int>();
        if (first.Line.PlannedCandidates == ParameterSpace.Parse(first.Line.Grid).Count) // full grid: every index should be present
            for (int i = 0; i < first.Line.PlannedCandidates; i++)
                if (!byCandidate.ContainsKey(i)) missing.Add(i);
        return (ranked, missing);
    }
}
