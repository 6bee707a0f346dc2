using FashionMnist.Data;
using FashionMnist.Imaging;
using FashionMnist.Models;
using FashionMnist.Neural;
using FashionMnist.Tests.Support;

namespace FashionMnist.Tests.Imaging;

/// <summary>
/// The photo-like poses and textures of issue 16 (docs/photos.md): a folded trouser leg, a shoe pair seen from above,
/// stripes or a print on tops. Each is off by default, changes only its own classes, and never changes how many values
/// the per-image draw takes (so every other choice stays what it was).
/// </summary>
public class PhotoPoseAugmentationTests
{
    private const int Side = 28;
    private static readonly PhotoLikeSettings Defaults = new();
    private static readonly PhotoLikeSettings AllOn = new() { FoldProbability = 1, TopViewProbability = 1, TextureProbability = 1 };

    private static byte[] Image(ImageSet set, int i) => set.Pixels.AsSpan(i * ImageSet.PixelCount, ImageSet.PixelCount).ToArray();

    private static byte[] Render(byte[] image, PhotoLikeParameters parameters)
    {
        var output = new byte[ImageSet.PixelCount];
        PhotoLikeAugmentation.Apply(image, output, parameters);
        return output;
    }

    private static (int Left, int Right, int Top, int Bottom) Box(byte[] image)
    {
        int left = Side, right = -1, top = Side, bottom = -1;
        for (int i = 0; i < image.Length; i++)
        {
            if (image[i] == 0) continue;
            int x = i % Side, y = i / Side;
            left = Math.Min(left, x); right = Math.Max(right, x); top = Math.Min(top, y); bottom = Math.Max(bottom, y);
        }
        return (left, right, top, bottom);
    }

    /// <summary>Hand-made trousers: a waistband over two legs, legs 5 wide, 24 rows in all.</summary>
    private static byte[] Trousers()
    {
        var image = new byte[ImageSet.PixelCount];
        for (int y = 2; y <= 25; y++)
            for (int x = 8; x <= 19; x++)
                if (y <= 6 || x <= 12 || x >= 15) image[y * Side + x] = 200;
        return image;
    }

    /// <summary>A hand-made shoe in profile, 28 x 10: a sole along the bottom and an ankle on the left (the heel end).</summary>
    private static byte[] Shoe()
    {
        var image = new byte[ImageSet.PixelCount];
        for (int y = 14; y <= 17; y++) for (int x = 0; x <= 27; x++) image[y * Side + x] = 200;
        for (int y = 8; y <= 13; y++) for (int x = 2; x <= 11; x++) image[y * Side + x] = 200;
        return image;
    }

    [Fact]
    public void Draw_takes_the_same_number_of_values_for_every_class_and_setting()
    {
        var settings = new[] { Defaults, AllOn, Defaults with { FoldProbability = 0.5, TextureProbability = 0.3, PairProbability = 0 } };
        for (int label = 0; label < 10; label++)
            foreach (var s in settings)
                for (ulong key = 0; key < 50; key++)
                {
                    var random = new SplitMix64(key * 104729 + 7);
                    var expected = random;
                    PhotoLikeParameters.Draw(ref random, label, s);
                    for (int i = 0; i < PhotoLikeParameters.DrawCount; i++) expected.NextULong();
                    Assert.Equal(expected.NextULong(), random.NextULong());
                }
    }

    [Fact]
    public void The_new_variants_leave_every_older_choice_as_it_was()
    {
        for (int label = 0; label < 10; label++)
            for (ulong key = 0; key < 200; key++)
            {
                var off = PhotoLikeParameters.Draw(key, label, Defaults);
                var on = PhotoLikeParameters.Draw(key, label, AllOn);
                Assert.False(off.Fold.On || off.Top.On || off.Texture.On);
                Assert.Equal(off with { Pair = false, Fold = default, Top = default, Texture = default },
                    on with { Pair = false, Fold = default, Top = default, Texture = default });
                // Only the top view replaces the profile pair; the variants' own choices do not depend on whether they are on.
                Assert.Equal(off.Pair && !on.Top.On, on.Pair);
                Assert.Equal(off.Fold with { On = false }, on.Fold with { On = false });
                Assert.Equal(off.Top with { On = false }, on.Top with { On = false });
                Assert.Equal(off.Texture with { On = false }, on.Texture with { On = false });
                Assert.Equal(label == 1, on.Fold.On);
                Assert.Equal(label is 5 or 7 or 9, on.Top.On);
                Assert.Equal(label is 0 or 2 or 3 or 4 or 6, on.Texture.On);
            }
    }

