namespace FashionMnist.Data;

/// <summary>How the data folder was chosen.</summary>
public enum DataSource
{
    /// <summary>Given with --data-dir (or passed to FashionMnistData.Load).</summary>
    Option,
    /// <summary>The FASHION_MNIST_DIR environment variable.</summary>
    Environment,
    /// <summary>The Debian package dataset-fashion-mnist.</summary>
    DebianPackage,
    /// <summary>The per-user cache that `fmnist data fetch` fills.</summary>
    UserCache,
}

/// <summary>One of the four files, where it was found.</summary>
public sealed record LocatedFile(DataFileSpec Spec, string Path);

/// <summary>A folder holding all four Fashion-MNIST files, and how it was found.</summary>
public sealed record DataLocation(string Directory, DataSource Source, IReadOnlyList<LocatedFile> Files)
{
    /// <summary>How the folder was found, in words, e.g. "the Debian package dataset-fashion-mnist".</summary>
    public string SourceDescription => Source switch
    {
        DataSource.Option => "the --data-dir option",
        DataSource.Environment => $"the {DataLocator.EnvironmentVariable} environment variable",
        DataSource.DebianPackage => $"the Debian package {DataLocator.DebianPackage}",
        DataSource.UserCache => "the per-user cache (filled by `fmnist data fetch`)",
        _ => Source.ToString(),
    };

    /// <summary>What to do when a file here is damaged; depends on where the files came from.</summary>
    public string Remedy => DataLocator.RemedyFor(Source, Directory);

    public LocatedFile File(DataSplit split, bool images) =>
        Files.Single(f => f.Spec.Split == split && f.Spec.IsImages == images);
}

/// <summary>
/// Finds the data, in this order: --data-dir, FASHION_MNIST_DIR, /usr/share/datasets/fashion-mnist (Debian
/// package dataset-fashion-mnist), then the per-user cache ($XDG_CACHE_HOME/fmnist/fashion-mnist or
/// ~/.cache/fmnist/fashion-mnist). A folder named explicitly (option or variable) must hold the files: there is
/// no silent fall-through to another copy. Each file may be gzip-compressed ("name.gz") or not ("name");
/// when both are there the .gz is used.
/// </summary>
public static class DataLocator
{
    public const string EnvironmentVariable = "FASHION_MNIST_DIR";
    public const string DebianDirectory = "/usr/share/datasets/fashion-mnist";
    public const string DebianPackage = "dataset-fashion-mnist";

    public const string GenericRemedy =
        "Download fresh copies with `fmnist data fetch`, or reinstall the Debian package (sudo apt-get install --reinstall dataset-fashion-mnist).";

    /// <summary>The per-user cache folder: $XDG_CACHE_HOME/fmnist/fashion-mnist or ~/.cache/fmnist/fashion-mnist.</summary>
    public static string UserCacheDirectory => UserCacheDirectoryFrom(System.Environment.GetEnvironmentVariable);

    internal static string UserCacheDirectoryFrom(Func<string, string?> getEnvironment)
    {
        string? xdg = getEnvironment("XDG_CACHE_HOME");
        string cache = !string.IsNullOrEmpty(xdg) && Path.IsPathRooted(xdg)
            ? xdg
            : Path.Combine(getEnvironment("HOME") is { Length: > 0 } home ? home : System.Environment.GetFolderPath(System.Environment.SpecialFolder.UserProfile), ".cache");
        return Path.Combine(cache, "fmnist", "fashion-mnist");
    }

    /// <summary>Finds the folder with the four files, or throws a <see cref="FashionMnistException"/> saying what to do.</summary>
    public static DataLocation Locate(string? dataDirectory = null) =>
        Locate(dataDirectory, System.Environment.GetEnvironmentVariable, DebianDirectory);

    internal static DataLocation Locate(string? dataDirectory, Func<string, string?> getEnvironment, string debianDirectory,
        IReadOnlyList<DataFileSpec>? specs = null)
    {
        specs ??= DataFileSpec.Official;
        if (!string.IsNullOrWhiteSpace(dataDirectory))
            return Explicit(dataDirectory, DataSource.Option, specs, "--data-dir");
        if (getEnvironment(EnvironmentVariable) is { Length: > 0 } fromEnvironment)
            return Explicit(fromEnvironment, DataSource.Environment, specs, EnvironmentVariable);

        string cache = UserCacheDirectoryFrom(getEnvironment);
        foreach (var (directory, source) in new[] { (debianDirectory, DataSource.DebianPackage), (cache, DataSource.UserCache) })
        {
            var (found, missing) = Find(directory, specs);
            if (missing.Count == 0) return new DataLocation(Path.GetFullPath(directory), source, found);
            if (found.Count > 0)
                throw new FashionMnistException(
                    $"The data folder '{directory}' ({Describe(source)}) has only some of the files: {string.Join(", ", missing)} missing",
                    RemedyFor(source, directory));
        }
        throw new FashionMnistException(
            $"Fashion-MNIST was not found (looked in --data-dir, ${EnvironmentVariable}, {debianDirectory} and {cache})",
            $"Install the Debian package (sudo apt-get install {DebianPackage}), or run `fmnist data fetch` to download it " +
            "into the per-user cache, or pass --data-dir with the folder holding the four idx files.");
    }

    internal static string RemedyFor(DataSource source, string directory) => source switch
    {
        DataSource.DebianPackage => $"Reinstall the package: sudo apt-get install --reinstall {DebianPackage}.",
        DataSource.UserCache => "Run `fmnist data fetch` to download fresh copies.",
        _ => $"Download fresh copies with `fmnist data fetch --dir {directory}`, or point --data-dir at a good copy.",
    };

    private static string Describe(DataSource source) => new DataLocation("", source, []).SourceDescription;

    private static DataLocation Explicit(string directory, DataSource source, IReadOnlyList<DataFileSpec> specs, string origin)
    {
        if (System.IO.File.Exists(directory))
            throw new FashionMnistException($"The data folder '{directory}' (from {origin}) is a file, not a folder",
                "Pass the folder holding the four Fashion-MNIST idx files, not one of the files.");
        if (!System.IO.Directory.Exists(directory))
            throw new FashionMnistException($"The data folder '{directory}' (from {origin}) does not exist",
                $"Pass the folder holding the four Fashion-MNIST idx files, or download them with `fmnist data fetch --dir {directory}`.");
        var (found, missing) = Find(directory, specs);
        if (missing.Count > 0)
            throw new FashionMnistException(
                $"The data folder '{directory}' (from {origin}) lacks {string.Join(", ", missing)}",
                $"Download the files with `fmnist data fetch --dir {directory}`, or pass the folder that holds them.");
        return new DataLocation(Path.GetFullPath(directory), source, found);
    }

    private static (List<LocatedFile> Found, List<string> Missing) Find(string directory, IReadOnlyList<DataFileSpec> specs)
    {
        var found = new List<LocatedFile>();
        var missing = new List<string>();
        foreach (var spec in specs)
        {
            string compressed = Path.Combine(directory, spec.ArchiveName), plain = Path.Combine(directory, spec.Name);
            if (System.IO.File.Exists(compressed)) found.Add(new LocatedFile(spec, Path.GetFullPath(compressed)));
            else if (System.IO.File.Exists(plain)) found.Add(new LocatedFile(spec, Path.GetFullPath(plain)));
            else missing.Add($"{spec.Name}[.gz]");
        }
        return (found, missing);
    }
}
