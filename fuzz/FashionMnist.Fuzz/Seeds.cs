using System.IO.Compression;
using System.Text;
using FashionMnist.Data;
using FashionMnist.Imaging;
using FashionMnist.Interop;
using FashionMnist.Models;

namespace FashionMnist.Fuzz;

/// <summary>The starting corpus of each harness: small valid inputs that reach deep into each parser
/// (`fmnist-fuzz --write-seeds DIR`; fuzz/corpus holds them plus what afl found).</summary>
public static class Seeds
{
    public static void Write(string directory)
    {
        void Save(string harness, string name, byte[] bytes)
        {
            string folder = Path.Combine(directory, harness);
            Directory.CreateDirectory(folder);
            File.WriteAllBytes(Path.Combine(folder, name), bytes);
        }

        var random = new Random(15);
        byte[] images = [0, 0, 8, 3, 0, 0, 0, 3, 0, 0, 0, 28, 0, 0, 0, 28, .. Enumerable.Range(0, 3 * 784).Select(i => (byte)(i * 7))];
        byte[] labels = [0, 0, 8, 1, 0, 0, 0, 3, 4, 0, 9];
        Save("idx", "images", images);
        Save("idx", "images.gz", Gzip(images));
        Save("idx", "labels", labels);
        Save("idx", "labels.gz", Gzip(labels));

        var pixels = new byte[10 * ImageSet.PixelCount];
        random.NextBytes(pixels);
        var train = new ImageSet(pixels, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
        var knn = ModelCatalog.Create("knn", new Dictionary<string, string> { ["k"] = "1" });
        knn.Fit(train);
        Save("model", "knn.fmm", ModelBytes(knn));
        // The same model with a matrix photo calibration (format version 3): the calibration JSON is parsed behind the checksum.
        double[] matrix = [.. Enumerable.Range(0, 100).Select(i => i / 10 == i % 10 ? 1.25 : 0.01 * (i % 7))];
        var calibration = new PhotoCalibration
        {
            Temperature = 0.8, LogPrior = [0.5, -0.25, 0, 0, 0.125, 0, 0, 0, -1, 0], Matrix = matrix, Pipeline = "garment", Views = 6,
            Facts = new Dictionary<string, string> { ["photos"] = "12" },
        };
        using (var calibrated = new MemoryStream())
        {
            ModelFile.Write(knn, calibrated, calibration: calibration);
            Save("model", "knn-calibrated.fmm", calibrated.ToArray());
        }
        string specFile = Path.Combine(Path.GetTempPath(), $"fmnist-seed-{Environment.ProcessId}.yaml");
        File.WriteAllText(specFile, TinySpec);
        var custom = ModelCatalog.Create("custom", new Dictionary<string, string> { ["epochs"] = "1", ["spec"] = specFile, ["validation-fraction"] = "0" });
        custom.Fit(train);
        File.Delete(specFile);
        Save("model", "custom.fmm", ModelBytes(custom));

        Save("spec", "dense.yaml", Encoding.UTF8.GetBytes(TinySpec));
        Save("spec", "conv.yaml", "layers:\n  - conv2d: {filters: 4, kernel: 3, padding: same}\n  - batchnorm\n  - relu\n  - maxpool2d: {size: 2}\n  - dropout: {rate: 0.25}\n  - flatten\n  - dense: {units: 10}\n"u8.ToArray());
        Save("spec", "spec.json", """{"layers": ["flatten", {"dense": {"units": 10, "init": "glorot"}}]}"""u8.ToArray());
        Save("spec", "grid.yaml", "k: [1, 3, 5]\nweights: [uniform, distance]\n"u8.ToArray());
        Save("spec", "grid.json", """{"c": [0.1, 1, 10], "gamma": "scale"}"""u8.ToArray());

        RgbaImage photo = Photo(48, 40, random);
        Save("image", "photo.jpg", ImageCodec.Encode(photo, "jpeg"));
        Save("image", "photo.png", ImageCodec.EncodePng(photo, keepAlpha: true));
        Save("image", "photo.bmp", ImageCodec.Encode(photo, "bmp"));
        Save("image", "photo.tiff", ImageCodec.Encode(photo, "tiff"));
        Save("image", "pixel.gif", Convert.FromHexString("4749463839610100010080000000000000FFFFFF21F90401000000002C00000000010001000002024401003B"));

        byte[] jpeg = ImageCodec.Encode(photo, "jpeg");
        Save("classify", "raw-jpeg", [.. "image/jpeg\n"u8, .. jpeg]);
        Save("classify", "multipart", [.. "multipart/form-data; boundary=XyZ\n--XyZ\r\nContent-Disposition: form-data; name=\"image\"; filename=\"a.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n"u8,
            .. jpeg, .. "\r\n--XyZ--\r\n"u8]);
        Save("classify", "octet-png", [.. "application/octet-stream\n"u8, .. ImageCodec.EncodePng(Photo(16, 16, random))]);
    }

    private const string TinySpec = "layers:\n  - flatten\n  - dense: {units: 10}\n";

    private static byte[] ModelBytes(IClassifier model)
    {
        using var stream = new MemoryStream();
        ModelFile.Write(model, stream);
        return stream.ToArray();
    }

    private static byte[] Gzip(byte[] bytes)
    {
        using var stream = new MemoryStream();
        using (var gzip = new GZipStream(stream, CompressionLevel.Optimal, leaveOpen: true)) gzip.Write(bytes);
        return stream.ToArray();
    }

    /// <summary>A dark garment-like blob on a light, slightly noisy floor.</summary>
    private static RgbaImage Photo(int width, int height, Random random)
    {
        var image = new RgbaImage(width, height);
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
            {
                bool garment = Math.Abs(x - width / 2) < width / 4 && y > height / 6 && y < height * 5 / 6;
                byte v = (byte)((garment ? 60 : 210) + random.Next(-8, 9));
                image.SetPixel(x, y, v, (byte)(v + 4), (byte)(v - 4));
            }
        return image;
    }
}
