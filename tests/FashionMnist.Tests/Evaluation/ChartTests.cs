using System.Xml.Linq;
using FashionMnist.Evaluation.Charts;
using FashionMnist.Tests.Support;

namespace FashionMnist.Tests.Evaluation;

public class ChartTests
{
    private static readonly XNamespace s_svg = "http://www.w3.org/2000/svg";

    [Fact]
    public void Linear_ticks_are_nice_steps_that_cover_the_data()
    {
        // range 0.83..0.94: nice(0.11) = 0.2 -> step nice(0.2/4 = 0.05) = 0.05; 0.80..0.95
        Assert.Equal([0.8, 0.85, 0.9, 0.95], NiceTicks.Linear(0.83, 0.94, 5));
        // range 0..97: nice(97) = 100 -> step nice(25) = 20 (25 rounds to 2 x 10); 0..100
        Assert.Equal([0, 20, 40, 60, 80, 100], NiceTicks.Linear(0, 97, 5));
        // negative to positive: -3..7 -> nice(10) = 10, step nice(2.5) = 2 -> -4..8
        Assert.Equal([-4, -2, 0, 2, 4, 6, 8], NiceTicks.Linear(-3, 7, 5));
        // a single value still gives an axis around it
        var flat = NiceTicks.Linear(5, 5);
        Assert.True(flat[0] < 5 && flat[^1] > 5);
        // no floating-point dust like 0.30000000000000004
        Assert.Contains(0.3, NiceTicks.Linear(0, 1, 11));
    }

    [Fact]
    public void Nice_number_rounds_to_1_2_5_times_a_power_of_ten()
    {
        Assert.Equal(0.05, NiceTicks.NiceNumber(0.0423, round: true), 12);
        Assert.Equal(200, NiceTicks.NiceNumber(180, round: true), 12);
        Assert.Equal(1000, NiceTicks.NiceNumber(700, round: true), 12);
        Assert.Equal(500, NiceTicks.NiceNumber(301, round: false), 12); // ceiling variant
    }

    [Fact]
    public void Log_ticks_are_decades_with_2_and_5_when_the_span_is_short()
    {
        Assert.Equal([0.1, 1, 10, 100, 1000], NiceTicks.Logarithmic(0.3, 900));
        Assert.Equal([1, 2, 5, 10, 20, 50, 100], NiceTicks.Logarithmic(1.5, 80));
        Assert.Throws<ArgumentOutOfRangeException>(() => NiceTicks.Logarithmic(0, 10));
    }

    [Fact]
    public void Scales_map_domain_to_range()
    {
        var linear = new LinearScale(0, 10, 100, 300);
        Assert.Equal(100, linear.Map(0), 9);
        Assert.Equal(200, linear.Map(5), 9);
        // inverted range, as for a y axis: 0 at the bottom (300), 10 at the top (100)
        Assert.Equal(150, new LinearScale(0, 10, 300, 100).Map(7.5), 9);
        var log = new LogScale(1, 1000, 0, 300); // ticks 1..1000, three decades over 300 px
        Assert.Equal(100, log.Map(10), 9);
        Assert.Equal(200, log.Map(100), 9);
        Assert.Equal("1k", log.Format(1000));
    }

    [Fact]
    public void Tick_labels_have_just_enough_decimals()
    {
        Assert.Equal("0.85", NiceTicks.Format(0.85, 0.05));
        Assert.Equal("40", NiceTicks.Format(40, 20));
        Assert.Equal("0.5", NiceTicks.Format(0.5, 0.1));
    }

    [Fact]
    public void Text_is_escaped_and_numbers_use_the_invariant_culture()
    {
        Assert.Equal("a &lt;b&gt; &amp; &quot;c&quot; &#39;d&#39;", Svg.Escape("a <b> & \"c\" 'd'"));
        Assert.Equal("1.5", Svg.N(1.5));
        Assert.Equal("0", Svg.N(double.NaN));
        var culture = Thread.CurrentThread.CurrentCulture;
        try
        {
            Thread.CurrentThread.CurrentCulture = new System.Globalization.CultureInfo("de-DE");
            Assert.Equal("2.25", Svg.N(2.25));
        }
        catch (System.Globalization.CultureNotFoundException) { } // invariant-globalization builds have no de-DE
        finally { Thread.CurrentThread.CurrentCulture = culture; }
    }

