using FashionMnist.Data;
using FashionMnist.Imaging;
using FashionMnist.Models;
using FashionMnist.Neural.Layers;
using FashionMnist.Numerics;

namespace FashionMnist.Neural;

/// <summary>
/// The training loop: seeded shuffles, mini-batches, the optimiser and schedule, validation, early stopping,
/// best-epoch restore, per-epoch checkpoints and exact resume.
/// Every random choice is keyed by (seed, purpose, epoch or step) instead of drawn from a running generator,
/// so a resumed run replays exactly what an uninterrupted run would have drawn.
/// </summary>
internal sealed class NeuralTrainer
{
    private const ulong ShufflePurpose = 0x5_4FF1E, AugmentPurpose = 0xA_0C3E7, DropoutPurpose = 0xD_0D0D0, MixPurpose = 0x3_1C5ED;

    private readonly NeuralClassifier _model;
    private readonly NeuralOptions _options;
    private readonly FitContext _context;

    /// <summary>When set, the next training run on this thread charges its time to the profile's phases and layers (bench).</summary>
    [ThreadStatic] internal static TrainingProfile? Profile;

    public NeuralTrainer(NeuralClassifier model, NeuralOptions options, FitContext context)
    {
        _model = model;
        _options = options;
        _context = context;
    }

    /// <summary>Everything that changes during training and that a checkpoint must hold.</summary>
    internal sealed class RunState
    {
        public int EpochsDone;
        public long Step;
        public bool Finished;
        public double BestLoss = double.PositiveInfinity;
        public int BestEpoch;
        public int EpochsWithoutImprovement;
        public float[][]? BestTensors;
        public TrainingHistory History = new();
        public WeightAverage? Average;
    }

