using System.Text.Json;
using System.Text.Json.Serialization;

namespace FashionMnist.Evaluation.Reports;

/// <summary>A published accuracy for a model family (a single figure, or a range over the table's variants).</summary>
internal sealed record PublishedReference(string Name, double Low, double High)
{
    public string Text => Low == High
        ? $"{Name} {Low.ToString("0.000", CultureInfo.InvariantCulture)}"
        : $"{Name} {Low.ToString("0.000", CultureInfo.InvariantCulture)}–{High.ToString("0.000", CultureInfo.InvariantCulture)}";
}

/// <summary>This project's own result for an entry when fully trained, with where and when it was measured.</summary>
internal sealed record ProjectResult(string Entry, double Accuracy, string Setup, string Date, string Machine, bool Final);

/// <summary>
/// What every report row is read against: the published reference of its family from Zalando's Fashion-MNIST benchmark
/// table, and this project's own fully trained result (committed data: <c>full-study-results.json</c>, embedded in the
/// library, with its date and machine). A quick row then says how far it is from what the same model reaches.
/// </summary>
internal static class Anchors
{
    /// <summary>The table's best entry, the ceiling every row is read against.</summary>
    public static PublishedReference Ceiling { get; } = new("WRN40-4", 0.967, 0.967);

    private static readonly PublishedReference Svc = new("SVC", 0.897, 0.897);
    private static readonly PublishedReference HogSvm = new("HOG+SVM", 0.926, 0.926);
    private static readonly PublishedReference XgBoost = new("XGBoost", 0.898, 0.898);
    private static readonly PublishedReference Mlp = new("MLP", 0.871, 0.900);
    private static readonly PublishedReference ThreeConv = new("3 conv + dropout", 0.926, 0.926);
    private static readonly PublishedReference ResNet = new("ResNet18 + augmentation", 0.949, 0.949);

    /// <summary>The published reference for a report row, by entry name, then catalog model; null for families the table list here lacks.</summary>
    public static PublishedReference? Published(ModelResult model)
    {
        string name = model.Name.ToLowerInvariant(), catalog = (model.CatalogModel ?? model.Name).ToLowerInvariant();
        if (name.Contains("hog", StringComparison.Ordinal) && catalog == "svm") return HogSvm;
        return catalog switch
        {
            "svm" => Svc,
            "xgboost" => XgBoost,
            "mlp" => Mlp,
            "cnn1" or "cnn3" or "cnn4" => ThreeConv,
            "cnn-deep" => ResNet,
            _ => null,
        };
    }

    private static readonly Lazy<IReadOnlyList<ProjectResult>> s_project = new(() => Load(typeof(Anchors).Assembly.GetManifestResourceStream("FashionMnist.full-study-results.json")));

    /// <summary>This project's committed full-study results.</summary>
    public static IReadOnlyList<ProjectResult> ProjectResults => s_project.Value;

    /// <summary>The project's fully trained result for a row (by entry name, then catalog model), or null.</summary>
    public static ProjectResult? Project(ModelResult model) =>
        ProjectResults.FirstOrDefault(p => string.Equals(p.Entry, model.Name, StringComparison.OrdinalIgnoreCase))
        ?? ProjectResults.FirstOrDefault(p => string.Equals(p.Entry, model.CatalogModel, StringComparison.OrdinalIgnoreCase));

    /// <summary>
    /// The row read against its anchors, e.g. "2 epochs on 15,000 images: 86.18 % here; fully trained: 94.72 % (22 epochs,
    /// augmentation, TTA; 2026-11-21); Zalando's table: ResNet18 + augmentation 0.949".
    /// </summary>
    public static string Sentence(ModelResult model)
    {
        string how = model.Note is string note && note.Length > 0 ? note.Split(';')[0] : $"{model.TrainImages:N0} training images";
        var parts = new List<string> { $"{how}: {ReportFindings.Percent(model.TestAccuracy)} here" };
        if (Project(model) is ProjectResult full)
            parts.Add($"fully trained: {ReportFindings.Percent(full.Accuracy)} ({full.Setup}; {full.Date}{(full.Final ? ", full study" : "")})");
        parts.Add(Published(model) is PublishedReference published ? $"Zalando's table: {published.Text}" : "no entry for this family in the reference list");
        return string.Join("; ", parts);
    }

    /// <summary>
    /// Reads the committed results: either this small format (source, date, machine, final, entries) or a full study's
    /// results.json as `fmnist report` writes it (every model's test accuracy, with the study's date and machine).
    /// </summary>
    public static IReadOnlyList<ProjectResult> Load(Stream? stream)
    {
        if (stream is null) return [];
        using (stream)
        {
            using var json = JsonDocument.Parse(stream);
            var root = json.RootElement;
            if (root.TryGetProperty("models", out var models))
            {
                var report = root.Deserialize<ComparisonReport>(ReportWriter.JsonOptions)!;
                string date = report.Run.StartedUtc.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
                return report.Models.Select(m => new ProjectResult(m.Name, m.TestAccuracy,
                    string.Join(" ", m.Parameters.Select(p => $"{p.Key}={p.Value}")), date, report.Run.Machine.CpuModel, true)).ToList();
            }
            var file = root.Deserialize<ResultsFile>(s_json)!;
            return file.Entries.Select(e => new ProjectResult(e.Name, e.Accuracy, e.Setup, file.Date, file.Machine, file.Final)).ToList();
        }
    }

    private static readonly JsonSerializerOptions s_json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    private sealed record ResultsFile(string Source, string Date, string Machine, bool Final, IReadOnlyList<ResultsEntry> Entries);

    private sealed record ResultsEntry(string Name, double Accuracy, string Setup);
}
