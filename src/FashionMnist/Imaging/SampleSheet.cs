using FashionMnist.Data;

namespace FashionMnist.Imaging;

/// <summary>
/// A labelled grid of sample images, one row per class like Zalando's sprite: the class name on the left,
/// then <c>perClass</c> images of that class, each upscaled (nearest neighbour) for readability. Gray on RGBA.
/// </summary>
public static class SampleSheet
{
    private const byte Background = 48;
    private static readonly (byte, byte, byte) TextColor = (255, 255, 255);
    private const int Margin = 8, Gap = 2, FontScale = 2;

    /// <summary>
    /// The indices shown for each class: the first <paramref name="perClass"/> in file order, or, with a seed,
    /// a seeded random choice. A class with fewer images shows all it has.
    /// </summary>
    public static int[][] Pick(ImageSet set, int perClass, int? seed)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(perClass, 1);
        int[] order = seed is int s ? Splits.Permutation(set.Count, s) : Enumerable.Range(0, set.Count).ToArray();
        var picked = new List<int>[FashionMnistClasses.Count];
        for (int c = 0; c < picked.Length; c++) picked[c] = new List<int>(perClass);
        foreach (int index in order)
        {
            var row = picked[set.Labels[index]];
            if (row.Count < perClass) row.Add(index);
        }
        return picked.Select(row => row.ToArray()).ToArray();
    }

    /// <summary>Renders the grid.</summary>
    public static RgbaImage Render(ImageSet set, int perClass, int? seed, int scale, string title)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(scale, 1);
        int[][] rows = Pick(set, perClass, seed);
        int cell = ImageSet.Width * scale;
        int labelWidth = FashionMnistClasses.Names.Max(n => BitmapFont.MeasureWidth(n, FontScale)) + 2 * Margin;
        int titleHeight = BitmapFont.MeasureHeight(FontScale) + 2 * Margin;
        int width = Math.Max(labelWidth + perClass * (cell + Gap) - Gap + Margin, BitmapFont.MeasureWidth(title, FontScale) + 2 * Margin);
        int height = titleHeight + rows.Length * (cell + Gap) - Gap + Margin;
        var sheet = new RgbaImage(width, height);
        sheet.Fill(0, 0, width, height, Background, Background, Background);
        BitmapFont.Draw(sheet, title, Margin, Margin, TextColor, FontScale);

        for (int c = 0; c < rows.Length; c++)
        {
            int top = titleHeight + c * (cell + Gap);
            BitmapFont.Draw(sheet, FashionMnistClasses.Name(c), Margin, top + (cell - BitmapFont.MeasureHeight(FontScale)) / 2,
                TextColor, FontScale);
            for (int k = 0; k < rows[c].Length; k++)
                Blit(set.Image(rows[c][k]), sheet, labelWidth + k * (cell + Gap), top, scale);
        }
        return sheet;
    }

    /// <summary>Copies a 28x28 image into the sheet at (left, top), each pixel as a scale x scale block.</summary>
    private static void Blit(ReadOnlySpan<byte> image, RgbaImage sheet, int left, int top, int scale)
    {
        for (int y = 0; y < ImageSet.Height; y++)
            for (int x = 0; x < ImageSet.Width; x++)
            {
                byte v = image[y * ImageSet.Width + x];
                sheet.Fill(left + x * scale, top + y * scale, scale, scale, v, v, v);
            }
    }
}
