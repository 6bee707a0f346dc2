using System.Text;

namespace FashionMnist.Evaluation.Charts;

/// <summary>
/// A small SVG writer: pure string building with invariant-culture numbers and escaped text, so output is
/// the same on every machine and always well-formed XML. Charts draw through it; nothing else writes SVG.
/// </summary>
internal sealed class Svg
{
    private readonly StringBuilder _text = new();

    public Svg(double width, double height, string? label = null, string? cssClass = "chart")
    {
        Width = width;
        Height = height;
        _text.Append("<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 ").Append(N(width)).Append(' ').Append(N(height))
            .Append("\" width=\"").Append(N(width)).Append("\" height=\"").Append(N(height)).Append('"');
        if (cssClass is not null) _text.Append(" class=\"").Append(Escape(cssClass)).Append('"');
        if (label is not null) _text.Append(" role=\"img\" aria-label=\"").Append(Escape(label)).Append('"');
        _text.Append(" font-family=\"system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif\" font-size=\"12\">");
        if (label is not null) _text.Append("<title>").Append(Escape(label)).Append("</title>");
    }

    public double Width { get; }
    public double Height { get; }

    /// <summary>A number as SVG wants it: invariant culture, at most 2 decimals, no exponent.</summary>
    public static string N(double value) =>
        double.IsFinite(value) ? Math.Round(value, 2).ToString("0.##", CultureInfo.InvariantCulture) : "0";

    /// <summary>Text made safe for XML content and attribute values.</summary>
    public static string Escape(string text)
    {
        var builder = new StringBuilder(text.Length + 8);
        foreach (char c in text)
        {
            switch (c)
            {
                case '&': builder.Append("&amp;"); break;
                case '<': builder.Append("&lt;"); break;
                case '>': builder.Append("&gt;"); break;
                case '"': builder.Append("&quot;"); break;
                case '\'': builder.Append("&#39;"); break;
                default:
                    // Control characters other than tab/newline are not allowed in XML 1.0.
                    if (c >= ' ' || c is '\t' or '\n' or '\r') builder.Append(c);
                    break;
            }
        }
        return builder.ToString();
    }

    public Svg Rect(double x, double y, double width, double height, string fill, string? tooltip = null, string? extra = null)
    {
        _text.Append("<rect x=\"").Append(N(x)).Append("\" y=\"").Append(N(y)).Append("\" width=\"").Append(N(Math.Max(0, width)))
            .Append("\" height=\"").Append(N(Math.Max(0, height))).Append("\" fill=\"").Append(fill).Append('"');
        if (extra is not null) _text.Append(' ').Append(extra);
        return CloseWithTooltip("rect", tooltip);
    }

    public Svg Line(double x1, double y1, double x2, double y2, string stroke, double width = 1, string? extra = null)
    {
        _text.Append("<line x1=\"").Append(N(x1)).Append("\" y1=\"").Append(N(y1)).Append("\" x2=\"").Append(N(x2))
            .Append("\" y2=\"").Append(N(y2)).Append("\" stroke=\"").Append(stroke).Append("\" stroke-width=\"").Append(N(width)).Append('"');
        if (extra is not null) _text.Append(' ').Append(extra);
        _text.Append("/>");
        return this;
    }

    public Svg Circle(double cx, double cy, double r, string fill, string? tooltip = null, string? extra = null)
    {
        _text.Append("<circle cx=\"").Append(N(cx)).Append("\" cy=\"").Append(N(cy)).Append("\" r=\"").Append(N(r))
            .Append("\" fill=\"").Append(fill).Append('"');
        if (extra is not null) _text.Append(' ').Append(extra);
        return CloseWithTooltip("circle", tooltip);
    }

    /// <summary>A polyline through the points (skipping non-finite ones).</summary>
    public Svg Polyline(IEnumerable<(double X, double Y)> points, string stroke, double width = 2, string? tooltip = null, string? extra = null)
    {
        _text.Append("<polyline fill=\"none\" stroke=\"").Append(stroke).Append("\" stroke-width=\"").Append(N(width))
            .Append("\" stroke-linejoin=\"round\" stroke-linecap=\"round\" points=\"");
        bool first = true;
        foreach (var (x, y) in points)
        {
            if (!double.IsFinite(x) || !double.IsFinite(y)) continue;
            if (!first) _text.Append(' ');
            _text.Append(N(x)).Append(',').Append(N(y));
            first = false;
        }
        _text.Append('"');
        if (extra is not null) _text.Append(' ').Append(extra);
        return CloseWithTooltip("polyline", tooltip);
    }

    /// <summary>Text; <paramref name="anchor"/> is start, middle or end.</summary>
    public Svg Text(double x, double y, string text, string anchor = "start", string? extra = null, string fill = "#374151")
    {
        _text.Append("<text x=\"").Append(N(x)).Append("\" y=\"").Append(N(y)).Append("\" text-anchor=\"").Append(anchor)
            .Append("\" fill=\"").Append(fill).Append('"');
        if (extra is not null) _text.Append(' ').Append(extra);
        _text.Append('>').Append(Escape(text)).Append("</text>");
        return this;
    }

    public Svg OpenGroup(string? extra = null, string? tooltip = null)
    {
        _text.Append("<g");
        if (extra is not null) _text.Append(' ').Append(extra);
        _text.Append('>');
        if (tooltip is not null) _text.Append("<title>").Append(Escape(tooltip)).Append("</title>");
        return this;
    }

    public Svg CloseGroup()
    {
        _text.Append("</g>");
        return this;
    }

    /// <summary>Appends markup the caller built with this class's helpers (already escaped).</summary>
    public Svg Raw(string markup)
    {
        _text.Append(markup);
        return this;
    }

    public override string ToString() => _text.ToString() + "</svg>";

    private Svg CloseWithTooltip(string element, string? tooltip)
    {
        if (tooltip is null) _text.Append("/>");
        else _text.Append("><title>").Append(Escape(tooltip)).Append("</title></").Append(element).Append('>');
        return this;
    }
}
