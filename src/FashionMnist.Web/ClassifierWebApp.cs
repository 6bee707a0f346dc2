using System.Reflection;
using FashionMnist.Imaging;
using FashionMnist.Models;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace FashionMnist.Web;

/// <summary>
/// The photo classification web app: one page (GET /), the API (POST /api/classify) and a health check (GET /healthz).
/// Kestrel with minimal APIs on <see cref="WebApplication.CreateSlimBuilder()"/>; no external assets.
/// </summary>
public static class ClassifierWebApp
{
    public static WebApplication Build(IClassifier model, WebOptions? options = null)
    {
        options ??= new WebOptions();
        return Build(model, options, new ClassifyEndpoint(new PhotoClassifier(model, PhotoPipelines.Create(options.Pipeline), options.Augmentation, options.Calibration), options));
    }

    private static WebApplication Build(IClassifier model, WebOptions options, ClassifyEndpoint endpoint)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [] });
        builder.WebHost.UseUrls(options.Urls);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Limits.MaxRequestBodySize = Math.Max(ClassifyEndpoint.DrainLimit, options.MaxUploadBytes + ClassifyEndpoint.MultipartAllowance + 1);
            kestrel.AddServerHeader = false;
        });
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        // A start-up failure (port in use) is thrown to the caller, which prints one message; the host would also
        // log it, with the whole stack trace, to the console.
        builder.Logging.AddFilter("Microsoft.Extensions.Hosting", LogLevel.None);
        // For WarmUpAsync, which serves the same endpoint (model, pipeline, photo slots) on a throwaway loopback port.
        builder.Services.AddSingleton(endpoint);
        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton(new ServedModel(model));

        WebApplication app = builder.Build();
        string page = ReadPage();
        var guards = new RequestGuards(options, page);

        app.Use(async (context, next) =>
        {
            context.Response.OnStarting(() => { guards.AddSecurityHeaders(context.Response); return Task.CompletedTask; });
            if (guards.Check(context.Request) is (int status, string message))
            {
                await WriteErrorAsync(context, status, message);
                return;
            }
            // Whatever goes wrong, the client gets JSON, and the server stays up.
            try
            {
                await next(context);
            }
            catch (BadHttpRequestException e) when (!context.Response.HasStarted)
            {
                await WriteErrorAsync(context, e.StatusCode, e.StatusCode == StatusCodes.Status413PayloadTooLarge
                    ? $"The upload is larger than {options.MaxUploadBytes / (1024.0 * 1024.0):0.#} MB. Send a smaller photo."
                    : $"Bad request: {e.Message}");
            }
            catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
            {
                // The client went away; nothing to answer.
            }
            catch (Exception e) when (!context.Response.HasStarted)
            {
                // The operator's log: one line, the stack trace only with FMNIST_DEBUG=1.
                if (Environment.GetEnvironmentVariable("FMNIST_DEBUG") == "1") app.Logger.LogError(e, "Unhandled error for {Path}", context.Request.Path);
                else app.Logger.LogError("Unhandled error for {Path}: {Type}: {Message}", context.Request.Path, e.GetType().Name, e.Message);
                await WriteErrorAsync(context, StatusCodes.Status500InternalServerError, "Internal error while classifying; see the server log.");
            }
        });

        app.MapGet("/", () => Results.Content(page, "text/html; charset=utf-8"));
        app.MapGet("/healthz", () => Results.Json(new HealthResponse("ok", model.Name), WebJson.Options));
        app.MapPost("/api/classify", (HttpRequest request, CancellationToken cancellation) => endpoint.HandleAsync(request, cancellation));
        return app;
    }

    /// <summary>
    /// Sends requests with built-in photos (<see cref="ServerWarmUp"/>) to a throwaway copy of <paramref name="app"/> on a
    /// loopback port (same model, pipeline and photo slots), in rounds, until the JIT has compiled the request path or
    /// <paramref name="limit"/> has passed; call it before <see cref="WebApplication.StartAsync"/>, so that the server
    /// listens only once the first requests will find the code compiled. Throws <see cref="InvalidOperationException"/>
    /// if a built-in photo is not answered 200.
    /// </summary>
    public static async Task<WarmUpReport> WarmUpAsync(WebApplication app, TimeSpan limit, CancellationToken cancellation = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(limit, TimeSpan.Zero);
        var options = app.Services.GetRequiredService<WebOptions>();
        await using WebApplication copy = Build(app.Services.GetRequiredService<ServedModel>().Model,
            options with { Urls = "http://127.0.0.1:0", AllowedHosts = [] }, app.Services.GetRequiredService<ClassifyEndpoint>());
        await copy.StartAsync(cancellation);
        try
        {
            return await ServerWarmUp.RunAsync(new Uri(copy.Urls.First()), 2 * options.MaxConcurrentPhotos, limit, cancellation);
        }
        finally
        {
            await copy.StopAsync(CancellationToken.None);
        }
    }

    /// <summary>The model an app serves (for its warm-up copy).</summary>
    private sealed record ServedModel(IClassifier Model);

    private static Task WriteErrorAsync(HttpContext context, int status, string message)
    {
        context.Response.Clear();
        context.Response.StatusCode = status;
        return context.Response.WriteAsJsonAsync(new ErrorResponse(message), WebJson.Options);
    }

    private static string ReadPage()
    {
        using Stream stream = Assembly.GetExecutingAssembly().GetManifestResourceStream("FashionMnist.Web.index.html")
            ?? throw new InvalidOperationException("The page resource is missing from the assembly.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
