using FashionMnist.Evaluation;
using System.Reflection;
using FashionMnist.Classic;
using FashionMnist.Data;
using FashionMnist.Models;

namespace FashionMnist.Experiments.Comparison;

/// <summary>A fitted PCA step: the cumulative explained variance over all directions and how many it kept.</summary>
/// <param name="Cumulative">Running sum of the explained-variance ratios, one per principal direction.</param>
/// <param name="Components">Components the step kept.</param>
/// <param name="Input">What the PCA was fitted on: "pixels" or "HOG features".</param>
public sealed record PcaInsight(IReadOnlyList<double> Cumulative, int Components, string Input);

/// <summary>
/// Extra views a fitted model can give the report, read from the real types: the PCA step inside a classical
/// <see cref="Pipeline"/> (<see cref="PcaTransform.ExplainedVarianceRatio"/>) and the random forest's pixel importances
/// (<see cref="RandomForest.FeatureImportances"/>, only when the forest saw raw pixels so there is one value per pixel).
/// Other estimators may offer a public <c>FeatureImportances</c> property of 784 values (float[] or double[]);
/// that one is found by name so such models need no reference to the evaluation code.
/// </summary>
public static class ModelInsights
{
    public static IReadOnlyList<double>? FeatureImportances(IClassifier model)
    {
        IReadOnlyList<double>? values = model switch
        {
            Pipeline { Steps.Count: 0, Estimator: RandomForest forest } when forest.IsFitted => forest.FeatureImportances.Select(v => (double)v).ToArray(),
            Pipeline { Steps.Count: 0 } pipeline => ReadByName(pipeline.Estimator, "FeatureImportances"),
            Pipeline => null, // importances of transformed features are not pixels
            _ => ReadByName(model, "FeatureImportances"),
        };
        return values is { Count: ImageSet.PixelCount } ? values : null;
    }

    /// <summary>The PCA step of a fitted pipeline, or null when the model has none.</summary>
    public static PcaInsight? Pca(IClassifier model)
    {
        if (model is not Pipeline pipeline) return null;
        for (int i = 0; i < pipeline.Steps.Count; i++)
        {
            if (pipeline.Steps[i] is not PcaTransform { ExplainedVarianceRatio.Length: > 0 } pca) continue;
            var cumulative = new double[pca.ExplainedVarianceRatio.Length];
            double sum = 0;
            for (int c = 0; c < cumulative.Length; c++) cumulative[c] = Math.Min(1, sum += pca.ExplainedVarianceRatio[c]);
            bool onHog = pipeline.Steps.Take(i).Any(s => s is HogTransform);
            return new PcaInsight(cumulative, pca.Components, onHog ? "HOG features" : "pixels");
        }
        return null;
    }

    private static IReadOnlyList<double>? ReadByName(object model, string property)
    {
        object? value;
        try { value = model.GetType().GetProperty(property, BindingFlags.Public | BindingFlags.Instance)?.GetValue(model); }
        catch (TargetInvocationException) { return null; } // e.g. "not fitted"
        return value switch
        {
            double[] d => d,
            float[] f => f.Select(x => (double)x).ToArray(),
            _ => null,
        };
    }
}
