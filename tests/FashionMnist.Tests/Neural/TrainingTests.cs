using FashionMnist.Data;
using FashionMnist.Models;
using FashionMnist.Neural;
using FashionMnist.Neural.Layers;
using FashionMnist.Tests.Support;

namespace FashionMnist.Tests.Neural;

public class TrainingTests
{
    [Fact]
    public void A_tiny_network_learns_xor_like_data()
    {
        // Four Gaussian blobs at (±1, ±1); the class is XOR of the signs: not linearly separable.
        var rng = new SplitMix64(5);
        int n = 256;
        var x = new float[n * 2];
        var labels = new byte[n];
        for (int i = 0; i < n; i++)
        {
            int a = i & 1, b = (i >> 1) & 1;
            x[2 * i] = (a * 2 - 1) + (float)rng.NextGaussian() * 0.2f;
            x[2 * i + 1] = (b * 2 - 1) + (float)rng.NextGaussian() * 0.2f;
            labels[i] = (byte)(a ^ b);
        }
        var network = new Sequential().Input(Shape.Flat(2)).Dense(16).ReLU().Dense(2, Initializer.Glorot).Build(1);
        var optimizer = Optimizer.Create(OptimizerKind.Adam, network.Parameters.ToList(), 0);
        var gradient = new float[n * 2];
        double firstLoss = 0, loss = 0;
        int correct = 0;
        for (int step = 0; step < 300; step++)
        {
            float[] logits = network.Forward(x, n, new PassInfo(true, (ulong)step));
            (loss, correct) = SoftmaxCrossEntropy.Compute(logits, labels, n, 2, 0, gradient);
            if (step == 0) firstLoss = loss;
            network.Backward(x, gradient, n);
            optimizer.Step(0.02f);
        }
        Assert.True(loss < firstLoss / 5, $"loss went from {firstLoss} to {loss}");
        Assert.True(correct >= n - 2, $"only {correct} of {n} right");
    }

    [Fact]
    public void Mlp_learns_fashion_mnist_from_a_slice()
    {
        ImageSet train = TestData.BalancedTrain(500), test = TestData.BalancedTest(100);
        var model = ModelCatalog.Create("mlp", new Dictionary<string, string> { ["epochs"] = "3", ["validation-fraction"] = "0.1" });
        var lines = new List<string>();
        var progress = new List<FitProgress>();
        model.Fit(train, new FitContext { Seed = 3, Log = lines.Add, Progress = new SyncProgress(progress.Add) });
        double accuracy = model.Score(test);
        Assert.True(accuracy >= 0.75, $"mlp reached only {accuracy:F3} on 1,000 test images");
        var history = ((ICheckpointable)model).History;
        Assert.Equal(3, history.Epochs.Count);
        Assert.All(history.Epochs, e => Assert.NotNull(e.ValidationAccuracy));
        Assert.True(history.Epochs[^1].TrainLoss < history.Epochs[0].TrainLoss);
        Assert.NotNull(history.BestEpoch);
        Assert.Contains(lines, l => l.StartsWith("epoch 3/3: loss", StringComparison.Ordinal) && l.Contains("val_acc"));
        Assert.Contains(progress, p => p.Stage == "epoch 2/3" && p.Done == p.Total && p.Detail!.Contains("img/s"));
    }

    [Fact]
    public void Cnn3_learns_fashion_mnist_from_a_slice()
    {
        ImageSet train = TestData.BalancedTrain(300), test = TestData.BalancedTest(100);
        // 94 Adam steps only; with the default dropout 0.25 the three pools learn slowly, so use 0.1 here.
        var model = ModelCatalog.Create("cnn3", new Dictionary<string, string> { ["epochs"] = "2", ["validation-fraction"] = "0", ["dropout"] = "0.1" });
        model.Fit(train, new FitContext { Seed = 1 });
        double accuracy = model.Score(test);
        Assert.True(accuracy >= 0.6, $"cnn3 reached only {accuracy:F3} on 1,000 test images after 2 epochs on 3,000");
    }

    [Fact]
    public void Same_seed_gives_identical_weights_and_another_seed_does_not()
    {
        ImageSet train = TestData.BalancedTrain(60);
        float[] Weights(int seed)
        {
            var model = (NeuralClassifier)ModelCatalog.Create("cnn1", Small());
            model.Fit(train, new FitContext { Seed = seed });
            return model.Network!.Parameters.SelectMany(p => p.Value).ToArray();
        }
        float[] first = Weights(7), second = Weights(7), other = Weights(8);
        Assert.Equal(first, second); // bit for bit (float equality)
        Assert.NotEqual(first, other);
    }

