using FashionMnist.Data;

namespace FashionMnist.Tests.Data;

public sealed class DataLocatorTests : IDisposable
{
    private readonly TempFolder _root = new();

    public void Dispose() => _root.Dispose();

    private string Folder(string name, int files = 4, bool compressed = true)
    {
        string path = _root.File(name);
        Directory.CreateDirectory(path);
        foreach (var spec in DataFileSpec.Official.Take(files))
            File.WriteAllBytes(Path.Combine(path, compressed ? spec.ArchiveName : spec.Name), [0]);
        return path;
    }

    private static Func<string, string?> Env(params (string Key, string Value)[] values) =>
        key => values.FirstOrDefault(v => v.Key == key).Value;

    [Fact]
    public void Option_comes_first()
    {
        string option = Folder("option"), env = Folder("env"), debian = Folder("debian");
        var found = DataLocator.Locate(option, Env((DataLocator.EnvironmentVariable, env)), debian);
        Assert.Equal(option, found.Directory);
        Assert.Equal(DataSource.Option, found.Source);
        Assert.Equal(4, found.Files.Count);
    }

    [Fact]
    public void Environment_variable_comes_before_the_debian_folder()
    {
        string env = Folder("env"), debian = Folder("debian");
        var found = DataLocator.Locate(null, Env((DataLocator.EnvironmentVariable, env)), debian);
        Assert.Equal((env, DataSource.Environment), (found.Directory, found.Source));
        Assert.Contains("FASHION_MNIST_DIR", found.SourceDescription);
    }

    [Fact]
    public void Debian_folder_comes_before_the_user_cache()
    {
        string debian = Folder("debian");
        Folder(Path.Combine("xdg", "fmnist", "fashion-mnist"));
        var found = DataLocator.Locate(null, Env(("XDG_CACHE_HOME", _root.File("xdg"))), debian);
        Assert.Equal((debian, DataSource.DebianPackage), (found.Directory, found.Source));
    }

    [Fact]
    public void User_cache_is_XDG_CACHE_HOME_or_home_dot_cache()
    {
        string cache = Folder(Path.Combine("xdg", "fmnist", "fashion-mnist"), compressed: false);
        var found = DataLocator.Locate(null, Env(("XDG_CACHE_HOME", _root.File("xdg"))), _root.File("no-debian"));
        Assert.Equal((cache, DataSource.UserCache), (found.Directory, found.Source));
        Assert.All(found.Files, f => Assert.False(f.Path.EndsWith(".gz")));
        Assert.Equal("/home/u/.cache/fmnist/fashion-mnist", DataLocator.UserCacheDirectoryFrom(Env(("HOME", "/home/u"))));
    }

    [Fact]
    public void Gz_file_is_preferred_when_both_forms_exist()
    {
        string folder = Folder("both");
        foreach (var spec in DataFileSpec.Official) File.WriteAllBytes(Path.Combine(folder, spec.Name), [0]);
        var found = DataLocator.Locate(folder, Env(), _root.File("none"));
        Assert.All(found.Files, f => Assert.EndsWith(".gz", f.Path));
    }

    [Fact]
    public void Explicit_folder_without_the_files_is_an_error_not_a_fall_through()
    {
        string empty = Folder("empty", files: 0), debian = Folder("debian");
        var e = Assert.Throws<FashionMnistException>(() => DataLocator.Locate(empty, Env(), debian));
        Assert.Contains($"'{empty}' (from --data-dir) lacks train-images-idx3-ubyte[.gz]", e.Message);
        Assert.Contains("fmnist data fetch --dir", e.Message);

        var fromEnv = Assert.Throws<FashionMnistException>(() => DataLocator.Locate(null, Env((DataLocator.EnvironmentVariable, empty)), debian));
        Assert.Contains("(from FASHION_MNIST_DIR)", fromEnv.Message);
    }

    [Fact]
    public void Explicit_folder_that_does_not_exist_is_an_error()
    {
        var e = Assert.Throws<FashionMnistException>(() => DataLocator.Locate(_root.File("nowhere"), Env(), Folder("debian")));
        Assert.Contains("does not exist", e.Message);
    }

    [Fact]
    public void Partly_filled_default_folder_is_an_error_naming_the_missing_files()
    {
        string cache = Folder(Path.Combine("xdg", "fmnist", "fashion-mnist"), files: 2);
        var e = Assert.Throws<FashionMnistException>(() =>
            DataLocator.Locate(null, Env(("XDG_CACHE_HOME", _root.File("xdg"))), _root.File("no-debian")));
        Assert.Contains(cache, e.Message);
        Assert.Contains("t10k-images-idx3-ubyte[.gz], t10k-labels-idx1-ubyte[.gz] missing", e.Message);
        Assert.Contains("fmnist data fetch", e.Message);
    }

    [Fact]
    public void Nothing_found_says_how_to_get_the_data()
    {
        var e = Assert.Throws<FashionMnistException>(() =>
            DataLocator.Locate(null, Env(("XDG_CACHE_HOME", _root.File("xdg"))), _root.File("no-debian")));
        Assert.Contains("Fashion-MNIST was not found", e.Message);
        Assert.Contains("sudo apt-get install dataset-fashion-mnist", e.Message);
        Assert.Contains("fmnist data fetch", e.Message);
        Assert.Equal(ExitCodes.BadInput, e.ExitCode);
    }
}
