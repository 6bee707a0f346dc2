using System.ComponentModel;
using FashionMnist.Models;

namespace FashionMnist.Classic;

/// <summary>How a tree measures the impurity of a node's classes.</summary>
public enum SplitCriterion
{
    /// <summary>Gini impurity, 1 - Σ p_c² (scikit-learn's default).</summary>
    Gini,
    /// <summary>Shannon entropy, -Σ p_c log p_c.</summary>
    Entropy,
}

/// <summary>Hyper-parameters of the "random-forest" model (names and defaults follow scikit-learn's RandomForestClassifier).</summary>
public sealed record ForestOptions : ClassicOptions
{
    /// <summary>Number of trees.</summary>
    [Description("Number of trees.")]
    [AlsoNamed("n_estimators")]
    public int Trees { get; init; } = 100;

    /// <summary>Impurity measure for splits: gini or entropy.</summary>
    [Description("Impurity measure for splits: gini or entropy.")]
    public SplitCriterion Criterion { get; init; } = SplitCriterion.Gini;

    /// <summary>Deepest a tree may grow (root = 0); none grows until leaves are pure or too small.</summary>
    [Description("Deepest a tree may grow (root = 0); none grows until leaves are pure or too small.")]
    public int? MaxDepth { get; init; }

    /// <summary>A node needs at least this many (distinct) training rows to be split.</summary>
    [Description("A node needs at least this many (distinct) training rows to be split.")]
    public int MinSamplesSplit { get; init; } = 2;

    /// <summary>Each leaf keeps at least this many (distinct) training rows.</summary>
    [Description("Each leaf keeps at least this many (distinct) training rows.")]
    public int MinSamplesLeaf { get; init; } = 1;

    /// <summary>Features tried per split: sqrt, log2, all, a fraction like 0.3, or a count like 50.</summary>
    [Description("Features tried per split: sqrt, log2, all, a fraction like 0.3, or a count like 50.")]
    public string MaxFeatures { get; init; } = "sqrt";

    /// <summary>Grow each tree on a bootstrap sample (drawn with replacement) of the training rows.</summary>
    [Description("Grow each tree on a bootstrap sample (drawn with replacement) of the training rows.")]
    public bool Bootstrap { get; init; } = true;

    /// <summary>Score each training row with the trees that did not see it (needs bootstrap); an almost free accuracy estimate.</summary>
    [Description("Score each training row with the trees that did not see it (needs bootstrap); an almost free accuracy estimate.")]
    public bool OobScore { get; init; } = true;

    /// <inheritdoc/>
    public override void Validate()
    {
        base.Validate();
        Require(Trees >= 1, "trees", "must be at least 1", Trees);
        Require(MaxDepth is null or >= 1, "max-depth", "must be at least 1 (or none for no limit)", MaxDepth);
        Require(MinSamplesSplit >= 2, "min-samples-split", "must be at least 2", MinSamplesSplit);
        Require(MinSamplesLeaf >= 1, "min-samples-leaf", "must be at least 1", MinSamplesLeaf);
        Require(TryParseMaxFeatures(MaxFeatures, out _), "max-features", "must be sqrt, log2, all, a fraction in (0, 1] or a whole count >= 1", $"'{MaxFeatures}'");
    }

    /// <summary>How many features each split tries, out of <paramref name="featureCount"/>.</summary>
    public int FeaturesPerSplit(int featureCount)
    {
        if (!TryParseMaxFeatures(MaxFeatures, out var rule)) Validate();
        int count = rule(featureCount);
        return Math.Clamp(count, 1, featureCount);
    }

    private static bool TryParseMaxFeatures(string? text, out Func<int, int> rule)
    {
        rule = n => n;
        text = text?.Trim().ToLowerInvariant();
        switch (text)
        {
            case "sqrt": rule = n => (int)Math.Sqrt(n); return true;
            case "log2": rule = n => (int)Math.Log2(n); return true;
            case "all" or "none": return true;
            case null or "": return false;
        }
        if (text.Contains('.') || text.Contains('e'))
        {
            if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double fraction) || fraction is <= 0 or > 1) return false;
            rule = n => (int)(fraction * n);
            return true;
        }
        if (!int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int count) || count < 1) return false;
        rule = _ => count;
        return true;
    }
}
