using System.ComponentModel;
using FashionMnist.Models;

namespace FashionMnist.Classic.Knn;

/// <summary>How the k neighbours' votes count.</summary>
public enum KnnWeights
{
    /// <summary>Every neighbour counts the same.</summary>
    Uniform,
    /// <summary>A neighbour counts 1/distance (exact matches, distance 0, take all the weight).</summary>
    Distance,
}

/// <summary>How far apart two samples are.</summary>
public enum KnnMetric
{
    /// <summary>Manhattan distance: the sum of absolute differences.</summary>
    L1,
    /// <summary>Euclidean distance.</summary>
    L2,
}

/// <summary>Hyper-parameters of <see cref="KnnClassifier"/> (scikit-learn KNeighborsClassifier names).</summary>
public sealed record KnnOptions : ClassicOptions
{
    [Description("Number of neighbours that vote.")]
    [AlsoNamed("n_neighbors")]
    public int K { get; init; } = 5;

    [Description("uniform: one vote each; distance: votes weighted by 1/distance.")]
    public KnnWeights Weights { get; init; } = KnnWeights.Distance;

    [Description("l1 (Manhattan, byte SIMD on raw pixels) or l2 (Euclidean, through GEMM).")]
    public KnnMetric Metric { get; init; } = KnnMetric.L1;

    public override void Validate()
    {
        base.Validate();
        Require(K >= 1, "k", "must be at least 1", K);
        Require(K <= 1000, "k", "must be at most 1000", K);
    }
}
