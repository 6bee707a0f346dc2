using FashionMnist.Fuzz;
using FashionMnist.Neural;
using FashionMnist.Selection;
using YamlDotNet.Core;

namespace FashionMnist.Tests.Hardening;

/// <summary>
/// Every input in fuzz/corpus (the seeds plus what afl++ found new coverage with) and every crash in fuzz/findings
/// goes through the same harness functions the fuzzer runs: each must end in success or a FashionMnistException.
/// </summary>
public sealed class FuzzRegressionTests
{
    internal static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "FashionMnist.slnx"))) return dir.FullName;
        throw new InvalidOperationException("The repository root (FashionMnist.slnx) is not above the test assembly.");
    }

    public static TheoryData<string> Harnesses => ["idx", "model", "spec", "image", "classify"];

    [Theory]
    [MemberData(nameof(Harnesses))]
    public void Every_corpus_and_finding_input_ends_cleanly(string harness)
    {
        string root = RepoRoot();
        var files = new[] { "corpus", "findings" }
            .Select(kind => Path.Combine(root, "fuzz", kind, harness))
            .Where(Directory.Exists)
            .SelectMany(Directory.EnumerateFiles)
            .Order(StringComparer.Ordinal)
            .ToList();
        Assert.True(files.Count >= 2, $"fuzz/corpus/{harness} should hold the seeds");
        var failures = new List<string>();
        foreach (string file in files)
        {
            try { FuzzTargets.Run(harness, File.ReadAllBytes(file)); }
            catch (Exception e) { failures.Add($"{Path.GetRelativePath(root, file)}: {e.GetType().Name}: {e.Message}"); }
        }
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    // Found by the spec harness in its first 20 seconds: YamlDotNet's scanner throws InvalidOperationException and
    // its representation model ArgumentException for some malformed text, which escaped as "internal failure".
    private static readonly string[] s_malformedYaml =
    [
        "layers:\n  - conv2d: {filters: 4, kernorm\n  - relu\n  - mme}\n  - batchnorm\n",
        "\u0093ay\u007frs:\n  -  padding: same}\n  - : same}\n  - batchnorm\n  - relu0}\n",
        "a: {b: c, d\n- e}\n",
        "{x: [y, z}: w\n",
    ];

    public static TheoryData<string> MalformedYaml => new(s_malformedYaml);

    [Theory]
    [MemberData(nameof(MalformedYaml))]
    public void Malformed_yaml_is_bad_input_in_specs_and_grids(string text)
    {
        Assert.Equal(ExitCodes.BadInput, Assert.Throws<FashionMnistException>(() => ArchitectureSpec.Parse(text, "fuzz.yaml")).ExitCode);
        Assert.Equal(ExitCodes.BadInput, Assert.Throws<FashionMnistException>(() => ParameterSpace.FromYaml(text, "fuzz.yaml")).ExitCode);
    }

    // Found by the spec harness in CI: an alias into its own node is a cycle, and YamlDotNet's hashing and alias
    // resolution recurse on it until the stack overflows (the process dies; no catch can help). The first three
    // are cycles; the last is a plain alias, refused too (aliases can multiply a small file into a huge tree).
    [Theory]
    [InlineData("{&F [*F]: 0}\n", "*F", 1)]
    [InlineData("layers: &l [*l]\n", "*l", 1)]
    [InlineData("{&a {x: *a}: 1}\n", "*a", 1)]
    [InlineData("k: &v [1, 3]\nweights: *v\n", "*v", 2)]
    public void Aliases_are_refused_before_yaml_dot_net_builds_a_tree(string text, string alias, int line)
    {
        foreach (Action parse in new Action[] { () => ArchitectureSpec.Parse(text, "fuzz.yaml"), () => ParameterSpace.FromYaml(text, "fuzz.yaml") })
        {
            var e = Assert.Throws<FashionMnistException>(parse);
            Assert.Equal(ExitCodes.BadInput, e.ExitCode);
            Assert.Contains($"uses the alias {alias} (line {line})", e.Message);
        }
    }

    [Fact]
    public void YamlDotNet_itself_throws_more_than_YamlException_so_the_wrapper_is_needed()
    {
        int other = 0;
        foreach (string text in s_malformedYaml)
        {
            try
            {
                var parser = new Parser(new StringReader(text));
                while (parser.MoveNext()) { }
                new YamlDotNet.RepresentationModel.YamlStream().Load(new StringReader(text));
            }
            catch (YamlException) { }
            catch (Exception e) when (e is InvalidOperationException or ArgumentException) { other++; }
        }
        Assert.True(other > 0, "none of the fuzz-found inputs still trips YamlDotNet outside YamlException: drop the wrapper?");
    }
}
