using System.Runtime.Intrinsics;
using FashionMnist.Classic.Trees;
using FashionMnist.Tests.Support;

namespace FashionMnist.Tests.Classic.Trees;

public class BoostingTreeBuilderTests
{
    private static BoostingTrainingSet Set(int rows, bool scalar) => new()
    {
        Columns = FeatureBinner.Transpose(TestData.Train.Pixels.AsSpan(0, rows * 784).ToArray(), rows, 784),
        Rows = rows,
        Features = 784,
        BinCounts = Enumerable.Repeat(256, 784).ToArray(),
        MaxDepth = 4,
        MaxLeaves = int.MaxValue,
        L2 = 1,
        MinChildWeight = 1,
        MinSamplesLeaf = 3,
        MinSplitGain = 0,
        ScalarSplitScan = scalar,
    };

    [Fact]
    public void Vector_split_scan_grows_the_same_trees_as_the_scalar_one_on_real_images()
    {
        const int rows = 3000;
        // Second-order gradients of one softmax step from seeded random scores (no exact ties between features).
        var random = new Random(5);
        var labels = TestData.Train.Labels;
        float[][] g = new float[10][], h = new float[10][];
        for (int c = 0; c < 10; c++) (g[c], h[c]) = (new float[rows], new float[rows]);
        for (int r = 0; r < rows; r++)
        {
            var scores = Enumerable.Range(0, 10).Select(_ => random.NextDouble()).ToArray();
            double sum = scores.Sum(Math.Exp);
            for (int c = 0; c < 10; c++)
            {
                float p = (float)(Math.Exp(scores[c]) / sum);
                g[c][r] = p - (labels[r] == c ? 1 : 0);
                h[c][r] = p * (1 - p);
            }
        }
        int[] all = Enumerable.Range(0, rows).ToArray();
        int[] odd = Enumerable.Range(0, 784).Where(f => f % 2 == 1).ToArray(); // a column sample: slots are not feature ids
        var vector = new BoostingTreeBuilder(Set(rows, scalar: false));
        var scalar = new BoostingTreeBuilder(Set(rows, scalar: true));
        int sameTrees = 0;
        for (int c = 0; c < 10; c++)
            foreach (int[] features in new[] { Enumerable.Range(0, 784).ToArray(), odd })
            {
                DecisionTree a = vector.Grow(g[c], h[c], all, features, 0.3f), b = scalar.Grow(g[c], h[c], all, features, 0.3f);
                // The root's best gain is far from any other: always the same split.
                Assert.Equal(b.Nodes[0].Feature, a.Nodes[0].Feature);
                Assert.Equal(b.Nodes[0].Threshold, a.Nodes[0].Threshold);
                Assert.All(a.Nodes.Where(n => !n.IsLeaf), n => Assert.Contains(n.Feature, features));
                Assert.All(a.Nodes.Where(n => !n.IsLeaf), n => Assert.InRange(n.Threshold, 0, 254));
                if (a.Nodes.Select(n => (n.Feature, n.Threshold)).SequenceEqual(b.Nodes.Select(n => (n.Feature, n.Threshold))))
                {
                    sameTrees++;
                    // Leaf sums come from the prefix sums too: equal up to float rounding.
                    for (int v = 0; v < a.LeafValues.Length; v++)
                        Assert.True(Math.Abs(a.LeafValues[v] - b.LeafValues[v]) <= 1e-4f * (1 + Math.Abs(b.LeafValues[v])), $"{a.LeafValues[v]} vs {b.LeafValues[v]}");
                }
            }
        // Prefix sums are added in another order, so a near-tie deep down may go the other way now and then.
        Assert.True(sameTrees >= 16, $"only {sameTrees} of 20 trees identical");
        if (!Vector512.IsHardwareAccelerated) Assert.Equal(20, sameTrees);
    }
}
