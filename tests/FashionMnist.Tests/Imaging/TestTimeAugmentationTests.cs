using FashionMnist.Cli.Commands;
using FashionMnist.Data;
using FashionMnist.Imaging;
using FashionMnist.Tests.Support;

namespace FashionMnist.Tests.Imaging;

public class TestTimeAugmentationTests
{
    private static readonly Lazy<RgbaImage> s_shoes = new(() => ImageCodec.DecodeFile(TestImages.FixturePath("shoes.jpg")));

    private static byte[] View(byte[] views, int index) => views.AsSpan(index * ImageSet.PixelCount, ImageSet.PixelCount).ToArray();

    [Fact]
    public void Default_gives_three_thresholds_each_as_is_and_mirrored_in_a_fixed_order()
    {
        var pipeline = new GarmentPipeline();
        RgbaImage photo = s_shoes.Value;
        PreparedPhoto prepared = pipeline.Prepare(photo);
        var tta = TestTimeAugmentation.Default;

        byte[] views = tta.Views(photo, pipeline, prepared);
        Assert.Equal(6, tta.ViewCount(pipeline));
        Assert.Equal(6 * ImageSet.PixelCount, views.Length);
        Assert.Equal(views, tta.Views(photo, pipeline, prepared)); // deterministic

        Assert.Equal(prepared.Pixels, View(views, 0));             // the pipeline's own input comes first
        var mirrored = new byte[ImageSet.PixelCount];
        TestTimeAugmentation.Mirror(View(views, 0), mirrored);
        Assert.Equal(mirrored, View(views, 1));
        byte[] low = new GarmentPipeline(new GarmentPipelineOptions { ThresholdScale = 0.7 }).Prepare(photo).Pixels;
        byte[] high = new GarmentPipeline(new GarmentPipelineOptions { ThresholdScale = 1.4 }).Prepare(photo).Pixels;
        Assert.Equal(low, View(views, 2));
        Assert.Equal(high, View(views, 4));
        Assert.NotEqual(View(views, 0), View(views, 2));            // the thresholds do change the input
    }

    [Fact]
    public void Seed_pipeline_has_no_segmentation_so_only_flips()
    {
        var pipeline = new SeedPipeline();
        PreparedPhoto prepared = pipeline.Prepare(s_shoes.Value);
        Assert.Equal(2, TestTimeAugmentation.Default.ViewCount(pipeline));
        Assert.Equal(2 * ImageSet.PixelCount, TestTimeAugmentation.Default.Views(s_shoes.Value, pipeline, prepared).Length);
        Assert.Equal(1, TestTimeAugmentation.None.ViewCount(pipeline));
    }

    [Fact]
    public void Mirror_swaps_columns_and_is_its_own_inverse()
    {
        var image = new byte[ImageSet.PixelCount];
        image[3 * 28 + 0] = 200;  // row 3, left edge
        image[5 * 28 + 10] = 7;
        var once = new byte[image.Length];
        var twice = new byte[image.Length];
        TestTimeAugmentation.Mirror(image, once);
        Assert.Equal(200, once[3 * 28 + 27]);
        Assert.Equal(7, once[5 * 28 + 17]);
        Assert.Equal(2, once.Count(b => b != 0));
        TestTimeAugmentation.Mirror(once, twice);
        Assert.Equal(image, twice);
    }

    [Fact]
    public void Classifier_averages_the_model_probabilities_over_the_views()
    {
        var pipeline = new GarmentPipeline();
        var classifier = new PhotoClassifier(TestModels.Linear, pipeline, TestTimeAugmentation.Default);
        PhotoPrediction prediction = classifier.Classify(s_shoes.Value);

        byte[] views = TestTimeAugmentation.Default.Views(s_shoes.Value, pipeline, pipeline.Prepare(s_shoes.Value));
        var each = new float[6 * 10];
        TestModels.Linear.PredictProbabilities(ImageSet.Unlabeled(views), each);
        for (int c = 0; c < 10; c++)
            Assert.Equal(Enumerable.Range(0, 6).Average(v => each[v * 10 + c]), prediction.Probabilities[c], 5);
        Assert.Equal(1f, prediction.Probabilities.Sum(), 4);
        Assert.Equal(pipeline.Prepare(s_shoes.Value).Pixels, prediction.Input.Pixels); // shown input = first view

        // Without augmentation: exactly the model's probabilities for the one input.
        var single = new float[10];
        TestModels.Linear.PredictProbabilities(ImageSet.Unlabeled(View(views, 0)), single);
        Assert.Equal(single, new PhotoClassifier(TestModels.Linear, pipeline).Classify(s_shoes.Value).Probabilities);
    }

    [Fact]
    public void Threshold_scales_must_be_positive()
    {
        var bad = new TestTimeAugmentation { ThresholdScales = [1.0, 0.0] };
        Assert.Throws<ArgumentOutOfRangeException>(() => bad.ViewCount(new GarmentPipeline()));
    }

    [Fact]
    public void Scoring_a_folder_reports_the_views_per_photo()
    {
        string labels = TestImages.FixturePath("labels.csv");
        var classifier = new PhotoClassifier(TestModels.Linear, new GarmentPipeline(), TestTimeAugmentation.Default);
        ScoreReport report = PhotoReports.Score(classifier, labels, PhotoReports.ReadLabels(labels), top: 3, null, null);
        Assert.Equal(6, report.Views);
        Assert.Equal(6, report.Photos);
    }

    [Fact]
    public void Help_names_the_switch()
    {
        Assert.Contains("--no-tta", CliRunner.Run("predict", "--help").Stdout);
        Assert.Contains("--no-tta", CliRunner.Run("serve", "--help").Stdout);
    }
}
