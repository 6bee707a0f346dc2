using FashionMnist.Classic;
using FashionMnist.Classic.Knn;
using FashionMnist.Data;
using FashionMnist.Models;
using FashionMnist.Tests.Support;

namespace FashionMnist.Tests.Classic;

public class KnnTests
{
    // Toy 2-D set, classes 0/1/2:   (0,0)c0 (1,0)c0 (0,1)c0 | (10,10)c1 (11,10)c1 | (0,10)c2
    private static readonly float[] s_toyPoints = [0, 0, 1, 0, 0, 1, 10, 10, 11, 10, 0, 10];
    private static readonly byte[] s_toyLabels = [0, 0, 0, 1, 1, 2];

    private static KnnClassifier FitToy(int k, KnnWeights weights, KnnMetric metric)
    {
        var model = new KnnClassifier(new KnnOptions { K = k, Weights = weights, Metric = metric });
        model.Fit(FeatureMatrix.FromFloats(s_toyPoints, 6, 2), s_toyLabels, FitContext.Default);
        return model;
    }

    private static float[] Probabilities(KnnClassifier model, params float[] point)
    {
        var probabilities = new float[10];
        model.PredictProbabilities(FeatureMatrix.FromFloats(point, 1, 2), probabilities);
        return probabilities;
    }

    [Theory]
    [InlineData(KnnMetric.L1)]
    [InlineData(KnnMetric.L2)]
    public void Toy_uniform_vote_shares_are_the_neighbour_counts(KnnMetric metric)
    {
        // From (2,2): nearest are the three class-0 points, then (0,10) (L1 10, L2 8.2) before (10,10) (L1 16, L2 11.3).
        var p = Probabilities(FitToy(4, KnnWeights.Uniform, metric), 2, 2);
        Assert.Equal(0.75f, p[0], 6);
        Assert.Equal(0f, p[1]);
        Assert.Equal(0.25f, p[2], 6);
    }

    [Fact]
    public void Toy_distance_weights_are_inverse_distances()
    {
        // From (5,10), k=3, L1: (0,10)c2 at 5, (10,10)c1 at 5, (11,10)c1 at 6. Weights 1/5, 1/5+1/6.
        var model = FitToy(3, KnnWeights.Distance, KnnMetric.L1);
        var p = Probabilities(model, 5, 10);
        double c1 = 1 / 5.0 + 1 / 6.0, c2 = 1 / 5.0, total = c1 + c2;
        Assert.Equal(c1 / total, p[1], 5);
        Assert.Equal(c2 / total, p[2], 5);
        var (indices, distances) = model.KNeighbours(FeatureMatrix.FromFloats([5, 10], 1, 2));
        Assert.Equal([3, 5, 4], indices); // tie at distance 5 goes to the lower index (3 before 5)
        Assert.Equal([5f, 5f, 6f], distances);
    }

    [Fact]
    public void Toy_exact_match_takes_all_the_weight()
    {
        var p = Probabilities(FitToy(3, KnnWeights.Distance, KnnMetric.L2), 0, 10);
        Assert.Equal(1f, p[2]);
    }

    [Fact]
    public void K_zero_and_k_above_training_size_are_clear_errors()
    {
        var zero = Assert.Throws<FashionMnistException>(() => ModelCatalog.Create("knn", new Dictionary<string, string> { ["k"] = "0" }));
        Assert.Contains("'k' must be at least 1, got 0", zero.Message);
        var model = new KnnClassifier(new KnnOptions { K = 7 });
        var tooFew = Assert.Throws<FashionMnistException>(() => model.Fit(FeatureMatrix.FromFloats(s_toyPoints, 6, 2), s_toyLabels, FitContext.Default));
        Assert.Contains("at least 7 training samples", tooFew.Message);
    }

