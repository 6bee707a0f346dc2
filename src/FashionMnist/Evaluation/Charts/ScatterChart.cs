namespace FashionMnist.Evaluation.Charts;

/// <summary>One labelled point; points of a group share a colour and a legend entry.</summary>
internal sealed record ScatterPoint(string Label, double X, double Y, string Group = "", string? Tooltip = null);

/// <summary>Labelled points, e.g. test accuracy against training time, with an optional log-scaled x axis.</summary>
internal sealed class ScatterChart
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
        // Labels are placed greedily, highest point first, at the first spot beside the point that overlaps no other
        // label or point (clusters such as several models near 100 s would otherwise print over each other).
        var placed = new List<(double X0, double Y0, double X1, double Y1)>();
        var marks = finite.Select(p => (X: x.Map(p.X), Y: y.Map(p.Y))).ToList();
        var labels = new Dictionary<ScatterPoint, (double X, double Y, string Anchor)>();
        foreach (var point in finite.OrderByDescending(p => p.Y).ThenBy(p => p.X))
        {
            double px = x.Map(point.X), py = y.Map(point.Y), width = point.Label.Length * 6.4 + 2;
            (double X, double Y, string Anchor)[] spots =
            [
                (px + 9, py - 7, "start"), (px - 9, py - 7, "end"), (px + 9, py + 15, "start"), (px - 9, py + 15, "end"),
                (px + 10, py + 4, "start"), (px - 10, py + 4, "end"), (px, py - 12, "middle"), (px, py + 22, "middle"),
            ];
            (double X0, double Y0, double X1, double Y1) Box((double X, double Y, string Anchor) spot)
            {
                double x0 = spot.Anchor == "start" ? spot.X : spot.Anchor == "end" ? spot.X - width : spot.X - width / 2;
                return (x0, spot.Y - 11, x0 + width, spot.Y + 2);
            }
            bool Free((double X0, double Y0, double X1, double Y1) b) =>
                b.X0 >= area.Left && b.X1 <= Width - 4 && b.Y0 >= 0 && b.Y1 <= area.Bottom
                && !placed.Any(o => b.X0 < o.X1 && o.X0 < b.X1 && b.Y0 < o.Y1 && o.Y0 < b.Y1)
                && !marks.Any(m => (m.X != px || m.Y != py) && m.X + 6 > b.X0 && m.X - 6 < b.X1 && m.Y + 6 > b.Y0 && m.Y - 6 < b.Y1);
            var chosen = spots.FirstOrDefault(spot => Free(Box(spot)), px > area.Left + area.Width * 0.8 ? spots[1] : spots[0]);
            placed.Add(Box(chosen));
            labels[point] = chosen;
        }
        foreach (var point in finite)
        {
            string colour = Palette.Category(groups.IndexOf(point.Group));
            double px = x.Map(point.X), py = y.Map(point.Y);
            var label = labels[point];
            svg.OpenGroup("class=\"point\"", point.Tooltip ?? $"{point.Label}: x = {x.Format(point.X)}, y = {y.Format(point.Y)}");
            svg.Circle(px, py, 6, colour, null, "fill-opacity=\"0.9\" stroke=\"#fff\" stroke-width=\"1.5\"");
            svg.Text(label.X, label.Y, point.Label, label.Anchor, "font-size=\"11.5\"", ChartParts.TextColour);
            svg.CloseGroup();
        }
        return svg.ToString();
    }
}
