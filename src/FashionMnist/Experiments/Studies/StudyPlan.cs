using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using FashionMnist.Experiments.Comparison;
using FashionMnist.Selection;

namespace FashionMnist.Experiments.Studies;

/// <summary>
/// A study: the named set of units a comparison request consists of. Every searched entry contributes
/// candidates × folds cross-validation units, and every entry one refit unit (fit on its training data and evaluate on
/// the test set) that can run once its cross-validation is finished. The plan is a pure function of the request, so
/// every worker that runs the same command plans the same units with the same keys and sequence numbers.
/// </summary>
internal sealed class StudyPlan
{
    private StudyPlan(string name, string hash, ComparisonRequest request, IReadOnlyList<ProfileEntry> entries, IReadOnlyList<StudyUnit> units, string json)
    {
        (Name, Hash, Request, Entries, Units, Json) = (name, hash, request, entries, units, json);
    }

    public string Name { get; }

    /// <summary>SHA-256 (hex, first 16 characters) of what the units compute: profile entries, limits, seed.</summary>
    public string Hash { get; }

    public ComparisonRequest Request { get; }
    public IReadOnlyList<ProfileEntry> Entries { get; }
    public IReadOnlyList<StudyUnit> Units { get; }

    /// <summary>The canonical description the hash is taken of; kept in the store with the study.</summary>
    public string Json { get; }

    public ProfileEntry Entry(string name) => Entries.First(e => e.Name == name);

    /// <summary>
    /// Plans the request. <paramref name="name"/> null derives "PROFILE-HASH10", so two requests that compute anything
    /// differently (models, settings, limits, seed) never share a study, and the same command always finds its own.
    /// </summary>
    public static StudyPlan Create(ComparisonRequest request, IReadOnlyList<ProfileEntry> entries, string? name = null)
    {
        string json = Describe(request, entries);
        string hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(json)))[..16];
        if (name is not null) CheckName(name);
        var units = new List<StudyUnit>();
        foreach (var entry in entries)
        {
            if (entry.Search is ProfileSearch search)
                foreach (var candidate in ParameterSpace.Parse(search.Grid).All())
                    for (int fold = 0; fold < search.Folds; fold++)
                        units.Add(new StudyUnit(StudyUnit.CvKey(entry.Name, candidate.Index, fold), units.Count, entry.Name, UnitKind.Cv,
                            candidate.Index, fold, candidate.Settings));
            units.Add(new StudyUnit(StudyUnit.RefitKey(entry.Name), units.Count, entry.Name, UnitKind.Refit, null, null, new Dictionary<string, string>()));
        }
        return new StudyPlan(name ?? $"{request.Profile.Name}-{hash[..10]}", hash, request, entries, units, json);
    }

    /// <summary>Study names go into keys, logs and file names: letters, digits and . _ - + only.</summary>
    public static void CheckName(string name)
    {
        if (name.Length is 0 or > 100 || !name.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-' or '+'))
            throw new FashionMnistException($"'{name}' is not a usable study name",
                "Use 1-100 letters, digits, '.', '_', '-' or '+', e.g. --study full-2026-12.");
    }

    private static string Describe(ComparisonRequest request, IReadOnlyList<ProfileEntry> entries)
    {
        static SortedDictionary<string, string> Sorted(IReadOnlyDictionary<string, string> settings) =>
            new(settings.ToDictionary(kv => kv.Key.ToLowerInvariant(), kv => kv.Value), StringComparer.Ordinal);
        var description = new
        {
            profile = request.Profile.Name,
            seed = request.Seed,
            train_limit = request.TrainLimit,
            test_limit = request.TestLimit,
            entries = entries.Select(e => new
            {
                name = e.Name, model = e.Model, settings = Sorted(e.Settings),
                train_limit = e.TrainLimit,
                search = e.Search is ProfileSearch s ? new { grid = s.Grid, folds = s.Folds, train_limit = s.TrainLimit } : null,
            }),
        };
        return JsonSerializer.Serialize(description);
    }

    public override string ToString() =>
        $"study {Name}: {Units.Count.ToString(CultureInfo.InvariantCulture)} units ({Units.Count(u => u.Kind == UnitKind.Cv).ToString(CultureInfo.InvariantCulture)} cross-validation, {Entries.Count.ToString(CultureInfo.InvariantCulture)} refits)";
}
