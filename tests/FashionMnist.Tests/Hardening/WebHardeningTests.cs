using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using FashionMnist.Imaging;
using FashionMnist.Interop;
using FashionMnist.Tests.Imaging;
using FashionMnist.Tests.Support;
using FashionMnist.Tests.Web;

namespace FashionMnist.Tests.Hardening;

/// <summary>Issue 15, items 2, 3, 11, 12 and 13 (the web part): what a stranger can send to the server.</summary>
public sealed class WebHardeningTests(WebAppFixture app) : IClassFixture<WebAppFixture>
{
    private static byte[] Photo(string name = "pants.jpg") => File.ReadAllBytes(TestImages.FixturePath(name));

    private static ByteArrayContent Raw(byte[] bytes, string contentType = "application/octet-stream")
    {
        var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        return content;
    }

    private async Task<string> Expect(HttpResponseMessage response, HttpStatusCode status)
    {
        string body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"{(int)response.StatusCode} {body}");
        return body;
    }

    private async Task<string> ExpectError(HttpResponseMessage response, HttpStatusCode status)
    {
        string body = await Expect(response, status);
        string error = JsonDocument.Parse(body).RootElement.GetProperty("error").GetString()!;
        Assert.Equal(HttpStatusCode.OK, (await app.Client.GetAsync("/healthz")).StatusCode);
        return error;
    }

    // --- item 2: only six formats, by their magic bytes, before any decoder runs ---

    public static TheoryData<string, string> OtherFormats => new()
    {
        { "svg", "<svg xmlns='http://www.w3.org/2000/svg' width='64' height='64'><rect width='64' height='64' fill='red'/></svg>" },
        { "svg with xml header", "<?xml version='1.0'?><svg xmlns='http://www.w3.org/2000/svg' width='9' height='9'/>" },
        { "xpm", "/* XPM */\nstatic char *x[] = {\"2 2 1 1\", \"a c #000000\", \"aa\", \"aa\"};\n" },
        { "pnm", "P2\n2 2\n255\n0 0 0 0\n" },
        { "xbm", "#define x_width 8\n#define x_height 1\nstatic unsigned char x_bits[] = { 0xff };\n" },
    };

    [Theory]
    [MemberData(nameof(OtherFormats))]
    public async Task Formats_outside_the_six_are_refused_before_decoding(string kind, string content)
    {
        string error = await ExpectError(await app.Client.PostAsync("/api/classify", Raw(Encoding.UTF8.GetBytes(content), "image/svg+xml")),
            HttpStatusCode.UnsupportedMediaType);
        Assert.Contains("JPEG, PNG, GIF, BMP, TIFF or WebP", error);
        Assert.False(string.IsNullOrEmpty(kind));
    }

    [Fact]
    public void The_codec_itself_refuses_other_formats_and_sniffs_the_six()
    {
        Assert.Throws<UnsupportedImageFormatException>(() => ImageCodec.Decode("<svg xmlns='http://www.w3.org/2000/svg'/>"u8, "x.svg"));
        Assert.Equal(ImageFormat.Jpeg, ImageFormats.Sniff(Photo()));
        Assert.Equal(ImageFormat.Png, ImageFormats.Sniff(ImageCodec.EncodePng(TestImages.Gradient(4, 4))));
        Assert.Equal(ImageFormat.Gif, ImageFormats.Sniff(TestImages.TransparentGif));
        Assert.Equal(ImageFormat.Bmp, ImageFormats.Sniff(ImageCodec.Encode(TestImages.Gradient(4, 4), "bmp")));
        Assert.Equal(ImageFormat.Tiff, ImageFormats.Sniff(ImageCodec.Encode(TestImages.Gradient(4, 4), "tiff")));
        Assert.Equal(ImageFormat.WebP, ImageFormats.Sniff("RIFF\0\0\0\0WEBPVP8 "u8));
        Assert.Equal(ImageFormat.Unknown, ImageFormats.Sniff("RIFF\0\0\0\0AVI "u8)); // ANI and AVI are RIFF too
    }

    [Fact]
    public void Decoding_is_cancelled_with_the_request_and_bounded_in_time()
    {
        byte[] jpeg = ImageCodec.Encode(TestImages.Noise(1600, 1200, 1), "jpeg");
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        Assert.Throws<OperationCanceledException>(() => ImageCodec.Decode(jpeg, "big.jpg", cancellation: cancelled.Token));
        var e = Assert.Throws<ImageDecodeException>(() => ImageCodec.Decode(jpeg, "big.jpg", timeout: TimeSpan.FromTicks(1)));
        Assert.Contains("longer than", e.Message);
    }

    // --- item 12: truncated images ---

    public static TheoryData<string> Formats => ["png", "jpeg", "bmp", "tiff", "interlaced-png"];

    private static byte[] Encoded(string format) => format == "interlaced-png"
        ? InterlacedPng.Encode(TestImages.Noise(64, 64, 7))
        : ImageCodec.Encode(TestImages.Noise(64, 64, 7), format);

    [Theory]
    [MemberData(nameof(Formats))]
    public void Every_cut_inside_the_image_data_is_refused(string format)
    {
        byte[] whole = Encoded(format);
        Assert.Equal(64, ImageCodec.Decode(whole, format).Width);
        var accepted = new List<int>();
        // Every length from just past the header to one byte short, coarse in the middle, fine near both ends.
        IEnumerable<int> cuts = Enumerable.Range(60, 40).Concat(Enumerable.Range(0, 30).Select(i => 100 + i * (whole.Length - 200) / 30))
            .Concat(Enumerable.Range(whole.Length - 64, 63)).Where(n => n > 0 && n < whole.Length).Distinct();
        foreach (int n in cuts)
        {
            try { ImageCodec.Decode(whole.AsSpan(0, n), $"cut.{format}"); accepted.Add(n); }
            catch (ImageDecodeException) { }
        }
        Assert.True(accepted.Count == 0, $"{format} of {whole.Length} bytes decoded when cut to: {string.Join(", ", accepted)}");
    }

    [Fact]
    public async Task A_truncated_upload_is_422_and_on_the_command_line_exit_2()
    {
        byte[] jpeg = Photo();
        byte[] cut = jpeg[..(jpeg.Length - 60)];
        await ExpectError(await app.Client.PostAsync("/api/classify", Raw(cut, "image/jpeg")), (HttpStatusCode)422);
        string dir = Directory.CreateTempSubdirectory("fmnist-cut-").FullName;
        try
        {
            string path = Path.Combine(dir, "cut.jpg");
            File.WriteAllBytes(path, cut);
            string model = Path.Combine(dir, "knn.fmm");
            var knn = FashionMnist.Models.ModelCatalog.Create("knn", new Dictionary<string, string> { ["k"] = "1" });
            knn.Fit(TestData.BalancedTrain(5));
            FashionMnist.Models.ModelFile.Save(knn, model);
            var result = CliRunner.Run("predict", "--model", model, path);
            Assert.True(result.ExitCode == 2, result.ToString());
            Assert.Contains("ends early", result.Stderr);
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    // --- item 3 and 13: malformed multipart ---

    private async Task<HttpResponseMessage> PostMultipart(string body, string boundary = "XyZ")
    {
        var content = new ByteArrayContent(Encoding.UTF8.GetBytes(body));
        content.Headers.ContentType = MediaTypeHeaderValue.Parse($"multipart/form-data; boundary={boundary}");
        return await app.Client.PostAsync("/api/classify", content);
    }

    [Fact]
    public async Task Multipart_without_its_closing_boundary_is_400()
    {
        string body = "--XyZ\r\nContent-Disposition: form-data; name=\"image\"; filename=\"a.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n" +
                      "not all of the photo";
        string error = await ExpectError(await PostMultipart(body), HttpStatusCode.BadRequest);
        Assert.Contains("multipart", error, StringComparison.OrdinalIgnoreCase);
    }

    [Theory]
    [InlineData("multipart/form-data")]
    [InlineData("multipart/form-data; boent-Disposition: form-data")]
    public async Task Multipart_without_a_boundary_is_400_not_500(string contentType)
    {
        var content = new ByteArrayContent(Photo());
        content.Headers.TryAddWithoutValidation("Content-Type", contentType);
        string error = await ExpectError(await app.Client.PostAsync("/api/classify", content), HttpStatusCode.BadRequest);
        Assert.Contains("boundary", error);
    }

    [Fact]
    public async Task Too_many_form_fields_or_a_huge_file_name_is_400_and_says_so()
    {
        var fields = new StringBuilder();
        for (int i = 0; i < 3000; i++) fields.Append($"--XyZ\r\nContent-Disposition: form-data; name=\"f{i}\"\r\n\r\nv\r\n");
        fields.Append("--XyZ--\r\n");
        string many = await ExpectError(await PostMultipart(fields.ToString()), HttpStatusCode.BadRequest);
        Assert.DoesNotContain("MB", many);
        Assert.Contains("fields", many);

        string longName = "--XyZ\r\nContent-Disposition: form-data; name=\"image\"; filename=\"" + new string('a', 40_000) + ".jpg\"\r\n\r\nx\r\n--XyZ--\r\n";
        string named = await ExpectError(await PostMultipart(longName), HttpStatusCode.BadRequest);
        Assert.DoesNotContain("MB", named);
        Assert.Contains("header", named);
    }

    // --- item 11: headers, Host, Origin ---

    [Theory]
    [InlineData("/")]
    [InlineData("/healthz")]
    [InlineData("/api/classify")]
    public async Task Every_response_carries_the_security_headers_and_no_server_name(string path)
    {
        using HttpResponseMessage response = path == "/api/classify"
            ? await app.Client.PostAsync(path, Raw(Photo(), "image/jpeg"))
            : await app.Client.GetAsync(path);
        Assert.Equal("nosniff", Assert.Single(response.Headers.GetValues("X-Content-Type-Options")));
        Assert.Equal("DENY", Assert.Single(response.Headers.GetValues("X-Frame-Options")));
        string csp = Assert.Single(response.Headers.GetValues("Content-Security-Policy"));
        Assert.Contains("frame-ancestors 'none'", csp);
        Assert.Contains("default-src 'none'", csp);
        Assert.DoesNotContain("unsafe-inline", csp);
        Assert.False(response.Headers.Contains("Server"));
    }

    [Fact]
    public async Task The_page_script_and_style_are_allowed_by_hash()
    {
        using HttpResponseMessage response = await app.Client.GetAsync("/");
        string page = await response.Content.ReadAsStringAsync();
        string csp = Assert.Single(response.Headers.GetValues("Content-Security-Policy"));
        foreach (string tag in new[] { "script", "style" })
        {
            int start = page.IndexOf($"<{tag}>", StringComparison.Ordinal) + tag.Length + 2;
            string inline = page[start..page.IndexOf($"</{tag}>", StringComparison.Ordinal)];
            string hash = Convert.ToBase64String(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(inline)));
            Assert.Contains($"'sha256-{hash}'", csp);
        }
    }

    [Theory]
    [InlineData("attacker.example")]
    [InlineData("attacker.example:80")]
    [InlineData("127.0.0.1.attacker.example")]
    public async Task A_foreign_host_name_is_refused(string host)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/healthz");
        request.Headers.Host = host;
        await ExpectError(await app.Client.SendAsync(request), HttpStatusCode.BadRequest);
    }

    [Theory]
    [InlineData("localhost")]
    [InlineData("127.0.0.1")]
    public async Task Loopback_host_names_are_served(string host)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/healthz");
        request.Headers.Host = $"{host}:{app.BaseAddress.Port}";
        await Expect(await app.Client.SendAsync(request), HttpStatusCode.OK);
    }

    [Theory]
    [InlineData("http://attacker.example", HttpStatusCode.Forbidden)]
    [InlineData("null", HttpStatusCode.Forbidden)]
    [InlineData("SAME", HttpStatusCode.OK)]
    public async Task A_cross_site_post_is_refused(string origin, HttpStatusCode status)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/classify") { Content = Raw(Photo(), "image/jpeg") };
        request.Headers.Add("Origin", origin == "SAME" ? $"http://127.0.0.1:{app.BaseAddress.Port}" : origin);
        await Expect(await app.Client.SendAsync(request), status);
    }

    // --- item 2: per-client limits ---

    [Fact]
    public async Task One_client_cannot_queue_without_bound()
    {
        var gate = new GatedClassifier(TestModels.PrivateLinear());
        await using var server = FashionMnist.Web.ClassifierWebApp.Build(gate, new FashionMnist.Web.WebOptions
        {
            Urls = "http://127.0.0.1:0", MaxConcurrentPhotos = 4, MaxPhotosPerClient = 1, MaxQueuedPerClient = 2,
        });
        await server.StartAsync();
        using var client = new HttpClient { BaseAddress = new Uri(server.Urls.First()) };
        byte[] photo = Photo();
        var requests = Enumerable.Range(0, 8).Select(_ => client.PostAsync("/api/classify", Raw(photo, "image/jpeg"))).ToList();
        await Task.Delay(1500); // every request has arrived: one classifying (held at the gate), two waiting, the rest refused
        gate.Open();
        var statuses = (await Task.WhenAll(requests)).Select(r => r.StatusCode).ToList();
        Assert.Equal(3, statuses.Count(s => s == HttpStatusCode.OK));
        Assert.Equal(5, statuses.Count(s => s == HttpStatusCode.TooManyRequests));
    }
}

