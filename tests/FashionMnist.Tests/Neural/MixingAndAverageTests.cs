using FashionMnist.Data;
using FashionMnist.Models;
using FashionMnist.Neural;
using FashionMnist.Tests.Support;

namespace FashionMnist.Tests.Neural;

/// <summary>Mixup, CutMix, the mixed-label loss and the weight average (EMA), on hand-made values and real images.</summary>
public class MixingAndAverageTests
{
    [Fact]
    public void Mixed_loss_is_the_plain_loss_at_lambda_one_and_matches_hand_computed_values_and_finite_differences()
    {
        float[] logits = [2f, -1f, 0.5f, 0f, 1f, 3f];
        byte[] labels = [0, 2], partners = [1, 0];
        var plain = SoftmaxCrossEntropy.Compute(logits, labels, 2, 3, 0.1f, new float[6]);
        var same = SoftmaxCrossEntropy.Compute(logits, labels, partners, 1f, 2, 3, 0.1f, new float[6]);
        Assert.Equal(plain, same);

        const float lambda = 0.7f, smoothing = 0.1f;
        var gradient = new float[6];
        var (loss, correct) = SoftmaxCrossEntropy.Compute(logits, labels, partners, lambda, 2, 3, smoothing, gradient);
        // Row 0 targets: 0.1/3 + 0.7·0.9 on class 0, 0.1/3 + 0.3·0.9 on class 1, 0.1/3 on class 2.
        double Lse(double a, double b, double c) => Math.Log(Math.Exp(a) + Math.Exp(b) + Math.Exp(c));
        double off = 0.1 / 3, l0 = Lse(2, -1, 0.5), l1 = Lse(0, 1, 3);
        double row0 = (off + 0.63) * (l0 - 2) + (off + 0.27) * (l0 + 1) + off * (l0 - 0.5);
        double row1 = (off + 0.27) * (l1 - 0) + off * (l1 - 1) + (off + 0.63) * (l1 - 3);
        Assert.Equal((row0 + row1) / 2, loss, 5);
        Assert.Equal(2, correct); // both rows' arg-max is their own (heavier) label
        for (int i = 0; i < logits.Length; i++)
        {
            float saved = logits[i];
            logits[i] = saved + 1e-2f;
            double plus = SoftmaxCrossEntropy.Compute(logits, labels, partners, lambda, 2, 3, smoothing, []).MeanLoss;
            logits[i] = saved - 1e-2f;
            double minus = SoftmaxCrossEntropy.Compute(logits, labels, partners, lambda, 2, 3, smoothing, []).MeanLoss;
            logits[i] = saved;
            Assert.Equal((plus - minus) / 2e-2, gradient[i], 3);
        }
        // With lambda below one half the partner's label is the one that counts as right.
        Assert.Equal(0, SoftmaxCrossEntropy.Compute(logits, labels, partners, 0.3f, 2, 3, 0f, []).Correct);
    }

    [Theory]
    [InlineData(0.2)]
    [InlineData(1.0)]
    [InlineData(2.5)]
    public void Beta_draws_have_the_beta_distributions_mean_and_variance(double alpha)
    {
        var random = new SplitMix64(11);
        const int draws = 40_000;
        double sum = 0, squares = 0, gammaSum = 0;
        for (int i = 0; i < draws; i++)
        {
            double x = BatchMixing.NextBeta(ref random, alpha);
            Assert.InRange(x, 0, 1);
            sum += x;
            squares += x * x;
            gammaSum += BatchMixing.NextGamma(ref random, alpha);
        }
        double mean = sum / draws, variance = squares / draws - mean * mean;
        Assert.Equal(0.5, mean, 2);                                          // symmetric
        Assert.Equal(1 / (4 * (2 * alpha + 1)), variance, 2);               // Var Beta(a, a) = 1 / (4(2a + 1))
        Assert.True(Math.Abs(gammaSum / draws - alpha) < 0.03 * Math.Max(1, alpha), $"Gamma({alpha}) mean {gammaSum / draws}"); // E Gamma(a, 1) = a
    }

    private static (float[] Input, byte[] Labels) Batch(int n)
    {
        ImageSet images = TestData.BalancedTrain(2);
        var input = new float[n * ImageSet.PixelCount];
        for (int i = 0; i < n * ImageSet.PixelCount; i++) input[i] = images.Pixels[i] / 255f;
        return (input, images.Labels[..n]);
    }

    [Fact]
    public void Mixup_blends_each_image_with_its_partner_by_lambda()
    {
        const int n = 8;
        var (input, labels) = Batch(n);
        float[] original = input.ToArray();
        var partners = new byte[n];
        var mixing = new BatchMixing(mixupAlpha: 0.4, cutmixAlpha: 0, probability: 1);
        float lambda = mixing.Apply(input, labels, partners, n, key: 99);
        Assert.InRange(lambda, 0f, 1f);
        Assert.NotEqual(1f, lambda);
        int pixels = ImageSet.PixelCount, moved = 0;
        for (int i = 0; i < n; i++)
        {
            // The partner is the image whose blend reproduces row i; its label is the partner label.
            int partner = Enumerable.Range(0, n).Single(j =>
                Enumerable.Range(0, pixels).All(p => Math.Abs(input[i * pixels + p] - (lambda * original[i * pixels + p] + (1 - lambda) * original[j * pixels + p])) < 1e-5f));
            Assert.Equal(labels[partner], partners[i]);
            if (partner != i) moved++;
        }
        Assert.True(moved >= n / 2, "the pairing should mostly pair different images");
        // Same key, same mix; another key, another one.
        var (again, _) = Batch(n);
        Assert.Equal(lambda, new BatchMixing(0.4, 0, 1).Apply(again, labels, new byte[n], n, 99));
        Assert.Equal(input, again);
        var (other, _) = Batch(n);
        new BatchMixing(0.4, 0, 1).Apply(other, labels, new byte[n], n, 100);
        Assert.NotEqual(input, other);
    }

