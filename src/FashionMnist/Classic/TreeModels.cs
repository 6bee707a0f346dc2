using FashionMnist.Models;

namespace FashionMnist.Classic;

/// <summary>Registers the tree ensembles: random-forest and gradient-boosting (both managed, on exact byte histograms).</summary>
public sealed class TreeModels : IModelFamily
{
    public IEnumerable<ModelDescriptor> Models =>
    [
        ClassicModel.Descriptor<ForestOptions>("random-forest",
            "Random forest of CART trees on exact 256-level pixel histograms (Gini/entropy, bootstrap, OOB score, importances).",
            options => new RandomForest(options), RandomForest.Load, new Dictionary<string, string> { ["trees"] = "10" }),
        ClassicModel.Descriptor<BoostingOptions>("gradient-boosting",
            "Gradient-boosted trees, softmax with second-order gradients on exact 256-level pixel histograms, optional early stopping.",
            options => new GradientBoosting(options), GradientBoosting.Load, new Dictionary<string, string> { ["rounds"] = "5" }),
    ];
}
