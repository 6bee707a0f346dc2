using FashionMnist.Models;

namespace FashionMnist.Ensembles;

/// <summary>The <c>ensemble</c> catalog model.</summary>
public sealed class EnsembleFamily : IModelFamily
{
    public const string Name = "ensemble";

    /// <summary>
    /// The conformance suite's members: two small models trained inline (no files needed), a network and a classical one,
    /// so the suite sees an ensemble across families.
    /// </summary>
    public const string FastMembers = "mlp(hidden=32;epochs=2;batch-size=32;validation-fraction=0),knn(k=5)";

    public IEnumerable<ModelDescriptor> Models =>
    [
        new(Name, "ensemble", "Several models as one: soft vote or stacking (members=a.fmm,b.fmm or catalog models with settings)",
            typeof(EnsembleOptions),
            options => new EnsembleClassifier((EnsembleOptions)options),
            (options, reader) => EnsembleClassifier.Load((EnsembleOptions)options, reader))
        {
            FastSettings = new Dictionary<string, string> { ["members"] = FastMembers },
        },
    ];
}
