using FashionMnist.Cli.Commands;
using FashionMnist.Data;
using FashionMnist.Imaging;
using FashionMnist.Models;
using FashionMnist.Neural;
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
        ImageSet.Mirror(View(views, 0), mirrored);
        Assert.Equal(mirrored, View(views, 1));
        byte[] low = new GarmentPipeline(new GarmentPipelineOptions { ThresholdScale = 0.7 }).Prepare(photo).Pixels;
        byte[] high = new GarmentPipeline(new GarmentPipelineOptions { ThresholdScale = 1.4 }).Prepare(photo).Pixels;
        Assert.Equal(low, View(views, 2));
        Assert.Equal(high, View(views, 4));
        Assert.NotEqual(View(views, 0), View(views, 2));            // the thresholds do change the input
    }

    [Fact]
    public void One_shared_analysis_gives_each_variant_exactly_what_its_own_pipeline_gives()
    {
        // PrepareVariants computes the working image, background and distance map once for every variant; each
        // result must equal, pixel for pixel and note for note, a pipeline run from scratch with those scales.
        var pipeline = new GarmentPipeline();
        (double Threshold, double Aspect)[] scales = [(1.0, 1.0), (0.7, 1.0), (1.4, 0.75), (2.5, 1.0)];
        foreach (string name in TestImages.FixturePhotos)
        {
            RgbaImage photo = ImageCodec.DecodeFile(TestImages.FixturePath(name));
            IReadOnlyList<PreparedPhoto> shared = pipeline.PrepareVariants(photo, scales, keepStages: true);
            for (int s = 0; s < scales.Length; s++)
            {
                PreparedPhoto alone = new GarmentPipeline(new GarmentPipelineOptions { ThresholdScale = scales[s].Threshold, AspectScale = scales[s].Aspect }).Prepare(photo, keepStages: s == 0);
                Assert.Equal(alone.Pixels, shared[s].Pixels);
                Assert.Equal(alone.Notes, shared[s].Notes);
                Assert.Equal(alone.Stages.Select(t => (t.Name, t.Image.Pixels)), shared[s].Stages.Select(t => (t.Name, t.Image.Pixels)));
            }
            Assert.NotEqual(shared[0].Notes, shared[3].Notes); // the scales did change the threshold
        }
        // A transparent photo takes its mask from the alpha channel at every scale.
        var cutout = new RgbaImage(40, 60);
        for (int y = 10; y < 50; y++)
            for (int x = 10; x < 30; x++) cutout.SetPixel(x, y, 90, 40, 20);
        var both = pipeline.PrepareVariants(cutout, [(1.0, 1.0), (0.7, 1.0)]);
        Assert.Equal(pipeline.Prepare(cutout).Pixels, both[0].Pixels);
        Assert.Equal(both[0].Pixels, both[1].Pixels);
    }

    [Fact]
    public void Aspect_scales_add_squeezed_views_for_every_threshold()
    {
        var pipeline = new GarmentPipeline();
        RgbaImage photo = s_shoes.Value;
        PreparedPhoto prepared = pipeline.Prepare(photo);
        var tta = TestTimeAugmentation.Default with { AspectScales = [1.0, 0.75] };
        byte[] views = tta.Views(photo, pipeline, prepared);
        Assert.Equal(12, tta.ViewCount(pipeline));
        Assert.Equal(12 * ImageSet.PixelCount, views.Length);
        // Order: threshold x1 (aspect 1, 0.75), x0.7 (1, 0.75), x1.4 (1, 0.75); each followed by its mirror.
        Assert.Equal(prepared.Pixels, View(views, 0));
        byte[] squeezed = new GarmentPipeline(new GarmentPipelineOptions { AspectScale = 0.75 }).Prepare(photo).Pixels;
        Assert.Equal(squeezed, View(views, 2));
        Assert.Equal(new GarmentPipeline(new GarmentPipelineOptions { ThresholdScale = 0.7, AspectScale = 0.75 }).Prepare(photo).Pixels, View(views, 6));
        // The squeezed garment is narrower: fewer lit columns.
        static int Columns(byte[] image) => Enumerable.Range(0, 28).Count(x => Enumerable.Range(0, 28).Any(y => image[y * 28 + x] > 0));
        Assert.True(Columns(squeezed) < Columns(prepared.Pixels), $"{Columns(squeezed)} vs {Columns(prepared.Pixels)} columns");
    }

    [Theory]
    [InlineData(100, 50, 1.0, 28, 14)]   // wide garment: width fills the frame
    [InlineData(100, 50, 0.5, 28, 28)]   // squeezed to square
    [InlineData(100, 50, 0.25, 14, 28)]  // squeezed past square: now the height fills
    [InlineData(40, 70, 0.75, 12, 28)]   // tall garment: 30 x 70 -> 12 x 28
    public void Framed_size_applies_the_aspect_before_filling_the_frame(int width, int height, double aspect, int expectedWidth, int expectedHeight)
    {
        Assert.Equal((expectedWidth, expectedHeight), GarmentFraming.FramedSize(width, height, 1.0, aspect));
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
        ImageSet.Mirror(image, once);
        Assert.Equal(200, once[3 * 28 + 27]);
        Assert.Equal(7, once[5 * 28 + 17]);
        Assert.Equal(2, once.Count(b => b != 0));
        ImageSet.Mirror(once, twice);
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

    /// <summary>A small conv net with the mirror TTA on (as cnn3 and cnn-deep have by default), fitted once.</summary>
    private static readonly Lazy<NeuralClassifier> s_mirroringNet = new(() =>
    {
        var model = (NeuralClassifier)ModelCatalog.Create("cnn1", new Dictionary<string, string>
        {
            ["epochs"] = "1", ["validation-fraction"] = "0", ["tta"] = "true",
        });
        model.Fit(TestData.BalancedTrain(30), new FitContext { Seed = 5 });
        return model;
    });

    /// <summary>What PhotoClassifier computed before each distinct image ran once: the model (mirroring every view
    /// itself) on all the photo TTA's views, then their plain mean.</summary>
    private static float[] TwiceMirrored(IClassifier model, IPhotoPipeline pipeline, TestTimeAugmentation tta, RgbaImage photo)
    {
        byte[] views = tta.Views(photo, pipeline, pipeline.Prepare(photo));
        int count = views.Length / ImageSet.PixelCount;
        var all = new float[count * 10];
        model.PredictProbabilities(ImageSet.Unlabeled(views), all);
        var probabilities = new float[10];
        for (int v = 0; v < count; v++)
            for (int c = 0; c < 10; c++) probabilities[c] += all[v * 10 + c] / count;
        return probabilities;
    }

    [Theory]
    [InlineData("garment", true)]
    [InlineData("garment", false)]
    [InlineData("seed", true)]
    [InlineData("seed", false)]
    public void A_mirroring_model_gives_the_same_probabilities_to_the_bit_with_each_image_run_once(string pipelineName, bool tta)
    {
        NeuralClassifier model = s_mirroringNet.Value;
        IPhotoPipeline pipeline = pipelineName == "seed" ? new SeedPipeline() : new GarmentPipeline();
        TestTimeAugmentation augmentation = tta ? TestTimeAugmentation.Default : TestTimeAugmentation.None;
        var classifier = new PhotoClassifier(model, pipeline, augmentation);
        foreach (string name in TestImages.FixturePhotos)
        {
            RgbaImage photo = ImageCodec.DecodeFile(TestImages.FixturePath(name));
            float[] expected = TwiceMirrored(model, pipeline, augmentation, photo);
            Assert.Equal(expected, classifier.Classify(photo).Probabilities);
        }
        // The model sees each distinct image once: 3 thresholds x 2 (or the seed pipeline's 2) with TTA, else the input and its mirror.
        Assert.Equal(tta && pipelineName == "garment" ? 6 : 2, classifier.ImagesPerPhoto);
    }

    [Fact]
    public void Each_distinct_image_goes_through_the_model_once()
    {
        var photo = s_shoes.Value;
        var pipeline = new GarmentPipeline();
        var mirroring = new CountingModel(averagesMirror: true);
        new PhotoClassifier(mirroring, pipeline, TestTimeAugmentation.Default).Classify(photo);
        Assert.Equal((0, 1, 6), (mirroring.PlainCalls, mirroring.SingleViewCalls, mirroring.Images)); // not 12

        byte[] expected = TestTimeAugmentation.Default.Views(photo, pipeline, pipeline.Prepare(photo));
        Assert.Equal(expected, mirroring.LastImages);

        mirroring = new CountingModel(averagesMirror: true);
        new PhotoClassifier(mirroring, pipeline).Classify(photo); // no photo TTA: the input and its mirror, for the model
        Assert.Equal((0, 1, 2), (mirroring.PlainCalls, mirroring.SingleViewCalls, mirroring.Images));
        Assert.Equal(expected[..(2 * ImageSet.PixelCount)], mirroring.LastImages);

        var plain = new CountingModel(averagesMirror: false);
        new PhotoClassifier(plain, pipeline, TestTimeAugmentation.Default).Classify(photo);
        Assert.Equal((1, 0, 6), (plain.PlainCalls, plain.SingleViewCalls, plain.Images));
    }

    [Fact]
    public void Photos_call_a_concurrent_model_side_by_side_and_any_other_model_one_at_a_time()
    {
        RgbaImage photo = s_shoes.Value;
        var pipeline = new GarmentPipeline();
        foreach (bool concurrent in new[] { true, false })
        {
            // Two photos on two threads; the model's call waits (up to 10 s) for a second call to be inside with it.
            MeetingModel model = concurrent ? new ConcurrentMeetingModel() : new MeetingModel();
            var classifier = new PhotoClassifier(model, pipeline, TestTimeAugmentation.Default);
            Parallel.Invoke(() => classifier.Classify(photo), () => classifier.Classify(photo));
            Assert.Equal(concurrent ? 2 : 1, model.MostInside);
        }
    }

    /// <summary>A model whose calls wait a while for another call to come in: counts how many were inside at once.</summary>
    private class MeetingModel : IClassifier
    {
        private int _inside;
        public int MostInside;
        private readonly CountdownEvent _both = new(2);
        public string Name => "meeting";
        public ModelOptions Options => throw new NotSupportedException();
        public bool IsFitted => true;
        public void Fit(ImageSet train, FitContext? context = null) => throw new NotSupportedException();
        public void SaveState(BinaryWriter writer) => throw new NotSupportedException();
        public void Dispose() { }
        public void PredictProbabilities(ImageSet images, Span<float> probabilities)
        {
            int inside = Interlocked.Increment(ref _inside);
            lock (_both) MostInside = Math.Max(MostInside, inside);
            _both.Signal();
            _both.Wait(this is IConcurrentPrediction ? TimeSpan.FromSeconds(10) : TimeSpan.FromMilliseconds(200));
            Interlocked.Decrement(ref _inside);
            probabilities[..(images.Count * 10)].Fill(0.1f);
        }
    }

    private sealed class ConcurrentMeetingModel : MeetingModel, IConcurrentPrediction;

    /// <summary>Counts what it is asked; its probabilities are uniform.</summary>
    private sealed class CountingModel(bool averagesMirror) : IMirrorAveraging
    {
        public int PlainCalls, SingleViewCalls, Images;
        public byte[] LastImages = [];
        public string Name => "counting";
        public ModelOptions Options => throw new NotSupportedException();
        public bool AveragesMirror => averagesMirror;
        public bool IsFitted => true;
        public void Fit(ImageSet train, FitContext? context = null) => throw new NotSupportedException();
        public void SaveState(BinaryWriter writer) => throw new NotSupportedException();
        public void Dispose() { }
        public void PredictProbabilities(ImageSet images, Span<float> probabilities) { PlainCalls++; Record(images, probabilities); }
        public void PredictSingleView(ImageSet images, Span<float> probabilities) { SingleViewCalls++; Record(images, probabilities); }

        private void Record(ImageSet images, Span<float> probabilities)
        {
            Images += images.Count;
            LastImages = images.Pixels.ToArray();
            probabilities[..(images.Count * 10)].Fill(0.1f);
        }
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
