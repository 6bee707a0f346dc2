using System.Globalization;

namespace FashionMnist.Classic;

/// <summary>
/// The preprocessing of a classical pipeline as plain settings (the CLI flags <c>--features hog --hog-cell 4
/// --scale standard --pca 0.95</c>, or the same names as keys in a search grid), turned into steps in a fixed,
/// sensible order: HOG (needs the 28x28 image) → scaling → PCA.
/// </summary>
public sealed record Preprocessing
{
    /// <summary>The setting names, as CLI flags (without "--") and grid keys.</summary>
    public static readonly IReadOnlyList<string> Keys = ["features", "hog-cell", "hog-block", "hog-bins", "hog-signed", "hog-norm", "scale", "pca", "pca-whiten"];

    public static Preprocessing None { get; } = new();

    /// <summary>Compute HOG descriptors instead of using raw pixels.</summary>
    public bool Hog { get; init; }

    /// <summary>HOG cell sizes in pixels; more than one gives a multi-scale descriptor.</summary>
    public int[] HogCells { get; init; } = [4, 7];

    public int HogBlock { get; init; } = 2;
    public int HogBins { get; init; } = 9;

    /// <summary>HOG orientations over 0-360° rather than 0-180° (default: signed, see <see cref="HogTransform"/>).</summary>
    public bool HogSigned { get; init; } = true;

    public HogNormalization HogNorm { get; init; } = HogNormalization.L1Sqrt;

    /// <summary>Per-feature scaling, or none.</summary>
    public ScalingKind? Scale { get; init; }

    /// <summary>PCA component count, or null.</summary>
    public int? PcaComponents { get; init; }

    /// <summary>PCA explained-variance ratio to reach, or null.</summary>
    public double? PcaRatio { get; init; }

    public bool PcaWhiten { get; init; }

    public bool IsNone => !Hog && Scale is null && PcaComponents is null && PcaRatio is null;

    public static bool IsKey(string name) => Keys.Contains(Normalize(name));

    /// <summary>Fresh (unfitted) steps for a pipeline.</summary>
    public IReadOnlyList<IFeatureTransform> CreateSteps()
    {
        var steps = new List<IFeatureTransform>();
        if (Hog) steps.Add(new HogTransform(HogCells, HogBlock, HogBins, HogSigned, HogNorm));
        if (Scale is ScalingKind scaling) steps.Add(new FeatureScaler(scaling));
        if (PcaComponents is not null || PcaRatio is not null) steps.Add(new PcaTransform(PcaComponents, PcaRatio, PcaWhiten));
        return steps;
    }

    /// <summary>The settings that differ from no preprocessing, as name → value text (for JSON, logs and result files).</summary>
    public IReadOnlyDictionary<string, string> ToSettings()
    {
        var result = new SortedDictionary<string, string>(StringComparer.Ordinal);
        if (Hog)
        {
            result["features"] = "hog";
            result["hog-cell"] = string.Join(",", HogCells);
            result["hog-block"] = HogBlock.ToString(CultureInfo.InvariantCulture);
            result["hog-bins"] = HogBins.ToString(CultureInfo.InvariantCulture);
            result["hog-signed"] = HogSigned ? "true" : "false";
            result["hog-norm"] = HogNorm == HogNormalization.L1Sqrt ? "l1-sqrt" : "l2-hys";
        }
        if (Scale is ScalingKind scaling) result["scale"] = scaling == ScalingKind.Unit ? "unit" : "standard";
        if (PcaComponents is int n) result["pca"] = n.ToString(CultureInfo.InvariantCulture);
        if (PcaRatio is double r) result["pca"] = r.ToString("R", CultureInfo.InvariantCulture);
        if (PcaWhiten) result["pca-whiten"] = "true";
        return result;
    }

