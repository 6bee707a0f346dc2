using FashionMnist.Data;
using FashionMnist.Neural;
using FashionMnist.Neural.Layers;
using FashionMnist.Tests.Support;

namespace FashionMnist.Tests.Neural;

public class MirrorTtaTests
{
    [Fact]
    public void Mirror_tta_averages_the_probabilities_of_each_image_and_its_mirror()
    {
        ImageSet test = TestData.BalancedTest(30);
        // An untrained conv net is not mirror-symmetric, so the two views really differ.
        var network = new Sequential().Conv2D(4, 3).ReLU().MaxPool(2).Flatten().Dense(10, Initializer.Glorot).Build(3);
        var plain = new float[test.Count * 10];
        var mirroredOnly = new float[test.Count * 10];
        var averaged = new float[test.Count * 10];
        NeuralClassifier.Predict(network, test, plain);
        NeuralClassifier.Predict(network, Mirror(test), mirroredOnly);
        NeuralClassifier.Predict(network, test, averaged, mirror: true);

        Assert.True(plain.Zip(mirroredOnly).Max(p => Math.Abs(p.First - p.Second)) > 1e-3, "the views should differ");
        for (int i = 0; i < plain.Length; i++) Assert.Equal(0.5f * (plain[i] + mirroredOnly[i]), averaged[i], 6);
    }

    [Fact]
    public void Mirror_tta_is_an_option_of_every_neural_model_and_off_unless_asked()
    {
        var model = (NeuralClassifier)FashionMnist.Models.ModelCatalog.Create("cnn1", new Dictionary<string, string> { ["tta"] = "true" });
        Assert.True(model.NeuralOptions.Tta);
        Assert.False(((NeuralClassifier)FashionMnist.Models.ModelCatalog.Create("cnn1")).NeuralOptions.Tta);
    }

    private static ImageSet Mirror(ImageSet images)
    {
        var pixels = (byte[])images.Pixels.Clone();
        for (int row = 0; row < images.Count * ImageSet.Height; row++) pixels.AsSpan(row * ImageSet.Width, ImageSet.Width).Reverse();
        return new ImageSet(pixels, images.Labels);
    }
}
