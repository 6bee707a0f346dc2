using FashionMnist.Imaging;

namespace FashionMnist.Tests.Imaging;

public class ImagingPrimitivesTests
{
    [Fact]
    public void Area_resampling_halves_by_averaging_pairs()
    {
        var result = new float[2];
        AreaResampler.Resize([0f, 1f, 2f, 3f], 4, 1, result, 2, 1);
        Assert.Equal([0.5f, 2.5f], result);
    }

    [Fact]
    public void Area_resampling_weights_partial_coverage()
    {
        // 3 -> 2: each output covers 1.5 inputs: [a + b/2, b/2 + c] / 1.5
        var result = new float[2];
        AreaResampler.Resize([3f, 6f, 9f], 3, 1, result, 2, 1);
        Assert.Equal((3 + 3) / 1.5f, result[0], 4);
        Assert.Equal((3 + 9) / 1.5f, result[1], 4);
    }

    [Fact]
    public void Area_resampling_preserves_the_mean_in_two_dimensions()
    {
        var random = new Random(3);
        var source = Enumerable.Range(0, 97 * 61).Select(_ => (float)random.NextDouble()).ToArray();
        var result = new float[28 * 17];
        AreaResampler.Resize(source, 97, 61, result, 28, 17);
        Assert.Equal(source.Average(), result.Average(), 3);
        Assert.All(result, v => Assert.InRange(v, 0.1f, 0.9f)); // means of ~12 uniform values (std 0.08) are never extreme
    }

    [Fact]
    public void Area_resampling_with_weight_tables_equals_the_per_line_computation_to_the_bit()
    {
        // The weights are now computed once per axis; each output must be the same float as when they were
        // recomputed for every line (ReferenceResize below is that code), shrinking, enlarging and both at once.
        var random = new Random(3);
        foreach (var (sw, sh, w, h) in new[] { (400, 533, 192, 256), (200, 267, 192, 256), (97, 61, 28, 17), (5, 3, 28, 28), (150, 40, 21, 6), (1, 1, 3, 2) })
        {
            float[] source = Enumerable.Range(0, sw * sh).Select(_ => (float)random.NextDouble()).ToArray();
            var fast = new float[w * h];
            var reference = new float[w * h];
            AreaResampler.Resize(source, sw, sh, fast, w, h);
            ReferenceResize(source, sw, sh, reference, w, h);
            Assert.Equal(reference, fast);
        }
    }

    private static void ReferenceResize(float[] source, int sw, int sh, float[] destination, int w, int h)
    {
        var rows = new float[w * sh];
        for (int y = 0; y < sh; y++) Line(source.AsSpan(y * sw), 1, sw, rows.AsSpan(y * w), 1, w);
        for (int x = 0; x < w; x++) Line(rows.AsSpan(x), w, sh, destination.AsSpan(x), w, h);

        static void Line(ReadOnlySpan<float> src, int srcStep, int srcLength, Span<float> dst, int step, int length)
        {
            double scale = (double)srcLength / length;
            for (int o = 0; o < length; o++)
            {
                double lo = o * scale, hi = (o + 1) * scale;
                int first = (int)Math.Floor(lo), last = Math.Min(srcLength - 1, (int)Math.Ceiling(hi) - 1);
                double total = 0;
                for (int i = first; i <= last; i++) total += Math.Min(hi, i + 1) - Math.Max(lo, i);
                float sum = 0;
                for (int i = first, s = first * srcStep; i <= last; i++, s += srcStep)
                    sum += (float)((float)(Math.Min(hi, i + 1) - Math.Max(lo, i)) / total) * src[s];
                dst[o * step] = sum;
            }
        }
    }

    [Fact]
    public void Select_finds_what_a_sort_puts_at_each_index_and_partitions_around_it()
    {
        var random = new Random(11);
        foreach (int n in new[] { 1, 2, 3, 7, 64, 1000 })
            foreach (int distinct in new[] { 1, 3, 1_000_000 }) // many duplicates, a few, none
            {
                float[] values = Enumerable.Range(0, n).Select(_ => (float)random.Next(distinct) / 7).ToArray();
                float[] sorted = values.Order().ToArray();
                for (int k = 0; k < n; k += Math.Max(1, n / 50))
                {
                    float[] work = (float[])values.Clone();
                    Assert.Equal(sorted[k], Thresholds.Select(work, k));
                    Assert.All(work[..k], v => Assert.True(v <= sorted[k]));
                    Assert.All(work[(k + 1)..], v => Assert.True(v >= sorted[k]));
                    Assert.Equal(sorted, work.Order().ToArray()); // a permutation: nothing lost or invented
                }
            }
        Assert.Throws<ArgumentOutOfRangeException>(() => Thresholds.Select(new float[3], 3));
        Assert.Equal(2f, Thresholds.Percentile([5f, 1f, 2f, 9f, 3f], 0.25));
    }

    [Fact]
    public void Dilate_and_erode_use_a_square()
    {
        var mask = new BinaryMask(5, 5);
        mask.Bits[2 * 5 + 2] = 1;
        BinaryMask grown = mask.Dilate(1);
        Assert.Equal(9, grown.Count());
        Assert.True(grown[1, 1] && grown[3, 3] && !grown[0, 0]);
        Assert.Equal(1, grown.Erode(1).Count());
        Assert.Equal(0, mask.Open(1).Count()); // a single speck does not survive opening
    }

    [Fact]
    public void Fill_holes_fills_only_enclosed_background()
    {
        // A ring with a hole in the middle, and a "C" whose gap reaches the border.
        var mask = new BinaryMask(7, 3, [
            1, 1, 1, 0, 1, 1, 1,
            1, 0, 1, 0, 1, 0, 0,
            1, 1, 1, 0, 1, 1, 1]);
        BinaryMask filled = mask.FillHoles();
        Assert.True(filled[1, 1]);
        Assert.False(filled[5, 1]);
        Assert.False(filled[3, 1]);
    }

