using System.ComponentModel;
using System.Diagnostics.CodeAnalysis;

namespace FashionMnist.Classic;

/// <summary>
/// How much PCA keeps: a number of components (<c>50</c>), the fewest components that explain a share of the variance
/// (<c>0.95</c>), or no PCA (<c>none</c> or <c>0</c>). A whole number means components, so <c>1</c> is one component
/// and <c>1.0</c> all of the variance.
/// </summary>
[Description("a component count such as 50, a variance ratio such as 0.95, or none")]
public readonly record struct PcaSize : IParsable<PcaSize>, IFormattable
{
    private PcaSize(int? components, double? ratio)
    {
        ComponentCount = components;
        VarianceRatio = ratio;
    }

    /// <summary>No PCA.</summary>
    public static PcaSize None => default;

    /// <summary>Keep <paramref name="count"/> components.</summary>
    public static PcaSize Components(int count) => new(count, null);

    /// <summary>Keep the fewest components that explain <paramref name="share"/> of the variance.</summary>
    public static PcaSize Ratio(double share) => new(null, share);

    /// <summary>The number of components to keep, or null.</summary>
    public int? ComponentCount { get; }
    /// <summary>The share of the variance to explain, or null.</summary>
    public double? VarianceRatio { get; }
    /// <summary>True for no PCA.</summary>
    public bool IsNone => ComponentCount is null && VarianceRatio is null;

    /// <summary>A count of at least 1, a ratio in (0, 1], or none.</summary>
    public bool IsValid => IsNone || ComponentCount >= 1 || VarianceRatio is > 0 and <= 1;

    /// <summary>Reads "50", "0.95" or "none" (see <see cref="TryParse"/>); anything else is a <see cref="FormatException"/>.</summary>
    public static PcaSize Parse(string s, IFormatProvider? provider) =>
        TryParse(s, provider, out var result) ? result
            : throw new FormatException($"'{s}' is not a PCA size (a component count such as 50, a variance ratio such as 0.95, or none).");

    /// <summary>Reads a whole number ≥ 1 as a component count, a number in (0, 1] as a variance share, and "none", "0" or "" as no PCA.</summary>
    public static bool TryParse([NotNullWhen(true)] string? s, IFormatProvider? provider, out PcaSize result)
    {
        result = None;
        if (s is null) return false;
        s = s.Trim();
        if (s.Length == 0 || s.Equals("none", StringComparison.OrdinalIgnoreCase) || s == "0") return true;
        if (int.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out int count))
        {
            result = Components(count);
            return count >= 1;
        }
        if (double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out double share) && share is > 0 and <= 1)
        {
            result = Ratio(share);
            return true;
        }
        return false;
    }

    /// <summary>"50", "0.95" or "none": text that <see cref="Parse"/> reads back to the same size.</summary>
    public override string ToString() => ToString(null, CultureInfo.InvariantCulture);

    /// <summary>As <see cref="ToString()"/>; the format and provider are ignored (the text is always invariant).</summary>
    public string ToString(string? format, IFormatProvider? formatProvider) =>
        ComponentCount is int n ? n.ToString(CultureInfo.InvariantCulture)
        : VarianceRatio is double r ? RatioText(r)
        : "none";

    /// <summary>A ratio always shows a decimal point (1.0, not 1), so it never reads back as a component count.</summary>
    private static string RatioText(double ratio)
    {
        string text = ratio.ToString("R", CultureInfo.InvariantCulture);
        return text.Contains('.') || text.Contains('E') ? text : text + ".0";
    }
}
