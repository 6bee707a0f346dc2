using System.Text.Json;
using System.Text.Json.Serialization;

namespace FashionMnist.Evaluation.Reports;

/// <summary>The files a report consists of.</summary>
public sealed record ReportFiles(string Folder, string Html, string Markdown, string Json);

/// <summary>
/// Writes a <see cref="ComparisonReport"/> into a folder: <c>index.html</c> (self-contained page),
/// <c>summary.md</c> and <c>results.json</c>. Each file is written atomically (temporary file, then
/// rename), so a reader never sees a half-written file and an old report stays intact until the new one is complete.
/// </summary>
public static class ReportWriter
{
    /// <summary>The folder <see cref="Write"/> uses when none is given ("report").</summary>
    public const string DefaultFolder = "report";

    internal static readonly JsonSerializerOptions JsonOptions = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.KebabCaseLower) },
    };

    /// <summary>Reads a results.json written by <see cref="Write"/> back, so the report can be rendered again.</summary>
    public static ComparisonReport Read(string path)
    {
        if (!File.Exists(path))
            throw new FashionMnistException($"Results file '{path}' does not exist", "Pass the results.json of an earlier `fmnist compare` (report/results.json).");
        try
        {
            return JsonSerializer.Deserialize<ComparisonReport>(File.ReadAllText(path), JsonOptions)
                ?? throw new JsonException("the file holds null");
        }
        catch (JsonException e)
        {
            throw new FashionMnistException($"'{path}' is not a results.json written by fmnist compare: {e.Message}",
                "Pass the results.json of an earlier `fmnist compare`, or run the comparison again.", ExitCodes.BadInput, e);
        }
    }

    /// <summary>Writes the report's three files into <paramref name="folder"/> (created if missing); a folder path that is a file is a <see cref="FashionMnistException"/>.</summary>
    public static ReportFiles Write(ComparisonReport report, string folder = DefaultFolder)
    {
        if (File.Exists(folder))
            throw new FashionMnistException($"The report folder '{folder}' is a file", "Pass --out with a folder path (it is created if missing).");
        string full = Path.GetFullPath(folder);
        // Render everything first: a failure while rendering leaves the old report untouched.
        string html = ReportHtml.Render(report);
        string markdown = ReportMarkdown.Render(report);
        string json = JsonSerializer.Serialize(report, JsonOptions);
        var files = new ReportFiles(full, Path.Combine(full, "index.html"), Path.Combine(full, "summary.md"), Path.Combine(full, "results.json"));
        AtomicFile.WriteAllText(files.Json, json);
        AtomicFile.WriteAllText(files.Markdown, markdown);
        AtomicFile.WriteAllText(files.Html, html); // last: index.html appearing means the report is complete
        return files;
    }
}
