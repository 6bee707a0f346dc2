using System.IO.Compression;
using CsCheck;
using FashionMnist.Data;
using FashionMnist.Models;

namespace FashionMnist.Tests.Hardening;

/// <summary>Properties clearer than examples: round trips of idx and model files, and rows of probabilities.</summary>
public sealed class PropertyTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("fmnist-props-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static byte[] IdxImages(byte[] pixels, int count) =>
        [0, 0, 8, 3, (byte)(count >> 24), (byte)(count >> 16), (byte)(count >> 8), (byte)count, 0, 0, 0, 28, 0, 0, 0, 28, .. pixels];

    private static byte[] Gzip(byte[] bytes)
    {
        using var stream = new MemoryStream();
        using (var gzip = new GZipStream(stream, CompressionLevel.Fastest, leaveOpen: true)) gzip.Write(bytes);
        return stream.ToArray();
    }

    [Fact]
    public void Idx_images_read_back_exactly_plain_or_gzipped()
    {
        Gen.Int[1, 6].SelectMany(n => Gen.Byte.Array[n * ImageSet.PixelCount].Select(p => (n, p)))
            .Select(Gen.Bool)
            .Sample(((int Count, byte[] Pixels) t, bool gzip) =>
            {
                var spec = new DataFileSpec("prop-images", DataSplit.Train, true, t.Count, "", "", 0);
                string path = Path.Combine(_dir, $"images-{Environment.CurrentManagedThreadId}");
                byte[] file = IdxImages(t.Pixels, t.Count);
                File.WriteAllBytes(path, gzip ? Gzip(file) : file);
                return IdxReader.Read(path, spec, "test").AsSpan().SequenceEqual(t.Pixels);
            }, iter: 60, threads: 1);
    }

    [Fact]
    public void Idx_with_any_other_count_or_length_is_refused_never_misread()
    {
        Gen.Int[1, 4].Select(Gen.Int[-3, 3], Gen.Int[-40, 40]).Where((n, dc, dl) => dc != 0 || dl != 0)
            .Sample((n, countDelta, lengthDelta) =>
            {
                var spec = new DataFileSpec("prop-images", DataSplit.Train, true, n, "", "", 0);
                int declared = Math.Max(0, n + countDelta), length = Math.Max(0, n * ImageSet.PixelCount + lengthDelta);
                string path = Path.Combine(_dir, "bad-images");
                File.WriteAllBytes(path, IdxImages(new byte[length], declared));
                try { IdxReader.Read(path, spec, "test"); return false; }
                catch (FashionMnistException e) { return e.ExitCode == ExitCodes.BadInput; }
            }, iter: 80, threads: 1);
    }

    [Fact]
    public void A_model_file_round_trips_to_identical_probabilities_and_any_flipped_byte_is_refused()
    {
        var pixels = new byte[20 * ImageSet.PixelCount];
        new Random(3).NextBytes(pixels);
        var train = new ImageSet(pixels, [.. Enumerable.Range(0, 20).Select(i => (byte)(i % 10))]);
        var model = ModelCatalog.Create("knn", new Dictionary<string, string> { ["k"] = "3" });
        model.Fit(train);
        using var stream = new MemoryStream();
        ModelFile.Write(model, stream);
        byte[] file = stream.ToArray();
        IClassifier loaded = ModelFile.Load(file, "round.fmm");
        Assert.Equal(model.PredictProbabilities(train), loaded.PredictProbabilities(train));

        Gen.Int[0, file.Length - 1].Select(Gen.Byte[1, 255]).Sample((at, flip) =>
        {
            byte[] damaged = (byte[])file.Clone();
            damaged[at] ^= flip;
            try { ModelFile.Load(damaged, "damaged.fmm"); return false; }
            catch (FashionMnistException e) { return e.ExitCode == ExitCodes.BadInput; }
        }, iter: 200);
    }

    [Fact]
    public void Probability_rows_are_distributions_for_any_image()
    {
        var pixels = new byte[30 * ImageSet.PixelCount];
        new Random(5).NextBytes(pixels);
        var train = new ImageSet(pixels, [.. Enumerable.Range(0, 30).Select(i => (byte)(i % 10))]);
        var model = ModelCatalog.Create("knn", new Dictionary<string, string> { ["k"] = "5", ["weights"] = "distance" });
        model.Fit(train);
        Gen.Int[1, 8].SelectMany(n => Gen.Byte.Array[n * ImageSet.PixelCount]).Sample(images =>
        {
            float[] p = model.PredictProbabilities(ImageSet.Unlabeled(images));
            for (int row = 0; row < p.Length / FashionMnistClasses.Count; row++)
            {
                var r = p.AsSpan(row * FashionMnistClasses.Count, FashionMnistClasses.Count);
                float sum = 0;
                foreach (float v in r) { if (!(v >= 0 && v <= 1)) return false; sum += v; }
                if (Math.Abs(sum - 1) > 1e-4) return false;
            }
            return true;
        }, iter: 50);
    }
}
