using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using FashionMnist.Models;
using FashionMnist.Neural;
using FashionMnist.Tests.Support;

namespace FashionMnist.Tests.Hardening;

/// <summary>
/// Issue 15, items 4, 5, 6, 8, 10 and 13: nesting bombs, crafted model files, thread settings, a busy port and the
/// messages that misled. Whatever comes in: exit 2 and one message, never a crash or a stack trace.
/// </summary>
public sealed class HostileInputTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("fmnist-hostile-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Write(string name, string text)
    {
        string path = Path.Combine(_dir, name);
        File.WriteAllText(path, text);
        return path;
    }

    internal static string Nested(int depth) => new string('[', depth) + new string(']', depth);

    private static void AssertCleanBadInput(CliRunner.Result result, string message)
    {
        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains(message, result.Stderr);
        Assert.DoesNotContain("   at ", result.Stderr);
        Assert.DoesNotContain("bug", result.Stderr);
    }

    /// <summary>A checksum-valid model file of the 'mlp' family whose neural state is <paramref name="state"/>.</summary>
    internal static byte[] NeuralModelFile(Action<BinaryWriter> state, string name = "mlp")
    {
        using var stateBytes = new MemoryStream();
        using (var w = new BinaryWriter(stateBytes, Encoding.UTF8, leaveOpen: true)) state(w);
        using var body = new MemoryStream();
        using (var w = new BinaryWriter(body, Encoding.UTF8, leaveOpen: true))
        {
            w.Write("FMNISTMD"u8);
            w.Write(ModelFile.FormatVersionWithoutCalibration); // the plain layout: no calibration section
            w.Write(name);
            w.Write("{}");
            w.Write("{}");
            w.Write(stateBytes.Length);
            w.Write(stateBytes.ToArray());
        }
        byte[] content = body.ToArray();
        return [.. content, .. SHA256.HashData(content)];
    }

    internal static byte[] ModelWithArchitecture(string spec) => NeuralModelFile(w =>
    {
        w.Write(1); // neural state version
        w.Write(spec);
        w.Write(0); // a first tensor of 0 values: the architecture must be refused before this matters
    });

    // --- item 4: nesting depth ---

    [Fact]
    public void A_deeply_nested_spec_is_bad_input_not_a_stack_overflow()
    {
        string spec = Write("deep.yaml", "layers: " + Nested(60_000));
        AssertCleanBadInput(CliRunner.Run("train", "custom", "--spec", spec, "--no-save", "--no-store", "--train-limit", "100"), "levels deep");
    }

    [Fact]
    public void A_deeply_nested_grid_file_is_bad_input()
    {
        string grid = Write("deep.json", "{\"k\": " + Nested(60_000) + "}");
        AssertCleanBadInput(CliRunner.Run("search", "knn", "--grid-file", grid, "--train-limit", "100", "--no-store"), "levels deep");
    }

    [Fact]
    public void A_checksum_valid_model_file_with_a_nested_architecture_is_bad_input()
    {
        string model = Path.Combine(_dir, "deep.fmm");
        File.WriteAllBytes(model, ModelWithArchitecture("layers: " + Nested(60_000)));
        AssertCleanBadInput(CliRunner.Run("evaluate", "--model", model, "--test-limit", "10", "--no-store"), "levels deep");
    }

    [Fact]
    public void Nesting_within_the_bound_still_parses_to_the_usual_error()
    {
        var e = Assert.Throws<FashionMnistException>(() => ArchitectureSpec.Parse("layers: " + Nested(20)));
        Assert.Contains("layer 1 must be a layer name", e.Message);
        var key = Assert.Throws<FashionMnistException>(() => ArchitectureSpec.Parse("layers:\n  - {[dense]: {units: 3}}\n"));
        Assert.Contains("as a key", key.Message);
    }

    // --- item 8: a bad 7-bit length prefix ---

    [Fact]
    public void A_bad_length_prefix_in_a_model_file_is_bad_input()
    {
        byte[] bytes = [.. "FMNISTMD"u8, 1, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, .. new byte[40]];
        var e = Assert.Throws<FashionMnistException>(() => ModelFile.Load(bytes, "crafted.fmm"));
        Assert.Equal(ExitCodes.BadInput, e.ExitCode);
        Assert.Contains("truncated or damaged", e.Message);
    }

    // --- item 10: stored architecture size limits ---

    [Fact]
    public void A_stored_architecture_too_large_for_its_file_is_refused_before_allocating()
    {
        byte[] file = ModelWithArchitecture("layers:\n  - flatten\n  - dense: {units: 1000000}\n  - dense: {units: 10}\n");
        long before = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<FashionMnistException>(() => ModelFile.Load(file, "huge.fmm"));
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Contains("parameters", e.Message);
        Assert.Equal(ExitCodes.BadInput, e.ExitCode);
        Assert.True(allocated < 16L << 20, $"allocated {allocated >> 20} MB before refusing");
    }

    [Fact]
    public void A_spec_with_an_oversized_layer_is_a_clear_error()
    {
        var huge = Assert.Throws<FashionMnistException>(() => ArchitectureSpec.Parse("layers:\n  - flatten\n  - dense: {units: 1000000}\n").Build(0));
        Assert.Contains("parameters", huge.Message);
        var wide = Assert.Throws<FashionMnistException>(() => ArchitectureSpec.Parse("layers:\n  - conv2d: {filters: 100000, kernel: 1}\n").Build(0));
        Assert.Contains("values per image", wide.Message);
    }

    // --- item 5 and 13: threads and environment settings ---

    [Theory]
    [InlineData(new[] { "--threads", "100000", "models" }, null, null, "--threads")]
    [InlineData(new[] { "--threads", "abc", "models" }, null, null, "a whole number")]
    [InlineData(new[] { "models" }, "FMNIST_THREADS", "abc", "FMNIST_THREADS")]
    [InlineData(new[] { "models" }, "FMNIST_THREADS", "100000", "FMNIST_THREADS")]
    [InlineData(new[] { "models" }, "FMNIST_GEMM", "bogus", "FMNIST_GEMM")]
    public void Thread_and_backend_settings_are_checked(string[] args, string? variable, string? value, string message)
    {
        var environment = variable is null ? null : new Dictionary<string, string?> { [variable] = value };
        var result = CliRunner.Run(args, environment);
        AssertCleanBadInput(result, message);
        Assert.DoesNotContain("Nullable", result.Stderr);
        Assert.DoesNotContain("System.", result.Stderr);
    }

    [Fact]
    public void An_int_option_given_text_says_a_whole_number_not_a_type_name()
    {
        var result = CliRunner.Run("train", "knn", "--train-limit", "many", "--no-save");
        AssertCleanBadInput(result, "--train-limit");
        Assert.Contains("a whole number", result.Stderr);
        Assert.DoesNotContain("Nullable", result.Stderr);
    }

    // --- item 13: messages that misled ---

    [Fact]
    public void A_folder_given_as_a_model_says_it_is_a_folder()
    {
        AssertCleanBadInput(CliRunner.Run("evaluate", "--model", _dir, "--no-store"), "is a folder, not a file");
    }

    [Fact]
    public void A_file_given_as_data_dir_says_it_is_a_file()
    {
        string file = Write("train-images-idx3-ubyte", "x");
        AssertCleanBadInput(CliRunner.Run("data", "info", "--data-dir", file), "is a file, not a folder");
    }

    // --- item 6: a port already in use ---

    [Fact]
    public void Serve_on_a_busy_port_prints_one_clean_message()
    {
        string model = Path.Combine(_dir, "knn.fmm");
        var model0 = ModelCatalog.Create("knn", new Dictionary<string, string> { ["k"] = "1" });
        model0.Fit(TestData.BalancedTrain(5));
        ModelFile.Save(model0, model);
        using var busy = new TcpListener(IPAddress.Loopback, 0);
        busy.Start();
        int port = ((IPEndPoint)busy.LocalEndpoint).Port;
        var result = CliRunner.Run(["serve", "--model", model, "--urls", $"http://127.0.0.1:{port}", "--warm-up", "0"], timeout: TimeSpan.FromSeconds(60));
        AssertCleanBadInput(result, $"Cannot listen on http://127.0.0.1:{port}");
        Assert.Single(result.Stderr.Trim().Split('\n'));
        Assert.DoesNotContain("   at ", result.Stdout); // Kestrel's host logged the whole exception to the console
        Assert.DoesNotContain("Exception", result.Stdout);
    }
}
