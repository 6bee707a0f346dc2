using FashionMnist.Imaging;

namespace FashionMnist.Web;

/// <summary>Settings of the classification web app (`fmnist serve`).</summary>
public sealed record WebOptions
{
    /// <summary>Where Kestrel listens; loopback by default (use http://0.0.0.0:5080 to reach it from a phone on the LAN).</summary>
    public string Urls { get; init; } = "http://127.0.0.1:5080";

    /// <summary>Largest upload accepted (bytes of the compressed photo); larger requests get 413.</summary>
    public long MaxUploadBytes { get; init; } = 10L << 20;

    /// <summary>Largest decoded image (pixels); checked from the header before decoding, larger gets 413.</summary>
    public long MaxPixels { get; init; } = ImageCodec.DefaultMaxPixels;

    /// <summary>"garment" or "seed".</summary>
    public string Pipeline { get; init; } = PhotoPipelines.Default;

    /// <summary>Test-time augmentation (several versions of the input, probabilities averaged); none by default in code, `fmnist serve` turns it on.</summary>
    public TestTimeAugmentation Augmentation { get; init; } = TestTimeAugmentation.None;

    /// <summary>The model file's photo calibration (`fmnist calibrate`), applied when it fits the pipeline and views; null for none.</summary>
    public Models.PhotoCalibration? Calibration { get; init; }

    /// <summary>
    /// Photos decoded and preprocessed at the same time; more requests wait. Bounds memory (a 40-megapixel photo
    /// needs 160 MB while decoding) and keeps the CPU for the requests in progress. Default: the compute threads, at least 2.
    /// </summary>
    public int MaxConcurrentPhotos { get; init; } = Math.Max(2, Numerics.ComputeThreads.Count);

    /// <summary>Photos of one client (remote address) in progress at once; default: all of <see cref="MaxConcurrentPhotos"/>
    /// (a lone client can use the whole machine; with several clients the free slots go to the one with fewest in progress).</summary>
    public int? MaxPhotosPerClient { get; init; }

    /// <summary>Photos of one client waiting for a slot; more get 429 Too Many Requests.</summary>
    public int MaxQueuedPerClient { get; init; } = 64;

    /// <summary>Longest a decode may run; checked between 32 KB pieces of the upload (the pixel budget bounds one piece).</summary>
    public TimeSpan DecodeTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Host names accepted besides the address bound (DNS-rebinding guard); loopback names are always accepted
    /// on a loopback address, and on a wildcard address (0.0.0.0) also IP literals and this machine's name.</summary>
    public IReadOnlyList<string> AllowedHosts { get; init; } = [];
}
