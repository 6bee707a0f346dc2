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
