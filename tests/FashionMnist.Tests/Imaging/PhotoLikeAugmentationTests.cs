using FashionMnist.Data;
using FashionMnist.Imaging;
using FashionMnist.Models;
using FashionMnist.Neural;
using FashionMnist.Numerics;
using FashionMnist.Tests.Support;

namespace FashionMnist.Tests.Imaging;

public class PhotoLikeAugmentationTests
{
    private const int Side = 28;
    private static readonly PhotoLikeSettings Defaults = new();

    /// <summary>A hand-made image: the rectangle [x0, x1] x [y0, y1] (inclusive) at full brightness.</summary>
    private static byte[] Block(int x0, int x1, int y0, int y1, byte value = 255)
    {
        var image = new byte[ImageSet.PixelCount];
        for (int y = y0; y <= y1; y++)
            for (int x = x0; x <= x1; x++) image[y * Side + x] = value;
        return image;
    }

    private static byte[] Render(byte[] image, PhotoLikeParameters parameters)
    {
        var output = new byte[ImageSet.PixelCount];
        PhotoLikeAugmentation.Apply(image, output, parameters);
        return output;
    }

    /// <summary>Bounding box of the pixels above <paramref name="level"/>: (left, right, top, bottom), inclusive.</summary>
    private static (int Left, int Right, int Top, int Bottom) Box(byte[] image, int level = 0)
    {
        int left = Side, right = -1, top = Side, bottom = -1;
        for (int i = 0; i < image.Length; i++)
        {
            if (image[i] <= level) continue;
            int x = i % Side, y = i / Side;
            left = Math.Min(left, x); right = Math.Max(right, x); top = Math.Min(top, y); bottom = Math.Max(bottom, y);
        }
        return (left, right, top, bottom);
    }

    private static byte[] Image(ImageSet set, int i) => set.Pixels.AsSpan(i * ImageSet.PixelCount, ImageSet.PixelCount).ToArray();

    [Fact]
    public void The_same_key_gives_the_same_image_and_other_keys_give_others()
    {
        ImageSet slice = TestData.BalancedTrain(3);
        var a = new byte[784];
        var b = new byte[784];
        var c = new byte[784];
        int differing = 0;
        for (int i = 0; i < slice.Count; i++)
        {
            byte[] image = Image(slice, i);
            PhotoLikeAugmentation.Apply(image, slice.Labels[i], a, Defaults, key: 77);
            PhotoLikeAugmentation.Apply(image, slice.Labels[i], b, Defaults, key: 77);
            PhotoLikeAugmentation.Apply(image, slice.Labels[i], c, Defaults, key: 78);
            Assert.Equal(a, b);
            Assert.NotEqual(image, a); // always transformed (tilted, re-framed, lit, ...)
            if (!a.AsSpan().SequenceEqual(c)) differing++;
        }
        Assert.Equal(slice.Count, differing);
    }

    [Fact]
    public void Parameters_are_drawn_in_their_ranges_and_only_shoes_are_turned_far_or_paired()
    {
        for (int label = 0; label < 10; label++)
        {
            bool shoe = label is 5 or 7 or 9;
            Assert.Equal(shoe, PhotoLikeAugmentation.IsShoe(label));
            int pairs = 0, farTurns = 0, normalized = 0;
            const int draws = 400;
            for (ulong key = 0; key < draws; key++)
            {
                var p = PhotoLikeParameters.Draw(key * 7919 + (ulong)label, label, Defaults);
                Assert.InRange(Math.Abs(p.Rotation), 0, shoe ? 90 : 12);
                Assert.InRange(p.Aspect, 0.8, 1.8);
                Assert.InRange(Math.Sqrt(p.RampX * p.RampX + p.RampY * p.RampY), 0, 0.3 + 1e-12);
                Assert.InRange(p.Noise, 0, 0.06);
                if (p.Pair) pairs++;
                if (Math.Abs(p.Rotation) > 45) farTurns++;
                if (p.Normalize) normalized++;
            }
            if (shoe)
            {
                Assert.InRange(pairs, draws * 0.4, draws * 0.6);
                Assert.InRange(farTurns, draws * 0.4, draws * 0.6); // uniform in ±90°: half beyond ±45°
            }
            else
            {
                Assert.Equal(0, pairs);
                Assert.Equal(0, farTurns);
            }
            Assert.InRange(normalized, draws * 0.4, draws * 0.6);
        }
    }