    [Fact]
    public void Cutmix_pastes_one_box_from_the_partner_and_lambda_is_the_share_kept()
    {
        const int n = 6;
        var (input, labels) = Batch(n);
        float[] original = input.ToArray();
        var partners = new byte[n];
        float lambda = new BatchMixing(0, 1.0, 1).Apply(input, labels, partners, n, key: 5);
        int pixels = ImageSet.PixelCount;
        // The changed pixels of each image form the same rectangle; its area is (1 - lambda) of the image.
        var random = new SplitMix64(5);
        var changed = new bool[pixels];
        for (int i = 0; i < n; i++)
            for (int p = 0; p < pixels; p++)
                if (input[i * pixels + p] != original[i * pixels + p]) changed[p] = true;
        int count = changed.Count(c => c);
        Assert.True(count > 0);
        int top = Array.FindIndex(changed, c => c) / 28, bottom = Array.FindLastIndex(changed, c => c) / 28;
        int left = Enumerable.Range(0, pixels).Where(p => changed[p]).Min(p => p % 28), right = Enumerable.Range(0, pixels).Where(p => changed[p]).Max(p => p % 28);
        Assert.True((bottom - top + 1) * (right - left + 1) <= Math.Round((1 - lambda) * pixels) + 0.5);
        for (int i = 0; i < n; i++)
        {
            int partner = Enumerable.Range(0, n).First(j => labels[j] == partners[i] &&
                Enumerable.Range(top, bottom - top + 1).All(y => Enumerable.Range(left, right - left + 1)
                    .All(x => input[i * pixels + y * 28 + x] == original[j * pixels + y * 28 + x])));
            for (int p = 0; p < pixels; p++)
                if (!(p / 28 >= top && p / 28 <= bottom && p % 28 >= left && p % 28 <= right))
                    Assert.Equal(original[i * pixels + p], input[i * pixels + p]);
            Assert.Equal(labels[partner], partners[i]);
        }
    }

    [Fact]
    public void Batches_left_unmixed_keep_their_images_and_labels()
    {
        const int n = 4;
        var (input, labels) = Batch(n);
        float[] original = input.ToArray();
        var partners = new byte[n];
        Assert.Equal(1f, new BatchMixing(0.4, 1, probability: 0).Apply(input, labels, partners, n, 1));
        Assert.Equal(original, input);
        Assert.Equal(labels, partners);
        Assert.False(new BatchMixing(0, 0, 1).IsActive);
    }

    [Fact]
    public void Weight_average_follows_its_formula_swaps_and_installs()
    {
        var network = new Sequential().Input(Shape.Flat(2)).Dense(1).Build(1);
        var parameters = network.Parameters.ToList();
        float[] w = parameters[0].Value, b = parameters[1].Value;
        w[0] = 1; w[1] = 2; b[0] = 0;
        var average = new WeightAverage(network, decay: 0.9);
        w[0] = 3;
        average.Update(0); // d = min(0.9, 1/10) = 0.1: avg = 0.1·1 + 0.9·3 = 2.8
        Assert.Equal(2.8f, average.Tensors[0][0], 5);
        Assert.Equal(2f, average.Tensors[0][1]);
        w[0] = 5;
        average.Update(100); // d = min(0.9, 101/110) = 0.9: avg = 0.9·2.8 + 0.1·5 = 3.02
        Assert.Equal(3.02f, average.Tensors[0][0], 5);
        average.Swap();
        Assert.Equal(3.02f, w[0], 5);
        Assert.Equal(5f, average.Tensors[0][0]);
        average.Swap();
        Assert.Equal(5f, w[0]);
        average.Install();
        Assert.Equal(3.02f, w[0], 5);
    }

    [Fact]
    public void A_model_trained_with_mixing_and_an_average_learns_and_the_options_are_checked()
    {
        ImageSet train = TestData.BalancedTrain(200), test = TestData.BalancedTest(50);
        var settings = new Dictionary<string, string> { ["epochs"] = "3", ["validation-fraction"] = "0", ["dropout"] = "0.1", ["cutmix"] = "1", ["mixup"] = "0.2", ["ema"] = "0.95" };
        using var model = ModelCatalog.Create("cnn1", settings);
        model.Fit(train, new FitContext { Seed = 1 });
        double accuracy = model.Score(test);
        Assert.True(accuracy >= 0.6, $"cnn1 with mixing and an average reached only {accuracy:F3}");
        foreach (var (name, value) in new[] { ("mixup", "-1"), ("cutmix", "11"), ("mix-probability", "1.5"), ("ema", "0.2"), ("ema", "1") })
        {
            var error = Assert.Throws<FashionMnistException>(() => ModelCatalog.Create("cnn1", new Dictionary<string, string> { [name] = value }));
            Assert.Contains(name, error.Message);
        }
    }
}
