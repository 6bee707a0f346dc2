using System.Diagnostics;
using FashionMnist.Experiments.Storage;
using YamlDotNet.RepresentationModel;

namespace FashionMnist.Tests.Deploy;

/// <summary>
/// The Kubernetes manifests and the Slurm scripts in deploy/, checked without a cluster: the YAML parses, the pieces
/// refer to each other correctly (Service ↔ StatefulSet labels and ports, the workers' store ↔ the Service), the Job is
/// an Indexed Job, and the workers' command line is one the fmnist CLI accepts.
/// </summary>
public sealed class DeployManifestTests
{
    private static string Repo
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
                if (Directory.Exists(Path.Combine(dir.FullName, "deploy")) && File.Exists(Path.Combine(dir.FullName, "FashionMnist.slnx"))) return dir.FullName;
            throw new InvalidOperationException("repository root not found above " + AppContext.BaseDirectory);
        }
    }

    private static List<YamlMappingNode> Documents()
    {
        var documents = new List<YamlMappingNode>();
        foreach (string file in Directory.GetFiles(Path.Combine(Repo, "deploy", "k8s"), "*.yaml").Order())
        {
            var stream = new YamlStream();
            using var reader = new StreamReader(file);
            stream.Load(reader);
            documents.AddRange(stream.Documents.Select(d => (YamlMappingNode)d.RootNode));
        }
        return documents;
    }

    private static YamlNode At(YamlNode node, params string[] path)
    {
        foreach (string key in path)
            node = ((YamlMappingNode)node).Children.TryGetValue(new YamlScalarNode(key), out var child) ? child : throw new Xunit.Sdk.XunitException($"missing '{key}' in {string.Join(".", path)}");
        return node;
    }

    private static string S(YamlNode node, params string[] path) => ((YamlScalarNode)At(node, path)).Value!;

    private static YamlMappingNode Kind(List<YamlMappingNode> docs, string kind) => Assert.Single(docs, d => S(d, "kind") == kind);

    [Fact]
    public void Every_manifest_has_api_version_kind_and_name()
    {
        var docs = Documents();
        Assert.Equal(["Job", "Service", "StatefulSet"], docs.Select(d => S(d, "kind")).Order());
        foreach (var d in docs)
        {
            Assert.Contains("v1", S(d, "apiVersion"));
            Assert.Matches("^[a-z0-9-]+$", S(d, "metadata", "name"));
        }
    }

    [Fact]
    public void The_service_reaches_the_postgresql_statefulset()
    {
        var docs = Documents();
        var service = Kind(docs, "Service");
        var set = Kind(docs, "StatefulSet");
        Assert.Equal(S(service, "metadata", "name"), S(set, "spec", "serviceName"));
        var selector = (YamlMappingNode)At(service, "spec", "selector");
        var podLabels = (YamlMappingNode)At(set, "spec", "template", "metadata", "labels");
        Assert.All(selector.Children, kv => Assert.Equal(kv.Value, podLabels.Children[kv.Key]));
        Assert.Equal(At(set, "spec", "selector", "matchLabels"), At(set, "spec", "template", "metadata", "labels") is YamlMappingNode labels
            ? new YamlMappingNode(labels.Children.Where(kv => selector.Children.ContainsKey(kv.Key))) : null);
        var port = (YamlMappingNode)((YamlSequenceNode)At(service, "spec", "ports"))[0];
        var container = (YamlMappingNode)((YamlSequenceNode)At(set, "spec", "template", "spec", "containers"))[0];
        var containerPort = (YamlMappingNode)((YamlSequenceNode)At(container, "ports"))[0];
        Assert.Equal(S(port, "targetPort"), S(containerPort, "name"));
        Assert.Equal("5432", S(containerPort, "containerPort"));
        Assert.NotNull(At(set, "spec", "volumeClaimTemplates"));
    }

    [Fact]
    public void The_workers_are_an_indexed_job_whose_command_fmnist_accepts_and_whose_store_is_the_service()
    {
        var docs = Documents();
        var job = Kind(docs, "Job");
        var service = Kind(docs, "Service");
        Assert.Equal("Indexed", S(job, "spec", "completionMode"));
        Assert.Equal(S(job, "spec", "completions"), S(job, "spec", "parallelism"));
        var container = (YamlMappingNode)((YamlSequenceNode)At(job, "spec", "template", "spec", "containers"))[0];
        Assert.Equal("fmnist", ((YamlScalarNode)((YamlSequenceNode)At(container, "command"))[0]).Value);
        // Kubernetes expands $(VAR) from the container's environment; put plausible values in, as it would.
        var args = ((YamlSequenceNode)At(container, "args")).Select(a => ((YamlScalarNode)a).Value!
            .Replace("$(POSTGRES_PASSWORD)", "secret", StringComparison.Ordinal).Replace("$(JOB_COMPLETION_INDEX)", "0", StringComparison.Ordinal)).ToArray();
        var parse = FashionMnist.Cli.Cli.BuildRoot().Parse(args);
        Assert.Empty(parse.Errors);
        Assert.Equal("compare", parse.CommandResult.Command.Name);
        var store = StoreLocation.Parse(args[Array.IndexOf(args, "--store") + 1]);
        Assert.Equal(StoreKind.PostgreSql, store.Kind);
        Assert.Equal($"{S(service, "metadata", "name")}:{S((YamlMappingNode)((YamlSequenceNode)At(service, "spec", "ports"))[0], "port")}", store.Server);
        var env = ((YamlSequenceNode)At(container, "env")).Cast<YamlMappingNode>().Select(e => S(e, "name")).ToList();
        Assert.Contains("POSTGRES_PASSWORD", env);
        Assert.Contains("FMNIST_THREADS", env);
    }

    [Theory]
    [InlineData("deploy/slurm/study.sbatch")]
    [InlineData("deploy/slurm/local-test.sh")]
    [InlineData("setup/services/postgres.sh")]
    public void The_scripts_are_valid_bash(string script)
    {
        var start = new ProcessStartInfo("bash", ["-n", Path.Combine(Repo, script)]) { RedirectStandardError = true, UseShellExecute = false };
        using var bash = Process.Start(start)!;
        string errors = bash.StandardError.ReadToEnd();
        bash.WaitForExit();
        Assert.True(bash.ExitCode == 0, errors);
    }

    [Fact]
    public void The_sbatch_script_is_a_job_array_running_compare()
    {
        string text = File.ReadAllText(Path.Combine(Repo, "deploy", "slurm", "study.sbatch"));
        Assert.Matches(@"(?m)^#SBATCH --array=\d+-\d+$", text);
        Assert.Matches(@"(?m)^#SBATCH --cpus-per-task=\d+$", text);
        Assert.Contains("args=(compare --profile", text);
        Assert.Contains("--shard auto", text);
    }
}
