namespace FashionMnist.Evaluation.Charts;

/// <summary>One named series of (x, y) points; <paramref name="Markers"/> draws its dots even when the chart draws none (e.g. a single marked point).</summary>
internal sealed record ChartSeries(string Name, IReadOnlyList<(double X, double Y)> Points, string? Color = null, bool Dashed = false, bool Markers = false);

/// <summary>Pixel box of a chart's plotting area.</summary>
internal readonly record struct PlotArea(double Left, double Top, double Width, double Height)
{
    public double Right => Left + Width;
    public double Bottom => Top + Height;
}

/// <summary>Drawing pieces every chart shares: title, axes with grid lines and tick labels, legend.</summary>
internal static class ChartParts
{
    public const string AxisColour = "#9ca3af";
    public const string GridColour = "#e5e7eb";
    public const string TextColour = "#374151";
    public const string MutedText = "#6b7280";

    public static void Title(Svg svg, string? title, double width)
    {
        if (!string.IsNullOrEmpty(title))
            svg.Text(16, 22, title, "start", "font-size=\"14\" font-weight=\"600\" class=\"chart-title\"", "#111827");
    }

    /// <summary>Horizontal grid lines and labels for a vertical value axis.</summary>
    public static void YAxis(Svg svg, PlotArea area, IScale scale, string? label)
    {
        foreach (double tick in scale.Ticks)
        {
            double y = scale.Map(tick);
            svg.Line(area.Left, y, area.Right, y, GridColour);
            svg.Text(area.Left - 6, y + 4, scale.Format(tick), "end", "class=\"tick\"", MutedText);
        }
        svg.Line(area.Left, area.Top, area.Left, area.Bottom, AxisColour);
        if (!string.IsNullOrEmpty(label))
        {
            double x = 14, y = area.Top + area.Height / 2;
            svg.Text(x, y, label, "middle", $"transform=\"rotate(-90 {Svg.N(x)} {Svg.N(y)})\" class=\"axis-label\"", TextColour);
        }
    }

    /// <summary>Vertical grid lines and labels for a horizontal value axis.</summary>
    public static void XAxis(Svg svg, PlotArea area, IScale scale, string? label, bool grid = true)
    {
        foreach (double tick in scale.Ticks)
        {
            double x = scale.Map(tick);
            if (grid) svg.Line(x, area.Top, x, area.Bottom, GridColour);
            svg.Line(x, area.Bottom, x, area.Bottom + 4, AxisColour);
            svg.Text(x, area.Bottom + 17, scale.Format(tick), "middle", "class=\"tick\"", MutedText);
        }
        svg.Line(area.Left, area.Bottom, area.Right, area.Bottom, AxisColour);
        if (!string.IsNullOrEmpty(label))
            svg.Text(area.Left + area.Width / 2, area.Bottom + 36, label, "middle", "class=\"axis-label\"", TextColour);
    }

    /// <summary>Colour swatches with names in one row, right-aligned at <paramref name="right"/>.</summary>
    public static void Legend(Svg svg, IReadOnlyList<(string Name, string Colour, bool Dashed)> entries, double right, double y)
    {
        if (entries.Count == 0) return;
        // Estimate widths (about 6.6 px per character at 12 px) to right-align without measuring text.
        double width = entries.Sum(e => 26 + e.Name.Length * 6.6 + 12);
        double x = Math.Max(8, right - width);
        svg.OpenGroup("class=\"legend\"");
        foreach (var (name, colour, dashed) in entries)
        {
            svg.Line(x, y - 4, x + 18, y - 4, colour, 3, dashed ? "stroke-dasharray=\"5 3\"" : null);
            svg.Text(x + 24, y, name, "start", null, TextColour);
            x += 26 + name.Length * 6.6 + 12;
        }
        svg.CloseGroup();
    }

    public static (double Min, double Max) Extent(IEnumerable<double> values, bool includeZero = false)
    {
        double min = double.PositiveInfinity, max = double.NegativeInfinity;
        foreach (double v in values)
        {
            if (!double.IsFinite(v)) continue;
            min = Math.Min(min, v);
            max = Math.Max(max, v);
        }
        if (double.IsPositiveInfinity(min)) (min, max) = (0, 1);
        if (includeZero) { min = Math.Min(0, min); max = Math.Max(0, max); }
        return (min, max);
    }

    /// <summary>Shortens a label to <paramref name="max"/> characters with an ellipsis.</summary>
    public static string Clip(string text, int max) => text.Length <= max ? text : text[..(max - 1)] + "…";
}
