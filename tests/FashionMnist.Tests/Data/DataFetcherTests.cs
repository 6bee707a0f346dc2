using FashionMnist.Data;
using static FashionMnist.Tests.Data.IdxFixtures;

namespace FashionMnist.Tests.Data;

public sealed class DataFetcherTests : IDisposable
{
    private readonly TempFolder _folder = new();
    private readonly FileSet _files = Small();

    public void Dispose() => _folder.Dispose();

    private Dictionary<string, byte[]> Originals => _files.Originals.ToDictionary(p => p.Key + ".gz", p => p.Value);

    private FetchOptions Options(LocalHttpServer server, int attempts = 3) => new()
    {
        BaseUri = server.BaseUri,
        Directory = _folder.Path,
        Files = _files.Specs,
        Attempts = attempts,
        FirstRetryDelay = TimeSpan.FromMilliseconds(10),
        StallTimeout = TimeSpan.FromSeconds(10),
    };

    private sealed class Recorder : IFetchObserver
    {
        public List<string> Retries { get; } = [];
        public long LastBytes { get; private set; }
        public void Advanced(DataFileSpec spec, long bytesSoFar) => LastBytes = bytesSoFar;
        public void Retrying(DataFileSpec spec, int failedAttempt, string reason, TimeSpan delay) => Retries.Add($"{spec.Name} {failedAttempt}: {reason}");
    }

    private string[] FolderContents() => Directory.GetFiles(_folder.Path).Select(Path.GetFileName).Order().ToArray()!;

    [Fact]
    public async Task Downloads_verifies_and_then_skips_valid_files()
    {
        using var server = LocalHttpServer.ServingFiles(Originals);
        var results = await new DataFetcher(Options(server)).FetchAsync();
        Assert.All(results, r => Assert.Equal(FetchOutcome.Downloaded, r.Outcome));
        Assert.All(results, r => Assert.Equal(ChecksumStatus.PublishedArchive, r.Verification.Checksum));
        foreach (var (name, bytes) in Originals) Assert.Equal(bytes, File.ReadAllBytes(_folder.File(name)));
        Assert.Equal(Originals.Keys.Order(), FolderContents());

        var again = await new DataFetcher(Options(server)).FetchAsync();
        Assert.All(again, r => Assert.Equal(FetchOutcome.AlreadyPresent, r.Outcome));
        Assert.All(server.Requests.Values, n => Assert.Equal(1, n));

        // what was fetched loads
        var data = FashionMnistData.Load(DataLocator.Locate(_folder.Path, _ => null, "/none", _files.Specs));
        Assert.Equal(20, data.Train.Count);
    }

    [Fact]
    public async Task A_header_stripped_repack_on_the_server_is_accepted()
    {
        using var server = LocalHttpServer.ServingFiles(_files.Stripped.ToDictionary(p => p.Key + ".gz", p => p.Value));
        var results = await new DataFetcher(Options(server)).FetchAsync();
        Assert.All(results, r => Assert.Equal(ChecksumStatus.PublishedArchiveRestoredHeader, r.Verification.Checksum));
    }

    [Fact]
    public async Task Server_error_then_success_is_retried()
    {
        var files = Originals;
        using var server = new LocalHttpServer((path, n) =>
            n == 1 ? new LocalHttpServer.Reply(500, "boom"u8.ToArray()) : new LocalHttpServer.Reply(200, files[path.Replace("/data/", "")]));
        var recorder = new Recorder();
        var results = await new DataFetcher(Options(server)).FetchAsync(recorder);
        Assert.All(results, r => Assert.Equal((FetchOutcome.Downloaded, 2), (r.Outcome, r.Attempts)));
        Assert.Equal(4, recorder.Retries.Count);
        Assert.Contains("answered 500", recorder.Retries[0]);
        Assert.Equal(Originals.Keys.Order(), FolderContents());
    }

    [Fact]
    public async Task Connection_cut_mid_body_is_retried()
    {
        var files = Originals;
        using var server = new LocalHttpServer((path, n) =>
        {
            byte[] body = files[path.Replace("/data/", "")];
            return n == 1 ? new LocalHttpServer.Reply(200, body[..(body.Length / 2)], DeclaredLength: body.Length) : new LocalHttpServer.Reply(200, body);
        });
        var recorder = new Recorder();
        var results = await new DataFetcher(Options(server)).FetchAsync(recorder);
        Assert.All(results, r => Assert.Equal(2, r.Attempts));
        Assert.Equal(4, recorder.Retries.Count);
        Assert.Equal(Originals.Keys.Order(), FolderContents());
    }

