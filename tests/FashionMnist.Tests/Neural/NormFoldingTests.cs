using FashionMnist.Data;
using FashionMnist.Models;
using FashionMnist.Neural;
using FashionMnist.Neural.Layers;
using FashionMnist.Numerics;
using FashionMnist.Tests.Support;

namespace FashionMnist.Tests.Neural;

/// <summary>
/// Inference folds each batch norm that follows a conv or dense layer into that layer's weights and bias
/// (<see cref="Layer.FoldedNorm"/>), which puts cnn4 and cnn-deep (plain and residual) on the row path with the conv
/// pooled in its own pass. Folding rounds differently from normalising the output, so on networks trained briefly on
/// real images and scored on real test images the folded probabilities must agree with the unfolded ones within a small
/// tolerance and give the same class for every image; the folded results themselves must be the same bits for 1, 2 and 3
/// threads and for the row and layer-by-layer paths; and the parameters (what is saved and exported) must not change.
/// </summary>
[Collection(Isolated.Name)] // sets ComputeThreads.Count, which other tests' training would see
public class NormFoldingTests
{
    /// <summary>
    /// Largest |folded − unfolded| probability allowed. Measured: 4.5e-7 to 6.6e-7 on these three networks, 6.0e-7 on the
    /// trained cnn-deep (0.9474) over all 10,000 test images with no class changed (float rounding of w·s against (w·x)·s
    /// over 9-1,152-term sums, through up to seven layers). 1e-5 leaves a 15x margin without hiding a wrong fold (a fold
    /// that used stale, unfolded dense weights moved probabilities by 0.1-0.5 here while this was written).
    /// </summary>
    private const float Tolerance = 1e-5f;

    public static TheoryData<string, string> Models => new()
    {
        { "cnn-deep", "width=8" },
        { "cnn-deep", "width=8;residual=true" },
        { "cnn4", "" },
    };

    private static NeuralClassifier Train(string name, string settings)
    {
        var options = new Dictionary<string, string> { ["epochs"] = "1", ["batch-size"] = "32", ["validation-fraction"] = "0" };
        foreach (string pair in settings.Split(';', StringSplitOptions.RemoveEmptyEntries))
            options[pair.Split('=')[0]] = pair.Split('=')[1];
        var model = (NeuralClassifier)ModelCatalog.Create(name, options);
        model.Fit(TestData.BalancedTrain(60), new FitContext { Seed = 4 });
        return model;
    }

    private static float[] Predict(Sequential network, ImageSet images, bool layerByLayer)
    {
        var probabilities = new float[images.Count * 10];
        network.Observer = layerByLayer ? new NoObserver() : null; // an observer keeps the layer-by-layer path
        Assert.Equal(!layerByLayer, network.CanForwardRows);
        NeuralClassifier.Predict(network, images, probabilities, mirror: true);
        network.Observer = null;
        return probabilities;
    }

    private static int[] Bits(float[] values) => values.Select(BitConverter.SingleToInt32Bits).ToArray();

    private static int[] Classes(float[] probabilities) =>
        Enumerable.Range(0, probabilities.Length / 10).Select(i => Array.IndexOf(probabilities, probabilities.AsSpan(i * 10, 10).ToArray().Max(), i * 10) - i * 10).ToArray();

    [Theory]
    [MemberData(nameof(Models))]
    public void Folded_inference_agrees_with_the_unfolded_network_on_real_images(string name, string settings)
    {
        int saved = ComputeThreads.Count;
        try
        {
            Sequential network = Train(name, settings).Network!;
            ImageSet images = TestData.BalancedTest(50);
            float[][] parameters = network.Parameters.Select(p => p.Value.ToArray()).Concat(network.States.Select(s => s.ToArray())).ToArray();

            ComputeThreads.Count = 2;
            network.FoldNorms = false;
            float[] unfolded = Predict(network, images, layerByLayer: true);
            network.FoldNorms = true;
            Assert.True(network.CanForwardRows);
            float[] folded = Predict(network, images, layerByLayer: false);

            float largest = 0;
            for (int i = 0; i < folded.Length; i++) largest = Math.Max(largest, Math.Abs(folded[i] - unfolded[i]));
            Assert.True(largest <= Tolerance, $"folded and unfolded probabilities differ by {largest:E2}");
            Assert.NotEqual(Bits(unfolded), Bits(folded)); // the fold did run: it rounds differently somewhere
            Assert.Equal(Classes(unfolded), Classes(folded));

            Assert.Equal(Bits(folded), Bits(Predict(network, images, layerByLayer: true)));
            foreach (int threads in new[] { 1, 3 })
            {
                ComputeThreads.Count = threads;
                Assert.Equal(Bits(folded), Bits(Predict(network, images, layerByLayer: false)));
            }
            float[][] after = network.Parameters.Select(p => p.Value).Concat(network.States).ToArray();
            Assert.Equal(parameters.Length, after.Length);
            for (int i = 0; i < after.Length; i++) Assert.Equal(Bits(parameters[i]), Bits(after[i]));
        }
        finally { ComputeThreads.Count = saved; }
    }

