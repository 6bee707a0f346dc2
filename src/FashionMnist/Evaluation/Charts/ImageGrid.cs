namespace FashionMnist.Evaluation.Charts;

/// <summary>One 28×28 image with a caption of up to two lines.</summary>
internal sealed record GridImage(byte[] Pixels, string Caption, string? SecondLine = null, string? Tooltip = null);

/// <summary>
/// A grid of grayscale images drawn as SVG (no image encoder needed): pixels are quantised to 32 grey
/// levels, equal neighbours in a row merge into one run, and each level is one path, which keeps a 28×28
/// image to a few kilobytes. Dark ink on white, as the clothes are usually pictured.
/// </summary>
internal sealed class ImageGrid
{
    public string? Title { get; init; }
    public required IReadOnlyList<GridImage> Images { get; init; }
    public int Columns { get; init; } = 8;
    public int Side { get; init; } = 28;

    /// <summary>Screen pixels per image pixel.</summary>
    public double Scale { get; init; } = 3;

    public string ToSvg()
    {
        int columns = Math.Max(1, Math.Min(Columns, Math.Max(1, Images.Count)));
        int rows = (Images.Count + columns - 1) / columns;
        double image = Side * Scale, cellWidth = Math.Max(image, 96) + 12, cellHeight = image + 40;
        double top = Title is null ? 8 : 34;
        var svg = new Svg(columns * cellWidth + 8, top + rows * cellHeight + 4, Title);
        ChartParts.Title(svg, Title, columns * cellWidth);
        for (int i = 0; i < Images.Count; i++)
        {
            var item = Images[i];
            double x = 8 + (i % columns) * cellWidth + (cellWidth - 12 - image) / 2, y = top + (i / columns) * cellHeight;
            svg.OpenGroup("class=\"grid-image\"", item.Tooltip ?? item.Caption);
            svg.Raw(Pixels(item.Pixels, x, y));
            svg.Rect(x, y, image, image, "none", null, "stroke=\"#d1d5db\"");
            double cx = x + image / 2;
            svg.Text(cx, y + image + 14, ChartParts.Clip(item.Caption, 18), "middle", "font-size=\"11\"", ChartParts.TextColour);
            if (item.SecondLine is not null)
                svg.Text(cx, y + image + 28, ChartParts.Clip(item.SecondLine, 18), "middle", "font-size=\"11\" font-weight=\"600\"", "#D55E00");
            svg.CloseGroup();
        }
        return svg.ToString();
    }

    /// <summary>The image as merged grey rectangles on a white square.</summary>
    public string Pixels(ReadOnlySpan<byte> pixels, double x, double y) => PixelRects(pixels, Side, x, y, Scale);

    public static string PixelRects(ReadOnlySpan<byte> pixels, int side, double x, double y, double scale)
    {
        if (pixels.Length != side * side) throw new ArgumentException($"Expected {side * side} pixels, got {pixels.Length}.", nameof(pixels));
        // One path per grey level, in image-pixel units under a scale transform: a run of equal pixels costs
        // ~15 bytes ("M3 7h5v1h-5z") instead of a whole <rect>, which keeps a gallery of 100 images small.
        var paths = new System.Text.StringBuilder[32];
        for (int row = 0; row < side; row++)
        {
            int column = 0;
            while (column < side)
            {
                int level = pixels[row * side + column] >> 3; // 32 levels
                int end = column + 1;
                while (end < side && pixels[row * side + end] >> 3 == level) end++;
                if (level > 0)
                    (paths[level] ??= new System.Text.StringBuilder()).Append('M').Append(column).Append(' ').Append(row)
                        .Append('h').Append(end - column).Append("v1h-").Append(end - column).Append('z');
                column = end;
            }
        }
        var markup = new System.Text.StringBuilder();
        markup.Append("<g shape-rendering=\"crispEdges\" transform=\"translate(").Append(Svg.N(x)).Append(' ').Append(Svg.N(y))
            .Append(") scale(").Append(Svg.N(scale)).Append(")\">");
        markup.Append("<rect width=\"").Append(side).Append("\" height=\"").Append(side).Append("\" fill=\"#ffffff\"/>");
        for (int level = 1; level < paths.Length; level++)
            if (paths[level] is { } d)
                markup.Append("<path fill=\"").Append(Palette.Grey((byte)(level * 255 / 31))).Append("\" d=\"").Append(d).Append("\"/>");
        markup.Append("</g>");
        return markup.ToString();
    }
}