    [Fact]
    public void Resumed_training_ends_with_the_same_weights_as_an_uninterrupted_run()
    {
        string folder = Directory.CreateTempSubdirectory("fmnist-resume-").FullName;
        try
        {
            string spec = Path.Combine(folder, "net.yaml");
            File.WriteAllText(spec, """
                layers:
                  - conv2d: {filters: 4, kernel: 3, bias: false}
                  - batchnorm
                  - relu
                  - maxpool2d: {size: 2}
                  - residual: [conv2d: {filters: 4, padding: same}, batchnorm, relu, dropout: {rate: 0.2}, conv2d: {filters: 6, padding: same}]
                  - relu
                  - dropout: {rate: 0.2}
                  - flatten
                  - dense: {units: 10}
                """);
            var settings = new Dictionary<string, string>
            {
                ["spec"] = spec, ["epochs"] = "4", ["batch-size"] = "64", ["augment"] = "true", ["validation-fraction"] = "0.2",
                ["schedule"] = "one-cycle", ["optimizer"] = "adamw", ["weight-decay"] = "0.01", ["patience"] = "0",
                ["photo-like"] = "0.5", // keyed like the rest of the augmentation (shoes included: 40 images per class)
                // Batch mixing (both kinds, not every batch) and the weight average, which the checkpoint carries.
                ["mixup"] = "0.4", ["cutmix"] = "1", ["mix-probability"] = "0.8", ["ema"] = "0.9",
            };
            ImageSet train = TestData.BalancedTrain(40);

            var straight = (NeuralClassifier)ModelCatalog.Create("custom", settings);
            straight.Fit(train, new FitContext { Seed = 5, CheckpointPath = Path.Combine(folder, "a.ckpt") });

            string checkpoint = Path.Combine(folder, "b.ckpt");
            using var cancel = new CancellationTokenSource();
            var interrupted = (NeuralClassifier)ModelCatalog.Create("custom", settings);
            Assert.ThrowsAny<OperationCanceledException>(() => interrupted.Fit(train, new FitContext
            {
                Seed = 5, CheckpointPath = checkpoint, Cancellation = cancel.Token,
                Log = line => { if (line.StartsWith("epoch 2/4", StringComparison.Ordinal)) cancel.Cancel(); },
            }));
            var lines = new List<string>();
            var resumed = (NeuralClassifier)ModelCatalog.Create("custom", settings);
            resumed.Fit(train, new FitContext { Seed = 5, CheckpointPath = checkpoint, Resume = true, Log = lines.Add });

            Assert.Contains(lines, l => l.Contains("resumed") && l.Contains("after epoch 2"));
            Assert.DoesNotContain(lines, l => l.StartsWith("epoch 1/4", StringComparison.Ordinal));
            Assert.Equal(Tensors(straight.Network!), Tensors(resumed.Network!));
            Assert.Equal(straight.History.Epochs.Select(e => e.TrainLoss), resumed.History.Epochs.Select(e => e.TrainLoss));
            Assert.Equal(straight.History.BestEpoch, resumed.History.BestEpoch);
        }
        finally { Directory.Delete(folder, recursive: true); }
    }

    [Fact]
    public void Resuming_with_other_options_is_refused_clearly()
    {
        string folder = Directory.CreateTempSubdirectory("fmnist-resume-").FullName;
        try
        {
            string checkpoint = Path.Combine(folder, "m.ckpt");
            ImageSet train = TestData.BalancedTrain(30);
            ModelCatalog.Create("mlp", Small()).Fit(train, new FitContext { CheckpointPath = checkpoint });
            var other = new Dictionary<string, string>(Small()) { ["learning-rate"] = "0.01" };
            var e = Assert.Throws<FashionMnistException>(() => ModelCatalog.Create("mlp", other)
                .Fit(train, new FitContext { CheckpointPath = checkpoint, Resume = true }));
            Assert.Contains("other options", e.Message);
            File.WriteAllBytes(checkpoint, [1, 2, 3]);
            e = Assert.Throws<FashionMnistException>(() => ModelCatalog.Create("mlp", Small())
                .Fit(train, new FitContext { CheckpointPath = checkpoint, Resume = true }));
            Assert.Contains("not an fmnist checkpoint", e.Message);
        }
        finally { Directory.Delete(folder, recursive: true); }
    }

