using FashionMnist.Data;

namespace FashionMnist.Imaging;

/// <summary>
/// A labelled grid of sample images, one row per class like Zalando's sprite: the class name on the left,
/// then <c>perClass</c> images of that class, each upscaled (nearest neighbour) for readability. Grayscale.
/// </summary>
public static class SampleSheet
{
    private const byte Background = 48, TextColor = 255;
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

    /// <summary>Renders the grid; returns grayscale pixels and the image size.</summary>
    public static (byte[] Pixels, int Width, int Height) Render(ImageSet set, int perClass, int? seed, int scale, string title)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(scale, 1);
        int[][] rows = Pick(set, perClass, seed);
        int cell = ImageSet.Width * scale;
        int labelWidth = FashionMnistClasses.Names.Max(n => BitmapFont.MeasureWidth(n, FontScale)) + 2 * Margin;
        int titleHeight = BitmapFont.MeasureHeight(FontScale) + 2 * Margin;
        int width = Math.Max(labelWidth + perClass * (cell + Gap) - Gap + Margin, BitmapFont.MeasureWidth(title, FontScale) + 2 * Margin);
        int height = titleHeight + rows.Length * (cell + Gap) - Gap + Margin;
        var pixels = new byte[width * height];
        pixels.AsSpan().Fill(Background);
        ReadOnlySpan<byte> text = [TextColor];
        BitmapFont.Draw(pixels, width, height, Margin, Margin, title, text, FontScale);

        for (int c = 0; c < rows.Length; c++)
        {
            int top = titleHeight + c * (cell + Gap);
            BitmapFont.Draw(pixels, width, height, Margin, top + (cell - BitmapFont.MeasureHeight(FontScale)) / 2,
                FashionMnistClasses.Name(c), text, FontScale);
            for (int k = 0; k < rows[c].Length; k++)
                Blit(set.Image(rows[c][k]), pixels, width, labelWidth + k * (cell + Gap), top, scale);
        }
        return (pixels, width, height);
    }

    /// <summary>Copies a 28x28 image into the sheet at (left, top), each pixel as a scale x scale block.</summary>
    private static void Blit(ReadOnlySpan<byte> image, Span<byte> sheet, int sheetWidth, int left, int top, int scale)
    {
        for (int y = 0; y < ImageSet.Height; y++)
        {
            ReadOnlySpan<byte> source = image.Slice(y * ImageSet.Width, ImageSet.Width);
            Span<byte> target = sheet.Slice((top + y * scale) * sheetWidth + left, ImageSet.Width * scale);
            for (int x = 0; x < ImageSet.Width; x++) target.Slice(x * scale, scale).Fill(source[x]);
            for (int dy = 1; dy < scale; dy++)
                target.CopyTo(sheet.Slice((top + y * scale + dy) * sheetWidth + left, target.Length));
        }
    }
}
