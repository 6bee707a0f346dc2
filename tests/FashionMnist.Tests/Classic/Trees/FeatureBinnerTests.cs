using FashionMnist.Classic;
using FashionMnist.Classic.Trees;

namespace FashionMnist.Tests.Classic.Trees;

public class FeatureBinnerTests
{
    [Fact]
    public void Few_distinct_values_get_one_bin_each_with_midpoint_cuts()
    {
        float[] values = [3f, 1f, 2f, 2f, 1f];
        Assert.Equal([1.5f, 2.5f], FeatureBinner.CutPoints(values));
        float[] cuts = [1.5f, 2.5f];
        Assert.Equal(0, FeatureBinner.Bin(cuts, 1f));
        Assert.Equal(1, FeatureBinner.Bin(cuts, 2f));
        Assert.Equal(2, FeatureBinner.Bin(cuts, 3f));
        Assert.Equal(0, FeatureBinner.Bin(cuts, 1.5f)); // a value on a cut goes to the lower bin
    }

    [Fact]
    public void Many_distinct_values_get_at_most_256_bins_of_about_equal_size()
    {
        var random = new Random(1);
        float[] values = Enumerable.Range(0, 10_000).Select(_ => (float)random.NextDouble()).ToArray();
        float[] cuts = FeatureBinner.CutPoints(values.ToArray());
        Assert.Equal(255, cuts.Length);
        for (int i = 1; i < cuts.Length; i++) Assert.True(cuts[i] > cuts[i - 1]);
        var sizes = new int[256];
        foreach (float v in values) sizes[FeatureBinner.Bin(cuts, v)]++;
        Assert.InRange(sizes.Min(), 30, 40);
        Assert.InRange(sizes.Max(), 39, 40); // 10000/256 = 39.06
    }

    [Fact]
    public void A_heavy_value_stays_in_one_bin()
    {
        // Half the values are 0 (like black pixels after a transform): no cut may split them.
        float[] values = [.. Enumerable.Repeat(0f, 5000), .. Enumerable.Range(1, 5000).Select(i => (float)i)];
        float[] cuts = FeatureBinner.CutPoints(values);
        Assert.Equal(0, FeatureBinner.Bin(cuts, 0f));
        Assert.True(FeatureBinner.Bin(cuts, 1f) > 0);
        Assert.True(cuts.Length <= 255);
    }

    [Fact]
    public void Byte_features_are_their_own_bins_and_transpose_is_exact()
    {
        byte[] bytes = [1, 2, 3, 4, 5, 6];
        var binner = FeatureBinner.Fit(FeatureMatrix.FromBytes(bytes, 2, 3), seed: 1);
        Assert.True(binner.IsIdentity);
        Assert.Same(bytes, binner.BinRows(FeatureMatrix.FromBytes(bytes, 2, 3)));
        Assert.Equal([1, 4, 2, 5, 3, 6], FeatureBinner.Transpose(bytes, 2, 3));
    }

    [Fact]
    public void Nan_features_are_rejected_with_a_clear_error()
    {
        var e = Assert.Throws<FashionMnistException>(() => FeatureBinner.Fit(FeatureMatrix.FromFloats([1f, float.NaN], 2, 1), 1));
        Assert.Contains("NaN", e.Message);
    }
}
