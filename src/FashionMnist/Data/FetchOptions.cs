namespace FashionMnist.Data;

/// <summary>Settings of <see cref="DataFetcher"/>. Defaults are what `fmnist data fetch` uses.</summary>
public sealed record FetchOptions
{
    /// <summary>Zalando's published mirror (https://github.com/zalandoresearch/fashion-mnist#get-the-data).</summary>
    public const string ZalandoMirror = "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/";

    /// <summary>Folder URL holding the four .gz files.</summary>
    public Uri BaseUri { get; init; } = new(ZalandoMirror);

    /// <summary>Where the files go (default: the per-user cache, which the data lookup searches last).</summary>
    public string Directory { get; init; } = DataLocator.UserCacheDirectory;

    /// <summary>Which files to fetch and the checksums they must have. Tests pass small files with their own checksums.</summary>
    public IReadOnlyList<DataFileSpec> Files { get; init; } = DataFileSpec.Official;

    /// <summary>Tries per file before giving up on transient failures (connection errors, 5xx, 408, 429, stalls, cut-off bodies).</summary>
    public int Attempts { get; init; } = 4;

    /// <summary>Wait before the first retry; doubled before each further one.</summary>
    public TimeSpan FirstRetryDelay { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>A request that gets no response headers or no body bytes for this long is abandoned and retried.</summary>
    public TimeSpan StallTimeout { get; init; } = TimeSpan.FromSeconds(30);
}

/// <summary>What happened to one file.</summary>
public enum FetchOutcome
{
    /// <summary>Downloaded and verified (there was no file before).</summary>
    Downloaded,
    /// <summary>A valid file was already there; nothing was downloaded.</summary>
    AlreadyPresent,
    /// <summary>An invalid file was there; it was replaced by a verified download.</summary>
    Replaced,
}

/// <summary>What <see cref="DataFetcher"/> did with one file.</summary>
/// <param name="Spec">The file.</param>
/// <param name="Path">Where it is now.</param>
/// <param name="Url">Where it was (or would have been) downloaded from.</param>
/// <param name="Outcome">Downloaded, already present, or replaced.</param>
/// <param name="Attempts">Download attempts made (0 when the file was already valid).</param>
/// <param name="Verification">The check of the file as it now is.</param>
public sealed record FetchResult(DataFileSpec Spec, string Path, Uri Url, FetchOutcome Outcome, int Attempts, FileVerification Verification);

/// <summary>Progress callbacks of <see cref="DataFetcher"/> (all optional).</summary>
public interface IFetchObserver
{
    /// <summary>A file's download starts; <paramref name="totalBytes"/> is null when the server does not say.</summary>
    void Started(DataFileSpec spec, long? totalBytes) { }
    /// <summary>More bytes of a file arrived.</summary>
    void Advanced(DataFileSpec spec, long bytesSoFar) { }
    /// <summary>An attempt failed for <paramref name="reason"/>; the next starts after <paramref name="delay"/>.</summary>
    void Retrying(DataFileSpec spec, int failedAttempt, string reason, TimeSpan delay) { }
    /// <summary>A file is done: downloaded and verified, or already valid.</summary>
    void Finished(FetchResult result) { }
}
