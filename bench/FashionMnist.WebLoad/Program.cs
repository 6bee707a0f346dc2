using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using FashionMnist;
using FashionMnist.WebLoad;

// bench/web-load.sh runs this; see bench/README.md ("Web load") for the options and the JSON.
const string Usage = """
    fmnist-web-load: drives `fmnist serve` on loopback and writes one JSON file (exit 1 when a check fails, 2 for bad options).
      --model FILE            the model to serve (required)
      --fmnist [LABEL=]DLL    a built fmnist.dll to serve from (repeat to compare builds; the first is the baseline);
                              default: src/FashionMnist.Cli/bin/Release/net10.0/fmnist.dll
      --photos DIR            good uploads: every .jpg/.png under DIR (default: 24 generated garment photos)
      --generated N           good uploads: N generated garment photos (400x533; JPEG, every fourth PNG)
      --concurrency N         requests in flight (16)
      --warm-up N             good requests before anything is measured (64)
      --requests N            speed phase: N good requests (2000; 0 skips it), in --rounds R (4) alternating between builds
      --hostile-good N        hostile phase: N good requests (2000; 0 skips it) ...
      --hostile N             ... interleaved with N hostile ones of every kind (200)
      --hang-seconds S        a hostile request with no answer and no close after S seconds is a hang (60)
      --slow-seconds S        how long a slow client takes to send a photo (6)
      --soak-seconds S        soak phase: S seconds of mixed load (0 = off; the issue's soak is 600)
      --rss-limit-mb N        fail when the server's resident memory passes N MB in any phase (1024)
      --deadline-seconds S    a phase still running after S seconds is stopped and fails (1800)
      --raw                   send photos as raw image/jpeg bodies instead of multipart forms (as the page does)
      --serve-arg ARG         pass ARG to `fmnist serve` (repeatable), e.g. --serve-arg --no-tta
      --serve-arg-for LABEL ARG  pass ARG to the server labelled LABEL only (repeatable; web-load.sh's labels are "before"
                              and "this"), e.g. an option the older build lacks: --serve-arg-for this --warm-up --serve-arg-for this 60
      --out FILE              the JSON (default bench/results/<date>-web-load.json), written atomically
      --conditions TEXT       free text stored in the JSON (e.g. "quiet machine")
    """;

var servers = new List<(string, string)>();
var serveArguments = new List<string>();
var serveArgumentsFor = new Dictionary<string, List<string>>();
string? model = null, photos = null, output = null, conditions = null;
int generated = 24, concurrency = 16, warmUp = 64, requests = 2000, rounds = 4, hostileGood = 2000, hostile = 200;
double slowSeconds = 6, soakSeconds = 0;
long rssLimit = 1024;
double deadlineSeconds = 1800, hangSeconds = 60;
bool raw = false;
try
{
    for (int i = 0; i < args.Length; i++)
    {
        string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
        int Int() => int.TryParse(Value(), out int v) && v >= 0 ? v : throw new ArgumentException($"{args[i - 1]} needs a whole number ≥ 0");
        double Seconds() => double.TryParse(Value(), System.Globalization.CultureInfo.InvariantCulture, out double v) && v >= 0 ? v : throw new ArgumentException($"{args[i - 1]} needs seconds ≥ 0");
        switch (args[i])
        {
            case "--model": model = Value(); break;
            case "--fmnist":
                string s = Value();
                servers.Add(s.Contains('=') ? (s[..s.IndexOf('=')], s[(s.IndexOf('=') + 1)..]) : ($"build{servers.Count + 1}", s));
                break;
            case "--photos": photos = Value(); break;
            case "--generated": generated = Math.Max(1, Int()); photos = null; break;
            case "--concurrency": concurrency = Math.Max(1, Int()); break;
            case "--warm-up": warmUp = Int(); break;
            case "--requests": requests = Int(); break;
            case "--rounds": rounds = Math.Max(1, Int()); break;
            case "--hostile-good": hostileGood = Int(); break;
            case "--hostile": hostile = Int(); break;
            case "--hang-seconds": hangSeconds = Math.Max(1, Seconds()); break;
            case "--slow-seconds": slowSeconds = Seconds(); break;
            case "--soak-seconds": soakSeconds = Seconds(); break;
            case "--rss-limit-mb": rssLimit = Math.Max(1, Int()); break;
            case "--deadline-seconds": deadlineSeconds = Math.Max(1, Seconds()); break;
            case "--raw": raw = true; break;
            case "--serve-arg": serveArguments.Add(Value()); break;
            case "--serve-arg-for":
                string label = Value();
                if (!serveArgumentsFor.TryGetValue(label, out var forLabel)) serveArgumentsFor[label] = forLabel = [];
                forLabel.Add(Value());
                break;
            case "--out": output = Value(); break;
            case "--conditions": conditions = Value(); break;
            case "-h" or "--help": Console.WriteLine(Usage); return 0;
            default: throw new ArgumentException($"unknown option '{args[i]}'");
        }
    }
    if (model is null) throw new ArgumentException("--model is required");
    if (serveArgumentsFor.Keys.FirstOrDefault(l => servers.Count > 0 ? !servers.Any(s => s.Item1 == l) : l != "this") is string unknown)
        throw new ArgumentException($"--serve-arg-for names '{unknown}', which is no server's label");
    if (!File.Exists(model)) throw new ArgumentException($"the model file '{model}' does not exist (train one: fmnist train cnn3 --set photo-like=0.5 --out FILE)");
}
catch (ArgumentException e)
{
    Console.Error.WriteLine($"error: {e.Message}.\n{Usage}");
    return 2;
}
if (servers.Count == 0) servers.Add(("this", Path.Combine("src", "FashionMnist.Cli", "bin", "Release", "net10.0", "fmnist.dll")));