    [Fact]
    public async Task Persistent_server_errors_give_up_with_a_clear_message_and_no_file()
    {
        using var server = new LocalHttpServer((_, _) => new LocalHttpServer.Reply(503, []));
        var e = await Assert.ThrowsAsync<FashionMnistException>(() => new DataFetcher(Options(server, attempts: 3)).FetchAsync());
        Assert.Contains("failed after 3 attempts: the server answered 503", e.Message);
        Assert.Contains(server.BaseUri.AbsoluteUri, e.Message);
        Assert.Empty(FolderContents());
    }

    [Fact]
    public async Task A_truncated_file_on_the_server_fails_verification_and_leaves_nothing()
    {
        var files = Originals;
        string broken = "train-images-idx3-ubyte.gz";
        files[broken] = files[broken][..(files[broken].Length - 100)];
        using var server = LocalHttpServer.ServingFiles(files);
        var e = await Assert.ThrowsAsync<FashionMnistException>(() => new DataFetcher(Options(server)).FetchAsync());
        Assert.Contains($"downloaded from {server.BaseUri}{broken} is not the published {broken}", e.Message);
        Assert.Contains("truncated", e.Message);
        Assert.Contains("Nothing was saved", e.Message);
        Assert.Equal(ExitCodes.BadInput, e.ExitCode);
        Assert.Empty(FolderContents()); // the first file failed: nothing at all, not even a .part file
    }

    [Fact]
    public async Task A_corrupted_file_on_the_server_is_a_checksum_mismatch_and_leaves_nothing()
    {
        var files = Originals;
        string broken = "t10k-labels-idx1-ubyte.gz";
        // same labels, one changed but still valid: structure passes, only the MD5 can tell
        byte[] payload = (byte[])_files.Payloads["t10k-labels-idx1-ubyte"].Clone();
        payload[8] = (byte)((payload[8] + 1) % 10);
        files[broken] = Gzip(payload);
        using var server = LocalHttpServer.ServingFiles(files);
        var e = await Assert.ThrowsAsync<FashionMnistException>(() => new DataFetcher(Options(server)).FetchAsync());
        Assert.Contains("checksum mismatch", e.Message);
        Assert.Contains(_files.Spec("t10k-labels-idx1-ubyte").ArchiveMd5, e.Message);
        Assert.DoesNotContain(broken, FolderContents());
        Assert.Equal(3, FolderContents().Length); // the three good files were kept
        Assert.DoesNotContain(FolderContents(), f => f.Contains(".part"));
    }

    [Fact]
    public async Task An_invalid_existing_file_is_replaced()
    {
        File.WriteAllBytes(_folder.File("train-labels-idx1-ubyte.gz"), [1, 2, 3]);
        using var server = LocalHttpServer.ServingFiles(Originals);
        var results = await new DataFetcher(Options(server)).FetchAsync();
        Assert.Equal(FetchOutcome.Replaced, results.Single(r => r.Spec.Name == "train-labels-idx1-ubyte").Outcome);
        Assert.Equal(Originals["train-labels-idx1-ubyte.gz"], File.ReadAllBytes(_folder.File("train-labels-idx1-ubyte.gz")));
    }

    [Fact]
    public async Task Not_found_is_not_retried_and_names_the_url()
    {
        using var server = LocalHttpServer.ServingFiles(new Dictionary<string, byte[]>());
        var e = await Assert.ThrowsAsync<FashionMnistException>(() => new DataFetcher(Options(server)).FetchAsync());
        Assert.Contains("answered 404", e.Message);
        Assert.Contains("Check --url", e.Message);
        Assert.Equal(1, server.Requests.Values.Sum());
    }

    [Fact]
    public async Task Nobody_listening_is_a_transient_failure_that_ends_in_a_clear_message()
    {
        var options = new FetchOptions
        {
            BaseUri = new Uri("http://127.0.0.1:1/"), Directory = _folder.Path, Files = _files.Specs,
            Attempts = 2, FirstRetryDelay = TimeSpan.FromMilliseconds(1),
        };
        var e = await Assert.ThrowsAsync<FashionMnistException>(() => new DataFetcher(options).FetchAsync());
        Assert.Contains("failed after 2 attempts: no connection", e.Message);
        Assert.Equal(ExitCodes.Failure, e.ExitCode);
    }

    [Fact]
    public void Urls_treat_the_base_as_a_folder()
    {
        var spec = DataFileSpec.Official[0];
        Assert.Equal("http://h/x/train-images-idx3-ubyte.gz", DataFetcher.UrlOf(new Uri("http://h/x"), spec).AbsoluteUri);
        Assert.Equal("http://h/x/train-images-idx3-ubyte.gz", DataFetcher.UrlOf(new Uri("http://h/x/"), spec).AbsoluteUri);
    }
}