    [Fact]
    public void Each_variant_changes_only_its_own_classes_the_same_way_for_a_key_and_keeps_the_framing()
    {
        ImageSet slice = TestData.BalancedTrain(6);
        var variants = new (PhotoLikeSettings Settings, int[] Classes)[]
        {
            (Defaults with { FoldProbability = 1 }, [1]),
            (Defaults with { TopViewProbability = 1 }, [5, 7, 9]),
            (Defaults with { TextureProbability = 1 }, [0, 2, 3, 4, 6]),
        };
        var plain = new byte[784];
        var varied = new byte[784];
        var again = new byte[784];
        foreach (var (settings, classes) in variants)
        {
            int changed = 0, ofItsClasses = 0;
            for (int i = 0; i < slice.Count; i++)
            {
                byte[] image = Image(slice, i);
                int label = slice.Labels[i];
                ulong key = (ulong)i * 977 + 5;
                PhotoLikeAugmentation.Apply(image, label, plain, Defaults, key);
                PhotoLikeAugmentation.Apply(image, label, varied, settings, key);
                PhotoLikeAugmentation.Apply(image, label, again, settings, key);
                Assert.Equal(varied, again);
                if (!classes.Contains(label))
                {
                    Assert.Equal(plain, varied);
                    continue;
                }
                ofItsClasses++;
                if (!plain.AsSpan().SequenceEqual(varied)) changed++;
                // Like the pipeline's output: framed to fill 28 on its long side, centred, brightest pixel 255.
                var b = Box(varied);
                Assert.True(Math.Max(b.Right - b.Left, b.Bottom - b.Top) + 1 >= 26, $"image {i}: box {b}");
                Assert.InRange(b.Left - (27 - b.Right), -2, 2);
                Assert.InRange(b.Top - (27 - b.Bottom), -2, 2);
                Assert.Equal(255, varied.Max());
            }
            Assert.Equal(ofItsClasses, changed);
        }
    }

    [Fact]
    public void A_leg_folded_up_is_shorter_and_a_leg_folded_sideways_points_outwards()
    {
        byte[] trousers = Trousers();
        // Framed: 24 rows become 28, so the legs are columns 7-12 and 15-20 of the output.
        byte[] straight = Render(trousers, PhotoLikeParameters.None);
        Assert.True(straight[26 * Side + 9] > 100 && straight[26 * Side + 18] > 100, "both legs reach the bottom");

        // The left leg folded straight up at mid-height: its lower half is gone, the right leg still reaches the bottom.
        byte[] up = Render(trousers, PhotoLikeParameters.None with { Fold = new LegFold(true, false, 0.5, 0) });
        Assert.Equal(Box(straight), Box(up)); // the right leg keeps the full height, the waist the width
        for (int y = 18; y <= 27; y++)
            for (int x = 0; x <= 12; x++)
                Assert.True(up[y * Side + x] == 0, $"left leg's lower part at ({x}, {y}): {up[y * Side + x]}");
        Assert.True(up[26 * Side + 18] > 100, "the right leg is untouched");

        // The right leg folded sideways (45°): its lower part (11.5 rows) now points out to the right, so the garment
        // is about as wide as tall (23.5 x 24) and where the lower right leg was is empty.
        byte[] side = Render(trousers, PhotoLikeParameters.None with { Fold = new LegFold(true, true, 0.5, 45) });
        var sideBox = Box(side);
        Assert.InRange(sideBox.Right - sideBox.Left + 1, 25, 28);
        int rightColumnLit = Enumerable.Range(0, Side).Count(y => side[y * Side + sideBox.Right] > 60);
        Assert.InRange(rightColumnLit, 2, 9); // the end of the folded leg: about the leg's width, not its length
        int leftLegX = sideBox.Left + 2, rightLegX = sideBox.Left + 10; // the right leg was 8 columns right of the left one
        Assert.True(side[(sideBox.Bottom - 1) * Side + leftLegX] > 100, "the left leg still reaches the bottom");
        Assert.Equal(0, side[(sideBox.Bottom - 1) * Side + rightLegX]);
        Assert.True(side[8 * Side + rightLegX] > 100, "the right leg's upper part stays");
    }

