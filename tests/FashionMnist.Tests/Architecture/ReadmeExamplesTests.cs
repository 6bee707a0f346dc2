using System.Text.RegularExpressions;

namespace FashionMnist.Tests.Architecture;

/// <summary>
/// The README's C# is the examples' code, and the examples are compiled and run against the NuGet package by
/// examples/run.sh: a README block marked <c>&lt;!-- examples/X/Program.cs --&gt;</c> must equal that file, and one marked
/// <c>&lt;!-- from examples/X/Program.cs --&gt;</c> must be made of pieces of it (split at blank lines), so the README
/// never shows code that does not build.
/// </summary>
public partial class ReadmeExamplesTests
{
    private static string RepositoryRoot()
    {
        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
            if (File.Exists(Path.Combine(folder.FullName, "FashionMnist.slnx"))) return folder.FullName;
        throw new InvalidOperationException("The repository root (FashionMnist.slnx) is not above the test binaries.");
    }

    [GeneratedRegex(@"<!-- (from )?(examples/[\w/.]+) -->\s*```csharp\n(.*?)```", RegexOptions.Singleline)]
    private static partial Regex MarkedBlock();

    [Theory]
    [InlineData("README.md", 4)]
    [InlineData("src/FashionMnist/PACKAGE.md", 1)] // the package's own README, shown by NuGet clients
    public void Every_marked_csharp_block_of_a_readme_is_the_example_code_it_names(string readmePath, int atLeast)
    {
        string root = RepositoryRoot();
        string readme = File.ReadAllText(Path.Combine(root, readmePath)).ReplaceLineEndings("\n");
        var blocks = MarkedBlock().Matches(readme);
        Assert.True(blocks.Count >= atLeast, $"found {blocks.Count} marked C# blocks in {readmePath}");
        Assert.Contains(blocks, b => b.Groups[1].Value == "" && b.Groups[2].Value == "examples/QuickStart/Program.cs");

        foreach (Match block in blocks)
        {
            string file = block.Groups[2].Value, code = block.Groups[3].Value;
            string source = File.ReadAllText(Path.Combine(root, file)).ReplaceLineEndings("\n");
            if (block.Groups[1].Value == "")
            {
                Assert.True(source.TrimEnd() == code.TrimEnd(), $"{readmePath}'s block for {file} differs from the file: copy one to the other.");
                continue;
            }
            foreach (string piece in code.Split("\n\n").Select(p => p.Trim('\n')).Where(p => p.Length > 0))
                Assert.True(source.Contains(piece, StringComparison.Ordinal), $"{readmePath} shows code that is not in {file}:\n{piece}");
        }
    }

    [Fact]
    public void The_examples_pin_the_version_the_library_packs()
    {
        string root = RepositoryRoot();
        string version = Regex.Match(File.ReadAllText(Path.Combine(root, "Directory.Build.props")), "<Version>([^<]+)</Version>").Groups[1].Value;
        Assert.NotEqual("", version);
        foreach (string project in Directory.GetFiles(Path.Combine(root, "examples"), "*.csproj", SearchOption.AllDirectories))
        {
            string pinned = Regex.Match(File.ReadAllText(project), "<PackageReference Include=\"FashionMnist\" Version=\"([^\"]+)\"").Groups[1].Value;
            Assert.True(pinned == version, $"{Path.GetFileName(project)} pins FashionMnist '{pinned}', but the library packs version {version}.");
        }
        Assert.DoesNotContain(File.ReadAllLines(Path.Combine(root, "FashionMnist.slnx")), line => line.Contains("examples/"));
    }
}
