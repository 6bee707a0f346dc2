using FashionMnist.Imaging;
using FashionMnist.Tests.Support;

namespace FashionMnist.Tests.Imaging;

public sealed class SampleSheetTests
{
    [Fact]
    public void Picks_the_first_images_of_each_class_or_a_seeded_choice()
    {
        var set = TestData.Train.Take(2_000);
        int[][] first = SampleSheet.Pick(set, 5, seed: null);
        for (int c = 0; c < 10; c++)
        {
            Assert.Equal(5, first[c].Length);
            Assert.All(first[c], i => Assert.Equal(c, set.Labels[i]));
            int[] expected = Enumerable.Range(0, set.Count).Where(i => set.Labels[i] == c).Take(5).ToArray();
            Assert.Equal(expected, first[c]);
        }
        int[][] seeded = SampleSheet.Pick(set, 5, seed: 3);
        Assert.Equal(seeded, SampleSheet.Pick(set, 5, seed: 3));
        Assert.NotEqual(first, seeded);
        Assert.All(Enumerable.Range(0, 10), c => Assert.All(seeded[c], i => Assert.Equal(c, set.Labels[i])));
    }

    [Fact]
    public void Renders_images_upscaled_in_rows_with_labels()
    {
        var set = TestData.Test.Take(500);
        RgbaImage sheet = SampleSheet.Render(set, 4, seed: null, scale: 3, title: "t");
        int width = sheet.Width, height = sheet.Height;
        // Gray: every pixel has R = G = B and is opaque.
        for (int i = 0; i < sheet.Pixels.Length; i += 4)
            Assert.True(sheet.Pixels[i] == sheet.Pixels[i + 1] && sheet.Pixels[i] == sheet.Pixels[i + 2] && sheet.Pixels[i + 3] == 255);
        byte Gray(int x, int y) => sheet.Pixels[(y * width + x) * 4];
        int[][] picked = SampleSheet.Pick(set, 4, null);
        // Find where the first image of row 0 starts by matching its upscaled top-left 3x3 block.
        // The layout: title band, then rows of 84-pixel cells; check one full image of row 2 exactly.
        int cell = 28 * 3;
        int matches = 0;
        ReadOnlySpan<byte> image = set.Image(picked[2][1]);
        for (int top = 0; top + cell <= height && matches == 0; top++)
            for (int left = 0; left + cell <= width && matches == 0; left++)
            {
                bool same = true;
                for (int y = 0; y < cell && same; y++)
                    for (int x = 0; x < cell && same; x++)
                        same = Gray(left + x, top + y) == image[(y / 3) * 28 + x / 3];
                if (same) matches++;
            }
        Assert.Equal(1, matches);
        // Label column has white text pixels.
        Assert.Contains((byte)255, Enumerable.Range(0, height).SelectMany(y => Enumerable.Range(0, 20).Select(x => Gray(x, y))));
    }
}
