using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using FashionMnist.Imaging;
using FashionMnist.Tests.Imaging;

namespace FashionMnist.Tests.Web;

/// <summary>HTTP-level tests of the web app over loopback: every bad input is a 4xx JSON error and the server stays up.</summary>
public sealed class WebApiTests(WebAppFixture app) : IClassFixture<WebAppFixture>
{
    private static byte[] Photo(string name = "pants.jpg") => File.ReadAllBytes(TestImages.FixturePath(name));

    private static MultipartFormDataContent Form(byte[] bytes, string field = "image", string fileName = "photo.jpg")
    {
        var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = new MediaTypeHeaderValue("image/jpeg");
        return new MultipartFormDataContent { { content, field, fileName } };
    }

    private static ByteArrayContent Raw(byte[] bytes, string? contentType)
    {
        var content = new ByteArrayContent(bytes);
        if (contentType is not null) content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        return content;
    }

    private async Task<JsonElement> ExpectJson(HttpResponseMessage response, HttpStatusCode status)
    {
        string body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"{(int)response.StatusCode} {body}");
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    private async Task<string> ExpectError(HttpResponseMessage response, HttpStatusCode status)
    {
        JsonElement json = await ExpectJson(response, status);
        string error = json.GetProperty("error").GetString()!;
        Assert.False(string.IsNullOrWhiteSpace(error));
        await ServerIsStillUp();
        return error;
    }

    private async Task ServerIsStillUp()
    {
        JsonElement health = await ExpectJson(await app.Client.GetAsync("/healthz"), HttpStatusCode.OK);
        Assert.Equal("ok", health.GetProperty("status").GetString());
    }

    [Fact]
    public async Task Health_names_the_model()
    {
        JsonElement health = await ExpectJson(await app.Client.GetAsync("/healthz"), HttpStatusCode.OK);
        Assert.Equal("tiny-mlp", health.GetProperty("model").GetString());
    }

    [Fact]
    public async Task Page_is_self_contained_and_accepts_camera_photos()
    {
        HttpResponseMessage response = await app.Client.GetAsync("/");
        string html = await response.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("type=\"file\" accept=\"image/*\" capture=\"environment\"", html);
        Assert.Contains("image-rendering: pixelated", html);
        Assert.DoesNotContain("src=\"http", html);
        Assert.DoesNotContain("href=\"http", html);
    }

