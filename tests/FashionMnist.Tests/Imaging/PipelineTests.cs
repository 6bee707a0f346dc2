using FashionMnist.Data;
using FashionMnist.Imaging;
using FashionMnist.Models;
using FashionMnist.Tests.Support;

namespace FashionMnist.Tests.Imaging;

public class PipelineTests
{
    private static (int X, int Y, int Width, int Height) BoundingBox(byte[] pixels)
    {
        var mask = new BinaryMask(28, 28, pixels.Select(p => (byte)(p > 0 ? 1 : 0)).ToArray());
        return mask.BoundingBox() ?? throw new Xunit.Sdk.XunitException("empty output");
    }

    [Fact]
    public void Dark_garment_on_a_light_background_becomes_light_on_black_filling_the_frame()
    {
        ReadOnlySpan<byte> trouser = TestData.Test.Image(FirstOfClass(1));
        // Small, off-centre, on a graded light background with noise.
        RgbaImage photo = TestImages.PhotoOf(trouser, 300, 220, x0: 20, y0: 40, scale: 5, seed: 1);
        PreparedPhoto prepared = new GarmentPipeline().Prepare(photo);
        var box = BoundingBox(prepared.Pixels);
        Assert.Equal(28, box.Height);                 // the longest side fills the frame
        Assert.InRange(box.Width, 6, 20);             // aspect ratio kept (a trouser is narrow)
        Assert.InRange(box.X + box.Width / 2.0, 12.5, 15.5); // centred
        Assert.Equal(255, prepared.Pixels.Max());
        Assert.Equal(0, prepared.Pixels[0]);          // black background
        Assert.Contains("inverted", prepared.Notes);
    }

    [Fact]
    public void Light_garment_on_a_dark_floor_is_not_inverted_and_is_still_light()
    {
        ReadOnlySpan<byte> shirt = TestData.Test.Image(FirstOfClass(0));
        RgbaImage photo = TestImages.PhotoOf(shirt, 240, 240, x0: 50, y0: 30, scale: 6, seed: 2, darkBackground: true);
        PreparedPhoto prepared = new GarmentPipeline().Prepare(photo);
        Assert.Contains("not inverted", prepared.Notes);
        var box = BoundingBox(prepared.Pixels);
        Assert.Equal(28, Math.Max(box.Width, box.Height));
        double inside = prepared.Pixels.Where(p => p > 0).Average(p => p);
        Assert.InRange(inside, 80, 230);
    }

    [Fact]
    public void Transparent_png_uses_its_alpha_as_the_garment_mask()
    {
        var photo = new RgbaImage(100, 60);
        photo.Fill(30, 10, 40, 40, 200, 200, 200); // a light grey square on transparency (composited on white)
        for (int y = 10; y < 50; y++) for (int x = 30; x < 70; x++) photo.SetPixel(x, y, 200, 200, 200, 255);
        PreparedPhoto prepared = new GarmentPipeline().Prepare(photo);
        Assert.Contains("alpha", prepared.Notes);
        Assert.Equal((0, 0, 28, 28), BoundingBox(prepared.Pixels));
    }

    [Fact]
    public void Stages_are_kept_on_request_and_named_in_order()
    {
        RgbaImage photo = ImageCodec.DecodeFile(TestImages.FixturePath("pants.jpg"));
        PreparedPhoto prepared = new GarmentPipeline().Prepare(photo, keepStages: true);
        Assert.Equal(["1-gray", "2-distance-from-background", "3-threshold-mask", "4-garment-mask", "5-crop", "6-final-28x28"],
            prepared.Stages.Select(s => s.Name));
        Assert.Equal((280, 280), (prepared.Stages[^1].Image.Width, prepared.Stages[^1].Image.Height));
        Assert.Empty(new GarmentPipeline().Prepare(photo).Stages);
    }

    [Fact]
    public void Every_fixture_photo_gives_a_framed_garment()
    {
        foreach (string name in TestImages.FixturePhotos)
        {
            PreparedPhoto prepared = new GarmentPipeline().Prepare(ImageCodec.DecodeFile(TestImages.FixturePath(name)));
            var box = BoundingBox(prepared.Pixels);
            Assert.True(Math.Max(box.Width, box.Height) == 28, $"{name}: {box}");
            int lit = prepared.Pixels.Count(p => p > 0);
            Assert.True(lit is > 784 / 5 and < 784, $"{name}: {lit} lit pixels");
            Assert.DoesNotContain("no garment found", prepared.Notes);
        }
    }

