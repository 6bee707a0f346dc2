using FashionMnist.Classic;
using FashionMnist.Data;
using FashionMnist.Models;
using FashionMnist.Numerics;
using FashionMnist.Tests.Support;

namespace FashionMnist.Tests.Classic.Trees;

internal static class TreeTestHelpers
{
    /// <summary>One feature per row, as bytes.</summary>
    public static FeatureMatrix Column(params byte[] values) => FeatureMatrix.FromBytes(values, values.Length, 1);

    public static float[] Probabilities(IFeatureClassifier model, FeatureMatrix features)
    {
        var result = new float[features.Rows * FashionMnistClasses.Count];
        model.PredictProbabilities(features, result);
        return result;
    }

    public static double Accuracy(IClassifier model, ImageSet images) => model.Score(images);

    /// <summary>Saves through the real model-file format and loads it back.</summary>
    public static IClassifier RoundTrip(IClassifier model)
    {
        using var stream = new MemoryStream();
        ModelFile.Write(model, stream);
        return ModelFile.Load(stream.ToArray(), "memory");
    }

    /// <summary>Runs <paramref name="action"/> with a given thread count, restoring the previous one.</summary>
    public static T WithThreads<T>(int threads, Func<T> action)
    {
        int previous = ComputeThreads.Count;
        ComputeThreads.Count = threads;
        try { return action(); }
        finally { ComputeThreads.Count = previous; }
    }

    public static ImageSet SmallTrain => s_smallTrain.Value;
    public static ImageSet SmallTest => s_smallTest.Value;
    private static readonly Lazy<ImageSet> s_smallTrain = new(() => TestData.BalancedTrain(300));
    private static readonly Lazy<ImageSet> s_smallTest = new(() => TestData.BalancedTest(100));
}
