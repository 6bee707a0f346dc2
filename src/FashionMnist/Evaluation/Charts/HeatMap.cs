namespace FashionMnist.Evaluation.Charts;

/// <summary>
/// A matrix as coloured cells (viridis): per-class F1 across models, confusion matrices (colour = share of
/// the row, text = count), or a 28×28 image such as feature importances (<see cref="ShowValues"/> off, no labels).
/// </summary>
internal sealed class HeatMap
{
    public string? Title { get; init; }
    public required double[][] Values { get; init; }
    public IReadOnlyList<string>? RowLabels { get; init; }
    public IReadOnlyList<string>? ColumnLabels { get; init; }
    public string? RowAxisLabel { get; init; }
    public string? ColumnAxisLabel { get; init; }

    /// <summary>Text in each cell (e.g. counts); null writes the value itself when <see cref="ShowValues"/> is on.</summary>
    public string[][]? CellText { get; init; }
    public bool ShowValues { get; init; } = true;

    /// <summary>Tooltip of a cell (row, column) → text; null makes one from labels and value.</summary>
    public Func<int, int, string>? Tooltip { get; init; }

    /// <summary>Colour range; null spans the data.</summary>
    public double? Min { get; init; }
    public double? Max { get; init; }

    public double CellSize { get; init; } = 40;

    /// <summary>Cells whose outline is emphasised (e.g. the most confused pairs).</summary>
    public IReadOnlyList<(int Row, int Column)> Highlight { get; init; } = [];

    public Func<double, string> FormatValue { get; init; } = v => v.ToString("0.00", CultureInfo.InvariantCulture);

    public bool ColorBar { get; init; } = true;

    public string ToSvg()
    {
        int rows = Values.Length, columns = rows == 0 ? 0 : Values[0].Length;
        double rowLabelWidth = RowLabels is null ? 0 : 14 + RowLabels.Max(l => l.Length) * 6.6 + (RowAxisLabel is null ? 0 : 18);
        double columnLabelHeight = ColumnLabels is null ? 0 : 12 + Math.Min(ColumnLabels.Max(l => l.Length) * 5.2, 90) + (ColumnAxisLabel is null ? 0 : 18);
        double top = (Title is null ? 8 : 34) + columnLabelHeight;
        double left = 8 + rowLabelWidth;
        double barWidth = ColorBar ? 64 : 0;
        // Column labels lean right at 50 degrees: leave room for the last one to end inside the picture.
        double labelOverhang = ColumnLabels is null ? 0 : Math.Max(0, Math.Min(ColumnLabels[^1].Length, 16) * 6.6 * Math.Cos(50 * Math.PI / 180) - CellSize / 2);
        double width = left + columns * CellSize + 12 + Math.Max(barWidth, labelOverhang);
        double height = top + rows * CellSize + 12;
        var svg = new Svg(width, height, Title);
        ChartParts.Title(svg, Title, width);
        var (dataMin, dataMax) = ChartParts.Extent(Values.SelectMany(r => r));
        double min = Min ?? dataMin, max = Max ?? dataMax;
        double T(double v) => max == min ? 0.5 : (v - min) / (max - min);

        if (ColumnLabels is not null)
        {
            for (int c = 0; c < columns; c++)
            {
                double x = left + c * CellSize + CellSize / 2 + 4, y = top - 6;
                svg.Text(x, y, ChartParts.Clip(ColumnLabels[c], 16), "start", $"transform=\"rotate(-50 {Svg.N(x)} {Svg.N(y)})\" font-size=\"11\"", ChartParts.TextColour);
            }
            if (ColumnAxisLabel is not null)
                svg.Text(left + columns * CellSize / 2, (Title is null ? 8 : 34) + 10, ColumnAxisLabel, "middle", "font-weight=\"600\" font-size=\"11\"", ChartParts.MutedText);
        }
        if (RowLabels is not null)
        {
            for (int r = 0; r < rows; r++)
                svg.Text(left - 6, top + r * CellSize + CellSize / 2 + 4, RowLabels[r], "end", "font-size=\"11\"", ChartParts.TextColour);
            if (RowAxisLabel is not null)
            {
                double x = 14, y = top + rows * CellSize / 2;
                svg.Text(x, y, RowAxisLabel, "middle", $"transform=\"rotate(-90 {Svg.N(x)} {Svg.N(y)})\" font-weight=\"600\" font-size=\"11\"", ChartParts.MutedText);
            }
        }

        svg.OpenGroup("class=\"cells\" shape-rendering=\"crispEdges\"");
        for (int r = 0; r < rows; r++)
        {
            for (int c = 0; c < columns; c++)
            {
                double value = Values[r][c], t = T(value);
                double x = left + c * CellSize, y = top + r * CellSize;
                string tip = Tooltip?.Invoke(r, c)
                    ?? $"{RowLabels?[r] ?? $"row {r}"} · {ColumnLabels?[c] ?? $"column {c}"}: {FormatValue(value)}";
                svg.Rect(x, y, CellSize + (ShowValues ? 0 : 0.5), CellSize + (ShowValues ? 0 : 0.5), Palette.Viridis(t), tip,
                    ShowValues ? "stroke=\"#fff\" stroke-width=\"1\"" : null);
                string? text = CellText?[r][c] ?? (ShowValues ? FormatValue(value) : null);
                if (!string.IsNullOrEmpty(text) && CellSize >= 18)
                    svg.Text(x + CellSize / 2, y + CellSize / 2 + 4, text, "middle",
                        $"font-size=\"{Svg.N(Math.Min(12, CellSize / 3.4))}\" pointer-events=\"none\"", Palette.TextOnViridis(t));
            }
        }
        svg.CloseGroup();
        foreach (var (r, c) in Highlight)
            svg.Rect(left + c * CellSize + 1.5, top + r * CellSize + 1.5, CellSize - 3, CellSize - 3, "none", null,
                "stroke=\"#D55E00\" stroke-width=\"3\" rx=\"3\" class=\"highlight\"");

        if (ColorBar)
        {
            double bx = left + columns * CellSize + 16, bh = Math.Max(60, rows * CellSize), steps = 24;
            for (int i = 0; i < steps; i++)
                svg.Rect(bx, top + bh - (i + 1) * bh / steps, 12, bh / steps + 0.5, Palette.Viridis(i / (steps - 1)), null, "shape-rendering=\"crispEdges\"");
            svg.Text(bx + 16, top + 10, FormatValue(max), "start", "font-size=\"10\"", ChartParts.MutedText);
            svg.Text(bx + 16, top + bh, FormatValue(min), "start", "font-size=\"10\"", ChartParts.MutedText);
        }
        return svg.ToString();
    }
}
