using System.Text;
using FashionMnist.Data;
using FashionMnist.Imaging;
using FashionMnist.Interop;
using FashionMnist.Models;
using FashionMnist.Neural;
using FashionMnist.Selection;
using FashionMnist.Web;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace FashionMnist.Fuzz;

/// <summary>
/// The five parsers that take outside bytes, each as a function of one byte array. The contract every harness checks:
/// bad input ends in a <see cref="FashionMnistException"/> (the CLI's exit 2, the server's 4xx); anything else that
/// escapes (a crash, a stack overflow, an IndexOutOfRange, a 5xx) is a finding. The test suite replays the corpora and
/// every crash through these same functions (tests/FashionMnist.Tests/Hardening/FuzzRegressionTests.cs).
/// </summary>
public static class FuzzTargets
{
    /// <summary>Small bounds so one input costs milliseconds; the real limits are larger but checked the same way.</summary>
    private static readonly NetworkLimits s_limits = new(200_000, 100_000);

    public static void Run(string harness, byte[] data)
    {
        try
        {
            switch (harness)
            {
                case "idx": Idx(data); break;
                case "model": Model(data); break;
                case "spec": Spec(data); break;
                case "image": Image(data); break;
                case "classify": Classify(data); break;
                default: throw new ArgumentException($"unknown harness '{harness}'");
            }
        }
        catch (FashionMnistException)
        {
            // Bad input, reported as such: the expected outcome for most inputs.
        }
    }

    /// <summary>Loads what a harness needs once, before afl starts its fork-less loop.</summary>
    public static void Warm(string harness)
    {
        if (harness == "classify") _ = s_endpoint.Value;
        if (harness is "image" or "classify") Run("image", Convert.FromHexString("4749463839610100010080000000000000FFFFFF21F90401000000002C00000000010001000002024401003B"));
    }

    // --- idx (gzip included): a 3-image file and a 3-label file, from the same bytes ---

    private static readonly DataFileSpec s_images = new("fuzz-images", DataSplit.Train, true, 3, "", "", 0);
    private static readonly DataFileSpec s_labels = new("fuzz-labels", DataSplit.Train, false, 3, "", "", 0);
    private static readonly string s_idxPath = Path.Combine(Directory.Exists("/dev/shm") ? "/dev/shm" : Path.GetTempPath(), $"fmnist-fuzz-{Environment.ProcessId}.idx");

    private static void Idx(byte[] data)
    {
        File.WriteAllBytes(s_idxPath, data);
        foreach (DataFileSpec spec in new[] { s_images, s_labels })
        {
            try
            {
                byte[] payload = IdxReader.Read(s_idxPath, spec, "fuzz");
                Check(payload.Length == spec.PayloadLength - IdxReader.HeaderLength(spec.IsImages), "idx payload length");
            }
            catch (FashionMnistException) { }
        }
    }

    // --- model files ---

    private static readonly ImageSet s_probe = ImageSet.Unlabeled(new byte[2 * ImageSet.PixelCount]);

    private static void Model(byte[] data)
    {
        LoadAndPredict(data);
        // The SHA-256 at the end stops almost every mutation at the checksum, before the options, metadata, photo
        // calibration and state parsers it guards. A file with a repaired checksum is what a careless (or hostile)
        // writer can hand us, so the mutated body is also tried with its checksum made valid.
        if (data.Length > 8 + 4 + 32 && data.AsSpan(0, 8).SequenceEqual("FMNISTMD"u8))
        {
            byte[] repaired = (byte[])data.Clone();
            System.Security.Cryptography.SHA256.HashData(repaired.AsSpan(0, repaired.Length - 32)).CopyTo(repaired, repaired.Length - 32);
            try { LoadAndPredict(repaired); }
            catch (FashionMnistException) { }
        }
    }

    private static void LoadAndPredict(byte[] data)
    {
        IClassifier model = ModelFile.Load(data, "fuzz.fmm");
        if (ModelFile.ReadHeader(data, "fuzz.fmm").Calibration is PhotoCalibration calibration)
        {
            var calibrated = new float[FashionMnistClasses.Count];
            calibration.Apply(Enumerable.Repeat(0.1f, FashionMnistClasses.Count).ToArray(), calibrated);
            Probabilities(calibrated, 1);
        }
        var probabilities = new float[2 * FashionMnistClasses.Count];
        try { model.PredictProbabilities(s_probe, probabilities); }
        catch (FashionMnistException) { return; }
        Probabilities(probabilities, 2);
    }

