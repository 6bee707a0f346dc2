using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using FashionMnist.Data;
using FashionMnist.Models;
using FashionMnist.Neural;

namespace FashionMnist.Tests.Neural;

/// <summary>cnn-photo's labelled photo views: what ships, how they join the training images, and older model files.</summary>
public sealed class PhotoTrainingSetTests
{
    private const int Pixels = ImageSet.PixelCount;

    private static (byte[] Labels, byte[] Views, int PerPhoto) Shipped()
    {
        using var stream = typeof(PhotoTrainingSet).Assembly.GetManifestResourceStream("FashionMnist.Neural.cnn-photo.training-photos.bin.gz")!;
        return PhotoTrainingSet.Decode(stream);
    }

    [Fact]
    public void The_shipped_set_is_the_196_tuning_photos_as_the_six_views_a_model_sees()
    {
        var (labels, views, perPhoto) = Shipped();
        Assert.Equal((196, 6), (PhotoTrainingSet.PhotoCount, PhotoTrainingSet.ViewsPerPhoto));
        Assert.Equal((196, 6, 196 * 6 * Pixels), (labels.Length, perPhoto, views.Length));
        // The photo set's classes (t-shirts, pants, longsleeves as Pullover or Shirt, dresses, outwear, shirts, shoes):
        // every class but Bag, of which there is no photo.
        Assert.Equal([0, 1, 2, 3, 4, 5, 6, 7, 9], labels.Distinct().Order().Select(l => (int)l));
        for (int photo = 0; photo < 196; photo++)
        {
            for (int view = 0; view < 6; view++)
            {
                var image = views.AsSpan((photo * 6 + view) * Pixels, Pixels);
                Assert.Equal(255, image.ToArray().Max()); // framed like the pipeline's output: brightest pixel 255
                if (view % 2 == 0) continue;
                // Odd views are the even ones mirrored left-right (each threshold's input, then its mirror).
                var before = views.AsSpan((photo * 6 + view - 1) * Pixels, Pixels);
                for (int y = 0; y < 28; y++)
                    for (int x = 0; x < 28; x++)
                        Assert.Equal(before[y * 28 + 27 - x], image[y * 28 + x]);
            }
        }
    }

    [Fact]
    public void Append_adds_each_photos_views_repeats_times_together_after_the_images_it_is_given()
    {
        var (labels, views, _) = Shipped();
        var pixels = new byte[3 * Pixels];
        new Random(5).NextBytes(pixels);
        var train = new ImageSet(pixels, [4, 8, 1]);
        Assert.Same(train, PhotoTrainingSet.Append(train, 0));

        ImageSet joined = PhotoTrainingSet.Append(train, 2);
        Assert.Equal(3 + 196 * 6 * 2, joined.Count);
        Assert.Equal(pixels, joined.Pixels.AsSpan(0, 3 * Pixels).ToArray());
        Assert.Equal([4, 8, 1], joined.Labels.AsSpan(0, 3).ToArray());
        foreach (int photo in new[] { 0, 1, 195 })
        {
            for (int copy = 0; copy < 2; copy++)
            {
                int first = 3 + (photo * 2 + copy) * 6;
                Assert.Equal(views.AsSpan(photo * 6 * Pixels, 6 * Pixels).ToArray(), joined.Pixels.AsSpan(first * Pixels, 6 * Pixels).ToArray());
                Assert.All(joined.Labels.AsSpan(first, 6).ToArray(), label => Assert.Equal(labels[photo], label));
            }
        }
        Assert.Throws<ArgumentOutOfRangeException>(() => PhotoTrainingSet.Append(train, -1));
    }