    [Fact]
    public void A_bar_is_turned_clockwise_by_the_rotation()
    {
        byte[] bar = Block(4, 23, 12, 15); // 20 x 4, horizontal
        var plain = Box(Render(bar, PhotoLikeParameters.None));
        Assert.Equal((0, 27), (plain.Left, plain.Right)); // re-framed: the long side fills the frame
        Assert.InRange(plain.Bottom - plain.Top + 1, 5, 8); // 4/20 of 28 = 5.6, plus the sampled edge

        var upright = Box(Render(bar, PhotoLikeParameters.None with { Rotation = 90 }));
        Assert.Equal((0, 27), (upright.Top, upright.Bottom));
        Assert.InRange(upright.Right - upright.Left + 1, 5, 8);

        // +45° on screen (y down) is clockwise: the right end goes down, the bar runs top-left to bottom-right.
        byte[] diagonal = Render(bar, PhotoLikeParameters.None with { Rotation = 45 });
        Assert.True(diagonal[5 * Side + 5] > 128 && diagonal[22 * Side + 22] > 128, "the main diagonal is bright");
        Assert.Equal(0, diagonal[4 * Side + 23]);
        Assert.Equal(0, diagonal[23 * Side + 4]);
        byte[] other = Render(bar, PhotoLikeParameters.None with { Rotation = -45 });
        Assert.True(other[5 * Side + 22] > 128 && other[22 * Side + 5] > 128, "-45°: the other diagonal");
    }

    [Fact]
    public void The_stretch_changes_the_aspect_ratio_in_the_garments_own_axes()
    {
        byte[] square = Block(7, 20, 7, 20); // 14 x 14
        var same = Box(Render(square, PhotoLikeParameters.None));
        Assert.Equal((0, 27, 0, 27), same);

        var wide = Box(Render(square, PhotoLikeParameters.None with { Aspect = 1.5 }));
        Assert.Equal((0, 27), (wide.Left, wide.Right));
        Assert.InRange(wide.Bottom - wide.Top + 1, 18, 20); // 28 / 1.5 = 18.7

        var tall = Box(Render(square, PhotoLikeParameters.None with { Aspect = 1 / 1.5 }));
        Assert.Equal((0, 27), (tall.Top, tall.Bottom));
        Assert.InRange(tall.Right - tall.Left + 1, 18, 20);

        // Stretched before the turn: a wide block turned 90° is tall.
        var turned = Box(Render(square, PhotoLikeParameters.None with { Aspect = 1.5, Rotation = 90 }));
        Assert.Equal((0, 27), (turned.Top, turned.Bottom));
        Assert.InRange(turned.Right - turned.Left + 1, 18, 20);
    }

    [Fact]
    public void Re_framing_fills_the_frame_centres_the_garment_and_reaches_full_brightness()
    {
        byte[] small = new byte[784];
        for (int y = 2; y <= 7; y++)
            for (int x = 1; x <= 10; x++) small[y * Side + x] = 120; // 10 x 6, dim, in the top-left corner
        byte[] framed = Render(small, PhotoLikeParameters.None);
        var box = Box(framed);
        Assert.Equal((0, 27), (box.Left, box.Right));
        int height = box.Bottom - box.Top + 1;
        Assert.InRange(height, 16, 18); // 6/10 of 28 = 16.8
        Assert.InRange(box.Top - (27 - box.Bottom), -1, 1); // centred
        Assert.Equal(255, framed.Max());

        // Real images, random transformations: like the pipeline's output, each fills the frame, is centred and reaches 255.
        ImageSet slice = TestData.BalancedTrain(10);
        var output = new byte[784];
        for (int i = 0; i < slice.Count; i++)
        {
            PhotoLikeAugmentation.Apply(Image(slice, i), slice.Labels[i], output, Defaults, (ulong)i * 31);
            var b = Box(output);
            Assert.True(Math.Max(b.Right - b.Left, b.Bottom - b.Top) + 1 >= 26, $"image {i}: box {b}");
            Assert.InRange(b.Left - (27 - b.Right), -2, 2);
            Assert.InRange(b.Top - (27 - b.Bottom), -2, 2);
            Assert.Equal(255, output.Max());
        }
    }

