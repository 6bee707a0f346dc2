namespace FashionMnist.Evaluation.Charts;

/// <summary>One labelled point; points of a group share a colour and a legend entry.</summary>
public sealed record ScatterPoint(string Label, double X, double Y, string Group = "", string? Tooltip = null);

/// <summary>Labelled points, e.g. test accuracy against training time, with an optional log-scaled x axis.</summary>
public sealed class ScatterChart
{
    public string? Title { get; init; }
    public required IReadOnlyList<ScatterPoint> Points { get; init; }
    public string? XLabel { get; init; }
    public string? YLabel { get; init; }
    public bool LogX { get; init; }
    public double Width { get; init; } = 640;
    public double Height { get; init; } = 380;

    public string ToSvg()
    {
        var svg = new Svg(Width, Height, Title);
        ChartParts.Title(svg, Title, Width);
        var groups = Points.Select(p => p.Group).Distinct().ToList();
        bool legend = groups.Count > 1 || (groups.Count == 1 && groups[0].Length > 0);
        double top = (Title is null ? 12 : 34) + (legend ? 18 : 0);
        if (legend)
            ChartParts.Legend(svg, groups.Select((g, i) => (g, Palette.Category(i), false)).ToList(), Width - 12, top - 6);
        var area = new PlotArea(60, top + 6, Width - 90, Height - top - 56);
        var finite = Points.Where(p => double.IsFinite(p.X) && double.IsFinite(p.Y) && (!LogX || p.X > 0)).ToList();
        var (xMin, xMax) = ChartParts.Extent(finite.Select(p => p.X));
        var (yMin, yMax) = ChartParts.Extent(finite.Select(p => p.Y));
        IScale x = LogX
            ? new LogScale(finite.Count > 0 ? xMin : 1, finite.Count > 0 ? xMax : 10, area.Left, area.Right)
            : LinearScale.Nice(xMin, xMax, area.Left, area.Right);
        // A little headroom so labels above the top point stay inside.
        double pad = (yMax - yMin) * 0.06;
        var y = LinearScale.Nice(yMin - pad, yMax + pad, area.Bottom, area.Top);
        ChartParts.YAxis(svg, area, y, YLabel);
        ChartParts.XAxis(svg, area, x, XLabel);
        foreach (var point in finite)
        {
            string colour = Palette.Category(groups.IndexOf(point.Group));
            double px = x.Map(point.X), py = y.Map(point.Y);
            bool labelLeft = px > area.Left + area.Width * 0.8;
            svg.OpenGroup("class=\"point\"", point.Tooltip ?? $"{point.Label}: x = {x.Format(point.X)}, y = {y.Format(point.Y)}");
            svg.Circle(px, py, 6, colour, null, "fill-opacity=\"0.9\" stroke=\"#fff\" stroke-width=\"1.5\"");
            svg.Text(labelLeft ? px - 9 : px + 9, py - 7, point.Label, labelLeft ? "end" : "start", "font-size=\"11.5\"", ChartParts.TextColour);
            svg.CloseGroup();
        }
        return svg.ToString();
    }
}
