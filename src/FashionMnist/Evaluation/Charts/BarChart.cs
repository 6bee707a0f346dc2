namespace FashionMnist.Evaluation.Charts;

/// <summary>
/// Grouped bars: one group per category, one bar per series. Vertical by default; <see cref="Horizontal"/>
/// puts categories down the side (better for long names or many categories).
/// </summary>
internal sealed class BarChart
{
    public string? Title { get; init; }
    public required IReadOnlyList<string> Categories { get; init; }

    /// <summary>Series name → one value per category.</summary>
    public required IReadOnlyList<(string Name, IReadOnlyList<double> Values)> Series { get; init; }

    public string? ValueLabel { get; init; }
    public bool Horizontal { get; init; }
    public double Width { get; init; } = 640;
    public double? Height { get; init; }

    /// <summary>Formats a value for tooltips and bar-end labels.</summary>
    public Func<double, string> FormatValue { get; init; } = v => v.ToString("0.####", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Value axis starts at zero unless this is set (e.g. accuracy bars from 0.8).</summary>
    public double? ValueMin { get; init; }

    public string ToSvg()
    {
        int groups = Categories.Count, perGroup = Math.Max(1, Series.Count);
        double height = Height ?? (Horizontal ? 70 + groups * (perGroup * 14 + 10) : 320);
        var svg = new Svg(Width, height, Title);
        ChartParts.Title(svg, Title, Width);
        bool legend = Series.Count > 1;
        double top = (Title is null ? 12 : 34) + (legend ? 18 : 0);
        if (legend)
            ChartParts.Legend(svg, Series.Select((s, i) => (s.Name, Palette.Category(i), false)).ToList(), Width - 12, top - 6);
        var (min, max) = ChartParts.Extent(Series.SelectMany(s => s.Values), includeZero: ValueMin is null);
        if (ValueMin is double floor) min = floor;

        if (Horizontal)
        {
            double labelWidth = Math.Min(180, 12 + Categories.DefaultIfEmpty("").Max(c => c.Length) * 6.6);
            var area = new PlotArea(labelWidth + 8, top, Width - labelWidth - 28, height - top - 46);
            var scale = LinearScale.Nice(min, max, area.Left, area.Right);
            ChartParts.XAxis(svg, area, scale, ValueLabel);
            double band = area.Height / Math.Max(1, groups), bar = (band - 8) / perGroup;
            for (int g = 0; g < groups; g++)
            {
                double y0 = area.Top + g * band + 4;
                svg.Text(area.Left - 8, y0 + (band - 8) / 2 + 4, ChartParts.Clip(Categories[g], 28), "end", null, ChartParts.TextColour);
                for (int s = 0; s < Series.Count; s++)
                {
                    double value = Series[s].Values[g];
                    if (!double.IsFinite(value)) continue;
                    double x0 = scale.Map(Math.Max(scale.DomainMin, Math.Min(0, value))), x1 = scale.Map(value);
                    if (ValueMin is not null) x0 = area.Left;
                    svg.Rect(Math.Min(x0, x1), y0 + s * bar, Math.Abs(x1 - x0), bar - 1, Palette.Category(s),
                        $"{Categories[g]} · {Series[s].Name}: {FormatValue(value)}", "rx=\"2\"");
                }
            }
        }
        else
        {
            var area = new PlotArea(56, top, Width - 72, height - top - 64);
            var scale = LinearScale.Nice(min, max, area.Bottom, area.Top);
            ChartParts.YAxis(svg, area, scale, ValueLabel);
            svg.Line(area.Left, area.Bottom, area.Right, area.Bottom, ChartParts.AxisColour);
            double band = area.Width / Math.Max(1, groups), bar = (band * 0.8) / perGroup;
            for (int g = 0; g < groups; g++)
            {
                double x0 = area.Left + g * band + band * 0.1;
                double cx = area.Left + g * band + band / 2;
                svg.Text(cx, area.Bottom + 16, ChartParts.Clip(Categories[g], Math.Max(4, (int)(band / 6.6))), "middle", null, ChartParts.TextColour);
                for (int s = 0; s < Series.Count; s++)
                {
                    double value = Series[s].Values[g];
                    if (!double.IsFinite(value)) continue;
                    double baseValue = ValueMin ?? Math.Max(scale.DomainMin, Math.Min(0, value));
                    double y0 = scale.Map(baseValue), y1 = scale.Map(value);
                    svg.Rect(x0 + s * bar, Math.Min(y0, y1), bar - 1, Math.Abs(y1 - y0), Palette.Category(s),
                        $"{Categories[g]} · {Series[s].Name}: {FormatValue(value)}", "rx=\"2\"");
                }
            }
        }
        return svg.ToString();
    }
}
