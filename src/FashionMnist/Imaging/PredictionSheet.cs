using FashionMnist.Data;

namespace FashionMnist.Imaging;

/// <summary>
/// A picture of predictions for `fmnist predict --show`: per photo two title lines — the file name (shortened in the
/// middle when long) and the verdict (<see cref="PhotoVerdict"/>: green when confident, orange when likely, red when
/// uncertain) — over the photo (downscaled), the 28x28 input the model saw (upscaled, crisp pixels) and a bar per
/// class, the most probable in orange. Text is <see cref="BitmapFont"/>'s 5x7 mixed-case font.
/// </summary>
public static class PredictionSheet
{
    // Titles (file name and verdict) at twice the font's size; class names and percentages at its own size, so a
    // label (8 pixels) fits its bar's row (Cell / 10 = 11 pixels).
    private const int Cell = 112, Pad = 8, TitleScale = 2, LabelWidth = 12 * BitmapFont.Advance, BarWidth = 150;
    private static readonly (byte, byte, byte) Ink = (30, 30, 30), Bar = (70, 120, 200), Best = (235, 130, 30), Track = (228, 228, 228);

    /// <summary>Verdict colours: green, orange, red.</summary>
    internal static readonly IReadOnlyDictionary<VerdictConfidence, (byte R, byte G, byte B)> VerdictColors = new Dictionary<VerdictConfidence, (byte, byte, byte)>
    {
        [VerdictConfidence.Confident] = (20, 130, 60),
        [VerdictConfidence.Likely] = (200, 110, 0),
        [VerdictConfidence.Uncertain] = (200, 30, 30),
    };

    public sealed record Row(string Title, RgbaImage Photo, PhotoPrediction Prediction);

    /// <summary>Width of the sheet in pixels (the same for any rows).</summary>
    public static int Width => Pad + Cell + Pad + Cell + Pad + LabelWidth + BarWidth + 6 + BitmapFont.MeasureWidth("100%") + Pad;

    /// <summary>Height of one title line.</summary>
    public static int TitleLineHeight => BitmapFont.MeasureHeight(TitleScale) + 4;

    /// <summary>Height of a row's title: the file name and the verdict.</summary>
    public static int TitleHeight => 2 * TitleLineHeight + 2;

    /// <summary>Height of one photo's row, title included.</summary>
    public static int RowHeight => TitleHeight + Cell + Pad;

    public static RgbaImage Render(IReadOnlyList<Row> rows)
    {
        int width = Width, rowHeight = RowHeight;
        var sheet = new RgbaImage(width, Pad + rows.Count * rowHeight);
        sheet.Fill(0, 0, sheet.Width, sheet.Height, 255, 255, 255);
        int titleCharacters = (width - 2 * Pad) / (BitmapFont.Advance * TitleScale);
        for (int r = 0; r < rows.Count; r++)
        {
            int top = Pad + r * rowHeight;
            Row row = rows[r];
            var verdict = PhotoVerdict.Of(row.Prediction);
            BitmapFont.Draw(sheet, Shorten(row.Title, titleCharacters), Pad, top, Ink, TitleScale);
            BitmapFont.Draw(sheet, verdict.AsciiHeadline, Pad, top + TitleLineHeight, VerdictColors[verdict.Confidence], TitleScale);
            int y = top + TitleHeight;

            RgbaImage thumbnail = PhotoPlanes.From(row.Photo, Cell).ToRgba();
            sheet.Fill(Pad, y, Cell, Cell, 240, 240, 240);
            sheet.Draw(thumbnail, Pad + (Cell - thumbnail.Width) / 2, y + (Cell - thumbnail.Height) / 2);
            sheet.Draw(row.Prediction.Input.ToGray().ToRgba(Cell / ImageSet.Width), 2 * Pad + Cell, y);

            int best = verdict.Top.Label;
            int barsLeft = 3 * Pad + 2 * Cell;
            int step = Cell / FashionMnistClasses.Count;
            for (int c = 0; c < FashionMnistClasses.Count; c++)
            {
                int by = y + c * step + 1;
                float p = row.Prediction.Probabilities[c];
                BitmapFont.Draw(sheet, FashionMnistClasses.Name(c), barsLeft, by, Ink);
                sheet.Fill(barsLeft + LabelWidth, by, BarWidth, step - 2, Track.Item1, Track.Item2, Track.Item3);
                var color = c == best ? Best : Bar;
                sheet.Fill(barsLeft + LabelWidth, by, (int)Math.Round(BarWidth * Math.Clamp(p, 0, 1)), step - 2, color.Item1, color.Item2, color.Item3);
                BitmapFont.Draw(sheet, $"{p * 100:0}%", barsLeft + LabelWidth + BarWidth + 6, by, Ink);
            }
        }
        return sheet;
    }

    /// <summary>
    /// <paramref name="text"/> in at most <paramref name="maxCharacters"/> characters: long names lose their middle
    /// ("IMG_20240...rait.jpg"), so the start and the extension stay readable.
    /// </summary>
    public static string Shorten(string text, int maxCharacters)
    {
        if (text.Length <= maxCharacters) return text;
        if (maxCharacters <= 3) return text[..maxCharacters];
        int keep = maxCharacters - 3, tail = keep / 2, head = keep - tail;
        return text[..head] + "..." + text[^tail..];
    }
}
