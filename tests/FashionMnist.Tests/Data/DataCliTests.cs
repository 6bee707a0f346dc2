using System.IO.Compression;
using System.Text.Json;
using FashionMnist.Data;
using FashionMnist.Imaging;
using FashionMnist.Tests.Support;

namespace FashionMnist.Tests.Data;

/// <summary>`fmnist data ...` run as a user would: exit codes, one clear message, never a stack trace.</summary>
public sealed class DataCliTests : IDisposable
{
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    /// <summary>A folder with the real files linked in, so one of them can be swapped for a broken copy.</summary>
    private string RealDataFolder()
    {
        foreach (var spec in DataFileSpec.Official)
            File.CreateSymbolicLink(_folder.File(spec.ArchiveName), Path.Combine(DataLocator.DebianDirectory, spec.ArchiveName));
        return _folder.Path;
    }

    private static byte[] RealPayload(string name)
    {
        using var gzip = new GZipStream(File.OpenRead(Path.Combine(DataLocator.DebianDirectory, name + ".gz")), CompressionMode.Decompress);
        using var buffer = new MemoryStream();
        gzip.CopyTo(buffer);
        return buffer.ToArray();
    }

    /// <summary>Replaces one linked file by the given bytes (written uncompressed, as "name").</summary>
    private void Replace(string name, byte[] plain)
    {
        File.Delete(_folder.File(name + ".gz"));
        File.WriteAllBytes(_folder.File(name), plain);
    }