IReadOnlyList<byte[]> uploads;
try
{
    uploads = photos is not null ? Photos.FromFolder(photos) : Photos.Generated(generated);
}
catch (IOException e)
{
    Console.Error.WriteLine($"error: {e.Message}");
    return 2;
}
var settings = new WebLoadSettings
{
    Servers = servers.Select(s => (s.Item1, Path.GetFullPath(s.Item2))).ToList(),
    Model = Path.GetFullPath(model),
    ServeArguments = serveArguments,
    ServeArgumentsFor = serveArgumentsFor.ToDictionary(p => p.Key, p => (IReadOnlyList<string>)p.Value),
    Photos = uploads,
    PhotoSource = photos is not null ? Path.GetFullPath(photos) : $"{generated} generated",
    Concurrency = concurrency,
    WarmUpRequests = warmUp,
    SpeedRequests = requests,
    SpeedRounds = rounds,
    HostileGoodRequests = hostileGood,
    HostileRequests = hostile,
    SlowClientTime = TimeSpan.FromSeconds(slowSeconds),
    HangAfter = TimeSpan.FromSeconds(hangSeconds),
    SoakDuration = TimeSpan.FromSeconds(soakSeconds),
    RssLimitMb = rssLimit,
    PhaseDeadline = TimeSpan.FromSeconds(deadlineSeconds),
    Multipart = !raw,
    Conditions = conditions ?? "",
};
WebLoadReport report = await WebLoadRun.RunAsync(settings, Console.Error);
output ??= Path.Combine("bench", "results", $"{DateTime.Now:yyyy-MM-dd-HHmm}-web-load.json");
var json = new JsonSerializerOptions
{
    WriteIndented = true,
    PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
    DictionaryKeyPolicy = null,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
};
AtomicFile.WriteAllText(output, JsonSerializer.Serialize(report, json) + "\n");
Console.Error.WriteLine($"wrote {output}");
foreach (var s in report.Speed)
    Console.Error.WriteLine($"speed {s.Server}: median {s.MedianRequestsPerSecond} req/s, p99 {s.MedianP99Ms} ms" +
                            (s.RateRatioToBaseline is { } r && report.Speed.Count > 1 ? $" (x{r} rate, x{s.P99RatioToBaseline} p99 of {report.Speed[0].Server})" : "") +
                            (s.AllRounds is { } all ? $"; all {all.Requests} requests as one run: {all.RequestsPerSecond} req/s, p99 {all.P99Ms} ms" : ""));
Console.Error.WriteLine(report.Passed ? "all checks passed" : "FAILED:\n  " + string.Join("\n  ", report.Failures));
return report.Passed ? 0 : 1;