    public (Sequential Network, TrainingHistory History) Run(ImageSet train)
    {
        if (!train.HasLabels) throw new FashionMnistException("Training images have no labels", "Train on a labelled set.");
        if (train.Count == 0) throw new FashionMnistException("There are no training images", "Train on a non-empty set.");
        int seed = _context.Seed;
        Sequential network = _model.CreateArchitecture().Build(seed);
        if (network.OutputShape.Size != FashionMnistClasses.Count)
            throw new FashionMnistException($"The network ends with {network.OutputShape.Size} outputs; Fashion-MNIST has {FashionMnistClasses.Count} classes",
                "End the architecture with a dense layer of 10 units.");
        ImageSet fitSet = train;
        ImageSet? validation = _context.Validation;
        if (validation is null && _options.ValidationFraction > 0)
        {
            if (train.Count < 20 * FashionMnistClasses.Count)
                throw new FashionMnistException($"{train.Count} training images are too few to hold out a validation split",
                    "Use more images or --set validation-fraction=0.");
            (fitSet, validation) = Splits.Stratified(train, _options.ValidationFraction, seed);
        }

        var parameters = network.Parameters.ToList();
        Optimizer optimizer = Optimizer.Create(_options.Optimizer, parameters, (float)_options.WeightDecay, (float)_options.Momentum);

        var state = new RunState { Average = _options.Ema > 0 ? new WeightAverage(network, _options.Ema) : null };
        string? checkpoint = _context.CheckpointPath;
        ulong fingerprint = Fingerprint(fitSet, validation);
        if (_context.Resume && checkpoint is not null && File.Exists(checkpoint))
        {
            state = Checkpoint.Read(checkpoint, _model, fingerprint, network, optimizer, state.Average);
            Log($"resumed from '{checkpoint}' after epoch {state.EpochsDone}");
        }

        int batchSize = Math.Min(_options.BatchSize, fitSet.Count);
        int stepsPerEpoch = (fitSet.Count + batchSize - 1) / batchSize;
        long totalSteps = (long)stepsPerEpoch * _options.Epochs;
        var input = new float[batchSize * ImageSet.PixelCount];
        var labels = new byte[batchSize];
        var partners = new byte[batchSize];
        var mixing = new BatchMixing(_options.Mixup, _options.Cutmix, _options.MixProbability);
        var gradient = new float[batchSize * FashionMnistClasses.Count];
        var order = new int[fitSet.Count];
        AugmentationSettings? augmentation = _options.TrainingAugmentation;
        TrainingProfile? profile = Profile;
        profile?.Start(network);

        for (int epoch = state.EpochsDone; epoch < _options.Epochs && !state.Finished; epoch++)
        {
            var clock = Stopwatch.StartNew();
            for (int i = 0; i < order.Length; i++) order[i] = i;
            new SplitMix64(SplitMix64.Key((ulong)seed, ShufflePurpose, (ulong)epoch)).Shuffle(order);
            profile?.Mark(TrainingProfile.Phase.Shuffle);
            double lossSum = 0;
            long correct = 0, seen = 0;
            double rate = 0;
            string stage = $"epoch {epoch + 1}/{_options.Epochs}";
            for (int b = 0; b < stepsPerEpoch; b++)
            {
                _context.Cancellation.ThrowIfCancellationRequested();
                int start = b * batchSize, n = Math.Min(batchSize, fitSet.Count - start);
                InputBatch.Fill(fitSet, order.AsSpan(start, n), input, labels, augmentation,
                    SplitMix64.Key((ulong)seed, AugmentPurpose, (ulong)state.Step));
                float lambda = mixing.Apply(input, labels, partners, n, SplitMix64.Key((ulong)seed, MixPurpose, (ulong)state.Step));
                profile?.Mark(TrainingProfile.Phase.Data);
                float[] logits = network.Forward(input, n, new PassInfo(true, SplitMix64.Key((ulong)seed, DropoutPurpose, (ulong)state.Step)));
                profile?.Mark(TrainingProfile.Phase.Other);
                var (loss, right) = SoftmaxCrossEntropy.Compute(logits, labels, partners, lambda, n, FashionMnistClasses.Count,
                    (float)_options.LabelSmoothing, gradient);
                profile?.Mark(TrainingProfile.Phase.Loss);
                if (!double.IsFinite(loss))
                    throw new FashionMnistException(
                        $"Training diverged: the loss became {(double.IsNaN(loss) ? "NaN" : "infinite")} at epoch {epoch + 1}, batch {b + 1} (learning rate {_options.LearningRate.ToString(CultureInfo.InvariantCulture)})",
                        "Lower the learning rate (--lr), or clip gradients with --set clip-norm=1.");
                network.Backward(input, gradient, n);
                profile?.Mark(TrainingProfile.Phase.Other);
                if (_options.ClipNorm > 0) ClipGlobalNorm(parameters, _options.ClipNorm);
                rate = Schedules.Rate(_options.Schedule, _options.LearningRate, state.Step, totalSteps, stepsPerEpoch, _options.StepEpochs, _options.StepGamma);
                optimizer.Step((float)rate);
                network.WeightsChanged();
                state.Average?.Update(state.Step);
                profile?.Mark(TrainingProfile.Phase.Optimizer);
                state.Step++;
                lossSum += loss * n;
                correct += right;
                seen += n;
                _context.Progress?.Report(new FitProgress(stage, b + 1, stepsPerEpoch,
                    string.Create(CultureInfo.InvariantCulture,
                        $"loss {lossSum / seen:F4} acc {(double)correct / seen:F4} {seen / Math.Max(1e-9, clock.Elapsed.TotalSeconds):F0} img/s")));
                if (profile is not null)
                {
                    profile.Mark(TrainingProfile.Phase.Progress);
                    profile.Steps++;
                    profile.Images += n;
                }
            }

            double? validationLoss = null, validationAccuracy = null;
            // With a weight average, validation scores (and best-epoch restore keeps) the averaged weights: they are the model.
            state.Average?.Swap();
            if (validation is not null)
            {
                var (vl, va) = Evaluate(network, validation, _options.Tta);
                (validationLoss, validationAccuracy) = (vl, va);
                profile?.Mark(TrainingProfile.Phase.Validation);
            }
            var metrics = new EpochMetrics(epoch + 1, lossSum / seen, (double)correct / seen, validationLoss, validationAccuracy,
                clock.Elapsed.TotalSeconds, rate);
            state.History.Add(metrics);
            state.EpochsDone = epoch + 1;
            if (validationLoss is double current)
            {
                if (current < state.BestLoss)
                {
                    state.BestLoss = current;
                    state.BestEpoch = epoch + 1;
                    state.EpochsWithoutImprovement = 0;
                    if (_options.RestoreBest) state.BestTensors = CopyTensors(network);
                }
                else state.EpochsWithoutImprovement++;
                if (_options.Patience > 0 && state.EpochsWithoutImprovement >= _options.Patience)
                {
                    state.Finished = true;
                    Log($"early stop: no better validation loss for {_options.Patience} epochs (best epoch {state.BestEpoch})");
                }
            }
            state.Average?.Swap();
            if (state.EpochsDone == _options.Epochs) state.Finished = true;
            Log(Describe(metrics, _options.Epochs));
            if (checkpoint is not null) Checkpoint.Write(checkpoint, _model, fingerprint, network, optimizer, state);
            profile?.Mark(TrainingProfile.Phase.Checkpoint);
        }
        profile?.Stop(network);

        state.Average?.Install();
        if (validation is not null && _options.RestoreBest && state.BestTensors is not null)
        {
            RestoreTensors(network, state.BestTensors);
            state.History.BestEpoch = state.BestEpoch;
            if (state.BestEpoch != state.EpochsDone) Log($"restored the weights of epoch {state.BestEpoch} (best validation loss {state.BestLoss:F4})");
        }
        else state.History.BestEpoch = state.EpochsDone;
        network.ReleaseBuffers();
        return (network, state.History);
    }