    [Fact]
    public void Encode_and_decode_round_trip_and_damage_is_refused()
    {
        var views = new byte[2 * 3 * Pixels];
        new Random(9).NextBytes(views);
        byte[] bytes = PhotoTrainingSet.Encode([2, 9], views, 3);
        var (labels, decoded, perPhoto) = PhotoTrainingSet.Decode(new MemoryStream(bytes));
        Assert.Equal([2, 9], labels);
        Assert.Equal(3, perPhoto);
        Assert.Equal(views, decoded);

        Assert.Throws<ArgumentException>(() => PhotoTrainingSet.Encode([2, 9], views, 2));
        Assert.Throws<InvalidDataException>(() => PhotoTrainingSet.Decode(new MemoryStream(PhotoTrainingSet.Encode([2, 10], views, 3))));
        Assert.Throws<InvalidDataException>(() => PhotoTrainingSet.Decode(new MemoryStream(Gzip(Ungzip(bytes)[..^1]))));
        Assert.Throws<InvalidDataException>(() => PhotoTrainingSet.Decode(new MemoryStream(Gzip([.. Ungzip(bytes), 0]))));
        byte[] foreign = Ungzip(bytes);
        foreign[0] = (byte)'X';
        Assert.Throws<InvalidDataException>(() => PhotoTrainingSet.Decode(new MemoryStream(Gzip(foreign))));
    }

    [Fact]
    public void Photo_repeats_defaults_to_8_and_out_of_range_values_are_refused_by_name()
    {
        Assert.Equal(8, ((PhotoCnnOptions)ModelCatalog.Options("cnn-photo")).PhotoRepeats);
        foreach (string bad in new[] { "-1", "101" })
        {
            var error = Assert.Throws<FashionMnistException>(() => ModelCatalog.Create("cnn-photo", new Dictionary<string, string> { ["photo-repeats"] = bad }));
            Assert.Contains("photo-repeats", error.Message);
        }
    }

    [Fact]
    public void A_cnn_photo_file_from_before_photo_repeats_reads_as_trained_without_photos()
    {
        // A file of today with the setting blanked out of its options JSON (same length, checksum redone) is what an
        // older fmnist wrote: it must read as photo-repeats=0, what that model was trained with, not today's default 8.
        using var model = ModelCatalog.Create("cnn-photo", new Dictionary<string, string> { ["width"] = "4", ["epochs"] = "1", ["photo-repeats"] = "0" });
        var pixels = new byte[20 * Pixels];
        new Random(3).NextBytes(pixels);
        model.Fit(new ImageSet(pixels, [.. Enumerable.Range(0, 20).Select(i => (byte)(i % 10))]));
        using var file = new MemoryStream();
        ModelFile.Write(model, file);
        byte[] bytes = file.ToArray();
        string text = Encoding.Latin1.GetString(bytes);
        Match setting = Regex.Match(text, "\"photo-repeats\"\\s*:\\s*\"0\"\\s*,");
        Assert.True(setting.Success, "the options JSON names photo-repeats");
        Encoding.Latin1.GetBytes(new string(' ', setting.Length)).CopyTo(bytes, setting.Index);
        SHA256.HashData(bytes.AsSpan(0, bytes.Length - 32)).CopyTo(bytes, bytes.Length - 32);

        Assert.False(ModelFile.ReadHeader(bytes, "older.fmm").Settings.ContainsKey("photo-repeats"));
        using var older = ModelFile.Load(bytes, "older.fmm");
        Assert.Equal(0, ((PhotoCnnOptions)older.Options).PhotoRepeats);
        Assert.Equal(model.PredictProbabilities(new ImageSet(pixels, null)), older.PredictProbabilities(new ImageSet(pixels, null)));
    }

    private static byte[] Ungzip(byte[] bytes)
    {
        using var gzip = new System.IO.Compression.GZipStream(new MemoryStream(bytes), System.IO.Compression.CompressionMode.Decompress);
        using var plain = new MemoryStream();
        gzip.CopyTo(plain);
        return plain.ToArray();
    }

    private static byte[] Gzip(byte[] bytes)
    {
        using var buffer = new MemoryStream();
        using (var gzip = new System.IO.Compression.GZipStream(buffer, System.IO.Compression.CompressionLevel.Fastest, leaveOpen: true))
            gzip.Write(bytes);
        return buffer.ToArray();
    }
}
