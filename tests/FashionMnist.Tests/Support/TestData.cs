using FashionMnist.Data;

namespace FashionMnist.Tests.Support;

/// <summary>
/// The real Fashion-MNIST data, loaded once per test run and shared by all tests.
/// Tests take slices (e.g. <c>TestData.Train.Take(5000)</c>) to stay fast.
/// The setup script installs the Debian package dataset-fashion-mnist, so the data is always there.
/// </summary>
public static class TestData
{
    private static readonly Lazy<FashionMnistData> s_data = new(() => FashionMnistData.Load());

    public static FashionMnistData Full => s_data.Value;
    public static ImageSet Train => Full.Train;
    public static ImageSet Test => Full.Test;

    /// <summary>A class-balanced slice of the training set: the first <paramref name="perClass"/> images of each class.</summary>
    public static ImageSet BalancedTrain(int perClass) => Balanced(Train, perClass);

    public static ImageSet BalancedTest(int perClass) => Balanced(Test, perClass);

    private static ImageSet Balanced(ImageSet set, int perClass)
    {
        var taken = new int[FashionMnistClasses.Count];
        var indices = new List<int>(perClass * FashionMnistClasses.Count);
        for (int i = 0; i < set.Count && indices.Count < perClass * FashionMnistClasses.Count; i++)
            if (taken[set.Labels[i]]++ < perClass) indices.Add(i);
        return set.Subset(indices.ToArray());
    }
}
