using FashionMnist.Models;

namespace FashionMnist.Classic.Knn;

/// <summary>Registers "knn" with the catalog.</summary>
internal sealed class KnnFamily : IModelFamily
{
    public IEnumerable<ModelDescriptor> Models =>
    [
        ClassicModel.Descriptor<KnnOptions>("knn",
            "k-nearest neighbours, exact brute force (L1: byte SAD SIMD; L2: VNNI int8 dots or GEMM); stores its training set",
            options => new KnnClassifier(options), KnnClassifier.Load),
    ];
}
