using FashionMnist.Models;

namespace FashionMnist.Classic;

/// <summary>Registers the tree ensembles: random-forest and gradient-boosting (both managed, on exact byte histograms).</summary>
public sealed class TreeModels : IModelFamily
{
    public IEnumerable<ModelDescriptor> Models =>
    [
        new ModelDescriptor("random-forest", "classic",
            "Random forest of CART trees on exact 256-level pixel histograms (Gini/entropy, bootstrap, OOB score, importances).",
            typeof(ForestOptions),
            options => new Pipeline("random-forest", options, [], new RandomForest((ForestOptions)options)),
            (options, reader) => Pipeline.Load("random-forest", options, reader, r => RandomForest.Load((ForestOptions)options, r))),
        new ModelDescriptor("gradient-boosting", "classic",
            "Gradient-boosted trees, softmax with second-order gradients on exact 256-level pixel histograms, optional early stopping.",
            typeof(BoostingOptions),
            options => new Pipeline("gradient-boosting", options, [], new GradientBoosting((BoostingOptions)options)),
            (options, reader) => Pipeline.Load("gradient-boosting", options, reader, r => GradientBoosting.Load((BoostingOptions)options, r))),
    ];
}