    [Fact]
    public void A_shoe_pair_is_the_shoe_and_its_mirror_image_side_by_side()
    {
        // A flat "shoe" 28 x 10 whose upper part is on the left (a sole along the bottom, an ankle on the left).
        byte[] shoe = new byte[784];
        for (int y = 14; y <= 17; y++) for (int x = 0; x <= 27; x++) shoe[y * Side + x] = 200; // sole
        for (int y = 8; y <= 13; y++) for (int x = 2; x <= 11; x++) shoe[y * Side + x] = 200;  // ankle
        var single = Box(Render(shoe, PhotoLikeParameters.None));
        int singleHeight = single.Bottom - single.Top + 1; // 10/28 of the frame

        // Mirrored top-bottom, moved apart by 60% of the height: 16 rows of 28, symmetric about the middle row.
        var pairParameters = PhotoLikeParameters.None with { Pair = true, PairOffset = 0.6, PairMirrorVertical = true };
        byte[] pair = Render(shoe, pairParameters);
        var box = Box(pair);
        Assert.InRange(singleHeight, 10, 12);
        Assert.InRange(box.Bottom - box.Top + 1, 16, 18);
        for (int y = box.Top; y <= box.Bottom; y++)
            for (int x = 0; x < Side; x++)
                Assert.InRange(pair[y * Side + x] - pair[(box.Top + box.Bottom - y) * Side + x], -3, 3);

        // Mirrored left-right: the second ankle is on the right, so both upper corners are lit.
        byte[] toes = Render(shoe, pairParameters with { PairMirrorVertical = false });
        var toeBox = Box(toes);
        int upperRow = toeBox.Top + 1;
        Assert.True(toes[upperRow * Side + 5] > 100 ^ toes[upperRow * Side + 22] > 100,
            "the upper row has one ankle (the copy moved up)");
        int lowerAnkleRow = toeBox.Bottom - 5; // the mirrored copy's ankle, on the other side
        Assert.True(toes[lowerAnkleRow * Side + 22] > 100 ^ toes[lowerAnkleRow * Side + 5] > 100);
        Assert.NotEqual(toes[upperRow * Side + 5] > 100, toes[lowerAnkleRow * Side + 5] > 100);

        // Through the keyed entry point: a Sandal gets pairs for some keys, a T-shirt never.
        int sandalPairs = 0;
        for (ulong key = 0; key < 100; key++)
        {
            Assert.False(PhotoLikeParameters.Draw(key, 0, Defaults).Pair);
            if (PhotoLikeParameters.Draw(key, 5, Defaults).Pair) sandalPairs++;
        }
        Assert.InRange(sandalPairs, 30, 70);
    }

    [Fact]
    public void Normalisation_gives_the_garment_the_pipelines_floor_and_fills_its_holes()
    {
        // A ring (a bag with a handle hole): outer 20 x 20, hole 8 x 8 in the middle, dark-ish.
        byte[] ring = new byte[784];
        for (int y = 4; y <= 23; y++)
            for (int x = 4; x <= 23; x++)
                ring[y * Side + x] = (byte)(x is >= 10 and <= 17 && y is >= 10 and <= 17 ? 0 : 60 + 4 * x);
        byte[] kept = Render(ring, PhotoLikeParameters.None);
        Assert.Equal(0, kept[14 * Side + 14]); // without normalisation the hole stays black
        byte[] normalized = Render(ring, PhotoLikeParameters.None with { Normalize = true });
        // Hole filled: it becomes garment at the floor level 0.12, then the gamma (to mean 0.55) and the framing's
        // brightest = 255 scale it; well above black, well below the brightest.
        Assert.InRange(normalized[14 * Side + 14], 10, 120);
        Assert.Equal(255, normalized.Max());
        // The ring fills the frame; after normalisation no pixel in it is black (floor 0.12 before gamma and framing).
        Assert.True(normalized.Min() >= 10, $"darkest {normalized.Min()}");
        Assert.Equal(0, kept.Min());
    }

