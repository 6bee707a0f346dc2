using FashionMnist.Data;
using FashionMnist.Neural;
using FashionMnist.Numerics;
using FashionMnist.Tests.Support;

namespace FashionMnist.Tests.Neural;

/// <summary>
/// NeuralClassifier.Predict runs as one parallel region in which each thread takes pieces of images through every layer
/// (<see cref="Sequential.ForwardRows"/>). Its probabilities must be the layer-by-layer path's bit for bit, with and
/// without mirror averaging, for 1, 2 and 3 threads (pieces of different sizes, claimed in any order), on the mlp and
/// cnn3 shapes (dense with packed weights, fused conv + pool by broadcasts, the packed 3x3 conv3) and on layers with
/// their own row paths (LeakyReLU, a 3x3/2 max-pool with arg-max); a layer without one (average pooling) falls back.
/// </summary>
// Changes the process-wide ComputeThreads.Count: runs alone, so no other test fits with a thread count it did not choose.
[Collection(Isolated.Name)]
public class RowInferenceTests
{
    private const string Mlp = "layers: [flatten, {dense: {units: 256}}, relu, {dropout: {rate: 0.2}}, {dense: {units: 128}}, relu, {dense: {units: 10}}]";

    public static TheoryData<string> Specs => new()
    {
        Mlp,
        "layers: [{conv2d: {filters: 32, kernel: 3}}, relu, {maxpool2d: {size: 2}}, {conv2d: {filters: 64, kernel: 3}}, relu, {maxpool2d: {size: 2}}, {conv2d: {filters: 128, kernel: 3}}, relu, flatten, {dense: {units: 128}}, relu, {dense: {units: 10}}]",
        "layers: [{conv2d: {filters: 8, kernel: 3, padding: same}}, {leakyrelu: {alpha: 0.1}}, {maxpool2d: {size: 3, stride: 2}}, flatten, {dense: {units: 10}}]",
    };

    private static ImageSet Images(int count)
    {
        var rng = new SplitMix64(17);
        var pixels = new byte[count * ImageSet.PixelCount];
        for (int i = 0; i < pixels.Length; i++) pixels[i] = (byte)rng.Next(256);
        return ImageSet.Unlabeled(pixels);
    }

    private static int[] Predict(Sequential network, ImageSet images, bool mirror, bool layerByLayer)
    {
        var probabilities = new float[images.Count * 10];
        network.Observer = layerByLayer ? new NoObserver() : null; // an observer keeps the layer-by-layer path
        Assert.Equal(!layerByLayer, network.CanForwardRows);
        NeuralClassifier.Predict(network, images, probabilities, mirror);
        network.Observer = null;
        return probabilities.Select(BitConverter.SingleToInt32Bits).ToArray();
    }

    [Theory]
    [MemberData(nameof(Specs))]
    public void Row_inference_equals_layer_by_layer_for_any_thread_count(string spec)
    {
        int saved = ComputeThreads.Count;
        try
        {
            Sequential network = ArchitectureSpec.Parse(spec).Build(5);
            ImageSet images = Images(1_203); // mlp pieces: 1,000 at 1 thread, 500 at 2, 333 at 3; partial last pieces
            foreach (bool mirror in new[] { false, true })
            {
                ComputeThreads.Count = 1;
                int[] reference = Predict(network, images, mirror, layerByLayer: true);
                Assert.Contains(reference, b => b != 0);
                foreach (int threads in new[] { 1, 2, 3 })
                {
                    ComputeThreads.Count = threads;
                    Assert.Equal(reference, Predict(network, images, mirror, layerByLayer: false));
                }
            }
        }
        finally { ComputeThreads.Count = saved; }
    }

    [Fact]
    public void A_layer_without_a_row_path_keeps_the_layer_by_layer_path_and_backward_needs_a_training_pass()
    {
        Sequential withAverage = ArchitectureSpec.Parse("layers: [{conv2d: {filters: 4, kernel: 3}}, relu, {avgpool2d: {size: 2}}, flatten, {dense: {units: 10}}]").Build(2);
        Assert.False(withAverage.CanForwardRows);
        var probabilities = new float[30];
        NeuralClassifier.Predict(withAverage, Images(3), probabilities);
        Assert.Equal(1f, probabilities.AsSpan(0, 10).ToArray().Sum(), 4);

        Sequential mlp = ArchitectureSpec.Parse(Mlp).Build(2);
        NeuralClassifier.Predict(mlp, Images(3), probabilities);
        Assert.Throws<InvalidOperationException>(() => mlp.Backward(new float[3 * 784], new float[30], 3));
    }

    private sealed class NoObserver : ILayerObserver
    {
        public void Begin(int layer, bool backward) { }
        public void End(int layer, bool backward) { }
    }
}
