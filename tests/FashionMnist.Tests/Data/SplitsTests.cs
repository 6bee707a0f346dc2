using FashionMnist.Data;
using FashionMnist.Tests.Support;

namespace FashionMnist.Tests.Data;

public sealed class SplitsTests
{
    private static byte[] RealLabels => TestData.Train.Labels.AsSpan(0, 5_000).ToArray();

    private static int[] CountPerClass(byte[] labels, IEnumerable<int> indices)
    {
        var counts = new int[FashionMnistClasses.Count];
        foreach (int i in indices) counts[labels[i]]++;
        return counts;
    }

    [Fact]
    public void Permutation_is_a_permutation_and_fixed_by_the_seed()
    {
        int[] a = Splits.Permutation(1000, 42), b = Splits.Permutation(1000, 42), c = Splits.Permutation(1000, 43);
        Assert.Equal(Enumerable.Range(0, 1000), a.Order());
        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
        Assert.NotEqual(Enumerable.Range(0, 1000), a);
    }

    [Fact]
    public void Stratified_split_keeps_each_class_share()
    {
        byte[] labels = RealLabels;
        var (train, validation) = Splits.Stratified(labels, 0.2, seed: 7);
        Assert.Equal(Enumerable.Range(0, labels.Length), train.Concat(validation).Order());
        int[] total = CountPerClass(labels, Enumerable.Range(0, labels.Length));
        int[] held = CountPerClass(labels, validation);
        for (int c = 0; c < total.Length; c++)
            Assert.Equal((int)Math.Round(total[c] * 0.2, MidpointRounding.AwayFromZero), held[c]);
        Assert.Equal(train.Order(), train); // sorted
        Assert.Equal(validation.Order(), validation);
    }

    [Fact]
    public void Stratified_split_on_a_hand_made_case()
    {
        // 10 of class 0, 5 of class 1: 30% -> 3 and 2 (1.5 rounds away from zero)
        byte[] labels = [.. Enumerable.Repeat((byte)0, 10), .. Enumerable.Repeat((byte)1, 5)];
        var (train, validation) = Splits.Stratified(labels, 0.3, seed: 1);
        Assert.Equal([3, 2], CountPerClass(labels, validation)[..2]);
        Assert.Equal(10, train.Length);
    }

    [Fact]
    public void Stratified_split_is_deterministic_for_a_seed()
    {
        byte[] labels = RealLabels;
        Assert.Equal(Splits.Stratified(labels, 0.1, 3).Validation, Splits.Stratified(labels, 0.1, 3).Validation);
        Assert.NotEqual(Splits.Stratified(labels, 0.1, 3).Validation, Splits.Stratified(labels, 0.1, 4).Validation);
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(1.0)]
    public void Stratified_split_rejects_fractions_outside_0_1(double fraction) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => Splits.Stratified(RealLabels, fraction, 1));

    [Fact]
    public void Stratified_split_of_an_image_set_carries_images_and_labels()
    {
        var set = TestData.Train.Take(500);
        var (train, validation) = Splits.Stratified(set, 0.2, 5);
        Assert.Equal(500, train.Count + validation.Count);
        var (_, validationIndices) = Splits.Stratified(set.Labels, 0.2, 5);
        Assert.Equal(set.Image(validationIndices[0]).ToArray(), validation.Image(0).ToArray());
        Assert.Equal(set.Labels[validationIndices[^1]], validation.Labels[^1]);
    }

    [Fact]
    public void KFold_test_parts_partition_the_indices_and_stratify()
    {
        byte[] labels = RealLabels;
        var folds = Splits.StratifiedKFold(labels, 5, seed: 11);
        Assert.Equal(5, folds.Count);
        Assert.Equal(Enumerable.Range(0, labels.Length), folds.SelectMany(f => f.Test).Order());
        int[] total = CountPerClass(labels, Enumerable.Range(0, labels.Length));
        foreach (var (train, test) in folds)
        {
            Assert.Empty(train.Intersect(test));
            Assert.Equal(labels.Length, train.Length + test.Length);
            int[] inFold = CountPerClass(labels, test);
            for (int c = 0; c < total.Length; c++)
                Assert.InRange(inFold[c], total[c] / 5, (total[c] + 4) / 5);
            Assert.InRange(test.Length, labels.Length / 5 - 1, labels.Length / 5 + 1);
        }
    }

    [Fact]
    public void KFold_is_deterministic_for_a_seed()
    {
        byte[] labels = RealLabels;
        var a = Splits.StratifiedKFold(labels, 3, 1);
        var b = Splits.StratifiedKFold(labels, 3, 1);
        var c = Splits.StratifiedKFold(labels, 3, 2);
        for (int f = 0; f < 3; f++) Assert.Equal(a[f].Test, b[f].Test);
        Assert.NotEqual(a[0].Test, c[0].Test);
    }

    [Fact]
    public void KFold_rejects_too_few_folds_or_samples()
    {
        Assert.Throws<FashionMnistException>(() => Splits.StratifiedKFold(RealLabels, 1, 0));
        Assert.Throws<FashionMnistException>(() => Splits.StratifiedKFold([0, 1], 3, 0));
    }
}