    [Fact]
    public void Lighting_and_noise_change_only_the_garment()
    {
        byte[] block = Block(6, 21, 3, 24, value: 150);
        byte[] flat = Render(block, PhotoLikeParameters.None);
        byte[] lit = Render(block, PhotoLikeParameters.None with { RampX = 0.3, Noise = 0.05, NoiseKey = 9 });
        Assert.Equal(Box(flat), Box(lit)); // the background stays black: the garment keeps its outline
        // The ramp makes the right side brighter than the left (the framing then scales the brightest to 255).
        double LeftMean(byte[] im) => Enumerable.Range(0, 784).Where(i => im[i] > 0 && i % Side < 14).Average(i => (double)im[i]);
        double RightMean(byte[] im) => Enumerable.Range(0, 784).Where(i => im[i] > 0 && i % Side >= 14).Average(i => (double)im[i]);
        Assert.True(RightMean(lit) - LeftMean(lit) > 40, $"left {LeftMean(lit):F0}, right {RightMean(lit):F0}");
        Assert.InRange(RightMean(flat) - LeftMean(flat), -2, 2);
    }

    [Fact]
    public void Blank_images_stay_blank_and_bad_input_is_refused()
    {
        var output = new byte[784];
        output[5] = 9;
        PhotoLikeAugmentation.Apply(new byte[784], 3, output, Defaults, key: 1);
        Assert.All(output, v => Assert.Equal(0, v));
        Assert.Throws<ArgumentException>(() => PhotoLikeAugmentation.Apply(new byte[100], 3, output, Defaults, key: 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => Augmentation.Apply(new byte[784], 10, output, new AugmentationSettings(PhotoLikeProbability: 1), 1));
        var error = Assert.Throws<FashionMnistException>(() => (new AugmentationSettings() with { PhotoLike = new PhotoLikeSettings(MaxRotation: 200) }).Validate());
        Assert.Contains("rotation must be 0-180 degrees, got 200", error.Message);
        error = Assert.Throws<FashionMnistException>(() => new AugmentationSettings(PhotoLikeProbability: 1.5).Validate());
        Assert.Contains("Photo-like probability must be 0-1, got 1.5", error.Message);
    }

    [Fact]
    public void Probability_zero_leaves_the_existing_augmentation_bit_identical()
    {
        ImageSet slice = TestData.BalancedTrain(5);
        var old = new byte[784];
        var labelled = new byte[784];
        var photo = new byte[784];
        int untouched = 0, total = 0;
        foreach (var settings in new[] { new AugmentationSettings(), new AugmentationSettings(2, true, 1.0), new AugmentationSettings(0, false, 0) })
        {
            for (int i = 0; i < slice.Count; i++)
            {
                byte[] image = Image(slice, i);
                ulong key = (ulong)(1000 + i);
                Augmentation.Apply(image, old, settings, key);
                Augmentation.Apply(image, slice.Labels[i], labelled, settings, key);
                Assert.Equal(old, labelled);
                // With p = 0.5 about half the images skip the photo-like step, and those are unchanged too:
                // the photo-like choices come from a stream of their own.
                Augmentation.Apply(image, slice.Labels[i], photo, settings with { PhotoLikeProbability = 0.5 }, key);
                total++;
                if (photo.AsSpan().SequenceEqual(old)) untouched++;
            }
        }
        Assert.InRange(untouched, total * 0.3, total * 0.7);
        // The label-less overload cannot treat shoes differently, so it refuses photo-like settings.
        Assert.Throws<ArgumentException>(() => Augmentation.Apply(Image(slice, 0), old, new AugmentationSettings(PhotoLikeProbability: 0.5), 1));
    }

    [Fact]
    public void It_does_not_allocate_per_image() => AssertNoAllocationPerImage(new AugmentationSettings(PhotoLikeProbability: 1));

    /// <summary>A second pass of <c>Augmentation.Apply</c> over real images of every class allocates nothing (the first warms up the JIT and statics).</summary>
    internal static void AssertNoAllocationPerImage(AugmentationSettings settings)
    {
        ImageSet slice = TestData.BalancedTrain(4);
        var output = new byte[784];
        void RunAll()
        {
            for (int i = 0; i < slice.Count; i++)
                Augmentation.Apply(slice.Pixels.AsSpan(i * 784, 784), slice.Labels[i], output, settings, (ulong)i);
        }
        RunAll(); // warm up (JIT, statics)
        long before = GC.GetAllocatedBytesForCurrentThread();
        RunAll();
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void The_batch_applies_it_per_image_from_the_images_key_and_label()
    {
        ImageSet slice = TestData.BalancedTrain(6);
        int[] indices = Enumerable.Range(0, slice.Count).Reverse().ToArray();
        var settings = new AugmentationSettings(PhotoLikeProbability: 0.7);
        var input = new float[indices.Length * 784];
        var labels = new byte[indices.Length];
        InputBatch.Fill(slice, indices, input, labels, settings, augmentationKey: 12345);
        var expected = new float[784];
        var augmented = new byte[784];
        for (int i = 0; i < indices.Length; i++)
        {
            Assert.Equal(slice.Labels[indices[i]], labels[i]);
            Augmentation.Apply(Image(slice, indices[i]), slice.Labels[indices[i]], augmented, settings, SplitMix64.Key(12345, (ulong)i));
            InputBatch.Convert(augmented, expected);
            Assert.Equal(expected, input.AsSpan(i * 784, 784).ToArray());
        }
    }

    [Fact]
    public void The_photo_like_option_is_validated_bound_and_listed()
    {
        foreach (string bad in new[] { "1.5", "-0.1" })
        {
            var error = Assert.Throws<FashionMnistException>(() => ModelCatalog.Create("cnn3", new Dictionary<string, string> { ["photo-like"] = bad }));
            Assert.Contains($"Option 'photo-like' must be in [0, 1]", error.Message);
            Assert.Contains($"got {bad}", error.Message);
        }
        var model = (NeuralClassifier)ModelCatalog.Create("cnn1", new Dictionary<string, string> { ["photo-like"] = "0.4" });
        var options = (NeuralOptions)model.Options;
        Assert.Equal(0.4, options.PhotoLike);
        // Without --augment only the photo-like step runs; with it, shift, flip and erasing follow.
        Assert.Equal(new AugmentationSettings(0, false, 0, 0.4), options.TrainingAugmentation);
        Assert.Equal(new AugmentationSettings(2, true, 0.25, 0.4), (options with { Augment = true }).TrainingAugmentation);
        Assert.Null((options with { PhotoLike = 0 }).TrainingAugmentation);

        var described = OptionBinder.Describe(typeof(Cnn3Options)).Single(o => o.Name == "photo-like");
        Assert.Equal(0.0, described.DefaultValue);
        Assert.Contains("photo", described.Description);
        Assert.Equal("0.4", OptionBinder.ToSettings(options)["photo-like"]);
    }

    [Fact]
    public void The_cli_lists_the_option_and_refuses_a_bad_value()
    {
        var help = CliRunner.Run("train", "cnn3", "--help-options");
        Assert.Equal(0, help.ExitCode);
        Assert.Contains("photo-like", help.Stdout);
        var bad = CliRunner.Run("train", "cnn3", "--set", "photo-like=2", "--no-save", "--no-store");
        Assert.True(bad.ExitCode == 2, bad.ToString());
        Assert.Contains("Option 'photo-like' must be in [0, 1]", bad.Stderr);
        Assert.DoesNotContain("   at ", bad.Stderr);
    }
}

[Collection(Isolated.Name)]
public class PhotoLikeAugmentationThreadTests
{
    [Fact]
    public void The_augmented_batch_does_not_depend_on_the_thread_count()
    {
        ImageSet slice = TestData.BalancedTrain(8);
        int[] indices = Enumerable.Range(0, slice.Count).ToArray();
        var settings = new AugmentationSettings(PhotoLikeProbability: 0.5);
        float[] Batch(int threads)
        {
            int saved = ComputeThreads.Count;
            try
            {
                ComputeThreads.Count = threads;
                var input = new float[indices.Length * 784];
                InputBatch.Fill(slice, indices, input, null, settings, augmentationKey: 99);
                return input;
            }
            finally { ComputeThreads.Count = saved; }
        }
        Assert.Equal(Batch(1), Batch(3));
    }
}