    [Fact]
    public void Largest_components_are_kept_with_companions_of_similar_size()
    {
        var mask = new BinaryMask(10, 3, [
            1, 1, 1, 0, 1, 1, 0, 0, 0, 1,
            1, 1, 1, 0, 1, 1, 0, 0, 0, 0,
            0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        BinaryMask kept = mask.KeepLargestComponents(0.5);
        Assert.Equal(6 + 4, kept.Count()); // the 1-pixel speck goes, the 4-pixel "second shoe" stays
        Assert.Equal(6, mask.KeepLargestComponents(1.0).Count());
        Assert.Equal((0, 0, 6, 2), kept.BoundingBox());
    }

    [Fact]
    public void Components_running_along_the_border_give_way_to_the_garment_unless_all_do()
    {
        // A 10x6 image: a "rug" along the bottom and right edge (12 of the 28 ring pixels), a smaller "garment" inside.
        var mask = new BinaryMask(10, 6, [
            0, 0, 0, 0, 0, 0, 0, 0, 0, 1,
            0, 1, 1, 1, 0, 0, 0, 0, 0, 1,
            0, 1, 1, 1, 0, 0, 0, 0, 0, 1,
            0, 0, 0, 0, 0, 0, 0, 0, 0, 1,
            0, 0, 0, 0, 0, 0, 0, 0, 0, 1,
            0, 0, 1, 1, 1, 1, 1, 1, 1, 1]);
        Assert.Equal(13, mask.KeepLargestComponents(0.5).Count());            // the rule off: the rug is largest
        Assert.Equal(13, mask.KeepLargestComponents(0.5, 1.0).Count());       // 1 = off
        BinaryMask garment = mask.KeepLargestComponents(0.5, 0.3);           // 13/28 of the ring > 0.3: not eligible
        Assert.Equal(6, garment.Count());
        Assert.Equal((1, 1, 3, 2), garment.BoundingBox());
        // Every component too much on the border: all eligible again, as without the rule.
        var rugOnly = new BinaryMask(4, 3, [1, 1, 1, 1, 1, 0, 0, 0, 1, 1, 1, 1]);
        Assert.Equal(9, rugOnly.KeepLargestComponents(0.5, 0.3).Count());
    }

    [Fact]
    public void Background_palette_finds_the_colours_of_a_striped_border_and_drops_rare_ones()
    {
        // Band pixels: 45 % red-brown, 45 % cream stripes, 10 % blue (a sleeve reaching the border).
        const int m = 200;
        float[] red = new float[m + 2], green = new float[m + 2], blue = new float[m + 2];
        for (int i = 0; i < m; i++)
        {
            (red[i], green[i], blue[i]) = (i % 20) switch
            {
                < 9 => (0.6f, 0.3f, 0.2f),
                < 18 => (0.9f, 0.85f, 0.7f),
                _ => (0.1f, 0.2f, 0.8f),
            };
        }
        (red[m], green[m], blue[m]) = (0.62f, 0.31f, 0.2f);  // near the brown: background
        (red[m + 1], green[m + 1], blue[m + 1]) = (0.1f, 0.2f, 0.8f); // the sleeve's colour: stays far
        int[] band = Enumerable.Range(0, m).ToArray();
        Span<float> centres = stackalloc float[3 * 8];
        int kept = BackgroundPalette.Fit(red, green, blue, band, colours: 3, minShare: 0.15, centres);
        Assert.Equal(2, kept);
        float[] distance = [.. Enumerable.Repeat(1f, m + 2)];
        BackgroundPalette.LowerDistances(red, green, blue, centres[..(3 * kept)], distance);
        Assert.True(distance[0] < 0.01f && distance[9] < 0.01f, "both stripe colours are background");
        Assert.True(distance[m] < 0.03f);
        Assert.True(distance[m + 1] > 0.5f, "a colour holding 10 % of the band is not background");
        // Same input, same centres: deterministic.
        Span<float> again = stackalloc float[3 * 8];
        Assert.Equal(kept, BackgroundPalette.Fit(red, green, blue, band, 3, 0.15, again));
        Assert.True(centres[..(3 * kept)].SequenceEqual(again[..(3 * kept)]));
    }

    [Fact]
    public void Otsu_splits_two_clusters()
    {
        float[] values = [.. Enumerable.Repeat(0.1f, 50), .. Enumerable.Repeat(0.12f, 50), .. Enumerable.Repeat(0.8f, 40), .. Enumerable.Repeat(0.85f, 40)];
        float threshold = Thresholds.Otsu(values);
        Assert.InRange(threshold, 0.12f, 0.8f);
    }

    [Fact]
    public void Background_model_follows_a_gradient_and_ignores_the_garment()
    {
        const int w = 60, h = 40;
        float[] red = new float[w * h], green = new float[w * h], blue = new float[w * h];
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                float background = 0.5f + 0.3f * x / (w - 1);
                bool garment = x is >= 20 and < 40 && y < 30; // touches the top border, like a hanging sleeve
                int i = y * w + x;
                red[i] = garment ? 0.1f : background;
                green[i] = garment ? 0.2f : background;
                blue[i] = garment ? 0.6f : background;
            }
        var model = BackgroundModel.Fit([red, green, blue], w, h, band: 3);
        Assert.Equal(0.5f, model.Value(0, 0, 20), 2);
        Assert.Equal(0.8f, model.Value(0, w - 1, 20), 2);
        Assert.True(model.Distance([red, green, blue], 10 * w + 30) > 0.5f);
        Assert.True(model.Distance([red, green, blue], 35 * w + 5) < 0.02f);
    }
}