    /// <summary>This preprocessing with "name=value" settings applied (names from <see cref="Keys"/>).</summary>
    public Preprocessing With(IReadOnlyDictionary<string, string> settings)
    {
        var result = this;
        foreach (var (rawName, rawValue) in settings)
        {
            string name = Normalize(rawName), value = rawValue.Trim();
            result = name switch
            {
                "features" => value.ToLowerInvariant() switch
                {
                    "hog" => result with { Hog = true },
                    "pixels" or "raw" => result with { Hog = false },
                    _ => throw Bad(rawName, value, "hog or pixels"),
                },
                "hog-cell" => result with { HogCells = ParseInts(rawName, value), Hog = true },
                "hog-block" => result with { HogBlock = ParseInt(rawName, value), Hog = true },
                "hog-bins" => result with { HogBins = ParseInt(rawName, value), Hog = true },
                "hog-signed" => result with { HogSigned = ParseBool(rawName, value), Hog = true },
                "hog-norm" => value.ToLowerInvariant() switch
                {
                    "l2-hys" or "l2hys" => result with { HogNorm = HogNormalization.L2Hys, Hog = true },
                    "l1-sqrt" or "l1sqrt" or "hellinger" => result with { HogNorm = HogNormalization.L1Sqrt, Hog = true },
                    _ => throw Bad(rawName, value, "l2-hys or l1-sqrt"),
                },
                "scale" => value.ToLowerInvariant() switch
                {
                    "unit" or "minmax" => result with { Scale = ScalingKind.Unit },
                    "standard" or "standardize" => result with { Scale = ScalingKind.Standard },
                    "none" => result with { Scale = null },
                    _ => throw Bad(rawName, value, "unit, standard or none"),
                },
                "pca" => ParsePca(result, rawName, value),
                "pca-whiten" => result with { PcaWhiten = ParseBool(rawName, value) },
                _ => throw new FashionMnistException($"'{rawName}' is not a preprocessing setting",
                    $"Use one of: {string.Join(", ", Keys)}."),
            };
        }
        if (result.PcaWhiten && result.PcaComponents is null && result.PcaRatio is null)
            throw new FashionMnistException("PCA whitening was asked for without PCA", "Add --pca N or --pca 0.95.");
        _ = result.CreateSteps(); // validates cell sizes, bins, PCA values now rather than at fit time
        return result;
    }

    /// <summary>"hog(cell=4,block=2,bins=9) → pca(50)", or "none".</summary>
    public string Describe() => IsNone ? "none" : string.Join(" → ", CreateSteps().Select(s => s.Describe()));

    private static Preprocessing ParsePca(Preprocessing current, string name, string value)
    {
        if (value.Equals("none", StringComparison.OrdinalIgnoreCase) || value == "0")
            return current with { PcaComponents = null, PcaRatio = null };
        if (int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out int n))
            return n >= 1 ? current with { PcaComponents = n, PcaRatio = null } : throw Bad(name, value, "a component count >= 1 or a variance ratio in (0, 1]");
        if (double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out double r) && r > 0 && r <= 1)
            return current with { PcaRatio = r, PcaComponents = null };
        throw Bad(name, value, "a component count such as 50, or a variance ratio such as 0.95");
    }

    private static bool ParseBool(string name, string value) => value.ToLowerInvariant() switch
    {
        "true" or "yes" or "1" or "on" or "" => true,
        "false" or "no" or "0" or "off" => false,
        _ => throw Bad(name, value, "true or false"),
    };

    private static int ParseInt(string name, string value) =>
        int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out int n) ? n : throw Bad(name, value, "a whole number");

    private static int[] ParseInts(string name, string value)
    {
        var parts = value.Split([',', '+'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return parts.Length > 0 ? parts.Select(p => ParseInt(name, p)).ToArray() : throw Bad(name, value, "whole numbers such as 4 or 4,7");
    }

    private static FashionMnistException Bad(string name, string value, string expected) =>
        new($"Preprocessing setting '{name}' cannot be '{value}'", $"Use {expected}.");

    private static string Normalize(string name) => name.Trim().TrimStart('-').Replace('_', '-').ToLowerInvariant();
}
