using System.Text;
using FashionMnist.Imaging;

namespace FashionMnist.WebLoad;

/// <summary>
/// One kind of bad request and the answers that are correct for it (null = no answer: the client left, or the
/// server closed a connection that broke the rules). Anything else, and any 5xx, is a failure.
/// </summary>
public sealed record HostileKind(string Name, string What, Func<Uri, (byte[] Request, Pacing Pacing)> Build, IReadOnlySet<int?> Expected);

/// <summary>
/// Every kind of hostile request the hardening (docs/hardening.md, issue 15) covers, built once per run: formats
/// outside the six, truncated files, broken multipart, oversized bodies and images, foreign Host and Origin, deep
/// nesting, slow clients, clients that vanish mid-upload.
/// </summary>
public static class HostileKinds
{
    private const string Boundary = "LoadTestBoundary7MA4YWxk";

    /// <summary>No answer: the client left, or the server closed the connection.</summary>
    private static readonly int? NoAnswer = null;

    /// <summary>Every kind; a request that gets neither an answer nor a close within <paramref name="hangAfter"/>
    /// (plus its own sending time) is a hang.</summary>
    public static IReadOnlyList<HostileKind> All(byte[] goodPhoto, TimeSpan slowClientTime, TimeSpan hangAfter)
    {
        var normal = new Pacing { Timeout = hangAfter };
        string svg = "<svg xmlns='http://www.w3.org/2000/svg' width='4000' height='4000'><filter id='f'><feGaussianBlur stdDeviation='900'/>" +
                     "<feTurbulence baseFrequency='0.9' numOctaves='12'/></filter><rect width='4000' height='4000' filter='url(#f)'/></svg>";
        byte[] svgBytes = Encoding.UTF8.GetBytes(svg);
        byte[] png = ImageCodec.EncodePng(Noise(300, 300));
        byte[] truncatedPng = png[..(png.Length * 6 / 10)];
        byte[] truncatedJpeg = goodPhoto[..(goodPhoto.Length * 6 / 10)];
        byte[] oversized = new byte[12 << 20];
        new Random(5).NextBytes(oversized);
        byte[] pixelBomb = Photos.FlatPng(10_000, 5_000);   // 50 MP, over the 40 MP budget: refused from its header
        byte[] largePhoto = Photos.FlatPng(4_000, 3_000);   // 12 MP: a real phone photo's size, allowed, heavy to decode
        byte[] deepJson = Encoding.ASCII.GetBytes(new string('[', 200_000) + new string(']', 200_000));
        var deepMultipart = new StringBuilder();
        for (int i = 0; i < 5_000; i++) deepMultipart.Append($"--n{i}\r\nContent-Type: multipart/mixed; boundary=n{i + 1}\r\n\r\n");
        var manyFields = new StringBuilder();
        for (int i = 0; i < 3000; i++) manyFields.Append($"--{Boundary}\r\nContent-Disposition: form-data; name=\"f{i}\"\r\n\r\nv\r\n");
        manyFields.Append($"--{Boundary}--\r\n");

        int slowPieces = 40;
        var slow = new Pacing { PieceBytes = Math.Max(1, goodPhoto.Length / slowPieces), Pause = slowClientTime / slowPieces, Timeout = slowClientTime + hangAfter };
        var trickle = new Pacing { PieceBytes = 1, Pause = TimeSpan.FromMilliseconds(100), Timeout = TimeSpan.FromSeconds(30) + hangAfter };

        return
        [
            Kind("svg", "an SVG with heavy filters (the 10-CPU-second DoS before the allowlist)",
                u => Post(normal, u, "image/svg+xml", svgBytes), 415),
            Kind("svg-in-form", "an SVG as the form's image field, named photo.jpg",
                u => Post(normal, u, $"multipart/form-data; boundary={Boundary}", Form(svgBytes, "photo.jpg", "image/jpeg")), 415),
            Kind("not-an-image", "text sent as image/jpeg",
                u => Post(normal, u, "image/jpeg", "this is not a photo"u8.ToArray()), 422),
            Kind("truncated-png", "a 300x300 PNG cut at 60 % (inside its image data)",
                u => Post(normal, u, "image/png", truncatedPng), 422),
            Kind("truncated-jpeg", "a real photo cut at 60 %",
                u => Post(normal, u, $"multipart/form-data; boundary={Boundary}", Form(truncatedJpeg, "cut.jpg", "image/jpeg")), 422),
            Kind("multipart-unclosed", "a form whose body ends before its closing boundary",
                u => Post(normal, u, $"multipart/form-data; boundary={Boundary}", Encoding.ASCII.GetBytes(
                    $"--{Boundary}\r\nContent-Disposition: form-data; name=\"image\"; filename=\"a.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n").Concat(goodPhoto[..1000]).ToArray()), 400),
            Kind("multipart-no-boundary", "multipart/form-data without a boundary parameter",
                u => Post(normal, u, "multipart/form-data", goodPhoto), 400),
            Kind("form-many-fields", "a form with 3,000 fields",
                u => Post(normal, u, $"multipart/form-data; boundary={Boundary}", Encoding.ASCII.GetBytes(manyFields.ToString())), 400),
            Kind("form-long-filename", "a file name of 40,000 characters",
                u => Post(normal, u, $"multipart/form-data; boundary={Boundary}", Form(goodPhoto, new string('a', 40_000) + ".jpg", "image/jpeg")), 400),
            Kind("empty-body", "a POST without a body",
                u => Post(normal, u, "image/jpeg", []), 400),
            Kind("wrong-content-type", "a photo sent as text/plain",
                u => Post(normal, u, "text/plain", goodPhoto), 415),
            Kind("deep-json", "200,000 nested JSON arrays (the server takes no JSON: refused by type, never parsed)",
                u => Post(normal, u, "application/json", deepJson), 415),
            Kind("deep-multipart", "an image field holding 5,000 nested multipart/mixed headers",
                u => Post(normal, u, $"multipart/form-data; boundary={Boundary}", Form(Encoding.ASCII.GetBytes(deepMultipart.ToString()), "nested.jpg", "multipart/mixed; boundary=n0")), 422),
            Kind("oversized-body", "12 MB with a Content-Length (limit 10 MB)",
                u => Post(normal, u, "image/jpeg", oversized), 413),
            Kind("oversized-chunked", "12 MB chunked, no Content-Length (counted while reading)",
                u => (RawHttp.Build("POST", "/api/classify", HostOf(u), [("Content-Type", "image/jpeg"), ("Transfer-Encoding", "chunked")],
                    RawHttp.Chunked(oversized), contentLength: false), normal), 413),
            Kind("pixel-bomb", "a 50-megapixel PNG of 5 KB-ish (over the 40 MP budget)",
                u => Post(normal, u, "image/png", pixelBomb), 413),
            Kind("large-photo", "a 12-megapixel PNG (allowed; a phone photo's size, heavy to decode)",
                u => Post(normal, u, "image/png", largePhoto), 200),
            Kind("bad-host", "Host: attacker.example (DNS rebinding)",
                u => (RawHttp.Build("POST", "/api/classify", "attacker.example", [("Content-Type", "image/jpeg")], goodPhoto), normal), 400),
            Kind("bad-origin", "a cross-site POST (Origin: http://attacker.example)",
                u => (RawHttp.Build("POST", "/api/classify", HostOf(u), [("Content-Type", "image/jpeg"), ("Origin", "http://attacker.example")], goodPhoto), normal), 403),
            Kind("slow-upload", $"a good photo sent in {slowPieces} pieces over {slowClientTime.TotalSeconds:0} s",
                u => (Post(normal, u, "image/jpeg", goodPhoto).Request, slow), 200),
            Kind("trickle-upload", "a body at 10 bytes per second (below Kestrel's minimum data rate: cut off)",
                u => (Post(normal, u, "image/jpeg", goodPhoto).Request, trickle), 408, NoAnswer),
            Kind("disconnect-mid-upload", "half of a photo's body, then a reset",
                u => (Post(normal, u, "image/jpeg", goodPhoto).Request, new Pacing { CloseAfterBytes = 200 + goodPhoto.Length / 2 }), NoAnswer),
            Kind("disconnect-after-upload", "a whole photo, then a reset before the answer",
                u => (Post(normal, u, "image/jpeg", goodPhoto).Request, new Pacing { CloseAfterSending = true }), NoAnswer),
        ];
    }

    private static HostileKind Kind(string name, string what, Func<Uri, (byte[], Pacing)> build, params int?[] expected) =>
        new(name, what, build, expected.ToHashSet());

    private static string HostOf(Uri u) => $"{u.Host}:{u.Port}";

    private static (byte[] Request, Pacing Pacing) Post(Pacing pacing, Uri u, string contentType, byte[] body) =>
        (RawHttp.Build("POST", "/api/classify", HostOf(u), [("Content-Type", contentType)], body), pacing);

    private static byte[] Form(byte[] file, string fileName, string contentType) =>
    [
        .. Encoding.ASCII.GetBytes($"--{Boundary}\r\nContent-Disposition: form-data; name=\"image\"; filename=\"{fileName}\"\r\nContent-Type: {contentType}\r\n\r\n"),
        .. file,
        .. Encoding.ASCII.GetBytes($"\r\n--{Boundary}--\r\n"),
    ];

    private static RgbaImage Noise(int width, int height)
    {
        var image = new RgbaImage(width, height);
        new Random(7).NextBytes(image.Pixels);
        for (int i = 3; i < image.Pixels.Length; i += 4) image.Pixels[i] = 255;
        return image;
    }
}