    /// <summary>Inference-mode mean cross-entropy and accuracy (as predictions are made: with the mirror TTA when it is on).</summary>
    internal static (double Loss, double Accuracy) Evaluate(Sequential network, ImageSet images, bool mirror = false)
    {
        int classes = FashionMnistClasses.Count;
        var probabilities = new float[images.Count * classes];
        NeuralClassifier.Predict(network, images, probabilities, mirror);
        double loss = 0;
        int correct = 0;
        byte[] labels = images.Labels;
        for (int i = 0; i < images.Count; i++)
        {
            ReadOnlySpan<float> row = probabilities.AsSpan(i * classes, classes);
            loss -= Math.Log(Math.Max(row[labels[i]], 1e-30f));
            int best = 0;
            for (int c = 1; c < classes; c++) if (row[c] > row[best]) best = c;
            if (best == labels[i]) correct++;
        }
        return (loss / images.Count, (double)correct / images.Count);
    }

    private static void ClipGlobalNorm(List<Parameter> parameters, double maxNorm)
    {
        double squares = 0;
        foreach (Parameter p in parameters)
            squares += System.Numerics.Tensors.TensorPrimitives.Dot(p.Gradient, p.Gradient);
        double norm = Math.Sqrt(squares);
        if (norm <= maxNorm || !double.IsFinite(norm)) return;
        float scale = (float)(maxNorm / norm);
        foreach (Parameter p in parameters) System.Numerics.Tensors.TensorPrimitives.Multiply(p.Gradient, scale, p.Gradient);
    }

    internal static float[][] CopyTensors(Sequential network) =>
        network.Parameters.Select(p => p.Value.ToArray()).Concat(network.States.Select(s => s.ToArray())).ToArray();

    internal static void RestoreTensors(Sequential network, float[][] tensors)
    {
        var targets = network.Parameters.Select(p => p.Value).Concat(network.States).ToList();
        if (targets.Count != tensors.Length) throw new InvalidDataException("stored weights do not match the architecture");
        for (int i = 0; i < targets.Count; i++)
        {
            if (targets[i].Length != tensors[i].Length) throw new InvalidDataException("stored weights do not match the architecture");
            tensors[i].CopyTo(targets[i], 0);
        }
        network.WeightsChanged();
    }

    private static string Describe(EpochMetrics m, int epochs)
    {
        string validation = m.ValidationLoss is double vl ? $" val_loss {vl:F4} val_acc {m.ValidationAccuracy:F4}" : "";
        return string.Create(CultureInfo.InvariantCulture,
            $"epoch {m.Epoch}/{epochs}: loss {m.TrainLoss:F4} acc {m.TrainAccuracy:F4}{validation} lr {m.LearningRate:G3} {m.Seconds:F1}s");
    }

    private void Log(string line) => _context.Log?.Invoke(line);

    /// <summary>A cheap identity of the training and validation data, so a checkpoint is not resumed on other data.</summary>
    private static ulong Fingerprint(ImageSet train, ImageSet? validation)
    {
        ulong hash = SplitMix64.Mix((ulong)train.Count);
        foreach (ImageSet set in validation is null ? [train] : new[] { train, validation })
        {
            hash = SplitMix64.Mix(hash ^ (ulong)set.Count);
            foreach (byte label in set.Labels) hash = SplitMix64.Mix(hash ^ label);
            byte[] pixels = set.Pixels;
            for (int i = 0; i < pixels.Length; i += 61) hash = SplitMix64.Mix(hash ^ pixels[i] ^ ((ulong)i << 8));
        }
        return hash;
    }
}
