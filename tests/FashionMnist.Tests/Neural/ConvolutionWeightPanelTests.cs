using FashionMnist.Data;
using FashionMnist.Models;
using FashionMnist.Neural;
using FashionMnist.Neural.Layers;
using FashionMnist.Tests.Support;

namespace FashionMnist.Tests.Neural;

/// <summary>
/// Inference passes of convolutions on the packed path multiply with their weights packed once into GEMM panels, kept
/// until the weights change, and compute Cᵀ (pixels x filters) when the pixels are few (cnn3's conv3 on one image: 9
/// pixels, 128 filters). The outputs must be the per-call packing's and the im2col path's bit for bit, and predictions
/// after training must use the trained weights, not panels kept from before.
/// </summary>
public class ConvolutionWeightPanelTests
{
    public static TheoryData<int, int, int, bool, bool> Shapes => new()
    {
        // input channels, input size, filters, 'same' padding, pooled
        { 64, 5, 128, false, false }, // cnn3 conv3: 9 pixels per image, Cᵀ up to a few images, C for a group of 37
        { 64, 5, 128, false, true },  // the same pooled into a 2x2 max-pool (1x1 output)
        { 16, 5, 24, true, false },   // 'same' on a padded copy, filters not a multiple of a panel
        { 3, 4, 40, false, false },   // 2x2 outputs: 4 pixels per image against 40 filters
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Kept_panels_give_the_bits_of_per_call_packing_and_of_im2col(int channels, int size, int filters, bool same, bool pooled)
    {
        var shape = new Shape(channels, size, size);
        Sequential Build(bool packed, bool panels)
        {
            var network = new Sequential().Input(shape)
                .Add(new Conv2D(filters, 3, 3, padding: same ? Padding.Same : Padding.Valid) { PackedAllowed = packed, WinogradAllowed = false, BroadcastAllowed = false, WeightPanelsAllowed = panels })
                .ReLU();
            if (pooled) network.MaxPool(2);
            return network.Build(5);
        }
        Sequential kept = Build(true, true), perCall = Build(true, false), im2col = Build(false, false);
        var rng = new SplitMix64(17);
        float[] bias = ((Conv2D)kept.Layers[0]).Bias!.Value;
        for (int f = 0; f < bias.Length; f++) bias[f] = (float)rng.NextGaussian() * 0.1f;
        foreach (Sequential other in new[] { perCall, im2col }) bias.CopyTo(((Conv2D)other.Layers[0]).Bias!.Value, 0);
        foreach (int n in new[] { 1, 2, 3, 6, 40 })
        {
            float[] input = Enumerable.Range(0, n * shape.Size).Select(_ => (float)rng.NextGaussian()).ToArray();
            int[] Bits(Sequential network) =>
                network.Forward(input, n, PassInfo.Inference).AsSpan(0, n * network.OutputShape.Size).ToArray().Select(BitConverter.SingleToInt32Bits).ToArray();
            int[] reference = Bits(im2col);
            Assert.Contains(reference, b => b != 0);
            Assert.Equal(reference, Bits(perCall));
            Assert.Equal(reference, Bits(kept));
            Assert.Equal(reference, Bits(kept)); // the panels reused
        }
    }

    [Fact]
    public void Predictions_after_more_training_use_the_new_weights_not_panels_kept_from_a_validation_pass()
    {
        // Validation after epoch 1 predicts (and packs conv3's panels); epoch 2 changes every weight. A panel kept past
        // that would give the trained model other probabilities than a fresh copy of its weights, which never packed.
        ImageSet train = TestData.BalancedTrain(20), test = TestData.BalancedTest(2);
        var model = (NeuralClassifier)ModelCatalog.Create("cnn3", new Dictionary<string, string>
        {
            ["epochs"] = "2", ["validation-fraction"] = "0.2", ["restore-best"] = "false", ["batch-size"] = "32",
        });
        var validated = new List<string>();
        model.Fit(train, new FitContext { Seed = 4, Log = validated.Add });
        Assert.Equal(2, validated.Count(line => line.Contains("val_loss")));
        using var file = new MemoryStream();
        ModelFile.Write(model, file);
        var fresh = (NeuralClassifier)ModelFile.Load(file.ToArray(), "memory");
        foreach (int batch in new[] { 1, 6, test.Count })
            for (int start = 0; start < test.Count; start += batch)
            {
                ImageSet chunk = test.Slice(start, Math.Min(batch, test.Count - start));
                Assert.Equal(fresh.PredictProbabilities(chunk).Select(BitConverter.SingleToInt32Bits),
                    model.PredictProbabilities(chunk).Select(BitConverter.SingleToInt32Bits));
            }
    }
}
