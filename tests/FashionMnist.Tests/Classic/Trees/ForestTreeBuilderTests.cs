using FashionMnist.Classic;
using FashionMnist.Classic.Trees;
using FashionMnist.Tests.Support;

namespace FashionMnist.Tests.Classic.Trees;

public class ForestTreeBuilderTests
{
    [Theory]
    [InlineData(SplitCriterion.Gini)]
    [InlineData(SplitCriterion.Entropy)]
    public void Filling_two_features_per_pass_grows_exactly_the_tree_of_one_at_a_time(SplitCriterion criterion)
    {
        const int rows = 2000;
        byte[] rowBins = TestData.Train.Pixels.AsSpan(0, rows * 784).ToArray();
        ForestTrainingSet Set(bool oneAtATime) => new()
        {
            Columns = FeatureBinner.Transpose(rowBins, rows, 784),
            RowBins = rowBins,
            Labels = TestData.Train.Labels.AsSpan(0, rows).ToArray(),
            Rows = rows,
            Features = 784,
            FeaturesPerSplit = 28,
            Criterion = criterion,
            MaxDepth = int.MaxValue,
            MinSamplesSplit = 2,
            MinSamplesLeaf = 1,
            OneFeatureAtATime = oneAtATime,
        };
        // A bootstrap sample as per-row counts (bigger nodes use the feature-major columns, small ones the local buffer).
        var weights = new int[rows];
        var draw = new Random(3);
        for (int i = 0; i < rows; i++) weights[draw.Next(rows)]++;
        var pairImportances = new double[784];
        var singleImportances = new double[784];
        DecisionTree pair = new ForestTreeBuilder(Set(false)).Grow(weights, new Random(7), pairImportances);
        DecisionTree single = new ForestTreeBuilder(Set(true)).Grow(weights, new Random(7), singleImportances);
        Assert.True(pair.LeafCount > 100, $"{pair.LeafCount} leaves: a real tree");
        Assert.Equal(single.Nodes, pair.Nodes);
        Assert.Equal(single.LeafValues, pair.LeafValues);
        Assert.Equal(singleImportances, pairImportances);
    }
}