    [Fact]
    public void Seed_pipeline_squashes_and_inverts()
    {
        var photo = new RgbaImage(56, 28);
        photo.Fill(0, 0, 56, 28, 255, 255, 255);
        photo.Fill(0, 0, 28, 28, 0, 0, 0); // left half black
        PreparedPhoto prepared = new SeedPipeline().Prepare(photo);
        Assert.Equal(255, prepared.Pixels[0]);       // black becomes white
        Assert.Equal(0, prepared.Pixels[27]);        // white becomes black
        Assert.Equal(255, prepared.Pixels[13]);      // 56 -> 28 wide: the left half is columns 0-13
        Assert.Equal(0, prepared.Pixels[14]);
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(1, 300)]
    [InlineData(300, 1)]
    [InlineData(3, 3)]
    [InlineData(4000, 30)]
    public void Degenerate_photos_still_give_a_valid_input(int width, int height)
    {
        var photo = new RgbaImage(width, height);
        photo.Fill(0, 0, width, height, 120, 130, 140); // uniform: nothing stands out
        foreach (IPhotoPipeline pipeline in new IPhotoPipeline[] { new GarmentPipeline(), new SeedPipeline() })
        {
            PreparedPhoto prepared = pipeline.Prepare(photo, keepStages: true);
            Assert.Equal(784, prepared.Pixels.Length);
        }
        if (width * height > 100) Assert.Contains("no garment found", new GarmentPipeline().Prepare(photo).Notes);
    }

    [Fact]
    public void Smoothing_inside_the_mask_turns_stripes_into_shade_and_keeps_the_outline()
    {
        // A 120x160 garment of horizontal stripes 12 px wide (about two 28x28 rows each): dark stripes on the left
        // half, light ones on the right, on a uniform grey-green floor. Smoothing should flatten the stripes within each
        // half and keep the difference between the halves (the garment's shading) and its outline.
        var photo = new RgbaImage(240, 240);
        photo.Fill(0, 0, 240, 240, 10, 110, 10); // a dark green floor: far in colour from every stripe, darker than the garment
        for (int y = 40; y < 200; y++)
        {
            bool odd = (y - 40) / 12 % 2 == 1;
            byte left = (byte)(odd ? 110 : 20), right = (byte)(odd ? 235 : 145);
            photo.Fill(60, y, 60, 1, left, left, left);
            photo.Fill(120, y, 60, 1, right, right, right);
        }
        PreparedPhoto sharp = new GarmentPipeline().Prepare(photo);
        PreparedPhoto smooth = new GarmentPipeline(new GarmentPipelineOptions { SmoothRadius = 2 }).Prepare(photo);
        var box = BoundingBox(sharp.Pixels);
        Assert.Equal(box, BoundingBox(smooth.Pixels));
        // Inner pixels of each half (2 away from the outline and from the middle).
        (double Mean, double Spread) Half(byte[] pixels, bool right)
        {
            int middle = box.X + box.Width / 2;
            var inner = new List<double>();
            for (int y = box.Y + 2; y < box.Y + box.Height - 2; y++)
                for (int x = right ? middle + 2 : box.X + 2; x < (right ? box.X + box.Width - 2 : middle - 2); x++) inner.Add(pixels[y * 28 + x]);
            double mean = inner.Average();
            return (mean, Math.Sqrt(inner.Average(v => (v - mean) * (v - mean))));
        }
        foreach (bool right in new[] { false, true })
        {
            var (s, m) = (Half(sharp.Pixels, right).Spread, Half(smooth.Pixels, right).Spread);
            Assert.True(s > 25 && m < 0.4 * s, $"{(right ? "right" : "left")} half: stripes spread {s:0.0} sharp, {m:0.0} smoothed");
        }
        Assert.Contains("not inverted", smooth.Notes);
        Assert.True(Half(smooth.Pixels, true).Mean - Half(smooth.Pixels, false).Mean > 60,
            $"shade kept: left {Half(smooth.Pixels, false).Mean:0}, right {Half(smooth.Pixels, true).Mean:0}");
    }