    [Fact]
    public void Viridis_runs_from_purple_to_yellow()
    {
        Assert.Equal("#440154", Palette.Viridis(0));
        Assert.Equal("#fde725", Palette.Viridis(1));
        Assert.Equal("#1f9e89", Palette.Viridis(5.0 / 9)); // stop 5 of 0..9
        Assert.Equal("#22908c", Palette.Viridis(0.5)); // halfway between #26828e and #1f9e89
    }

    [Fact]
    public void Every_chart_is_well_formed_svg_with_content()
    {
        string awkward = "T-shirt/top <&> \"quoted\"";
        var charts = new Dictionary<string, string>
        {
            ["bar"] = new BarChart
            {
                Title = awkward, Categories = [awkward, "Trouser"], ValueLabel = "accuracy",
                Series = [("knn", [0.85, 0.97]), ("svm", [0.88, double.NaN])],
            }.ToSvg(),
            ["hbar"] = new BarChart { Horizontal = true, Categories = ["a", "b", "c"], Series = [("x", [1.0, -2, 3])] }.ToSvg(),
            ["line"] = new LineChart
            {
                Title = "Learning curve", XLabel = "epoch", YLabel = "accuracy",
                Series = [new("train", [(1, 0.8), (2, 0.9)]), new("validation", [(1, 0.78), (2, double.NaN)], Dashed: true)],
                ReferenceLines = [(0.9, "90 %")],
            }.ToSvg(),
            ["scatter"] = new ScatterChart
            {
                LogX = true, XLabel = "seconds", YLabel = "accuracy",
                Points = [new(awkward, 0.5, 0.85, "classic"), new("cnn", 300, 0.92, "neural"), new("bad", 0, 0.5)],
            }.ToSvg(),
            ["heat"] = new HeatMap
            {
                Values = [[0.9, 0.1], [0.2, 0.8]], RowLabels = [awkward, "b"], ColumnLabels = ["a", "b"],
                CellText = [["90", "10"], ["20", "80"]], Highlight = [(1, 0)], RowAxisLabel = "true", ColumnAxisLabel = "predicted",
            }.ToSvg(),
            ["image"] = new HeatMap { Values = Enumerable.Range(0, 28).Select(r => Enumerable.Range(0, 28).Select(c => (double)r * c).ToArray()).ToArray(), ShowValues = false, CellSize = 8 }.ToSvg(),
            ["grid"] = new ImageGrid
            {
                Images = [new GridImage(TestData.Test.Image(0).ToArray(), "true: Ankle boot", "pred: " + awkward)],
            }.ToSvg(),
        };
        foreach (var (name, svg) in charts)
        {
            var document = XDocument.Parse(svg); // throws on malformed XML
            Assert.Equal(s_svg + "svg", document.Root!.Name);
            int marks = document.Descendants().Count(e => e.Name.LocalName is "rect" or "circle" or "polyline");
            Assert.True(marks > 0, $"{name} chart draws nothing");
            Assert.DoesNotContain("NaN", svg);
            Assert.DoesNotContain("Infinity", svg);
        }
        Assert.Contains("T-shirt/top &lt;&amp;&gt; &quot;quoted&quot;", charts["bar"]);
        // One tooltip per bar with a finite value: 3 of 4.
        Assert.Equal(3, XDocument.Parse(charts["bar"]).Descendants(s_svg + "rect").Count(r => r.Element(s_svg + "title") is not null));
    }

    [Fact]
    public void Image_grid_merges_runs_of_equal_grey_and_keeps_the_ink()
    {
        // A 28x28 image: background 0, one full row (row 10) of 255 -> a white square plus one black run.
        var pixels = new byte[784];
        for (int c = 0; c < 28; c++) pixels[10 * 28 + c] = 255;
        var group = XDocument.Parse(ImageGrid.PixelRects(pixels, 28, 5, 6, 2)).Root!;
        Assert.Equal("translate(5 6) scale(2)", group.Attribute("transform")!.Value);
        var path = Assert.Single(group.Elements("path"));
        Assert.Equal("#000000", path.Attribute("fill")!.Value); // full ink is black on white
        Assert.Equal("M0 10h28v1h-28z", path.Attribute("d")!.Value);
        // A real image: several grey levels, far smaller than one element per pixel.
        string real = ImageGrid.PixelRects(TestData.Test.Image(0), 28, 0, 0, 3);
        Assert.InRange(XDocument.Parse(real).Root!.Elements("path").Count(), 5, 31);
        Assert.InRange(real.Length, 500, 12_000);
    }
}
