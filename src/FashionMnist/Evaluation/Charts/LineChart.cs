namespace FashionMnist.Evaluation.Charts;

/// <summary>Several series of (x, y) points as lines with markers: learning curves, explained variance.</summary>
internal sealed class LineChart
{
    public string? Title { get; init; }
    public required IReadOnlyList<ChartSeries> Series { get; init; }
    public string? XLabel { get; init; }
    public string? YLabel { get; init; }
    public double Width { get; init; } = 480;
    public double Height { get; init; } = 300;

    /// <summary>Fixed y range (e.g. 0-1 for a share); null fits the data.</summary>
    public (double Min, double Max)? YRange { get; init; }

    /// <summary>Logarithmic x axis (for curves over hundreds of components whose interesting part is the start).</summary>
    public bool LogX { get; init; }

    /// <summary>Only whole-number ticks on the x axis (epochs, rounds).</summary>
    public bool IntegerX { get; init; }

    /// <summary>Draw a dot per point (off for long curves).</summary>
    public bool Markers { get; init; } = true;

    /// <summary>Horizontal reference lines with a label, e.g. (0.9, "90 %").</summary>
    public IReadOnlyList<(double Y, string Label)> ReferenceLines { get; init; } = [];

    public Func<double, string> FormatY { get; init; } = v => v.ToString("0.####", System.Globalization.CultureInfo.InvariantCulture);

    public string ToSvg()
    {
        var svg = new Svg(Width, Height, Title);
        ChartParts.Title(svg, Title, Width);
        bool legend = Series.Count > 1;
        double top = (Title is null ? 12 : 34) + (legend ? 18 : 0);
        if (legend)
            ChartParts.Legend(svg, Series.Select((s, i) => (s.Name, s.Color ?? Palette.Category(i), s.Dashed)).ToList(), Width - 12, top - 6);
        var area = new PlotArea(58, top + 4, Width - 76, Height - top - 50);
        var points = Series.SelectMany(s => s.Points).ToList();
        var (xMin, xMax) = ChartParts.Extent(points.Select(p => p.X));
        var (yMin, yMax) = YRange ?? ChartParts.Extent(points.Select(p => p.Y).Concat(ReferenceLines.Select(r => r.Y)));
        // The x axis spans exactly the data (epoch 1 to the last), with nice ticks inside it.
        var xTicks = NiceTicks.Linear(xMin, xMax, Math.Clamp((int)(area.Width / 70), 3, 10)).Where(t => t >= xMin - 1e-9 && t <= xMax + 1e-9)
            .Where(t => !IntegerX || Math.Abs(t - Math.Round(t)) < 1e-9).ToList();
        if (IntegerX && xTicks.Count < 2 && xMax > xMin)
            xTicks = Enumerable.Range((int)Math.Ceiling(xMin), (int)Math.Floor(xMax) - (int)Math.Ceiling(xMin) + 1).Select(t => (double)t).ToList();
        IScale x = LogX && xMin > 0 ? new LogScale(xMin, xMax, area.Left, area.Right)
            : xMax > xMin && xTicks.Count >= 2 ? new LinearScale(xMin, xMax, area.Left, area.Right, xTicks)
            : LinearScale.Nice(xMin, xMax, area.Left, area.Right);
        var y = YRange is null ? LinearScale.Nice(yMin, yMax, area.Bottom, area.Top)
            : new LinearScale(yMin, yMax, area.Bottom, area.Top, NiceTicks.Linear(yMin, yMax).Where(t => t >= yMin - 1e-12 && t <= yMax + 1e-12).ToList());
        ChartParts.YAxis(svg, area, y, YLabel);
        ChartParts.XAxis(svg, area, x, XLabel, grid: false);
        foreach (var (value, label) in ReferenceLines)
        {
            double py = y.Map(value);
            svg.Line(area.Left, py, area.Right, py, "#6b7280", 1, "stroke-dasharray=\"2 3\"");
            // Labels sit at the left end, where learning and variance curves are usually still low.
            svg.Text(area.Left + 6, py - 4, label, "start", "font-size=\"11\"", ChartParts.MutedText);
        }
        for (int s = 0; s < Series.Count; s++)
        {
            var series = Series[s];
            string colour = series.Color ?? Palette.Category(s);
            svg.OpenGroup($"class=\"series\" data-name=\"{Svg.Escape(series.Name)}\"");
            if (series.Points.Count > 1)
                svg.Polyline(series.Points.Select(p => (x.Map(p.X), y.Map(p.Y))), colour, 2, series.Name,
                    series.Dashed ? "stroke-dasharray=\"6 4\"" : null);
            if (series.Markers || (Markers && series.Points.Count <= 60))
                foreach (var (px, py) in series.Points)
                    if (double.IsFinite(px) && double.IsFinite(py))
                        svg.Circle(x.Map(px), y.Map(py), series.Markers ? 5 : 3, colour, $"{series.Name}: x = {x.Format(px)}, y = {FormatY(py)}",
                            "stroke=\"#fff\" stroke-width=\"1\"");
            svg.CloseGroup();
        }
        return svg.ToString();
    }
}