    [Theory]
    [InlineData(KnnMetric.L1, KnnWeights.Uniform)]
    [InlineData(KnnMetric.L1, KnnWeights.Distance)]
    [InlineData(KnnMetric.L2, KnnWeights.Uniform)]
    [InlineData(KnnMetric.L2, KnnWeights.Distance)]
    public void Agrees_with_a_naive_loop_on_real_images(KnnMetric metric, KnnWeights weights)
    {
        // 1001 training rows and 37 queries: odd sizes exercise every remainder path of the 2x2 kernels.
        ImageSet train = TestData.Train.Take(1001), queries = TestData.Test.Take(37);
        const int k = 5;
        var model = new KnnClassifier(new KnnOptions { K = k, Metric = metric, Weights = weights });
        model.Fit(FeatureMatrix.FromImages(train), train.Labels, FitContext.Default);
        var (indices, distances) = model.KNeighbours(FeatureMatrix.FromImages(queries));
        var probabilities = new float[queries.Count * 10];
        model.PredictProbabilities(FeatureMatrix.FromImages(queries), probabilities);

        for (int q = 0; q < queries.Count; q++)
        {
            var naive = Enumerable.Range(0, train.Count)
                .Select(t => (Distance: NaiveDistance(queries.Image(q), train.Image(t), metric), Index: t))
                .OrderBy(x => x.Distance).ThenBy(x => x.Index).Take(k).ToArray();
            Assert.Equal(naive.Select(x => x.Index), indices.AsSpan(q * k, k).ToArray());
            for (int i = 0; i < k; i++) Assert.Equal(naive[i].Distance, distances[q * k + i], naive[i].Distance * 1e-6);

            var expected = new double[10];
            foreach (var (distance, index) in naive)
                expected[train.Labels[index]] += weights == KnnWeights.Uniform ? 1 : 1 / distance;
            double total = expected.Sum();
            for (int c = 0; c < 10; c++) Assert.Equal(expected[c] / total, probabilities[q * 10 + c], 1e-6);
        }
    }

    [Fact]
    public void Float_features_give_the_same_neighbours_as_bytes()
    {
        ImageSet train = TestData.Train.Take(500), queries = TestData.Test.Take(20);
        foreach (var metric in new[] { KnnMetric.L1, KnnMetric.L2 })
        {
            var onBytes = new KnnClassifier(new KnnOptions { Metric = metric });
            onBytes.Fit(FeatureMatrix.FromImages(train), train.Labels, FitContext.Default);
            var onFloats = new KnnClassifier(new KnnOptions { Metric = metric });
            onFloats.Fit(FeatureMatrix.FromFloats(train.ToFloats(PixelScaling.Raw), train.Count, 784), train.Labels, FitContext.Default);
            Assert.Equal(onBytes.KNeighbours(FeatureMatrix.FromImages(queries)).Indices,
                onFloats.KNeighbours(FeatureMatrix.FromFloats(queries.ToFloats(PixelScaling.Raw), queries.Count, 784)).Indices);
        }
    }

    [Fact]
    public void Portable_sad_matches_the_scalar_sum()
    {
        var random = new Random(3);
        var a = new byte[4096 + 64];
        var b = new byte[4096 + 64];
        random.NextBytes(a);
        random.NextBytes(b);
        int expected = 0;
        for (int i = 0; i < 4096; i++) expected += Math.Abs(a[i] - b[i]);
        unsafe
        {
            fixed (byte* pa = a)
            fixed (byte* pb = b)
            {
                Assert.Equal(expected, DistanceKernels.SadPortable(pa, pb, 4096)); // 256 chunks: flushes the 16-bit sums 4 times
                Assert.Equal(expected, DistanceKernels.Sad(pa, pb, 4096));
            }
        }
    }

    [Fact]
    public void Reaches_a_sensible_accuracy_on_a_real_slice()
    {
        // 5,000 training images, 1,000 test images: KNN L1 k=5 distance scores about 0.80 here (0.86 on the full set).
        var model = ModelCatalog.Create("knn");
        model.Fit(TestData.Train.Take(5000));
        Assert.InRange(model.Score(TestData.Test.Take(1000)), 0.76, 0.90);
    }

    private static double NaiveDistance(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b, KnnMetric metric)
    {
        double sum = 0;
        for (int i = 0; i < a.Length; i++)
        {
            int d = a[i] - b[i];
            sum += metric == KnnMetric.L1 ? Math.Abs(d) : d * d;
        }
        return metric == KnnMetric.L1 ? sum : Math.Sqrt(sum);
    }
}
