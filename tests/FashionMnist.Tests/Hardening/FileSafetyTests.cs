using System.Diagnostics;
using FashionMnist.Interop;
using FashionMnist.Tests.Support;

namespace FashionMnist.Tests.Hardening;

/// <summary>
/// Issue 15, items 1, 7, 8 and 9: a save replaces nothing but a regular file, writes through symbolic links, cleans
/// up after killed saves, and a bad output path fails before any work.
/// </summary>
public sealed class FileSafetyTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("fmnist-files-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    internal static void Run(string program, params string[] args)
    {
        using var process = Process.Start(new ProcessStartInfo(program, args) { RedirectStandardError = true })!;
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"{program} {string.Join(' ', args)}: {process.StandardError.ReadToEnd()}");
    }

    private string Fifo(string name = "pipe")
    {
        string path = Path.Combine(_dir, name);
        Run("mkfifo", path);
        Assert.Equal(FileKind.Pipe, FileKinds.Of(path));
        return path;
    }

    [Fact]
    public void A_named_pipe_is_refused_and_stays_a_pipe()
    {
        string fifo = Fifo();
        var e = Assert.Throws<FashionMnistException>(() => AtomicFile.WriteAllText(fifo, "model"));
        Assert.Contains("named pipe", e.Message);
        Assert.Equal(FileKind.Pipe, FileKinds.Of(fifo));
        Assert.Empty(Directory.GetFiles(_dir, "*.tmp-*"));
    }

    [Fact]
    public void A_device_node_is_refused_and_stays_a_device()
    {
        if (Environment.UserName != "root") return; // mknod needs root (CI and this machine run as root)
        string device = Path.Combine(_dir, "null");
        Run("mknod", device, "c", "1", "3");
        var e = Assert.Throws<FashionMnistException>(() => AtomicFile.WriteAllText(device, "model"));
        Assert.Contains("is a device", e.Message);
        Assert.Equal(FileKind.Device, FileKinds.Of(device));
    }

    [Fact]
    public void A_folder_is_refused_with_a_message_that_says_so()
    {
        string folder = Directory.CreateDirectory(Path.Combine(_dir, "models")).FullName;
        var e = Assert.Throws<FashionMnistException>(() => AtomicFile.WriteAllText(folder, "model"));
        Assert.Contains("is a folder", e.Message);
        Assert.True(Directory.Exists(folder));
    }

    [Fact]
    public void A_symbolic_link_is_written_through_and_stays_a_link()
    {
        string real = Path.Combine(_dir, "v1.fmm"), link = Path.Combine(_dir, "latest.fmm");
        File.WriteAllText(real, "old");
        File.CreateSymbolicLink(link, "v1.fmm"); // relative, as `ln -s` makes them
        AtomicFile.WriteAllText(link, "new");
        Assert.Equal(FileKind.SymbolicLink, FileKinds.Of(link));
        Assert.Equal("new", File.ReadAllText(real));
        Assert.Equal(2, Directory.GetFileSystemEntries(_dir).Length);
    }

    [Fact]
    public void A_symbolic_link_to_a_pipe_is_refused()
    {
        string fifo = Fifo(), link = Path.Combine(_dir, "out.fmm");
        File.CreateSymbolicLink(link, fifo);
        var e = Assert.Throws<FashionMnistException>(() => AtomicFile.WriteAllText(link, "model"));
        Assert.Contains("named pipe", e.Message);
        Assert.Equal(FileKind.Pipe, FileKinds.Of(fifo));
    }

    [Fact]
    public void A_symbolic_link_loop_is_a_clear_error()
    {
        string a = Path.Combine(_dir, "a"), b = Path.Combine(_dir, "b");
        File.CreateSymbolicLink(a, b);
        File.CreateSymbolicLink(b, a);
        var e = Assert.Throws<FashionMnistException>(() => AtomicFile.WriteAllText(a, "x"));
        Assert.Contains("does not resolve", e.Message);
    }

    [Fact]
    public void Stale_temporaries_of_dead_processes_are_removed_and_live_ones_kept()
    {
        string target = Path.Combine(_dir, "m.fmm");
        int dead = DeadPid();
        string stale = $"{target}.tmp-{dead}-0123456789abcdef0123456789abcdef";
        string live = $"{target}.tmp-1-0123456789abcdef0123456789abcdef"; // PID 1 always runs
        string other = Path.Combine(_dir, $"other.fmm.tmp-{dead}-0123");
        foreach (string f in new[] { stale, live, other }) File.WriteAllText(f, "partial");
        AtomicFile.WriteAllText(target, "model");
        Assert.False(File.Exists(stale));
        Assert.True(File.Exists(live));
        Assert.True(File.Exists(other)); // another target's: its own next save cleans it
        Assert.Equal("model", File.ReadAllText(target));
    }

    private static int DeadPid()
    {
        using var process = Process.Start(new ProcessStartInfo("true"))!;
        process.WaitForExit();
        return process.Id; // reaped: no process has this id until the kernel wraps around
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    public void An_empty_output_path_is_bad_input(string path)
    {
        var e = Assert.Throws<FashionMnistException>(() => AtomicFile.WriteAllText(path, "x"));
        Assert.Contains("empty", e.Message);
        Assert.Equal(ExitCodes.BadInput, e.ExitCode);
    }

    [Fact]
    public void CheckTarget_refuses_what_a_save_would_refuse_and_leaves_nothing()
    {
        string file = Path.Combine(_dir, "plain");
        File.WriteAllText(file, "x");
        Assert.Contains("not a folder", Assert.Throws<FashionMnistException>(() => AtomicFile.CheckTarget(Path.Combine(file, "m.fmm"), "--out")).Message);
        Assert.Contains("is a folder", Assert.Throws<FashionMnistException>(() => AtomicFile.CheckTarget(_dir, "--out")).Message);
        Assert.Contains("--out is empty", Assert.Throws<FashionMnistException>(() => AtomicFile.CheckTarget("", "--out")).Message);
        AtomicFile.CheckTarget(Path.Combine(_dir, "new", "deeper", "m.fmm"), "--out");
        Assert.Equal([file], Directory.GetFileSystemEntries(_dir));
    }

    // --- through the command line ---

    [Fact]
    public void Train_refuses_a_pipe_as_out_before_training()
    {
        string fifo = Fifo("model.fmm");
        var clock = Stopwatch.StartNew();
        var result = CliRunner.Run("train", "mlp", "--set", "epochs=1", "--train-limit", "2000", "--out", fifo);
        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains(fifo, result.Stderr);
        Assert.Contains("named pipe", result.Stderr);
        Assert.DoesNotContain("accuracy", result.Stdout, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("epoch", result.Stderr, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(FileKind.Pipe, FileKinds.Of(fifo));
    }

    [Fact]
    public void Train_refuses_an_out_path_inside_a_file_before_training()
    {
        string file = Path.Combine(_dir, "plain");
        File.WriteAllText(file, "x");
        var result = CliRunner.Run("train", "knn", "--train-limit", "500", "--test-limit", "100", "--out", Path.Combine(file, "m.fmm"));
        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains("not a folder", result.Stderr);
        Assert.DoesNotContain("accuracy", result.Stdout, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void No_save_writes_no_checkpoint_and_a_saved_run_leaves_none_behind()
    {
        var noSave = CliRunner.Run(["train", "mlp", "--set", "epochs=1", "--train-limit", "600", "--test-limit", "100", "--no-save", "--no-store"], workingDirectory: _dir);
        Assert.True(noSave.ExitCode == 0, noSave.ToString());
        Assert.DoesNotContain(Directory.GetFileSystemEntries(_dir, "*", SearchOption.AllDirectories), f => !f.Contains("runs"));

        string model = Path.Combine(_dir, "out", "mlp.fmm");
        var saved = CliRunner.Run(["train", "mlp", "--set", "epochs=1", "--train-limit", "600", "--test-limit", "100", "--out", model, "--no-store"], workingDirectory: _dir);
        Assert.True(saved.ExitCode == 0, saved.ToString());
        Assert.True(File.Exists(model));
        Assert.Equal([model], Directory.GetFiles(Path.Combine(_dir, "out")));
    }

    [Theory]
    [InlineData("train", "knn", "--train-limit", "100", "--test-limit", "10", "--out", "")]
    [InlineData("predict", "--model", "", "Fixtures/photos/PHOTO")]
    [InlineData("evaluate", "--model", "")]
    public void Empty_paths_are_bad_input_not_bugs(params string[] args)
    {
        var result = CliRunner.Run(args.Select(a => a.Replace("Fixtures/photos/PHOTO", FashionMnist.Tests.Imaging.TestImages.FixturePath(FashionMnist.Tests.Imaging.TestImages.FixturePhotos[0]))));
        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains("is empty", result.Stderr);
        Assert.DoesNotContain("bug", result.Stderr);
    }
}
