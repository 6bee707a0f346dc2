using FashionMnist.Tests.Support;

namespace FashionMnist.Tests.Imaging;

/// <summary>Quick deterministic classifiers trained once per test run on real Fashion-MNIST slices.</summary>
public static class TestModels
{
    private static readonly Lazy<TinyMlp> s_linear = new(() =>
    {
        var model = new TinyMlp(new TinyMlpOptions { Hidden = 0, Epochs = 2, LearningRate = 0.005f });
        model.Fit(TestData.BalancedTrain(300));
        return model;
    });

    /// <summary>A softmax regression on 3,000 training images (about 0.75 test accuracy).</summary>
    public static TinyMlp Linear => s_linear.Value;

    /// <summary>A private copy of <see cref="Linear"/>, for tests that count concurrent calls into their model.</summary>
    public static TinyMlp PrivateLinear() => s_linear.Value.Clone();
}
