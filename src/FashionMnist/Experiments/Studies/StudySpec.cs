using System.Text.Json;
using FashionMnist.Evaluation.Reports;
using FashionMnist.Experiments.Comparison;

namespace FashionMnist.Experiments.Studies;

/// <summary>One entry of a study as the store keeps it (enough to rebuild its <see cref="ProfileEntry"/> for the report).</summary>
/// <remarks>Settings hold the whole model's options, preprocessing included.</remarks>
public sealed record SpecEntry(string Name, string Model, IReadOnlyDictionary<string, string> Settings,
    int? TrainLimit, string? Note, ProfileSearch? Search)
{
    public ProfileEntry ToEntry() => new(Model, Settings, TrainLimit, Note)
    {
        Label = Name == Model ? null : Name, Search = Search,
    };

    public static SpecEntry From(ProfileEntry e) => new(e.Name, e.Model, e.Settings, e.TrainLimit, e.Note, e.Search);
}

/// <summary>
/// What the store keeps about a study besides its units (the <c>studies.plan_json</c> column): the request, the entries
/// that were planned and those that were not (with why), and the data's checksums. Any worker or `fmnist report` can
/// rebuild the report from it and the units, without the command line that started the study.
/// </summary>
public sealed record StudySpec
{
    public required string Profile { get; init; }
    public string ProfileDescription { get; init; } = "";
    public int Seed { get; init; }
    public int? TrainLimit { get; init; }
    public int? TestLimit { get; init; }
    public IReadOnlyList<SpecEntry> Entries { get; init; } = [];
    public IReadOnlyList<SkippedModel> Skipped { get; init; } = [];
    public IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> Overrides { get; init; } = new Dictionary<string, IReadOnlyDictionary<string, string>>();
    public IReadOnlyDictionary<string, string> DataChecksums { get; init; } = new Dictionary<string, string>();
    public string? DataSource { get; init; }

    /// <summary>The entries whose soft vote the report adds as an "ensemble" row (the profile's choice, fixed before any test score).</summary>
    public IReadOnlyList<string> EnsembleOf { get; init; } = [];

    /// <summary>The hashed plan description (what makes two studies the same study).</summary>
    public string Plan { get; init; } = "";

    public static StudySpec From(StudyPlan plan, IReadOnlyList<SkippedModel> skipped) => new()
    {
        Profile = plan.Request.Profile.Name, ProfileDescription = plan.Request.Profile.Description, Seed = plan.Request.Seed,
        TrainLimit = plan.Request.TrainLimit, TestLimit = plan.Request.TestLimit, Entries = plan.Entries.Select(SpecEntry.From).ToList(),
        Skipped = skipped, Overrides = plan.Request.Overrides, DataChecksums = plan.Request.DataChecksums, DataSource = plan.Request.DataSource,
        EnsembleOf = plan.Request.Profile.EnsembleOf, Plan = plan.Json,
    };

    public string ToJson() => JsonSerializer.Serialize(this, ReportWriter.JsonOptions);

    public static StudySpec Parse(string json) =>
        JsonSerializer.Deserialize<StudySpec>(json, ReportWriter.JsonOptions) ?? throw new JsonException("empty study description");
}
