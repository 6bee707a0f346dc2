using System.ComponentModel;
using System.Reflection;
using System.Xml.Linq;
using FashionMnist.Models;

namespace FashionMnist.Tests.Architecture;

/// <summary>
/// The library's public surface is a decision, not an accident: the NuGet package promises every public type to its
/// users, so a new one must be added to Architecture/PublicApi.txt on purpose (helpers stay internal; the CLI, web,
/// tests, bench and fuzz projects see internals anyway). The compiler (CS1591) makes sure each public member has docs.
/// </summary>
public class PublicApiTests
{
    private static readonly Assembly Library = typeof(ModelCatalog).Assembly;

    private static string RepositoryRoot()
    {
        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
            if (File.Exists(Path.Combine(folder.FullName, "FashionMnist.slnx"))) return folder.FullName;
        throw new InvalidOperationException("The repository root (FashionMnist.slnx) is not above the test binaries.");
    }

    [Fact]
    public void The_public_types_are_the_approved_surface()
    {
        string listPath = Path.Combine(RepositoryRoot(), "tests", "FashionMnist.Tests", "Architecture", "PublicApi.txt");
        var approved = File.ReadAllLines(listPath).Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith('#')).ToHashSet();
        var actual = Library.GetExportedTypes().Select(t => t.FullName!).ToHashSet();

        var added = actual.Except(approved).Order(StringComparer.Ordinal).ToList();
        var removed = approved.Except(actual).Order(StringComparer.Ordinal).ToList();
        Assert.True(added.Count == 0 && removed.Count == 0,
            (added.Count > 0 ? "Public types not in PublicApi.txt (make each internal, or add it there if package users need it):\n  "
                + string.Join("\n  ", added) + "\n" : "")
            + (removed.Count > 0 ? "Types in PublicApi.txt that are no longer public (remove them there):\n  " + string.Join("\n  ", removed) : ""));
        Assert.True(actual.Count >= 100, $"only {actual.Count} exported types: is this the library?");
    }

    [Fact]
    public void Every_option_says_the_same_in_its_xml_docs_as_in_its_help_text()
    {
        // The [Description] is what --help and `fmnist models NAME` print; the XML summary is what an IDE shows a
        // package user. Both come from one sentence, so they must not drift apart.
        string xmlPath = Path.ChangeExtension(Library.Location, ".xml");
        Assert.True(File.Exists(xmlPath), $"{xmlPath} is missing: the library must be built with its XML documentation.");
        var summaries = XDocument.Load(xmlPath).Descendants("member")
            .ToDictionary(m => (string)m.Attribute("name")!, m => Normalize(m.Element("summary")?.Value ?? ""));

        var optionTypes = Library.GetExportedTypes().Where(t => typeof(ModelOptions).IsAssignableFrom(t)).ToList();
        Assert.True(optionTypes.Count >= 10, $"found only {optionTypes.Count} options records");
        var mismatches = new List<string>();
        int checkedCount = 0;
        foreach (var type in optionTypes)
            foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance | BindingFlags.DeclaredOnly))
            {
                if (property.GetCustomAttribute<DescriptionAttribute>() is not { } description) continue;
                checkedCount++;
                string key = $"P:{type.FullName}.{property.Name}";
                string summary = summaries.GetValueOrDefault(key, "(none)");
                if (summary != Normalize(description.Description))
                    mismatches.Add($"{type.Name}.{property.Name}:\n    description: {description.Description}\n    xml summary: {summary}");
            }
        Assert.True(checkedCount >= 50, $"checked only {checkedCount} options");
        Assert.True(mismatches.Count == 0, "Options whose XML summary differs from their [Description]:\n" + string.Join("\n", mismatches));
    }

    private static string Normalize(string text) => string.Join(' ', text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
}