    [Fact]
    public void A_checkpoint_that_wrote_an_option_the_old_way_still_resumes()
    {
        // Before "adamw" was the optimizer's one spelling, checkpoints said "adam-w": the same options, other text.
        string folder = Directory.CreateTempSubdirectory("fmnist-resume-").FullName;
        try
        {
            string checkpoint = Path.Combine(folder, "m.ckpt");
            ImageSet train = TestData.BalancedTrain(30);
            var settings = new Dictionary<string, string>(Small()) { ["optimizer"] = "adamw" };
            var model = ModelCatalog.Create("mlp", settings);
            model.Fit(train, new FitContext { CheckpointPath = checkpoint });
            string json = System.Text.Json.JsonSerializer.Serialize(OptionBinder.ToSettings(model.Options));
            Assert.Contains("\"optimizer\":\"adamw\"", json);
            File.WriteAllBytes(checkpoint, ReplaceString(File.ReadAllBytes(checkpoint), json, json.Replace("\"adamw\"", "\"adam-w\"")));

            var lines = new List<string>();
            ModelCatalog.Create("mlp", settings).Fit(train, new FitContext { CheckpointPath = checkpoint, Resume = true, Log = lines.Add });
            Assert.Contains(lines, l => l.StartsWith("resumed from", StringComparison.Ordinal));
        }
        finally { Directory.Delete(folder, recursive: true); }
    }

    [Fact]
    public void A_cnn_photo_checkpoint_from_before_photo_repeats_resumes_only_without_photo_training()
    {
        // An older checkpoint has no photo-repeats: it was trained on Fashion-MNIST alone, so it is photo-repeats=0 (as
        // an older model file is), not today's default 8, which would add 9,408 photo views to a half-trained run.
        string folder = Directory.CreateTempSubdirectory("fmnist-resume-").FullName;
        try
        {
            string checkpoint = Path.Combine(folder, "m.ckpt");
            ImageSet train = TestData.BalancedTrain(30);
            var small = new Dictionary<string, string> { ["width"] = "4", ["epochs"] = "1", ["batch-size"] = "32" };
            var withoutPhotos = new Dictionary<string, string>(small) { ["photo-repeats"] = "0" };
            var model = ModelCatalog.Create("cnn-photo", withoutPhotos);
            model.Fit(train, new FitContext { CheckpointPath = checkpoint });
            string json = System.Text.Json.JsonSerializer.Serialize(OptionBinder.ToSettings(model.Options));
            Assert.Contains("\"photo-repeats\":\"0\",", json);
            File.WriteAllBytes(checkpoint, ReplaceString(File.ReadAllBytes(checkpoint), json, json.Replace("\"photo-repeats\":\"0\",", "")));

            var e = Assert.Throws<FashionMnistException>(() => ModelCatalog.Create("cnn-photo", small)
                .Fit(train, new FitContext { CheckpointPath = checkpoint, Resume = true }));
            Assert.Contains("other options", e.Message);
            var lines = new List<string>();
            ModelCatalog.Create("cnn-photo", withoutPhotos).Fit(train, new FitContext { CheckpointPath = checkpoint, Resume = true, Log = lines.Add });
            Assert.Contains(lines, l => l.StartsWith("resumed from", StringComparison.Ordinal));
        }
        finally { Directory.Delete(folder, recursive: true); }
    }