    // --- spec and grid text (YAML and JSON) ---

    private static void Spec(byte[] data)
    {
        string text = Encoding.UTF8.GetString(data);
        try
        {
            Sequential network = ArchitectureSpec.Parse(text, "fuzz.yaml").Build(0, s_limits);
            Check(ArchitectureSpec.Parse(ArchitectureSpec.Write(network), "written").Layers.Count == network.Layers.Count, "spec round trip");
        }
        catch (FashionMnistException) { }
        ParameterSpace space = ParameterSpace.FromYaml(text, "fuzz.yaml");
        if (space.Count > 0) _ = space[space.Count - 1];
    }

    // --- image bytes to 28x28 ---

    private static readonly IPhotoPipeline s_garment = PhotoPipelines.Create("garment");
    private static readonly IPhotoPipeline s_seed = PhotoPipelines.Create("seed");

    private static void Image(byte[] data)
    {
        RgbaImage photo = ImageCodec.Decode(data, "fuzz", maxPixels: 4_000_000, timeout: TimeSpan.FromSeconds(2));
        foreach (IPhotoPipeline pipeline in new[] { s_garment, s_seed })
        {
            PreparedPhoto prepared = pipeline.Prepare(photo);
            Check(prepared.Pixels.Length == ImageSet.PixelCount, "28x28 output");
        }
    }

    // --- POST /api/classify request parsing: first line the Content-Type, the rest the body ---

    private static readonly Lazy<(ClassifyEndpoint Endpoint, IServiceProvider Services)> s_endpoint = new(() =>
    {
        var knn = ModelCatalog.Create("knn", new Dictionary<string, string> { ["k"] = "1" });
        var pixels = new byte[10 * ImageSet.PixelCount];
        new Random(1).NextBytes(pixels);
        knn.Fit(new ImageSet(pixels, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]));
        var options = new WebOptions { MaxUploadBytes = 1 << 20, MaxPixels = 4_000_000, DecodeTimeout = TimeSpan.FromSeconds(2) };
        var classifier = new PhotoClassifier(knn, PhotoPipelines.Create(options.Pipeline), TestTimeAugmentation.None);
        var services = new ServiceCollection().AddLogging().BuildServiceProvider();
        return (new ClassifyEndpoint(classifier, options), services);
    });

    private static void Classify(byte[] data)
    {
        var (endpoint, services) = s_endpoint.Value;
        int newline = Array.IndexOf(data, (byte)'\n');
        string contentType = newline < 0 ? "" : Encoding.Latin1.GetString(data, 0, newline).Trim();
        byte[] body = newline < 0 ? data : data[(newline + 1)..];
        var context = new DefaultHttpContext { RequestServices = services };
        context.Request.Method = "POST";
        context.Request.Path = "/api/classify";
        if (contentType.Length > 0) context.Request.ContentType = contentType;
        context.Request.ContentLength = body.Length;
        context.Request.Body = new MemoryStream(body);
        context.Response.Body = new MemoryStream();
        IResult result = endpoint.HandleAsync(context.Request, CancellationToken.None).GetAwaiter().GetResult();
        result.ExecuteAsync(context).GetAwaiter().GetResult();
        int status = context.Response.StatusCode;
        Check(status is 200 or (>= 400 and < 500), $"status {status}");
    }

    // --- properties every answer must have ---

    private static void Probabilities(float[] probabilities, int rows)
    {
        for (int r = 0; r < rows; r++)
        {
            float sum = 0;
            for (int c = 0; c < FashionMnistClasses.Count; c++)
            {
                float p = probabilities[r * FashionMnistClasses.Count + c];
                Check(p >= 0 && p <= 1.0001f || float.IsNaN(p), "probability in [0, 1]");
                sum += p;
            }
            Check(float.IsNaN(sum) || Math.Abs(sum - 1) < 1e-3, $"probability row sums to {sum}");
        }
    }

    private static void Check(bool condition, string what)
    {
        if (!condition) throw new FuzzFindingException(what);
    }
}

/// <summary>A broken invariant (not a crash of the code under test, but as serious).</summary>
public sealed class FuzzFindingException(string what) : Exception($"invariant broken: {what}");
