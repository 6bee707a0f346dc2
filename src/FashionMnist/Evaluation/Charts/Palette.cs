namespace FashionMnist.Evaluation.Charts;

/// <summary>
/// Colour-blind-safe colours: the Okabe–Ito palette for categories and viridis for continuous values
/// (perceptually uniform, readable in grey scale).
/// </summary>
internal static class Palette
{
    /// <summary>Okabe &amp; Ito (2008), black dropped (reserved for text), yellow moved last (weak on white).</summary>
    public static IReadOnlyList<string> Categorical { get; } =
        ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000"];

    public static string Category(int index) => Categorical[((index % Categorical.Count) + Categorical.Count) % Categorical.Count];

    // viridis at 0, 1/9, ..., 1 (the usual 10-colour viridis); the last stop repeats so t = 1 needs no special case.
    private static readonly (double R, double G, double B)[] s_viridis =
    [
        (68, 1, 84), (72, 40, 120), (62, 74, 137), (49, 104, 142), (38, 130, 142), (31, 158, 137),
        (53, 183, 121), (109, 205, 89), (180, 222, 44), (253, 231, 37), (253, 231, 37),
    ];

    /// <summary>Viridis at <paramref name="t"/> in [0, 1] (dark purple → yellow), as #rrggbb.</summary>
    public static string Viridis(double t)
    {
        if (!double.IsFinite(t)) t = 0;
        t = Math.Clamp(t, 0, 1) * 9; // 9 segments between the 10 stops
        int i = Math.Min((int)t, 9);
        double f = t - i;
        var (r0, g0, b0) = s_viridis[i];
        var (r1, g1, b1) = s_viridis[i + 1];
        return Hex(r0 + (r1 - r0) * f, g0 + (g1 - g0) * f, b0 + (b1 - b0) * f);
    }

    /// <summary>Grey level for an image pixel: 0 = white background, 255 = black ink (how people read Fashion-MNIST prints).</summary>
    public static string Grey(byte value, bool invert = true)
    {
        int level = invert ? 255 - value : value;
        return Hex(level, level, level);
    }

    /// <summary>Text colour that stays readable on a viridis cell of value <paramref name="t"/>.</summary>
    public static string TextOnViridis(double t) => t > 0.6 ? "#111827" : "#ffffff";

    public static string Hex(double r, double g, double b) =>
        "#" + Byte(r).ToString("x2", CultureInfo.InvariantCulture) + Byte(g).ToString("x2", CultureInfo.InvariantCulture) + Byte(b).ToString("x2", CultureInfo.InvariantCulture);

    private static int Byte(double v) => (int)Math.Clamp(Math.Round(v), 0, 255);
}
