using System.Text.Json;
using FashionMnist.Cli;
using FashionMnist.Cli.Commands;
using FashionMnist.Imaging;
using FashionMnist.Tests.Support;

namespace FashionMnist.Tests.Imaging;

/// <summary>`fmnist predict` gives each photo a verdict: its class, how probable, and how far to trust it.</summary>
public sealed class PhotoVerdictTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("fmnist-verdict-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static PhotoPrediction Prediction(params (int Label, float P)[] ps)
    {
        var probabilities = new float[10];
        foreach (var (label, p) in ps) probabilities[label] = p;
        return new PhotoPrediction(probabilities, new PreparedPhoto(new byte[784], [], ""));
    }

    [Theory]
    [InlineData(0.35f, "→ Coat 35 % (uncertain)")]
    [InlineData(0.499f, "→ Coat 50 % (uncertain)")]   // the word follows the probability, not its rounding
    [InlineData(0.50f, "→ Coat 50 % (likely)")]
    [InlineData(0.799f, "→ Coat 80 % (likely)")]
    [InlineData(0.80f, "→ Coat 80 % (confident)")]
    [InlineData(1.00f, "→ Coat 100 % (confident)")]
    public void Thresholds_are_80_and_50_percent(float top, string headline)
    {
        // The rest spread evenly over the other nine classes, each below the top one.
        var verdict = PhotoVerdict.Of(Prediction([.. Enumerable.Range(0, 10).Select(c => (c, c == 4 ? top : (1 - top) / 9))]));
        Assert.Equal(headline, verdict.Headline);
        Assert.Equal(4, verdict.Top.Label);
        Assert.Equal(headline.Replace("→", "->").Replace(" %", "%"), verdict.AsciiHeadline);
    }

    [Fact]
    public void Text_output_has_a_headline_per_photo_and_points_to_the_debug_stages_when_unsure()
    {
        PhotoResult Photo(string file, PhotoPrediction p) => new(file, VerdictJson.Of(PhotoVerdict.Of(p)), p.Top(3), "");
        var report = new PredictReport("cnn3", "garment", 6,
            [Photo("boots.jpg", Prediction((9, 0.93f), (5, 0.07f))), Photo("shoes-on-grass.jpg", Prediction((4, 0.35f), (2, 0.33f), (6, 0.32f)))], null);
        var writer = new StringWriter();
        PredictCommands.PrintPredictions(report, Terminal.Create(writer, OutputStyle.Decide(false, 0, false, null, null, null)));
        string[] lines = writer.ToString().Split('\n');
        Assert.Equal("boots.jpg  → Ankle boot 93 % (confident)", lines[0]);
        Assert.Equal("  9 Ankle boot    93.0 %", lines[1]);
        Assert.Contains("shoes-on-grass.jpg  → Coat 35 % (uncertain)", lines);
        Assert.Contains(lines, l => l.StartsWith("1 photo is uncertain (top class below 50 %)") && l.Contains("--debug-dir DIR"));

        // With --debug-dir given, the hint names the folder instead.
        var writer2 = new StringWriter();
        PredictCommands.PrintPredictions(report with { DebugDirectory = "stages/" }, Terminal.Create(writer2, OutputStyle.Decide(false, 0, false, null, null, null)));
        Assert.Contains("its pipeline stages are in stages/", writer2.ToString());
        var writer4 = new StringWriter();
        PredictCommands.PrintPredictions(report with { Sheet = "sheet.png" }, Terminal.Create(writer4, OutputStyle.Decide(false, 0, false, null, null, null)));
        Assert.Contains("sheet.png shows the 28x28 input beside each photo, and --debug-dir DIR", writer4.ToString());

        // Nothing to worry about: no hint.
        var writer3 = new StringWriter();
        PredictCommands.PrintPredictions(report with { Photos = [report.Photos[0]] }, Terminal.Create(writer3, OutputStyle.Decide(false, 0, false, null, null, null)));
        Assert.DoesNotContain("uncertain", writer3.ToString());
    }

    [Fact]
    public void Labelled_scoring_counts_how_often_each_verdict_is_right()
    {
        var shoe = new LabelledPhoto("a.jpg", "shoes", new HashSet<int> { 5, 7, 9 }, 2);
        var shirt = new LabelledPhoto("b.jpg", "shirt", new HashSet<int> { 6 }, 3);
        PhotoScore score = PhotoScoring.Score([
            (shoe, Prediction((9, 0.9f), (8, 0.1f))),               // confident, right
            (shirt, Prediction((6, 0.85f), (0, 0.15f))),            // confident, right
            (shirt, Prediction((0, 0.6f), (6, 0.4f))),              // likely, wrong (right in the top 3)
            (shoe, Prediction((8, 0.4f), (4, 0.35f), (0, 0.25f))),  // uncertain, wrong
        ]);
        Assert.Equal(["confident", "likely", "uncertain"], score.ByVerdict.Keys);
        Assert.Equal(new ClassScore(2, 1.0, 1.0), score.ByVerdict["confident"]);
        Assert.Equal(new ClassScore(1, 0.0, 1.0), score.ByVerdict["likely"]);
        Assert.Equal(new ClassScore(1, 0.0, 0.0), score.ByVerdict["uncertain"]);
    }

    [Theory]
    [InlineData("shirt.jpg", 20, "shirt.jpg")]
    [InlineData("IMG_20240412_183015_portrait.jpg", 20, "IMG_20240...rait.jpg")]
    [InlineData("abcdef", 3, "abc")]
    public void Long_file_names_lose_their_middle_on_the_sheet(string name, int max, string expected)
    {
        string shortened = PredictionSheet.Shorten(name, max);
        Assert.Equal(expected, shortened);
        Assert.True(shortened.Length <= max);
    }

    [Fact]
    public void The_sheet_shows_the_verdict_in_its_colour_in_a_mixed_case_font()
    {
        var photo = ImageCodec.DecodeFile(TestImages.FixturePath("shoes.jpg"));
        var sheet = PredictionSheet.Render([
            new PredictionSheet.Row("a-very-long-photo-file-name-from-a-phone-camera-roll.jpg", photo, Prediction((4, 0.35f), (2, 0.33f), (6, 0.32f))),
            new PredictionSheet.Row("boots.jpg", photo, Prediction((9, 0.93f), (5, 0.07f))),
        ]);
        Assert.Equal(PredictionSheet.Width, sheet.Width);
        Assert.Equal(8 + 2 * PredictionSheet.RowHeight, sheet.Height);
        int Count((byte R, byte G, byte B) color, int rowTop, int rowBottom)
        {
            int n = 0;
            for (int y = rowTop; y < rowBottom; y++)
                for (int x = 0; x < sheet.Width; x++)
                {
                    int i = (y * sheet.Width + x) * 4;
                    if (sheet.Pixels[i] == color.R && sheet.Pixels[i + 1] == color.G && sheet.Pixels[i + 2] == color.B) n++;
                }
            return n;
        }
        int titleBottom = 8 + PredictionSheet.TitleHeight;
        var red = PredictionSheet.VerdictColors[VerdictConfidence.Uncertain];
        var green = PredictionSheet.VerdictColors[VerdictConfidence.Confident];
        Assert.True(Count(red, 8, titleBottom) > 50, "the first photo's uncertain verdict is drawn in red");
        Assert.Equal(0, Count(green, 8, titleBottom));
        int secondTop = 8 + PredictionSheet.RowHeight;
        Assert.True(Count(green, secondTop, secondTop + PredictionSheet.TitleHeight) > 50, "the second photo's confident verdict is green");
    }

    [Fact]
    public void Predict_prints_a_verdict_per_photo_through_the_real_program()
    {
        string model = Path.Combine(_folder, "knn.fmm"), sheet = Path.Combine(_folder, "sheet.png");
        var train = CliRunner.Run("train", "knn", "--train-limit", "2000", "--test-limit", "100", "--out", model, "--no-store");
        Assert.True(train.ExitCode == 0, train.ToString());
        string[] photos = [TestImages.FixturePath("shoes.jpg"), TestImages.FixturePath("pants.jpg")];
        var text = CliRunner.Run(["predict", "--model", model, .. photos, "--show", sheet]);
        Assert.True(text.ExitCode == 0, text.ToString());
        foreach (string photo in photos)
            Assert.Matches($@"(?m)^{System.Text.RegularExpressions.Regex.Escape(photo)}  → [A-Z][\w/ -]+ \d+ % \((confident|likely|uncertain)\)$", text.Stdout);
        Assert.True(ImageCodec.DecodeFile(sheet).Height == 8 + 2 * PredictionSheet.RowHeight);

        var json = CliRunner.Run(["predict", "--model", model, .. photos, "--json"]);
        using var doc = JsonDocument.Parse(json.Stdout);
        foreach (var photo in doc.RootElement.GetProperty("photos").EnumerateArray())
        {
            var verdict = photo.GetProperty("verdict");
            Assert.Equal(photo.GetProperty("top")[0].GetProperty("label").GetInt32(), verdict.GetProperty("label").GetInt32());
            Assert.Contains(verdict.GetProperty("confidence").GetString(), new[] { "confident", "likely", "uncertain" });
            Assert.StartsWith("→ ", verdict.GetProperty("headline").GetString());
        }
    }
}