/// <summary>Holds every prediction until <see cref="Open"/>: makes "requests in progress" a fact, not a race.</summary>
internal sealed class GatedClassifier(FashionMnist.Models.IClassifier inner) : FashionMnist.Models.IClassifier
{
    private readonly ManualResetEventSlim _gate = new(false);
    public string Name => inner.Name;
    public FashionMnist.Models.ModelOptions Options => inner.Options;
    public bool IsFitted => inner.IsFitted;
    public void Open() => _gate.Set();
    public void Dispose() => inner.Dispose();
    public void Fit(FashionMnist.Data.ImageSet train, FashionMnist.Models.FitContext? context = null) => inner.Fit(train, context);
    public void SaveState(BinaryWriter writer) => inner.SaveState(writer);
    public void PredictProbabilities(FashionMnist.Data.ImageSet images, Span<float> probabilities)
    {
        _gate.Wait(TimeSpan.FromSeconds(30));
        inner.PredictProbabilities(images, probabilities);
    }
}

/// <summary>A PNG with Adam7 interlacing (gdk-pixbuf cannot write one): its first pass touches every row band.</summary>
internal static class InterlacedPng
{
    public static byte[] Encode(RgbaImage image)
    {
        var raw = new MemoryStream();
        int[] x0 = [0, 4, 0, 2, 0, 1, 0], y0 = [0, 0, 4, 0, 2, 0, 1], dx = [8, 8, 4, 4, 2, 2, 1], dy = [8, 8, 8, 4, 4, 2, 2];
        for (int pass = 0; pass < 7; pass++)
            for (int y = y0[pass]; y < image.Height; y += dy[pass])
            {
                if (x0[pass] >= image.Width) continue;
                raw.WriteByte(0);
                for (int x = x0[pass]; x < image.Width; x += dx[pass])
                {
                    int i = (y * image.Width + x) * 4;
                    raw.Write(image.Pixels, i, 3);
                }
            }
        var compressed = new MemoryStream();
        using (var z = new System.IO.Compression.ZLibStream(compressed, System.IO.Compression.CompressionLevel.Optimal, leaveOpen: true)) raw.WriteTo(z);
        var png = new MemoryStream();
        png.Write([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]);
        var header = new byte[13];
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(header, image.Width);
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), image.Height);
        header[8] = 8; header[9] = 2; header[12] = 1; // 8-bit RGB, Adam7
        Chunk(png, "IHDR", header);
        Chunk(png, "IDAT", compressed.ToArray());
        Chunk(png, "IEND", []);
        return png.ToArray();
    }

    /// <summary>PNG's CRC-32 (polynomial 0xEDB88320), bit by bit: test images are tiny.</summary>
    private static uint Crc(byte[] bytes)
    {
        uint crc = 0xFFFFFFFF;
        foreach (byte b in bytes)
        {
            crc ^= b;
            for (int k = 0; k < 8; k++) crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB88320 : crc >> 1;
        }
        return ~crc;
    }

    private static void Chunk(Stream png, string type, byte[] data)
    {
        Span<byte> length = stackalloc byte[4];
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(length, data.Length);
        png.Write(length);
        byte[] typed = [.. Encoding.ASCII.GetBytes(type), .. data];
        png.Write(typed);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(length, Crc(typed));
        png.Write(length);
    }
}
