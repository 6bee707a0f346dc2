using FashionMnist.Data;

namespace FashionMnist.Imaging;

/// <summary>
/// A picture of predictions for `fmnist predict --show`: per photo a title line — the file name (shortened in the
/// middle when long) and the verdict (<see cref="PhotoVerdict"/>, green when confident, orange when likely, red when
/// uncertain) — over the photo (downscaled), the 28x28 input the model saw (upscaled, crisp pixels) and a bar per class,
/// the most probable in orange. Text is <see cref="BitmapFont"/>'s 5x7 mixed-case font at twice its size.
/// </summary>
public static class PredictionSheet
{
    private const int TextScale = 2, Cell = 28 * 6, Pad = 8, BarWidth = 150, Gap = 6;
    private static readonly int ClassRow = Cell / FashionMnistClasses.Count;
    private static readonly int LabelWidth = FashionMnistClasses.Names.Max(n => BitmapFont.MeasureWidth(n, TextScale)) + Gap;
    private static readonly int PercentWidth = BitmapFont.MeasureWidth("100%", TextScale);
    private static readonly byte[] Ink = [30, 30, 30, 255], Bar = [70, 120, 200, 255], Best = [235, 130, 30, 255], Track = [228, 228, 228, 255];

    /// <summary>Verdict colours: green, orange, red.</summary>
    internal static readonly IReadOnlyDictionary<VerdictConfidence, byte[]> VerdictColors = new Dictionary<VerdictConfidence, byte[]>
    {
        [VerdictConfidence.Confident] = [20, 130, 60, 255],
        [VerdictConfidence.Likely] = [200, 110, 0, 255],
        [VerdictConfidence.Uncertain] = [200, 30, 30, 255],
    };

    public sealed record Row(string Title, RgbaImage Photo, PhotoPrediction Prediction);

    /// <summary>Width of the sheet in pixels (the same for any rows).</summary>
    public static int Width => Pad + Cell + Pad + Cell + Pad + LabelWidth + BarWidth + Gap + PercentWidth + Pad;

    private static int TitleHeight => BitmapFont.MeasureHeight(TextScale) + Gap;

    /// <summary>Height of one photo's row, title included.</summary>
    public static int RowHeight => TitleHeight + Cell + Pad;

    public static RgbaImage Render(IReadOnlyList<Row> rows)
    {
        var sheet = new RgbaImage(Width, Pad + rows.Count * RowHeight);
        sheet.Fill(0, 0, sheet.Width, sheet.Height, 255, 255, 255);
        int characters = (Width - 2 * Pad) / (BitmapFont.Advance * TextScale);
        for (int r = 0; r < rows.Count; r++)
        {
            int top = Pad + r * RowHeight;
            Row row = rows[r];
            var verdict = PhotoVerdict.Of(row.Prediction);
            string headline = verdict.AsciiHeadline;
            string title = Shorten(row.Title, Math.Max(8, characters - headline.Length - 2));
            Text(sheet, title, Pad, top, Ink);
            Text(sheet, headline, Pad + BitmapFont.MeasureWidth(title + "  ", TextScale), top, VerdictColors[verdict.Confidence]);
            int y = top + TitleHeight;

            RgbaImage thumbnail = PhotoPlanes.From(row.Photo, Cell).ToRgba();
            sheet.Fill(Pad, y, Cell, Cell, 240, 240, 240);
            sheet.Draw(thumbnail, Pad + (Cell - thumbnail.Width) / 2, y + (Cell - thumbnail.Height) / 2);
            sheet.Draw(row.Prediction.Input.ToGray().ToRgba(Cell / ImageSet.Width), 2 * Pad + Cell, y);

            int best = verdict.Top.Label;
            int barsLeft = 3 * Pad + 2 * Cell;
            for (int c = 0; c < FashionMnistClasses.Count; c++)
            {
                int by = y + c * ClassRow;
                float p = row.Prediction.Probabilities[c];
                Text(sheet, FashionMnistClasses.Name(c), barsLeft, by, Ink);
                Fill(sheet, barsLeft + LabelWidth, by + 1, BarWidth, ClassRow - 3, Track);
                Fill(sheet, barsLeft + LabelWidth, by + 1, (int)Math.Round(BarWidth * Math.Clamp(p, 0, 1)), ClassRow - 3, c == best ? Best : Bar);
                Text(sheet, $"{p * 100:0}%", barsLeft + LabelWidth + BarWidth + Gap, by, Ink);
            }
        }
        return sheet;
    }

    /// <summary>
    /// <paramref name="text"/> in at most <paramref name="maxCharacters"/> characters: long names lose their middle
    /// ("IMG_2024...0412.jpg"), so the start and the extension stay readable.
    /// </summary>
    public static string Shorten(string text, int maxCharacters)
    {
        if (text.Length <= maxCharacters) return text;
        if (maxCharacters <= 3) return text[..maxCharacters];
        int keep = maxCharacters - 3, tail = keep / 2, head = keep - tail;
        return text[..head] + "..." + text[^tail..];
    }

    private static void Text(RgbaImage sheet, string text, int x, int y, byte[] color) =>
        BitmapFont.Draw(sheet.Pixels, sheet.Width, sheet.Height, x, y, text, color, TextScale);

    private static void Fill(RgbaImage sheet, int x, int y, int width, int height, byte[] color) =>
        sheet.Fill(x, y, width, height, color[0], color[1], color[2]);
}
