using System.Reflection;
using FashionMnist.Data;

namespace FashionMnist.Evaluation.Comparison;

/// <summary>
/// Extra views some models can give the report. A model offers them by having a public property
/// <c>FeatureImportances</c> (784 values, one per pixel; e.g. a random forest) or
/// <c>ExplainedVarianceRatio</c> (per principal component, e.g. a PCA pipeline), typed as
/// <c>float[]</c>, <c>double[]</c> or a read-only list of either. Found by name so models need no
/// dependency on the evaluation code.
/// </summary>
public static class ModelInsights
{
    public static IReadOnlyList<double>? FeatureImportances(object model)
    {
        var values = Read(model, "FeatureImportances");
        return values is { Count: ImageSet.PixelCount } ? values : null;
    }

    /// <summary>The cumulative explained variance (running sum of the per-component ratios).</summary>
    public static IReadOnlyList<double>? CumulativeExplainedVariance(object model)
    {
        var ratios = Read(model, "ExplainedVarianceRatio");
        if (ratios is null || ratios.Count == 0) return null;
        var cumulative = new double[ratios.Count];
        double sum = 0;
        for (int i = 0; i < ratios.Count; i++) cumulative[i] = sum += ratios[i];
        return cumulative;
    }

    private static IReadOnlyList<double>? Read(object model, string property)
    {
        object? value;
        try { value = model.GetType().GetProperty(property, BindingFlags.Public | BindingFlags.Instance)?.GetValue(model); }
        catch (TargetInvocationException) { return null; } // e.g. "not fitted"
        return value switch
        {
            double[] d => d,
            float[] f => f.Select(x => (double)x).ToArray(),
            IReadOnlyList<double> d => d.ToArray(),
            IReadOnlyList<float> f => f.Select(x => (double)x).ToArray(),
            _ => null,
        };
    }
}