    [Fact]
    public void A_pair_seen_from_above_is_two_like_shoes_side_by_side_with_a_dark_opening_at_the_heel()
    {
        byte[] shoe = Shoe();
        var view = new TopView(true, Width: 0.35, Gap: 0.1, Shift: 0, Opening: 0);
        byte[] pair = Render(shoe, PhotoLikeParameters.None with { Top = view });
        var box = Box(pair);
        Assert.Equal((0, 27), (box.Left, box.Right)); // the length fills the frame
        // Two shoes 0.35 x 28 wide with a gap of 0.1 x 28: about 22 of 28 rows, symmetric about the middle.
        Assert.InRange(box.Bottom - box.Top + 1, 19, 25);
        for (int y = box.Top; y <= box.Bottom; y++)
            for (int x = 0; x < Side; x++)
                Assert.InRange(pair[y * Side + x] - pair[(box.Top + box.Bottom - y) * Side + x], -3, 3);
        // A dark gap between them: the middle row is (nearly) empty along the length, each shoe's axis is lit.
        int middle = (box.Top + box.Bottom) / 2;
        Assert.True(Enumerable.Range(4, 20).Count(x => pair[middle * Side + x] > 40) <= 2, "a gap between the shoes");
        int axis = box.Top + (box.Bottom - box.Top + 1) / 4 - 1;
        Assert.True(Enumerable.Range(2, 24).All(x => pair[axis * Side + x] > 40), "the first shoe's axis is lit end to end");
        // Each shoe is widest where the profile is tallest (the ankle, on the left) and narrow at the toe.
        int LitRows(byte[] im, int x) => Enumerable.Range(0, Side).Count(y => im[y * Side + x] > 40);
        Assert.True(LitRows(pair, 6) > LitRows(pair, 22) + 2, $"heel {LitRows(pair, 6)} rows, toe {LitRows(pair, 22)}");

        // The opening darkens the heel end on the axis, not the toe.
        byte[] open = Render(shoe, PhotoLikeParameters.None with { Top = view with { Opening = 0.8 } });
        Assert.True(open[axis * Side + 6] < pair[axis * Side + 6] - 60, $"heel {open[axis * Side + 6]} vs {pair[axis * Side + 6]}");
        Assert.InRange(open[axis * Side + 24] - pair[axis * Side + 24], -3, 3);
        // Only the shoe: a Sandal drawn with the top view is not also paired in profile.
        Assert.False(PhotoLikeParameters.Draw(3, 5, Defaults with { TopViewProbability = 1 }).Pair);
    }

    [Fact]
    public void Stripes_and_prints_change_the_garments_intensity_inside_its_outline_only()
    {
        var block = new byte[784];
        for (int y = 3; y <= 24; y++) for (int x = 6; x <= 21; x++) block[y * Side + x] = 150;
        byte[] flat = Render(block, PhotoLikeParameters.None);
        var stripes = new GarmentTexture(true, false, Period: 4, Angle: 0, Depth: 0.6, Phase: 0, 0, 0, 0.3, false);
        byte[] striped = Render(block, PhotoLikeParameters.None with { Texture = stripes });
        Assert.Equal(Box(flat), Box(striped)); // the outline stays
        var b = Box(striped);
        double RowMean(byte[] im, int y) => Enumerable.Range(b.Left + 1, b.Right - b.Left - 1).Average(x => (double)im[y * Side + x]);
        double ColumnMean(byte[] im, int x) => Enumerable.Range(b.Top + 1, b.Bottom - b.Top - 1).Average(y => (double)im[y * Side + x]);
        var rows = Enumerable.Range(b.Top + 1, b.Bottom - b.Top - 1).Select(y => RowMean(striped, y)).ToArray();
        var columns = Enumerable.Range(b.Left + 1, b.Right - b.Left - 1).Select(x => ColumnMean(striped, x)).ToArray();
        // Horizontal stripes: rows alternate dark and light, columns all look alike.
        Assert.True(rows.Max() - rows.Min() > 80, $"rows {rows.Min():F0}-{rows.Max():F0}");
        Assert.True(columns.Max() - columns.Min() < 20, $"columns {columns.Min():F0}-{columns.Max():F0}");
        Assert.True(striped.Where(v => v > 0).Min() > 0);

        // A dark print on the chest: the middle of the upper half darker than without, the hem not.
        var print = stripes with { Print = true, PrintDark = true, PrintSize = 0.3 };
        byte[] printed = Render(block, PhotoLikeParameters.None with { Texture = print });
        Assert.Equal(Box(flat), Box(printed));
        int cx = (b.Left + b.Right) / 2, cy = b.Top + (int)(0.4 * (b.Bottom - b.Top));
        Assert.True(printed[cy * Side + cx] < flat[cy * Side + cx] - 50, $"print {printed[cy * Side + cx]} vs {flat[cy * Side + cx]}");
        Assert.InRange(printed[(b.Bottom - 1) * Side + cx] - flat[(b.Bottom - 1) * Side + cx], -3, 3);
    }

