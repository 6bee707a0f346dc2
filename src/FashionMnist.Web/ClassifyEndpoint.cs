using System.Buffers;
using System.Diagnostics;
using FashionMnist.Imaging;
using FashionMnist.Interop;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace FashionMnist.Web;

/// <summary>
/// POST /api/classify: multipart/form-data with an "image" field, or the raw image bytes (image/* or
/// application/octet-stream). Every bad input is a 4xx with <c>{ "error": "..." }</c>, never a 500:
/// 400 empty or malformed, 413 too many bytes or pixels, 415 wrong content type, 422 not a readable image.
/// <para>Concurrency: at most <see cref="WebOptions.MaxConcurrentPhotos"/> photos are decoded and preprocessed at
/// once (others wait), and the model call itself is serialised inside <see cref="PhotoClassifier"/>, since
/// models are not required to be thread-safe.</para>
/// </summary>
internal sealed class ClassifyEndpoint(PhotoClassifier classifier, WebOptions options)
{
    /// <summary>Room for multipart boundaries and headers around a maximum-size file.</summary>
    internal const long MultipartAllowance = 64 * 1024;

    /// <summary>
    /// An oversized upload is read and discarded up to this many bytes before the 413 is sent: a client still
    /// sending its body would otherwise see a reset connection ("broken pipe") instead of the JSON error.
    /// Anything larger is cut off (Kestrel's limit) and the connection closed.
    /// </summary>
    internal const long DrainLimit = 64L << 20;

    private readonly ClientGate _gate = new(options.MaxConcurrentPhotos, options.MaxPhotosPerClient ?? options.MaxConcurrentPhotos, options.MaxQueuedPerClient);

    public async Task<IResult> HandleAsync(HttpRequest request, CancellationToken cancellation)
    {
        var clock = Stopwatch.StartNew();
        long max = options.MaxUploadBytes;
        if (request.ContentLength > max + MultipartAllowance) return await TooLargeAsync(request, cancellation);

        byte[]? bytes;
        string contentType = request.ContentType ?? "";
        if (contentType.StartsWith("multipart/form-data", StringComparison.OrdinalIgnoreCase))
        {
            IFormCollection form;
            try
            {
                form = await request.ReadFormAsync(new FormOptions { MultipartBodyLengthLimit = max + MultipartAllowance }, cancellation);
            }
            catch (InvalidDataException e) when (e.Message.Contains("body length limit", StringComparison.OrdinalIgnoreCase))
            {
                return await TooLargeAsync(request, cancellation);
            }
            catch (InvalidDataException e) when (e.Message.Contains("count limit", StringComparison.OrdinalIgnoreCase))
            {
                return Error(StatusCodes.Status400BadRequest, $"The form has too many fields or parts ({e.Message.TrimEnd('.')}). Send one 'image' field.");
            }
            catch (InvalidDataException e) when (e.Message.Contains("header", StringComparison.OrdinalIgnoreCase) && e.Message.Contains("limit", StringComparison.OrdinalIgnoreCase))
            {
                return Error(StatusCodes.Status400BadRequest, $"A part's header is too long ({e.Message.TrimEnd('.')}); a very long file name does this. Rename the file.");
            }
            catch (InvalidDataException e)
            {
                return Error(StatusCodes.Status400BadRequest, $"The multipart form data is malformed: {e.Message}");
            }
            catch (InvalidOperationException e)
            {
                // Found by fuzzing: a multipart Content-Type without a usable boundary was a 500.
                return Error(StatusCodes.Status400BadRequest, $"The multipart Content-Type has no usable boundary ({e.Message}). Let the browser or client set it.");
            }
            catch (IOException e) when (!cancellation.IsCancellationRequested)
            {
                return Error(StatusCodes.Status400BadRequest, $"The multipart form data ends before its closing boundary (the upload was cut off): {e.Message}");
            }
            IFormFile? file = form.Files.GetFile("image");
            if (file is null)
                return Error(StatusCodes.Status400BadRequest, "The form has no file field named 'image'. Send the photo as the 'image' field.");
            if (file.Length > max) return TooLarge();
            bytes = new byte[file.Length];
            await using (Stream stream = file.OpenReadStream()) await stream.ReadExactlyAsync(bytes, cancellation);
        }
        else if (contentType.StartsWith("image/", StringComparison.OrdinalIgnoreCase)
                 || contentType.StartsWith("application/octet-stream", StringComparison.OrdinalIgnoreCase)
                 || (contentType.Length == 0 && request.ContentLength is null or 0))
        {
            bytes = await ReadBoundedAsync(request.Body, max, cancellation);
            if (bytes is null) return await TooLargeAsync(request, cancellation);
        }
        else
        {
            return Error(StatusCodes.Status415UnsupportedMediaType,
                $"Content type '{contentType}' is not accepted. Send multipart/form-data with an 'image' field, or the image bytes as image/* or application/octet-stream.");
        }
        if (bytes.Length == 0)
            return Error(StatusCodes.Status400BadRequest, "The request has no image (the body is empty). Send a photo.");

        string client = request.HttpContext.Connection.RemoteIpAddress?.ToString() ?? "";
        TimeSpan read = clock.Elapsed;
        using IDisposable? slot = await _gate.EnterAsync(client, cancellation);
        if (slot is null)
            return Error(StatusCodes.Status429TooManyRequests,
                $"Too many photos from your address at once (more than {options.MaxQueuedPerClient} waiting). Wait for the answers, then send more.");
        try
        {
            TimeSpan admitted = clock.Elapsed;
            // No larger than the pipeline works at: a JPEG decodes at 1/2 to 1/8 scale when that is still enough.
            RgbaImage photo = ImageCodec.Decode(bytes, "the uploaded file", options.MaxPixels, options.DecodeTimeout, cancellation,
                classifier.Pipeline.WorkingSide);
            TimeSpan decoded = clock.Elapsed;
            PhotoPrediction prediction = classifier.Classify(photo);
            TimeSpan classified = clock.Elapsed;
            string inputPng = "data:image/png;base64," + Convert.ToBase64String(ImageCodec.EncodePng(prediction.Input.ToGray().ToRgba()));
            TimeSpan total = clock.Elapsed;
            // Where this request's time went, for the load test (bench/web-load.sh) and the browser's network panel.
            // "model" is the rest of Classify after prepare and model-wait (the model's run and the combining of its
            // outputs), so the phases tile the total exactly: timing.Model alone left the code around it uncounted, up to
            // a millisecond on a request that JIT-compiles it (a WebApiTests failure of 1 in 4 runs).
            PhotoTiming timing = prediction.Timing!;
            TimeSpan model = classified - decoded - timing.Prepare - timing.ModelWait;
            request.HttpContext.Response.Headers["Server-Timing"] = string.Join(", ",
                Metric("read", read), Metric("queue", admitted - read), Metric("decode", decoded - admitted), Metric("prepare", timing.Prepare),
                Metric("model-wait", timing.ModelWait), Metric("model", model), Metric("png", total - classified), Metric("total", total));
            return Results.Json(new ClassifyResponse(prediction.Top(3), inputPng, classifier.Pipeline.Name, Math.Round(total.TotalMilliseconds, 1)), WebJson.Options);
        }
        catch (ImageTooLargeException e)
        {
            return Error(StatusCodes.Status413PayloadTooLarge, e.Message);
        }
        catch (UnsupportedImageFormatException e)
        {
            return Error(StatusCodes.Status415UnsupportedMediaType, e.Message);
        }
        catch (ImageDecodeException e)
        {
            return Error(StatusCodes.Status422UnprocessableEntity, e.Message);
        }
    }