    [Fact]
    public void Max_aspect_squeezes_wide_garments_only()
    {
        // A wide (200x100) and a tall (80x160) plain garment on a light floor.
        var wide = new RgbaImage(300, 300);
        wide.Fill(0, 0, 300, 300, 230, 230, 225);
        wide.Fill(50, 100, 200, 100, 40, 40, 120);
        var tall = new RgbaImage(300, 300);
        tall.Fill(0, 0, 300, 300, 230, 230, 225);
        tall.Fill(110, 70, 80, 160, 40, 40, 120);
        var squeeze = new GarmentPipeline(new GarmentPipelineOptions { MaxAspect = 1.0 });
        var plain = BoundingBox(new GarmentPipeline().Prepare(wide).Pixels);
        Assert.Equal((28, 14), (plain.Width, plain.Height));
        PreparedPhoto squeezed = squeeze.Prepare(wide);
        var box = BoundingBox(squeezed.Pixels);
        Assert.Equal((28, 28), (box.Width, box.Height)); // squeezed to square, then the longest side fills the frame
        Assert.Contains("squeezed", squeezed.Notes);
        Assert.Equal(new GarmentPipeline().Prepare(tall).Pixels, squeeze.Prepare(tall).Pixels);
    }

    [Fact]
    public void Out_of_range_options_are_refused_by_name()
    {
        var bad = new (GarmentPipelineOptions Options, string Name)[]
        {
            (new() { WorkingSize = 10 }, "WorkingSize"),
            (new() { BorderFraction = 0 }, "BorderFraction"),
            (new() { ThresholdScale = double.NaN }, "ThresholdScale"),
            (new() { Fill = 1.5 }, "Fill"),
            (new() { BackgroundColours = 9 }, "BackgroundColours"),
            (new() { BackgroundColourShare = -0.1 }, "BackgroundColourShare"),
            (new() { MaxBorderShare = 0 }, "MaxBorderShare"),
            (new() { SmoothRadius = -1 }, "SmoothRadius"),
            (new() { MaxAspect = 0.1 }, "MaxAspect"),
            (new() { Intensity = (IntensityMapping)7 }, "Intensity"),
            (new() { MinSolidity = 1.5 }, "MinSolidity"),
            (new() { MinBoxFill = double.NaN }, "MinBoxFill"),
            (new() { FragmentFallback = (FragmentFallback)9 }, "FragmentFallback"),
            (new() { FallbackThresholdFactor = 1 }, "FallbackThresholdFactor"),
            (new() { FallbackClosingFactor = 0.5 }, "FallbackClosingFactor"),
        };
        foreach (var (options, name) in bad)
        {
            var e = Assert.Throws<ArgumentOutOfRangeException>(() => new GarmentPipeline(options));
            Assert.Equal(name, e.ParamName);
            Assert.Contains($"GarmentPipelineOptions.{name}", e.Message);
        }
    }

    [Fact]
    public void Unknown_pipeline_name_is_a_clear_error()
    {
        var e = Assert.Throws<FashionMnistException>(() => PhotoPipelines.Create("fancy"));
        Assert.Contains("garment, seed", e.Message);
    }

    /// <summary>
    /// Real data end to end: Fashion-MNIST test images printed as "product photos" (small, off-centre, on a light
    /// noisy background) go through each pipeline into a classifier trained on Fashion-MNIST. The garment pipeline
    /// must recover images the classifier recognises nearly as well as the originals; the seed pipeline cannot.
    /// </summary>
    [Fact]
    public void Garment_pipeline_recovers_classifiable_images_from_photos_of_fashion_mnist()
    {
        var model = new TinyMlp(new TinyMlpOptions { Hidden = 0, Epochs = 2, LearningRate = 0.005f });
        model.Fit(TestData.BalancedTrain(400));
        ImageSet originals = TestData.BalancedTest(10);
        var random = new Random(7);
        var garment = new byte[originals.Count * 784];
        var seed = new byte[originals.Count * 784];
        for (int i = 0; i < originals.Count; i++)
        {
            int scale = random.Next(2, 6);
            RgbaImage photo = TestImages.PhotoOf(originals.Image(i), 160, 160, random.Next(0, 160 - 28 * scale), random.Next(0, 160 - 28 * scale), scale, seed: i);
            new GarmentPipeline().Prepare(photo).Pixels.CopyTo(garment, i * 784);
            new SeedPipeline().Prepare(photo).Pixels.CopyTo(seed, i * 784);
        }
        double original = model.Score(originals);
        double viaGarment = model.Score(new ImageSet(garment, originals.Labels));
        double viaSeed = model.Score(new ImageSet(seed, originals.Labels));
        Assert.True(original > 0.65, $"classifier too weak: {original}");
        Assert.True(viaGarment > original - 0.12, $"garment {viaGarment} vs original {original}");
        Assert.True(viaSeed < viaGarment - 0.2, $"seed {viaSeed} vs garment {viaGarment}");
    }

    private static int FirstOfClass(int label) => Array.IndexOf(TestData.Test.Labels, (byte)label);
}