    [Fact]
    public void Bad_probabilities_are_refused_by_name()
    {
        foreach (var (settings, name) in new[]
        {
            (Defaults with { FoldProbability = 1.5 }, "fold probability"),
            (Defaults with { TopViewProbability = -0.1 }, "top-view probability"),
            (Defaults with { TextureProbability = double.NaN }, "texture probability"),
        })
        {
            var error = Assert.Throws<FashionMnistException>(settings.Validate);
            Assert.Contains($"{name} must be 0-1", error.Message);
        }
    }

    [Fact]
    public void The_options_are_validated_bound_carried_to_the_training_and_saved_with_the_model()
    {
        foreach (string name in new[] { "photo-fold", "photo-shoe-top", "photo-texture" })
        {
            var error = Assert.Throws<FashionMnistException>(() => ModelCatalog.Create("cnn-photo", new Dictionary<string, string> { [name] = "1.2" }));
            Assert.Contains($"Option '{name}' must be in [0, 1]", error.Message);
            var described = OptionBinder.Describe(typeof(PhotoCnnOptions)).Single(o => o.Name == name);
            Assert.Equal(0.0, described.DefaultValue);
        }
        var model = (NeuralClassifier)ModelCatalog.Create("cnn-photo",
            new Dictionary<string, string> { ["photo-fold"] = "0.5", ["photo-shoe-top"] = "0.4", ["photo-texture"] = "0.3" });
        var options = (NeuralOptions)model.Options;
        var photoLike = options.TrainingAugmentation!.PhotoLike;
        Assert.Equal((0.5, 0.4, 0.3), (photoLike.FoldProbability, photoLike.TopViewProbability, photoLike.TextureProbability));
        Assert.Equal(Defaults with { FoldProbability = 0.5, TopViewProbability = 0.4, TextureProbability = 0.3 }, photoLike);
        Assert.Equal(Defaults, (options with { PhotoFold = 0, PhotoShoeTop = 0, PhotoTexture = 0 }).TrainingAugmentation!.PhotoLike);
        // Photo-like without --augment carries them too.
        Assert.Equal(photoLike, (options with { Augment = false }).TrainingAugmentation!.PhotoLike);
        // The model file's settings hold them (a model's options are the whole model).
        var settings = OptionBinder.ToSettings(options);
        Assert.Equal(("0.5", "0.4", "0.3"), (settings["photo-fold"], settings["photo-shoe-top"], settings["photo-texture"]));
    }

    [Fact]
    public void The_cli_lists_the_options_and_refuses_a_bad_value()
    {
        var help = CliRunner.Run("train", "cnn-photo", "--help-options");
        Assert.Equal(0, help.ExitCode);
        foreach (string name in new[] { "photo-fold", "photo-shoe-top", "photo-texture" }) Assert.Contains(name, help.Stdout);
        var bad = CliRunner.Run("train", "cnn-photo", "--set", "photo-texture=2", "--no-save", "--no-store");
        Assert.True(bad.ExitCode == 2, bad.ToString());
        Assert.Contains("Option 'photo-texture' must be in [0, 1]", bad.Stderr);
        Assert.DoesNotContain("   at ", bad.Stderr);
    }

    [Fact]
    public void The_variants_do_not_allocate_per_image() =>
        PhotoLikeAugmentationTests.AssertNoAllocationPerImage(new AugmentationSettings(PhotoLikeProbability: 1) { PhotoLike = AllOn });

    /// <summary>
    /// The per-class sheet of docs/photos.md: photo-like training images with all three variants on (each image drawn
    /// with photo-like probability 1). Set FMNIST_PHOTOAUG_SHEET=path.png to write it.
    /// </summary>
    [Fact]
    public void A_sheet_of_the_variants_per_class_renders()
    {
        const int perClass = 12;
        ImageSet slice = TestData.BalancedTrain(perClass);
        var pixels = new byte[slice.Count * ImageSet.PixelCount];
        for (int i = 0; i < slice.Count; i++)
            PhotoLikeAugmentation.Apply(slice.Image(i), slice.Labels[i], pixels.AsSpan(i * 784, 784), AllOn, (ulong)i * 7 + 3);
        var augmented = new ImageSet(pixels, slice.Labels.ToArray());
        RgbaImage sheet = SampleSheet.Render(augmented, perClass, seed: null, scale: 3,
            title: "Photo-like training images: folded legs, shoe pairs from above, striped and printed tops");
        Assert.All(SampleSheet.Pick(augmented, perClass, null), row => Assert.Equal(perClass, row.Length));
        Assert.True(sheet.Width > perClass * 84 && sheet.Height > 10 * 84, $"{sheet.Width}x{sheet.Height}");
        if (Environment.GetEnvironmentVariable("FMNIST_PHOTOAUG_SHEET") is { Length: > 0 } path) ImageCodec.SavePng(path, sheet);
    }
}