    private static string Metric(string name, TimeSpan duration) =>
        $"{name};dur={duration.TotalMilliseconds.ToString("0.##", System.Globalization.CultureInfo.InvariantCulture)}";

    private IResult TooLarge() => Error(StatusCodes.Status413PayloadTooLarge,
        $"The upload is larger than {options.MaxUploadBytes / (1024.0 * 1024.0):0.#} MB. Send a smaller photo (a few hundred pixels across is plenty).");

    private async Task<IResult> TooLargeAsync(HttpRequest request, CancellationToken cancellation)
    {
        if (!(request.ContentLength > DrainLimit))
        {
            byte[] buffer = ArrayPool<byte>.Shared.Rent(64 * 1024);
            try
            {
                long drained = 0;
                int read;
                while (drained < DrainLimit && (read = await request.Body.ReadAsync(buffer, cancellation)) > 0) drained += read;
            }
            catch (BadHttpRequestException)
            {
                // Past Kestrel's limit: the connection will be closed after the response.
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
        return TooLarge();
    }

    internal static IResult Error(int status, string message) => Results.Json(new ErrorResponse(message), WebJson.Options, statusCode: status);

    /// <summary>The whole body, or null as soon as it passes <paramref name="max"/> bytes.</summary>
    private static async Task<byte[]?> ReadBoundedAsync(Stream body, long max, CancellationToken cancellation)
    {
        using var content = new MemoryStream();
        byte[] buffer = ArrayPool<byte>.Shared.Rent(64 * 1024);
        try
        {
            int read;
            while ((read = await body.ReadAsync(buffer, cancellation)) > 0)
            {
                if (content.Length + read > max) return null;
                content.Write(buffer, 0, read);
            }
            return content.ToArray();
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
