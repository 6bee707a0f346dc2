using FashionMnist.Imaging;

namespace FashionMnist.Tests.Imaging;

/// <summary>The solidity test on the kept garment mask and its fallbacks (GarmentPipelineOptions.MinSolidity, issue 16).</summary>
public class FragmentedMaskTests
{
    private static BinaryMask Squares()
    {
        // Two 10x10 squares 20 px apart in a 50x12 mask: hull 40x10, area 200.
        var mask = new BinaryMask(50, 12);
        for (int y = 1; y < 11; y++)
            for (int x = 0; x < 10; x++)
            {
                mask.Bits[y * 50 + 5 + x] = 1;
                mask.Bits[y * 50 + 35 + x] = 1;
            }
        return mask;
    }

    [Fact]
    public void Shape_of_a_solid_rectangle_and_of_two_squares_apart()
    {
        var solid = new BinaryMask(30, 30);
        for (int y = 5; y < 25; y++)
            for (int x = 10; x < 20; x++) solid.Bits[y * 30 + x] = 1;
        Assert.Equal(new MaskShape(200, 1.0, 1.0), MaskShape.Of(solid));
        Assert.Equal(new MaskShape(200, 0.5, 0.5), MaskShape.Of(Squares()));
        Assert.Equal(new MaskShape(0, 0, 0), MaskShape.Of(new BinaryMask(8, 8)));

        // A right triangle of pixels (row y has y + 1 pixels): the hull of the squares is the staircase's outer corners.
        var triangle = new BinaryMask(10, 10);
        for (int y = 0; y < 10; y++)
            for (int x = 0; x <= y; x++) triangle.Bits[y * 10 + x] = 1;
        MaskShape shape = MaskShape.Of(triangle);
        Assert.Equal(55, shape.Area);
        Assert.Equal(55 / 59.5, shape.Solidity, 9); // hull (0,0), (1,0), (10,9), (10,10), (0,10): the square less a 9x9 half
        Assert.Equal(55 / 100.0, shape.BoxFill, 9);
    }

    [Fact]
    public void Filled_hull_of_two_squares_is_the_rectangle_spanning_them()
    {
        BinaryMask hull = MaskShape.FilledHull(Squares());
        var expected = new BinaryMask(50, 12);
        for (int y = 1; y < 11; y++)
            for (int x = 5; x < 45; x++) expected.Bits[y * 50 + x] = 1;
        Assert.Equal(expected.Bits, hull.Bits);
    }

    /// <summary>
    /// A 150x160 garment of three dark vertical bands 30 px wide on a light floor, with the two 30 px gaps between them in
    /// a paler shade (a light pattern between darker parts, or the floor between trouser legs): at the pipeline's threshold
    /// only the bands stand out, three strips whose hull is half empty.
    /// </summary>
    private static RgbaImage Banded()
    {
        var photo = new RgbaImage(256, 256);
        photo.Fill(0, 0, 256, 256, 230, 228, 222);
        photo.Fill(50, 40, 150, 160, 170, 168, 162); // the paler shade under everything
        for (int band = 0; band < 3; band++) photo.Fill(50 + 60 * band, 40, 30, 160, 40, 40, 110);
        return photo;
    }

    [Fact]
    public void A_banded_garment_is_doubtful_and_each_fallback_makes_it_solid()
    {
        RgbaImage photo = Banded();
        PreparedPhoto plain = new GarmentPipeline(new GarmentPipelineOptions { MinSolidity = 0 }).Prepare(photo, keepStages: true);
        Assert.DoesNotContain("solidity", plain.Notes); // the test off: not even measured
        // Off, the mask is the three bands: the middle of each gap is background.
        var plainMask = plain.Stages.Single(s => s.Name == "4-garment-mask").Image;
        foreach (int x in new[] { 95, 155 }) Assert.Equal(0, plainMask.Pixels[4 * (120 * plainMask.Width + x)]);
        foreach (FragmentFallback fallback in Enum.GetValues<FragmentFallback>())
        {
            var options = new GarmentPipelineOptions { MinSolidity = 0.75, FragmentFallback = fallback, FallbackThresholdFactor = 0.4 };
            PreparedPhoto prepared = new GarmentPipeline(options).Prepare(photo, keepStages: true);
            Assert.Contains($"doubtful mask: used the {fallback} fallback", prepared.Notes);
            // The kept mask is one solid region now: the gaps between the bands are garment.
            var mask = prepared.Stages.Single(s => s.Name == "4-garment-mask").Image;
            int row = 120 * mask.Width;
            for (int x = 55; x < 195; x++) Assert.True(mask.Pixels[4 * (row + x)] > 0, $"{fallback}: x = {x} is not in the mask");
            Assert.NotEqual(plain.Pixels, prepared.Pixels);
        }
        // The defaults have the test on, with the lower threshold as the fallback.
        Assert.Contains("doubtful mask: used the LowerThreshold fallback", new GarmentPipeline().Prepare(photo).Notes);
    }

    [Fact]
    public void A_solid_garment_is_not_doubtful_and_stays_bit_identical()
    {
        foreach (string name in TestImages.FixturePhotos)
        {
            RgbaImage photo = ImageCodec.DecodeFile(TestImages.FixturePath(name));
            PreparedPhoto plain = new GarmentPipeline(new GarmentPipelineOptions { MinSolidity = 0 }).Prepare(photo);
            PreparedPhoto checkedOnce = new GarmentPipeline(new GarmentPipelineOptions { MinSolidity = 0.75 }).Prepare(photo);
            Assert.DoesNotContain("doubtful", checkedOnce.Notes);
            Assert.Equal(plain.Pixels, checkedOnce.Pixels);
        }
    }

    [Fact]
    public void A_fallback_no_more_solid_is_not_taken()
    {
        // Two separate squares far apart: a closing of the usual size (factor 1) gives the same two squares back.
        var photo = new RgbaImage(256, 256);
        photo.Fill(0, 0, 256, 256, 230, 228, 222);
        photo.Fill(30, 90, 60, 60, 40, 40, 110);
        photo.Fill(166, 90, 60, 60, 40, 40, 110);
        PreparedPhoto plain = new GarmentPipeline(new GarmentPipelineOptions { MinSolidity = 0 }).Prepare(photo);
        var options = new GarmentPipelineOptions { MinSolidity = 0.75, FragmentFallback = FragmentFallback.Closing, FallbackClosingFactor = 1 };
        PreparedPhoto prepared = new GarmentPipeline(options).Prepare(photo);
        Assert.Contains("doubtful mask; the Closing fallback was no more solid", prepared.Notes);
        Assert.Equal(plain.Pixels, prepared.Pixels);
    }
}
