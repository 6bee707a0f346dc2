using System.Net;

namespace FashionMnist.Data;

/// <summary>
/// Downloads the four .gz files, safely: retries with exponential backoff on transient failures, a stall timeout,
/// verification (structure and checksum, <see cref="DataVerifier"/>) before anything is kept, and an atomic write
/// (a ".part" file renamed into place only after it verified), so an interrupted or bad download never leaves a
/// file that looks complete. Files already present and valid are skipped; invalid ones are replaced.
/// </summary>
public sealed class DataFetcher
{
    private readonly FetchOptions _options;
    private readonly HttpMessageHandler? _handler;

    /// <summary>A fetcher with these settings; <paramref name="handler"/> replaces the network (tests serve files from memory).</summary>
    public DataFetcher(FetchOptions options, HttpMessageHandler? handler = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Attempts < 1) throw new ArgumentOutOfRangeException(nameof(options), "Attempts must be at least 1.");
        _options = options;
        _handler = handler;
    }

    /// <summary>The URL a file is fetched from: the base URL (taken as a folder) plus "name.gz".</summary>
    public static Uri UrlOf(Uri baseUri, DataFileSpec spec)
    {
        string text = baseUri.AbsoluteUri;
        return new Uri(new Uri(text.EndsWith('/') ? text : text + "/"), spec.ArchiveName);
    }

    /// <summary>
    /// Fetches every file of <see cref="FetchOptions.Files"/> that is missing or invalid, one after another, and returns
    /// what happened to each. Throws <see cref="FashionMnistException"/> when a file cannot be had after all attempts.
    /// </summary>
    public async Task<IReadOnlyList<FetchResult>> FetchAsync(IFetchObserver? observer = null, CancellationToken cancellation = default)
    {
        observer ??= new NoObserver();
        string directory = Path.GetFullPath(_options.Directory);
        try
        {
            Directory.CreateDirectory(directory);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new FashionMnistException($"Cannot create the download folder '{directory}': {e.Message}",
                "Pass --dir with a folder you can write to.", ExitCodes.BadInput, e);
        }

        using var http = new HttpClient(_handler ?? new SocketsHttpHandler { ConnectTimeout = _options.StallTimeout }, disposeHandler: _handler is null)
        {
            Timeout = Timeout.InfiniteTimeSpan, // the stall timeout below covers headers and every body read
        };
        http.DefaultRequestHeaders.UserAgent.ParseAdd("fmnist/0.1");

        var results = new List<FetchResult>();
        foreach (var spec in _options.Files)
        {
            var result = await FetchFileAsync(http, directory, spec, observer, cancellation).ConfigureAwait(false);
            observer.Finished(result);
            results.Add(result);
        }
        return results;
    }

    private async Task<FetchResult> FetchFileAsync(HttpClient http, string directory, DataFileSpec spec, IFetchObserver observer, CancellationToken cancellation)
    {
        string target = Path.Combine(directory, spec.ArchiveName);
        Uri url = UrlOf(_options.BaseUri, spec);
        string remedy = DataLocator.RemedyFor(DataSource.Option, directory);
        bool replacing = false;
        if (File.Exists(target))
        {
            var existing = DataVerifier.VerifyFile(target, spec, remedy);
            if (existing.Ok) return new FetchResult(spec, target, url, FetchOutcome.AlreadyPresent, 0, existing);
            replacing = true;
        }

        string partial = $"{target}.part-{Environment.ProcessId}-{Guid.NewGuid():N}";
        try
        {
            int attempt = 1;
            while (true)
            {
                try
                {
                    await DownloadOnceAsync(http, url, partial, spec, observer, cancellation).ConfigureAwait(false);
                    break;
                }
                catch (TransientFailure failure)
                {
                    TryDelete(partial);
                    if (attempt >= _options.Attempts)
                        throw new FashionMnistException(
                            $"Downloading {url} failed after {attempt} attempt{(attempt > 1 ? "s" : "")}: {failure.Message}",
                            "Check the network connection (and proxy settings), or pass --url with another mirror; then run the command again.",
                            ExitCodes.Failure);
                    TimeSpan delay = _options.FirstRetryDelay * Math.Pow(2, attempt - 1);
                    observer.Retrying(spec, attempt, failure.Message, delay);
                    await Task.Delay(delay, cancellation).ConfigureAwait(false);
                    attempt++;
                }
            }

            var verification = DataVerifier.VerifyFile(partial, spec, remedy);
            if (!verification.Ok)
            {
                string problem = verification.StructureError?.Replace(partial, url.ToString(), StringComparison.Ordinal)
                    ?? $"checksum mismatch: MD5 {verification.ActualMd5}, expected {verification.ExpectedMd5}";
                throw new FashionMnistException(
                    $"The file downloaded from {url} is not the published {spec.ArchiveName}: {problem}",
                    $"Nothing was saved to '{target}'. The server sent damaged or different data: try again, or pass --url with another mirror.");
            }
            File.Move(partial, target, overwrite: true);
            return new FetchResult(spec, target, url, replacing ? FetchOutcome.Replaced : FetchOutcome.Downloaded, attempt,
                verification with { Path = target });
        }
        finally
        {
            TryDelete(partial);
        }
    }

    private async Task DownloadOnceAsync(HttpClient http, Uri url, string partial, DataFileSpec spec, IFetchObserver observer, CancellationToken cancellation)
    {
        using var stall = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        stall.CancelAfter(_options.StallTimeout);
        HttpResponseMessage response;
        try
        {
            response = await http.GetAsync(url, HttpCompletionOption.ResponseHeadersRead, stall.Token).ConfigureAwait(false);
        }
        catch (HttpRequestException e)
        {
            throw new TransientFailure($"no connection ({e.Message})");
        }
        catch (OperationCanceledException) when (!cancellation.IsCancellationRequested)
        {
            throw new TransientFailure($"no response within {_options.StallTimeout.TotalSeconds:0} s");
        }

        using (response)
        {
            int status = (int)response.StatusCode;
            if (status >= 500 || response.StatusCode is HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests)
                throw new TransientFailure($"the server answered {status} {response.ReasonPhrase}");
            if (!response.IsSuccessStatusCode)
                throw new FashionMnistException($"The server answered {status} {response.ReasonPhrase} for {url}",
                    "Check --url: it must be the folder that holds the four .gz files (default: Zalando's mirror).");

            long? expectedLength = response.Content.Headers.ContentLength;
            observer.Started(spec, expectedLength);
            long received = 0;
            using var output = CreatePartial(partial);
            try
            {
                using var body = await response.Content.ReadAsStreamAsync(stall.Token).ConfigureAwait(false);
                var buffer = new byte[1 << 16];
                while (true)
                {
                    stall.CancelAfter(_options.StallTimeout);
                    int read = await body.ReadAsync(buffer, stall.Token).ConfigureAwait(false);
                    if (read == 0) break;
                    Write(output, buffer.AsSpan(0, read), partial);
                    received += read;
                    observer.Advanced(spec, received);
                }
            }
            catch (Exception e) when (e is IOException or HttpRequestException)
            {
                throw new TransientFailure($"the connection broke after {received:N0} bytes ({e.Message})");
            }
            catch (OperationCanceledException) when (!cancellation.IsCancellationRequested)
            {
                throw new TransientFailure($"no data for {_options.StallTimeout.TotalSeconds:0} s after {received:N0} bytes");
            }
            if (expectedLength is long length && received != length)
                throw new TransientFailure($"the connection closed after {received:N0} of {length:N0} bytes");
            output.Flush(flushToDisk: true);
        }
    }

    private static FileStream CreatePartial(string path)
    {
        try
        {
            return new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new FashionMnistException($"Cannot write '{path}': {e.Message}", "Pass --dir with a folder you can write to.", ExitCodes.BadInput, e);
        }
    }

    private static void Write(FileStream output, ReadOnlySpan<byte> data, string path)
    {
        try
        {
            output.Write(data);
        }
        catch (IOException e) // a full disk is not a network problem: no retry
        {
            throw new FashionMnistException($"Cannot write '{path}': {e.Message}", "Free some disk space or pass --dir with another folder.", ExitCodes.BadInput, e);
        }
    }

    private static void TryDelete(string path)
    {
        try { File.Delete(path); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    /// <summary>A failure worth retrying (network, server overload, cut-off body).</summary>
    private sealed class TransientFailure(string message) : Exception(message);

    private sealed class NoObserver : IFetchObserver;
}
