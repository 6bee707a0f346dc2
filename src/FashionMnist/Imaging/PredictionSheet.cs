using FashionMnist.Data;

namespace FashionMnist.Imaging;

/// <summary>
/// A picture of predictions for `fmnist predict --show`: one row per photo with the photo (downscaled), the 28x28
/// input the model saw (upscaled, crisp pixels) and a bar per class, the most probable in orange.
/// </summary>
public static class PredictionSheet
{
    // Titles (file names) at twice the font's size; class names and percentages at its own size, so a label (8 pixels)
    // fits its bar's row (Cell / 10 = 11 pixels).
    private const int Cell = 112, Pad = 8, TitleScale = 2, LabelWidth = 12 * BitmapFont.Advance, BarWidth = 150;
    private static readonly (byte, byte, byte) Ink = (30, 30, 30), Bar = (70, 120, 200), Best = (235, 130, 30), Track = (228, 228, 228);

    public sealed record Row(string Title, RgbaImage Photo, PhotoPrediction Prediction);

    public static RgbaImage Render(IReadOnlyList<Row> rows)
    {
        int titleHeight = BitmapFont.MeasureHeight(TitleScale) + 6;
        int rowHeight = titleHeight + Cell + Pad;
        int width = Pad + Cell + Pad + Cell + Pad + LabelWidth + BarWidth + 6 + BitmapFont.MeasureWidth("100%") + Pad;
        var sheet = new RgbaImage(width, Pad + rows.Count * rowHeight);
        sheet.Fill(0, 0, sheet.Width, sheet.Height, 255, 255, 255);
        for (int r = 0; r < rows.Count; r++)
        {
            int top = Pad + r * rowHeight;
            Row row = rows[r];
            BitmapFont.Draw(sheet, Shorten(row.Title, (width - 2 * Pad) / (BitmapFont.Advance * TitleScale)), Pad, top, Ink, TitleScale);
            int y = top + titleHeight;

            RgbaImage thumbnail = PhotoPlanes.From(row.Photo, Cell).ToRgba();
            sheet.Fill(Pad, y, Cell, Cell, 240, 240, 240);
            sheet.Draw(thumbnail, Pad + (Cell - thumbnail.Width) / 2, y + (Cell - thumbnail.Height) / 2);
            sheet.Draw(row.Prediction.Input.ToGray().ToRgba(Cell / ImageSet.Width), 2 * Pad + Cell, y);

            int best = row.Prediction.Top(1)[0].Label;
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

    private static string Shorten(string text, int maxCharacters) =>
        text.Length <= maxCharacters ? text : "..." + text[^(maxCharacters - 3)..];
}