    [Fact]
    public void Every_zoo_batch_norm_folds_and_the_folded_network_runs_by_rows()
    {
        foreach (var (name, residual) in new[] { ("cnn4", false), ("cnn-deep", false), ("cnn-deep", true) })
        {
            var settings = new Dictionary<string, string> { ["residual"] = residual ? "true" : "false" };
            if (name == "cnn4") settings.Clear();
            var model = (NeuralClassifier)ModelCatalog.Create(name, settings);
            Sequential network = model.CreateArchitecture().Build(1);
            IEnumerable<Layer> Flat(IEnumerable<Layer> layers) => layers.SelectMany(l => l is Residual r ? Flat(r.Body) : [l]);
            var foldable = Flat(network.Layers).Where(l => l.CanFoldNorm).ToList();
            Assert.Equal(Flat(network.Layers).Count(l => l is BatchNorm), foldable.Count(l => l.FoldedNorm is not null));
            Assert.True(network.CanForwardRows, name);
        }
    }

    [Fact]
    public void The_fold_is_kept_across_predictions_until_the_weights_change()
    {
        const string Spec = "layers: [{conv2d: {filters: 8, kernel: 3, bias: false}}, batchnorm, relu, {maxpool2d: {size: 2}}, flatten, {dense: {units: 16}}, batchnorm, relu, {dense: {units: 10}}]";
        Sequential network = ArchitectureSpec.Parse(Spec).Build(3), reference = ArchitectureSpec.Parse(Spec).Build(3);
        ImageSet images = TestData.BalancedTest(3);
        float[] Run(Sequential net)
        {
            var p = new float[images.Count * 10];
            NeuralClassifier.Predict(net, images, p);
            return p;
        }
        void Copy()
        {
            var from = network.Parameters.Select(p => p.Value).Concat(network.States).ToList();
            var to = reference.Parameters.Select(p => p.Value).Concat(reference.States).ToList();
            for (int i = 0; i < from.Count; i++) from[i].CopyTo(to[i], 0);
            reference.WeightsChanged();
        }
        float[] before = Run(network);
        var norm = (BatchNorm)network.Layers[1];
        for (int c = 0; c < 8; c++) norm.Gamma.Value[c] = 0.5f + c;
        Assert.Equal(Bits(before), Bits(Run(network))); // written directly, not announced: the kept fold is used
        network.WeightsChanged();
        Copy();
        float[] changed = Run(network);
        Assert.NotEqual(Bits(before), Bits(changed));
        Assert.Equal(Bits(Run(reference)), Bits(changed));

        // A training pass updates the running statistics and announces it itself.
        var rng = new SplitMix64(8);
        float[] input = Enumerable.Range(0, 16 * 784).Select(_ => (float)rng.NextGaussian()).ToArray();
        network.Forward(input, 16, new PassInfo(true, 5));
        Copy();
        float[] trained = Run(network);
        Assert.NotEqual(Bits(changed), Bits(trained));
        Assert.Equal(Bits(Run(reference)), Bits(trained));
    }

    [Fact]
    public void After_a_folded_inference_pass_backward_needs_a_training_pass()
    {
        Sequential network = ArchitectureSpec.Parse("layers: [{conv2d: {filters: 8, kernel: 3}}, batchnorm, relu, flatten, {dense: {units: 10}}]").Build(3);
        Assert.IsType<BatchNorm>(network.Layers[0].FoldedNorm);
        network.Forward(new float[2 * 784], 2, PassInfo.Inference);
        Assert.Throws<InvalidOperationException>(() => network.Backward(new float[2 * 784], new float[20], 2));
        network.Forward(new float[2 * 784], 2, new PassInfo(true, 1));
        network.Backward(new float[2 * 784], new float[20], 2);
    }

    private sealed class NoObserver : ILayerObserver
    {
        public void Begin(int layer, bool backward) { }
        public void End(int layer, bool backward) { }
    }
}