    private static void AssertBadInput(CliRunner.Result result, params string[] fragments)
    {
        Assert.True(result.ExitCode == 2, result.ToString());
        string[] errorLines = result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => l.StartsWith("error:")).ToArray();
        Assert.Single(errorLines);
        foreach (string fragment in fragments) Assert.Contains(fragment, result.Stderr);
        Assert.DoesNotContain("   at ", result.Stderr);
    }

    [Fact]
    public void Info_json_reports_source_counts_and_statistics()
    {
        var result = CliRunner.Run("data", "info", "--json", "--data-dir", DataLocator.DebianDirectory);
        Assert.True(result.ExitCode == 0, result.ToString());
        using var json = JsonDocument.Parse(result.Stdout);
        var root = json.RootElement;
        Assert.Equal("option", root.GetProperty("source").GetString());
        Assert.Equal(60_000, root.GetProperty("train_count").GetInt32());
        Assert.Equal(10_000, root.GetProperty("test_count").GetInt32());
        Assert.All(root.GetProperty("classes").EnumerateArray(), c => Assert.Equal(6_000, c.GetProperty("train").GetInt32()));
        Assert.Equal(ImageSet.TrainingMean, root.GetProperty("pixel_mean").GetDouble(), 1e-4);
        Assert.True(root.GetProperty("load_ms").GetDouble() > 0);
    }

    [Fact]
    public void Verify_accepts_the_debian_repack()
    {
        var result = CliRunner.Run("data", "verify", "--json", "--data-dir", DataLocator.DebianDirectory);
        Assert.True(result.ExitCode == 0, result.ToString());
        using var json = JsonDocument.Parse(result.Stdout);
        Assert.True(json.RootElement.GetProperty("ok").GetBoolean());
        Assert.All(json.RootElement.GetProperty("files").EnumerateArray(), f =>
            Assert.Equal("published-archive-restored-header", f.GetProperty("checksum_status").GetString()));
    }

    [Fact]
    public void Verify_reports_a_checksum_mismatch_with_expected_and_actual()
    {
        RealDataFolder();
        byte[] labels = RealPayload("t10k-labels-idx1-ubyte");
        labels[100] = (byte)((labels[100] + 1) % 10);
        Replace("t10k-labels-idx1-ubyte", labels);
        var result = CliRunner.Run("data", "verify", "--data-dir", _folder.Path);
        AssertBadInput(result, "Checksum mismatch", "t10k-labels-idx1-ubyte'", "expected 15d484375f8d13e6eb1aabb0c3f46965", "fmnist data fetch");
        Assert.Contains("MISMATCH", result.Stdout);
    }

    [Fact]
    public void Label_10_fails_the_load()
    {
        RealDataFolder();
        byte[] labels = RealPayload("t10k-labels-idx1-ubyte");
        labels[8 + 5] = 10;
        Replace("t10k-labels-idx1-ubyte", labels);
        AssertBadInput(CliRunner.Run("data", "info", "--data-dir", _folder.Path), "has label 10 at index 5");
    }

    [Fact]
    public void Wrong_magic_fails_the_load()
    {
        RealDataFolder();
        byte[] labels = RealPayload("train-labels-idx1-ubyte");
        labels[3] = 0x99;
        Replace("train-labels-idx1-ubyte", labels);
        AssertBadInput(CliRunner.Run("data", "info", "--data-dir", _folder.Path), "train-labels-idx1-ubyte' has the wrong magic number");
    }

    [Fact]
    public void Truncated_gzip_fails_the_load()
    {
        RealDataFolder();
        byte[] gz = File.ReadAllBytes(Path.Combine(DataLocator.DebianDirectory, "t10k-images-idx3-ubyte.gz"));
        File.Delete(_folder.File("t10k-images-idx3-ubyte.gz"));
        File.WriteAllBytes(_folder.File("t10k-images-idx3-ubyte.gz"), gz[..(gz.Length / 3)]);
        AssertBadInput(CliRunner.Run("data", "info", "--data-dir", _folder.Path), "t10k-images-idx3-ubyte.gz' is truncated");
    }

    [Fact]
    public void Missing_file_in_the_given_folder_is_named()
    {
        RealDataFolder();
        File.Delete(_folder.File("train-labels-idx1-ubyte.gz"));
        AssertBadInput(CliRunner.Run("data", "info", "--data-dir", _folder.Path), "lacks train-labels-idx1-ubyte[.gz]", "fmnist data fetch --dir");
    }

    [Fact]
    public void Show_writes_a_png_and_rejects_bad_split_and_unwritable_out()
    {
        string output = _folder.File("sheet.png");
        var ok = CliRunner.Run("data", "show", "--count", "3", "--split", "test", "--seed", "1", "--out", output);
        Assert.True(ok.ExitCode == 0, ok.ToString());
        byte[] png = File.ReadAllBytes(output);
        Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, png[..4]);
        // The file holds exactly the sheet (default scale 2), pixel for pixel.
        RgbaImage expected = SampleSheet.Render(TestData.Test, 3, seed: 1, scale: 2, "Fashion-MNIST test: 3 per class, seed 1");
        RgbaImage written = ImageCodec.Decode(png, "sheet.png");
        Assert.Equal((expected.Width, expected.Height), (written.Width, written.Height));
        Assert.Equal(expected.Pixels, written.Pixels);

        AssertBadInput(CliRunner.Run("data", "show", "--split", "validation", "--out", output), "validation");

        File.WriteAllText(_folder.File("plain-file"), "");
        AssertBadInput(CliRunner.Run("data", "show", "--count", "2", "--out", _folder.File("plain-file/sheet.png")), "Cannot create the folder", "plain-file", "can write to");
    }

    [Fact]
    public void Fetch_of_files_that_do_not_match_the_published_checksums_fails_and_saves_nothing()
    {
        var small = IdxFixtures.Small();
        using var server = LocalHttpServer.ServingFiles(small.Originals.ToDictionary(p => p.Key + ".gz", p => p.Value));
        string target = _folder.File("download");
        var result = CliRunner.Run("data", "fetch", "--url", server.BaseUri.AbsoluteUri, "--dir", target);
        AssertBadInput(result, "is not the published train-images-idx3-ubyte.gz", "Nothing was saved");
        Assert.Empty(Directory.GetFiles(target));
    }

    [Fact]
    public void Fetch_from_a_mirror_of_the_debian_files_verifies_them_and_the_result_loads()
    {
        var files = DataFileSpec.Official.ToDictionary(s => s.ArchiveName, s => File.ReadAllBytes(Path.Combine(DataLocator.DebianDirectory, s.ArchiveName)));
        using var server = LocalHttpServer.ServingFiles(files);
        string target = _folder.File("download");
        var result = CliRunner.Run("data", "fetch", "--json", "--url", server.BaseUri.AbsoluteUri, "--dir", target);
        Assert.True(result.ExitCode == 0, result.ToString());
        using var json = JsonDocument.Parse(result.Stdout);
        Assert.All(json.RootElement.GetProperty("files").EnumerateArray(), f => Assert.Equal("downloaded", f.GetProperty("outcome").GetString()));
        Assert.Equal(4, Directory.GetFiles(target).Length);

        var verify = CliRunner.Run("data", "verify", "--data-dir", target);
        Assert.True(verify.ExitCode == 0, verify.ToString());
    }

    [Fact]
    public void Fetch_rejects_a_url_that_is_not_http()
    {
        AssertBadInput(CliRunner.Run("data", "fetch", "--url", "ftp://example.org/", "--dir", _folder.Path), "not an http(s) URL");
    }
}
