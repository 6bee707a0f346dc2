using FashionMnist.Imaging;
using FashionMnist.Tests.Support;

namespace FashionMnist.Tests.Imaging;

public class FashionMnistHistogramTests
{
    [Fact]
    public void Quantile_table_ends_and_median()
    {
        Assert.Equal(6 / 255f, FashionMnistHistogram.At(0), 6);
        Assert.Equal(1f, FashionMnistHistogram.At(1), 6);
        Assert.Equal(170 / 255f, FashionMnistHistogram.At(0.5), 6);
        Assert.Equal((158 + 170) / 2f / 255f, FashionMnistHistogram.At(0.475), 5); // linear between 45 % and 50 %
    }

    [Fact]
    public void Table_matches_the_training_images()
    {
        // The median of the non-background pixels (> 5) of a real slice lies near the table's median (170).
        var values = TestData.Train.Take(2000).Pixels.Where(p => p > 5).Select(p => (int)p).Order().ToArray();
        Assert.InRange(values[values.Length / 2], 160, 180);
    }

    [Fact]
    public void Match_keeps_order_and_ties_and_spans_the_table()
    {
        float[] values = [0.3f, 0.1f, 0.3f, 0.9f, 0.5f];
        FashionMnistHistogram.Match(values);
        Assert.Equal(FashionMnistHistogram.At(0), values[1]);          // lowest → 0 %
        Assert.Equal(FashionMnistHistogram.At(1), values[3]);          // highest → 100 %
        Assert.Equal(values[0], values[2]);                           // ties share their mean rank (25 % + 50 %) / 2
        Assert.Equal(FashionMnistHistogram.At(0.375), values[0], 6);
        Assert.Equal(FashionMnistHistogram.At(0.75), values[4], 6);
    }

    [Fact]
    public void Pipeline_with_histogram_matching_has_fashion_mnist_like_garment_pixels()
    {
        RgbaImage photo = TestImages.PhotoOf(TestData.Test.Image(0), 200, 200, x0: 30, y0: 20, scale: 5, seed: 3);
        var prepared = new GarmentPipeline(new GarmentPipelineOptions { Intensity = IntensityMapping.MatchHistogram }).Prepare(photo);
        var inside = prepared.Pixels.Where(p => p > 5).Select(p => (int)p).Order().ToArray();
        Assert.True(inside.Length > 50);
        Assert.InRange(inside[inside.Length / 2], 130, 210);
    }
}
