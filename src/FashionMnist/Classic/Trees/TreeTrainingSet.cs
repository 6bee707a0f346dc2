namespace FashionMnist.Classic.Trees;

/// <summary>
/// What every tree builder grows from: the binned training rows in feature-major layout (one feature's bins are
/// contiguous, as histograms read them) and the limits on growth. <see cref="ForestTrainingSet"/> and
/// <see cref="BoostingTrainingSet"/> add what their kind of tree needs.
/// </summary>
internal abstract class TreeTrainingSet
{
    public required byte[] Columns { get; init; }  // features x rows
    public required int Rows { get; init; }
    public required int Features { get; init; }
    public required int MaxDepth { get; init; }
    public required int MinSamplesLeaf { get; init; }
}
