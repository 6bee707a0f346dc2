using System.Text.Json;
using FashionMnist.Cli.Commands;
using FashionMnist.Imaging;
using FashionMnist.Interop;
using FashionMnist.Tests.Support;

namespace FashionMnist.Tests.Imaging;

/// <summary>`fmnist predict`: bad inputs through the real program (exit 2, a clear message), the work itself in-process.</summary>
public sealed class PredictCliTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("fmnist-predict-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private string Write(string name, string text)
    {
        string path = Path.Combine(_folder, name);
        File.WriteAllText(path, text);
        return path;
    }

    private static void AssertBadInput(CliRunner.Result result, string expected)
    {
        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains(expected, result.Stderr);
        Assert.DoesNotContain("   at ", result.Stderr); // no stack trace
    }

    [Fact]
    public void Missing_model_file_is_exit_2() =>
        AssertBadInput(CliRunner.Run("predict", "--model", Path.Combine(_folder, "none.fmm"), TestImages.FixturePath("pants.jpg")),
            "does not exist");

    [Fact]
    public void Missing_photo_is_exit_2() =>
        AssertBadInput(CliRunner.Run("predict", "--model", "m.fmm", Path.Combine(_folder, "nope.jpg")), "nope.jpg' does not exist");

    [Fact]
    public void Non_image_is_exit_2()
    {
        string text = Write("notes.jpg", "this is not a photo");
        AssertBadInput(CliRunner.Run("predict", "--model", "m.fmm", text), "notes.jpg' is not an image gdk-pixbuf can read");
    }

    [Fact]
    public void Corrupt_image_is_exit_2()
    {
        byte[] bytes = File.ReadAllBytes(TestImages.FixturePath("shoes.jpg"));
        string path = Path.Combine(_folder, "cut.jpg");
        File.WriteAllBytes(path, bytes[..(bytes.Length / 3)]);
        AssertBadInput(CliRunner.Run("predict", "--model", "m.fmm", path), "ends early");
    }

    [Fact]
    public void Missing_labels_csv_is_exit_2() =>
        AssertBadInput(CliRunner.Run("predict", "--model", "m.fmm", "--labels", Path.Combine(_folder, "labels.csv")),
            "Labels file");

    [Fact]
    public void Malformed_csv_row_names_the_line()
    {
        string csv = Write("labels.csv", "file,source_class,fashion_mnist_labels\na.jpg,shoes,5\nb.jpg;shoes\n");
        AssertBadInput(CliRunner.Run("predict", "--model", "m.fmm", "--labels", csv), "line 3: expected 3 comma-separated fields");
    }

    [Fact]
    public void Unknown_label_names_the_line()
    {
        string csv = Write("labels.csv", "file,source_class,fashion_mnist_labels\na.jpg,hats,12\n");
        AssertBadInput(CliRunner.Run("predict", "--model", "m.fmm", "--labels", csv), "line 2: '12' is not a Fashion-MNIST label");
    }

    [Fact]
    public void Photo_listed_in_labels_but_missing_names_the_line()
    {
        string csv = Write("labels.csv", "file,source_class,fashion_mnist_labels\nmissing.jpg,pants,1\n");
        AssertBadInput(CliRunner.Run("predict", "--model", "m.fmm", "--labels", csv), "line 2: photo 'missing.jpg' does not exist");
    }

    [Fact]
    public void No_photos_and_unknown_pipeline_and_bad_top_are_exit_2()
    {
        AssertBadInput(CliRunner.Run("predict", "--model", "m.fmm"), "No photos given");
        AssertBadInput(CliRunner.Run("predict", "--model", "m.fmm", "--pipeline", "magic", "x.jpg"), "Unknown photo pipeline 'magic'");
        AssertBadInput(CliRunner.Run("predict", "--model", "m.fmm", "--top", "0", "x.jpg"), "--top must be between 1 and 10");
    }

    [Fact]
    public void Help_explains_the_command()
    {
        var result = CliRunner.Run("predict", "--help");
        Assert.Equal(0, result.ExitCode);
        Assert.Contains("--pipeline", result.Stdout);
        Assert.Contains("--debug-dir", result.Stdout);
    }

    [Fact]
    public void Predict_ranks_classes_and_writes_sheet_and_stages()
    {
        var classifier = new PhotoClassifier(TestModels.Linear, new GarmentPipeline());
        var photos = PhotoReports.DecodeAll(TestImages.FixturePhotos.Take(2).Select(TestImages.FixturePath));
        string sheet = Path.Combine(_folder, "sheet.png"), debug = Path.Combine(_folder, "debug");
        PredictReport report = PhotoReports.Predict(classifier, photos, top: 3, sheet, debug);

        Assert.Equal(2, report.Photos.Count);
        foreach (PhotoResult photo in report.Photos)
        {
            Assert.Equal(3, photo.Top.Count);
            Assert.True(photo.Top[0].Probability >= photo.Top[1].Probability && photo.Top[1].Probability >= photo.Top[2].Probability);
            Assert.InRange(photo.Top.Sum(c => c.Probability), 0.01f, 1.0001f);
        }
        RgbaImage decodedSheet = ImageCodec.DecodeFile(sheet);
        Assert.True(decodedSheet.Height > 2 * 112, $"{decodedSheet.Width}x{decodedSheet.Height}");
        string[] stages = Directory.GetFiles(debug).Select(Path.GetFileName).Order().ToArray()!;
        Assert.Contains("t-shirt-0-original.png", stages);
        Assert.Contains("t-shirt-4-garment-mask.png", stages);
        Assert.Contains("pants-6-final-28x28.png", stages);
        Assert.Equal(2 * 7, stages.Length);

        // The JSON shape the CLI prints.
        using var json = JsonDocument.Parse(System.Text.Json.JsonSerializer.Serialize(report, FashionMnist.Cli.JsonOutput.Options));
        Assert.Equal("garment", json.RootElement.GetProperty("pipeline").GetString());
        Assert.True(json.RootElement.GetProperty("photos")[0].GetProperty("top")[0].TryGetProperty("probability", out _));
    }

    [Fact]
    public void Labelled_folder_is_scored_with_top1_top3_and_per_class()
    {
        var classifier = new PhotoClassifier(TestModels.Linear, new GarmentPipeline());
        string labels = TestImages.FixturePath("labels.csv");
        ScoreReport report = PhotoReports.Score(classifier, labels, PhotoReports.ReadLabels(labels), top: 3, null, null);
        Assert.Equal(6, report.Photos);
        Assert.Equal(6, report.PerClass.Count);
        Assert.True(report.Top3 >= report.Top1);
        // The summary agrees with the per-photo rows.
        Assert.Equal(report.Predictions.Count(p => p.Top1Correct) / 6.0, report.Top1, 6);
        Assert.Equal(report.Predictions.Count(p => p.Top3Correct) / 6.0, report.Top3, 6);
        foreach (var p in report.Predictions)
            Assert.Equal(p.CorrectLabels.Contains(p.Top[0].Label), p.Top1Correct);
    }

    [Fact]
    public void Scoring_counts_any_accepted_label_as_correct()
    {
        var shoe = new LabelledPhoto("a.jpg", "shoes", new HashSet<int> { 5, 7, 9 }, 2);
        var shirt = new LabelledPhoto("b.jpg", "shirt", new HashSet<int> { 6 }, 3);
        PhotoPrediction Predict(params (int Label, float P)[] ps)
        {
            var probabilities = new float[10];
            foreach (var (label, p) in ps) probabilities[label] = p;
            return new PhotoPrediction(probabilities, new PreparedPhoto(new byte[784], [], ""));
        }
        PhotoScore score = PhotoScoring.Score([
            (shoe, Predict((9, 0.6f), (8, 0.4f))),               // top-1 right (ankle boot counts for shoes)
            (shirt, Predict((0, 0.5f), (2, 0.3f), (6, 0.2f))),   // top-3 right only
        ]);
        Assert.Equal(0.5, score.Top1);
        Assert.Equal(1.0, score.Top3);
        Assert.Equal(1.0, score.PerClass["shoes"].Top1);
        Assert.Equal(0.0, score.PerClass["shirt"].Top1);
    }

    [Fact]
    public void Labelled_folder_with_a_corrupt_photo_is_a_clear_error()
    {
        File.WriteAllText(Path.Combine(_folder, "bad.jpg"), "garbage");
        string csv = Write("labels.csv", "file,source_class,fashion_mnist_labels\nbad.jpg,pants,1\n");
        var classifier = new PhotoClassifier(TestModels.Linear, new SeedPipeline());
        var e = Assert.Throws<ImageDecodeException>(() => PhotoReports.Score(classifier, csv, PhotoReports.ReadLabels(csv), 3, null, null));
        Assert.Contains("bad.jpg", e.Message);
    }
}