    /// <summary>A checkpoint with one length-prefixed string replaced, and its SHA-256 trailer made right again.</summary>
    private static byte[] ReplaceString(byte[] file, string old, string replacement)
    {
        static byte[] Prefixed(string text)
        {
            using var stream = new MemoryStream();
            using (var writer = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true)) writer.Write(text);
            return stream.ToArray();
        }
        byte[] body = file[..^32], from = Prefixed(old), to = Prefixed(replacement);
        int at = body.AsSpan().IndexOf(from);
        Assert.True(at > 0, "the options string is in the checkpoint");
        byte[] changed = [.. body[..at], .. to, .. body[(at + from.Length)..]];
        return [.. changed, .. System.Security.Cryptography.SHA256.HashData(changed)];
    }

    [Fact]
    public void A_diverging_loss_stops_with_advice_to_lower_the_learning_rate()
    {
        var model = ModelCatalog.Create("mlp", new Dictionary<string, string>
        {
            ["epochs"] = "3", ["optimizer"] = "sgd", ["learning-rate"] = "10", ["validation-fraction"] = "0", ["dropout"] = "0",
        });
        var e = Assert.Throws<FashionMnistException>(() => model.Fit(TestData.BalancedTrain(50), new FitContext { Seed = 1 }));
        Assert.Contains("diverged", e.Message);
        Assert.Contains("Lower the learning rate", e.Message);
    }

    [Fact]
    public void Saved_model_loads_with_identical_predictions_and_history()
    {
        ImageSet train = TestData.BalancedTrain(40), test = TestData.BalancedTest(20);
        var model = (NeuralClassifier)ModelCatalog.Create("cnn4", Small());
        model.Fit(train, new FitContext { Seed = 2 });
        using var file = new MemoryStream();
        ModelFile.Write(model, file);
        var loaded = (NeuralClassifier)ModelFile.Load(file.ToArray(), "memory");
        Assert.Equal("cnn4", loaded.Name);
        Assert.Equal(model.PredictProbabilities(test), loaded.PredictProbabilities(test));
        Assert.Equal(model.History.Epochs.Count, loaded.History.Epochs.Count);
        Assert.Equal(model.Network!.Describe(), loaded.Network!.Describe());
        var probabilities = loaded.PredictProbabilities(test);
        for (int i = 0; i < test.Count; i++) Assert.Equal(1.0, probabilities.AsSpan(i * 10, 10).ToArray().Sum(), 4);
    }

    [Fact]
    public void A_damaged_model_file_gives_a_clear_error()
    {
        var model = ModelCatalog.Create("mlp", Small());
        model.Fit(TestData.BalancedTrain(30), new FitContext { Seed = 1 });
        using var file = new MemoryStream();
        ModelFile.Write(model, file);
        byte[] bytes = file.ToArray();
        bytes[bytes.Length / 2] ^= 0x40;
        var e = Assert.Throws<FashionMnistException>(() => ModelFile.Load(bytes, "m.fmm"));
        Assert.Contains("checksum", e.Message);

        // A well-formed envelope around a truncated state: the neural loader must notice.
        using var truncated = new MemoryStream();
        ModelFile.Write(new TruncatedState(model), truncated);
        e = Assert.Throws<FashionMnistException>(() => ModelFile.Load(truncated.ToArray(), "t.fmm"));
        Assert.Contains("damaged 'mlp' state", e.Message);
    }

    [Fact]
    public void Predicting_before_fitting_is_a_clear_error()
    {
        var model = ModelCatalog.Create("cnn1");
        var e = Assert.Throws<FashionMnistException>(() => model.PredictProbabilities(TestData.BalancedTest(1)));
        Assert.Contains("not fitted", e.Message);
    }

    internal static Dictionary<string, string> Small() => new()
    {
        ["epochs"] = "2", ["batch-size"] = "32", ["validation-fraction"] = "0.2",
    };

    private static float[] Tensors(Sequential network) =>
        network.Parameters.SelectMany(p => p.Value).Concat(network.States.SelectMany(s => s)).ToArray();

    /// <summary>Reports synchronously (Progress&lt;T&gt; would post to the thread pool and race the asserts).</summary>
    private sealed class SyncProgress(Action<FitProgress> report) : IProgress<FitProgress>
    {
        public void Report(FitProgress value) => report(value);
    }

    /// <summary>Wraps a fitted model but writes only half of its state.</summary>
    private sealed class TruncatedState(IClassifier inner) : IClassifier
    {
        public string Name => inner.Name;
        public ModelOptions Options => inner.Options;
        public void Dispose() { }
        public bool IsFitted => true;
        public void Fit(ImageSet train, FitContext? context = null) => throw new NotSupportedException();
        public void PredictProbabilities(ImageSet images, Span<float> probabilities) => throw new NotSupportedException();

        public void SaveState(BinaryWriter writer)
        {
            using var full = new MemoryStream();
            using (var w = new BinaryWriter(full, System.Text.Encoding.UTF8, leaveOpen: true)) inner.SaveState(w);
            writer.Write(full.ToArray().AsSpan(0, (int)full.Length / 2));
        }
    }
}