    [Fact]
    public async Task Each_answer_says_where_its_time_went_in_Server_Timing()
    {
        using HttpResponseMessage response = await app.Client.PostAsync("/api/classify", Form(Photo()));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        string header = string.Join(", ", response.Headers.GetValues("Server-Timing"));
        var metrics = header.Split(", ").Select(m => m.Split(";dur=")).ToDictionary(m => m[0], m => double.Parse(m[1], System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(["read", "queue", "decode", "prepare", "model-wait", "model", "png", "total"], metrics.Keys);
        Assert.All(metrics.Values, v => Assert.True(v >= 0));
        Assert.True(metrics["decode"] > 0 && metrics["prepare"] > 0 && metrics["model"] > 0, header);
        // The phases follow each other: together they are the total (each is rounded to 0.01 ms).
        Assert.InRange(metrics.Where(m => m.Key != "total").Sum(m => m.Value), metrics["total"] - 0.1, metrics["total"] + 0.1);
        double reported = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("milliseconds").GetDouble();
        // "milliseconds" is the raw total to 0.1 ms (within 0.05 of it), the header's total the same to 0.01 (within
        // 0.005): so they differ by at most 0.055. Rounding the header's total again could round a 7.75 up where the raw
        // 7.7496 went down, a 0.1 step that is not an error.
        Assert.InRange(reported, metrics["total"] - 0.0551, metrics["total"] + 0.0551);
    }

    [Fact]
    public async Task Multipart_upload_is_classified()
    {
        JsonElement json = await ExpectJson(await app.Client.PostAsync("/api/classify", Form(Photo())), HttpStatusCode.OK);
        JsonElement[] top = json.GetProperty("top").EnumerateArray().ToArray();
        Assert.Equal(3, top.Length);
        float[] probabilities = top.Select(t => t.GetProperty("probability").GetSingle()).ToArray();
        Assert.True(probabilities[0] >= probabilities[1] && probabilities[1] >= probabilities[2]);
        foreach (JsonElement t in top)
            Assert.Equal(FashionMnist.Data.FashionMnistClasses.Name(t.GetProperty("label").GetInt32()), t.GetProperty("name").GetString());
        Assert.Equal("garment", json.GetProperty("pipeline").GetString());
        Assert.True(json.GetProperty("milliseconds").GetDouble() > 0);

        // The input image is the 28x28 the model saw, as a PNG data URL, matching the pipeline run locally.
        string dataUrl = json.GetProperty("input_png").GetString()!;
        Assert.StartsWith("data:image/png;base64,", dataUrl);
        RgbaImage input = ImageCodec.Decode(Convert.FromBase64String(dataUrl["data:image/png;base64,".Length..]), "input.png");
        Assert.Equal((28, 28), (input.Width, input.Height));
        // The server decodes a JPEG no larger than the pipeline's working side, as predict does.
        var pipeline = new GarmentPipeline();
        byte[] expected = pipeline.Prepare(ImageCodec.Decode(Photo(), "pants.jpg", neededSide: pipeline.WorkingSide)).Pixels;
        for (int i = 0; i < 784; i++) Assert.Equal(expected[i], input.Pixels[i * 4]);
    }

    [Theory]
    [InlineData("image/jpeg")]
    [InlineData("application/octet-stream")]
    public async Task Raw_bytes_are_classified_like_a_form_upload(string contentType)
    {
        JsonElement raw = await ExpectJson(await app.Client.PostAsync("/api/classify", Raw(Photo("dress.jpg"), contentType)), HttpStatusCode.OK);
        JsonElement form = await ExpectJson(await app.Client.PostAsync("/api/classify", Form(Photo("dress.jpg"))), HttpStatusCode.OK);
        Assert.Equal(form.GetProperty("top").GetRawText(), raw.GetProperty("top").GetRawText());
    }

    [Fact]
    public async Task Empty_body_is_400()
    {
        Assert.Contains("empty", await ExpectError(await app.Client.PostAsync("/api/classify", Raw([], "image/jpeg")), HttpStatusCode.BadRequest));
        await ExpectError(await app.Client.PostAsync("/api/classify", null), HttpStatusCode.BadRequest);
        await ExpectError(await app.Client.PostAsync("/api/classify", Form([])), HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task Form_without_image_field_is_400() =>
        Assert.Contains("'image'", await ExpectError(await app.Client.PostAsync("/api/classify", Form(Photo(), field: "picture")), HttpStatusCode.BadRequest));

    [Fact]
    public async Task Non_image_is_422() =>
        Assert.Contains("not an image gdk-pixbuf can read",
            await ExpectError(await app.Client.PostAsync("/api/classify", Form("just some text"u8.ToArray())), HttpStatusCode.UnprocessableEntity));

    [Fact]
    public async Task Truncated_image_is_422()
    {
        byte[] photo = Photo("shoes.jpg");
        Assert.Contains("ends early",
            await ExpectError(await app.Client.PostAsync("/api/classify", Raw(photo[..(photo.Length / 2)], "image/jpeg")), HttpStatusCode.UnprocessableEntity));
    }

    [Fact]
    public async Task Corrupt_image_is_422()
    {
        byte[] photo = Photo("outwear.jpg");
        for (int i = 2; i < 300; i++) photo[i] = 0x33;
        await ExpectError(await app.Client.PostAsync("/api/classify", Raw(photo, "image/jpeg")), HttpStatusCode.UnprocessableEntity);
    }

    [Fact]
    public async Task Over_10_MB_is_413()
    {
        var big = new byte[11 << 20];
        Photo().CopyTo(big, 0);
        Assert.Contains("10 MB", await ExpectError(await app.Client.PostAsync("/api/classify", Raw(big, "image/jpeg")), HttpStatusCode.RequestEntityTooLarge));
        await ExpectError(await app.Client.PostAsync("/api/classify", Form(big)), HttpStatusCode.RequestEntityTooLarge);
    }

    [Fact]
    public async Task Over_10_MB_without_content_length_is_413()
    {
        var chunked = new StreamContent(new MemoryStream(new byte[11 << 20])); // no length: sent chunked
        chunked.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/classify") { Content = chunked };
        request.Headers.TransferEncodingChunked = true;
        await ExpectError(await app.Client.SendAsync(request), HttpStatusCode.RequestEntityTooLarge);
    }

    [Fact]
    public async Task Over_40_megapixels_is_413()
    {
        byte[] header = TestImages.PngHeaderClaiming(10_000, 5_000);
        Assert.Contains("megapixels", await ExpectError(await app.Client.PostAsync("/api/classify", Raw(header, "image/png")), HttpStatusCode.RequestEntityTooLarge));
    }

    [Theory]
    [InlineData("text/plain")]
    [InlineData("application/json")]
    [InlineData("application/x-www-form-urlencoded")]
    public async Task Wrong_content_type_is_415(string contentType) =>
        Assert.Contains("not accepted",
            await ExpectError(await app.Client.PostAsync("/api/classify", Raw("image=abc"u8.ToArray(), contentType)), HttpStatusCode.UnsupportedMediaType));

    [Fact]
    public async Task Concurrent_requests_all_succeed_and_the_model_is_never_called_concurrently()
    {
        byte[][] photos = TestImages.FixturePhotos.Select(Photo).ToArray();
        var expected = new string[photos.Length];
        for (int i = 0; i < photos.Length; i++)
            expected[i] = (await ExpectJson(await app.Client.PostAsync("/api/classify", Raw(photos[i], "image/jpeg")), HttpStatusCode.OK)).GetProperty("top").GetRawText();
        int before = app.Model.OverlappingCalls;
        await Parallel.ForEachAsync(Enumerable.Range(0, 48), new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (i, _) =>
        {
            JsonElement json = await ExpectJson(await app.Client.PostAsync("/api/classify", Raw(photos[i % photos.Length], "image/jpeg")), HttpStatusCode.OK);
            Assert.Equal(expected[i % photos.Length], json.GetProperty("top").GetRawText());
        });
        Assert.Equal(before, app.Model.OverlappingCalls);
    }
}
