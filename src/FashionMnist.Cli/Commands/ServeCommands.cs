using FashionMnist.Imaging;
using FashionMnist.Web;
using Microsoft.Extensions.Hosting;

namespace FashionMnist.Cli.Commands;

/// <summary>`fmnist serve`: the photo classification web page and API.</summary>
public static class ServeCommands
{
    /// <summary>The warm-up's time limit: it ends earlier, once the JIT has compiled the request path (docs/web.md); the
    /// limit only bounds a start on a machine too busy to get there.</summary>
    private const double DefaultWarmUpSeconds = 10;
    private const double MaxWarmUpSeconds = 600;

    public static Command Create()
    {
        var urls = new Option<string>("--urls")
        {
            Description = "Where to listen. Loopback by default; http://0.0.0.0:5080 makes the page reachable from a phone on your network.",
            DefaultValueFactory = _ => new WebOptions().Urls,
            HelpName = "URL",
        };
        var allowedHosts = new Option<string[]>("--allowed-hosts")
        {
            Description = "Host names the server answers to besides its own address (e.g. a DNS name on your network). " +
                          "Requests naming any other host are refused, which stops DNS-rebinding pages.",
            AllowMultipleArgumentsPerToken = true,
            HelpName = "NAME",
        };
        var warmUp = new Option<double>("--warm-up")
        {
            Description = "Before listening, run the whole request path on built-in photos until the JIT has compiled it (usually a few " +
                          "seconds), for at most this many seconds; without it the first few hundred requests are up to 1.5x slower. 0 listens at once.",
            DefaultValueFactory = _ => DefaultWarmUpSeconds,
            HelpName = "SECONDS",
        };
        var command = new Command("serve",
            "Start a web page for classifying photos (drag and drop, or take a photo on a phone) and a JSON API: " +
            "POST /api/classify (multipart field 'image' or raw image bytes), GET /healthz. Stop with Ctrl+C.")
        {
            PredictCommands.Model, urls, PredictCommands.Pipeline, PredictCommands.NoTta, PredictCommands.Runtime, PredictCommands.NoCalibration, allowedHosts, warmUp,
        };
        ImportFlags.AddTo(command);
        command.SetAction(async (parse, cancellation) =>
        {
            string pipeline = parse.GetValue(PredictCommands.Pipeline)!;
            PhotoPipelines.Create(pipeline); // validates the name before the model loads
            string url = parse.GetValue(urls)!;
            if (!Uri.TryCreate(url.Split(';')[0], UriKind.Absolute, out _))
                throw new FashionMnistException($"--urls '{url}' is not a URL", "Use e.g. --urls http://127.0.0.1:5080.");
            double warmUpSeconds = parse.GetValue(warmUp);
            if (!(warmUpSeconds is >= 0 and <= MaxWarmUpSeconds))
                throw new FashionMnistException($"--warm-up must be between 0 and {MaxWarmUpSeconds} seconds, got {warmUpSeconds}",
                    $"Pass seconds, e.g. --warm-up {DefaultWarmUpSeconds}, or --warm-up 0 to listen without warming up.");
            // One ORT thread per model call: the photo slots (one per core) already keep every core busy, and with
            // IConcurrentPrediction two photos' calls run side by side rather than one call split over both cores.
            using IClassifier model = PredictCommands.LoadForPrediction(parse, out var runtime, out PhotoCalibration? fileCalibration, onnxThreads: 1);
            bool ignoreCalibration = parse.GetValue(PredictCommands.NoCalibration);
            var augmentation = PredictCommands.Augmentation(parse);
            await using var app = ClassifierWebApp.Build(model, new WebOptions
            {
                Urls = url, Pipeline = pipeline, Augmentation = augmentation, AllowedHosts = parse.GetValue(allowedHosts) ?? [],
                Calibration = ignoreCalibration ? null : fileCalibration,
            });
            // Say what the answers are when the file has a calibration: applied, or why not.
            if (fileCalibration is not null)
                Console.Error.WriteLine(CalibrationJson.Of(new PhotoClassifier(model, PhotoPipelines.Create(pipeline), augmentation,
                    ignoreCalibration ? null : fileCalibration), fileCalibration, ignoreCalibration).Describe());
            if (warmUpSeconds > 0)
            {
                try
                {
                    Console.Error.WriteLine((await ClassifierWebApp.WarmUpAsync(app, TimeSpan.FromSeconds(warmUpSeconds), cancellation)).Describe());
                }
                catch (InvalidOperationException e)
                {
                    throw new FashionMnistException($"The warm-up failed: {e.Message}",
                        "The server could not classify a normal photo, so it does not start; --warm-up 0 starts it without this check.", ExitCodes.Failure, e);
                }
            }
            try
            {
                await app.StartAsync(cancellation);
            }
            catch (IOException e)
            {
                throw new FashionMnistException($"Cannot listen on {url}: {e.Message}", "Choose another port with --urls.", ExitCodes.BadInput, e);
            }
            Console.Error.WriteLine($"Serving model '{model.Name}' ({(runtime == FashionMnist.Onnx.RuntimeChoice.Onnx ? "ONNX Runtime" : "fmnist's engine")}) on {string.Join(", ", app.Urls)} (Ctrl+C to stop)");
            await app.WaitForShutdownAsync(cancellation);
            return ExitCodes.Ok;
        });
        return command;
    }
}
