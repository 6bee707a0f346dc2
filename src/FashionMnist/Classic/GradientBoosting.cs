using FashionMnist.Classic.Trees;
using FashionMnist.Data;
using FashionMnist.Models;
using FashionMnist.Numerics;

namespace FashionMnist.Classic;

/// <summary>
/// Multi-class gradient boosting with histogram trees (XGBoost's second-order softmax objective), managed and exact
/// on byte pixels. Each round computes softmax probabilities p, gradients p - y and hessians p(1 - p), then grows one
/// tree per class (the ten trees in parallel; each tree's random choices come from (seed, round, class), so results do
/// not depend on the thread count). A given validation set is scored every round (the curve); with early stopping on,
/// the validation log-loss decides when to stop and the best round is kept.
/// </summary>
internal sealed class GradientBoosting : IFeatureClassifier, IEarlyStoppingEstimator, ITrainingCurves
{
    private const int Classes = 10;
    private const int FormatVersion = 1;
    private const float MinHessian = 1e-6f;

    private FeatureBinner? _binner;
    private float[] _baseScores = new float[Classes];
    private DecisionTree[][] _rounds = []; // [round][class]

    public GradientBoosting(BoostingOptions options)
    {
        options.Validate();
        Options = options;
    }

    public BoostingOptions Options { get; }

    public bool IsFitted => _binner is not null;

    /// <summary>Per-round training and validation log-loss and accuracy of the last fit (also saved with the model).</summary>
    public TrainingHistory History { get; private set; } = new();

    /// <summary>Rounds kept (the best validation round when early stopping is on).</summary>
    public int RoundCount => _rounds.Length;

    public double FitSeconds { get; private set; }

    internal IReadOnlyList<DecisionTree[]> Rounds => _rounds;

    internal IReadOnlyList<float> BaseScores => _baseScores;

    internal FeatureBinner? Binner => _binner;

    private readonly PendingValidation _validation = new();

    /// <summary>Held-out rows for early stopping in the next fit (the pipeline passes them transformed).</summary>
    public void SetValidation(FeatureMatrix features, byte[] labels) => _validation.Set(features, labels);

    public void Fit(FeatureMatrix features, ReadOnlySpan<byte> labels, FitContext context)
    {
        var given = _validation.Take(features.Columns);
        if (labels.Length != features.Rows)
            throw new ArgumentException($"{features.Rows} rows but {labels.Length} labels.", nameof(labels));
        if (features.Rows == 0)
            throw new FashionMnistException("The training set is empty", "Fit on at least one labelled image.");
        var clock = Stopwatch.StartNew();
        var binner = FeatureBinner.Fit(features, context.Seed);
        byte[] allBins = binner.BinRows(features);
        int featureCount = features.Columns;

        // Training rows and validation rows: a given validation set is always scored (the curve); without one,
        // early stopping holds out a stratified share of the training set, and otherwise every row trains.
        byte[] trainBins, trainLabels;
        byte[]? validBins = null, validLabels = null;
        bool earlyStopping = Options.EarlyStoppingRounds > 0;
        if (given is { } validation)
        {
            (trainBins, trainLabels) = (allBins, labels.ToArray());
            (validBins, validLabels) = (binner.BinRows(validation.Features), validation.Labels);
        }
        else if (earlyStopping && features.Rows >= 20)
        {
            var (trainRows, validRows) = Splits.Stratified(labels, Options.ValidationFraction, context.Seed);
            (trainBins, trainLabels) = SelectRows(allBins, labels, featureCount, trainRows);
            (validBins, validLabels) = SelectRows(allBins, labels, featureCount, validRows);
            context.Log?.Invoke($"gradient boosting: early stopping on a stratified {Options.ValidationFraction:P0} of the training set ({validRows.Length} rows)");
        }
        else (trainBins, trainLabels) = (allBins, labels.ToArray());

        int rows = trainLabels.Length;
        var binCounts = new int[featureCount];
        for (int f = 0; f < featureCount; f++) binCounts[f] = binner.BinCount(f);
        var set = new BoostingTrainingSet
        {
            Columns = FeatureBinner.Transpose(trainBins, rows, featureCount),
            Rows = rows,
            Features = featureCount,
            BinCounts = binCounts,
            MaxDepth = Options.MaxDepth ?? int.MaxValue,
            MaxLeaves = Options.MaxLeaves ?? int.MaxValue,
            L2 = (float)Options.L2,
            MinChildWeight = (float)Options.MinChildWeight,
            MinSamplesLeaf = Options.MinSamplesLeaf,
            MinSplitGain = (float)Options.MinSplitGain,
        };
        int[] usefulFeatures = NonConstantFeatures(set.Columns, rows, featureCount);

        // Start from the log class priors (the best constant model).
        var baseScores = new float[Classes];
        var prior = new double[Classes];
        foreach (byte label in trainLabels) prior[label]++;
        for (int c = 0; c < Classes; c++) baseScores[c] = (float)Math.Log(Math.Max(prior[c], 1) / rows);

        var trainScores = new float[rows * Classes];
        for (int r = 0; r < rows; r++) baseScores.CopyTo(trainScores, r * Classes);
        float[]? validScores = validBins is null ? null : new float[validLabels!.Length * Classes];
        if (validScores is not null) for (int r = 0; r < validLabels!.Length; r++) baseScores.CopyTo(validScores, r * Classes);

        var gradients = new float[Classes][];
        var hessians = new float[Classes][];
        for (int c = 0; c < Classes; c++) { gradients[c] = new float[rows]; hessians[c] = new float[rows]; }
        var builders = new BoostingTreeBuilder?[Classes];
        var history = new TrainingHistory();
        var rounds = new List<DecisionTree[]>();
        double bestLoss = double.PositiveInfinity;
        int bestRound = 0;
        float learningRate = (float)Options.LearningRate;
        int threads = Math.Min(ComputeThreads.Count, Classes);
        var builderPool = new Stack<BoostingTreeBuilder>();
        context.Progress?.Report(new FitProgress("rounds", 0, Options.Rounds));

        for (int round = 0; round < Options.Rounds; round++)
        {
            context.Cancellation.ThrowIfCancellationRequested();
            var roundClock = Stopwatch.StartNew();
            var (trainLoss, trainAccuracy) = SoftmaxGradients(trainScores, trainLabels, gradients, hessians);
            int[] sampled = SampleRows(rows, round, context.Seed);
            var trees = new DecisionTree[Classes];
            Parallel.For(0, Classes, new ParallelOptions { MaxDegreeOfParallelism = threads }, c =>
            {
                BoostingTreeBuilder builder;
                lock (builderPool) builder = builderPool.Count > 0 ? builderPool.Pop() : new BoostingTreeBuilder(set);
                int[] treeFeatures = SampleFeatures(usefulFeatures, round, c, context.Seed);
                trees[c] = builder.Grow(gradients[c], hessians[c], sampled, treeFeatures, learningRate);
                lock (builderPool) builderPool.Push(builder);
            });
            rounds.Add(trees);
            AddTrees(trees, trainBins, featureCount, trainScores);

            double? validLoss = null, validAccuracy = null;
            if (validScores is not null)
            {
                AddTrees(trees, validBins!, featureCount, validScores);
                (validLoss, validAccuracy) = LossAndAccuracy(validScores, validLabels!);
                if (validLoss < bestLoss - 1e-6) (bestLoss, bestRound) = (validLoss.Value, round + 1);
            }
            history.Add(new EpochMetrics(round + 1, trainLoss, trainAccuracy, validLoss, validAccuracy, roundClock.Elapsed.TotalSeconds, Options.LearningRate));
            context.Log?.Invoke($"round {round + 1}: train mlogloss {trainLoss:0.0000}" +
                (validLoss is double vl ? $", valid mlogloss {vl:0.0000}, valid accuracy {validAccuracy:0.0000}" : ""));
            context.Progress?.Report(new FitProgress("rounds", round + 1, Options.Rounds));
            if (earlyStopping && validScores is not null && round + 1 - bestRound >= Options.EarlyStoppingRounds)
            {
                context.Log?.Invoke($"early stopping: no improvement for {Options.EarlyStoppingRounds} rounds; keeping round {bestRound}");
                break;
            }
        }
        if (earlyStopping && validScores is not null && bestRound > 0)
        {
            rounds.RemoveRange(bestRound, rounds.Count - bestRound);
            history.BestEpoch = bestRound;
        }
        else history.BestEpoch = rounds.Count;

        _binner = binner;
        _baseScores = baseScores;
        _rounds = [.. rounds];
        History = history;
        FitSeconds = clock.Elapsed.TotalSeconds;
    }

    private static (byte[] Bins, byte[] Labels) SelectRows(byte[] bins, ReadOnlySpan<byte> labels, int columns, int[] rows)
    {
        var selected = new byte[rows.Length * columns];
        var selectedLabels = new byte[rows.Length];
        for (int i = 0; i < rows.Length; i++)
        {
            bins.AsSpan(rows[i] * columns, columns).CopyTo(selected.AsSpan(i * columns));
            selectedLabels[i] = labels[rows[i]];
        }
        return (selected, selectedLabels);
    }

    /// <summary>Features that take more than one bin in the training rows (the rest can never split).</summary>
    private static int[] NonConstantFeatures(byte[] columns, int rows, int features)
    {
        var useful = new List<int>(features);
        for (int f = 0; f < features; f++)
        {
            ReadOnlySpan<byte> column = columns.AsSpan(f * rows, rows);
            if (column.IndexOfAnyExcept(column[0]) >= 0) useful.Add(f);
        }
        return [.. useful];
    }

    private int[] SampleRows(int rows, int round, int seed)
    {
        if (Options.Subsample >= 1) return [.. Enumerable.Range(0, rows)];
        var random = new Random(TreeSeeds.Derive(seed, round, stream: 1));
        int take = Math.Max(1, (int)Math.Round(rows * Options.Subsample));
        int[] order = Splits.Permutation(rows, random.Next());
        int[] chosen = order[..take];
        Array.Sort(chosen);
        return chosen;
    }

    private int[] SampleFeatures(int[] useful, int round, int tree, int seed)
    {
        if (Options.ColumnSample >= 1 || useful.Length == 0) return useful;
        var random = new Random(TreeSeeds.Derive(seed, round * Classes + tree, stream: 2));
        int take = Math.Max(1, (int)Math.Round(useful.Length * Options.ColumnSample));
        int[] pool = [.. useful];
        Splits.Shuffle(pool, random);
        int[] chosen = pool[..take];
        Array.Sort(chosen);
        return chosen;
    }

    /// <summary>Softmax of the scores; writes g = p - y and h = max(p(1 - p), tiny) per class; returns the mean log-loss and accuracy.</summary>
    private static (double Loss, double Accuracy) SoftmaxGradients(float[] scores, byte[] labels, float[][] gradients, float[][] hessians)
    {
        int rows = labels.Length;
        double loss = 0;
        int correct = 0;
        var lockObject = new object();
        const int Chunk = 2048;
        Parallel.For(0, (rows + Chunk - 1) / Chunk, ComputeThreads.ParallelOptions, chunk =>
        {
            Span<float> p = stackalloc float[Classes];
            double localLoss = 0;
            int localCorrect = 0;
            for (int r = chunk * Chunk, end = Math.Min(rows, r + Chunk); r < end; r++)
            {
                Softmax(scores.AsSpan(r * Classes, Classes), p);
                int label = labels[r];
                localLoss -= Math.Log(Math.Max(p[label], 1e-15f));
                if (System.Numerics.Tensors.TensorPrimitives.IndexOfMax(p) == label) localCorrect++;
                for (int c = 0; c < Classes; c++)
                {
                    gradients[c][r] = p[c] - (c == label ? 1f : 0f);
                    hessians[c][r] = Math.Max(p[c] * (1f - p[c]), MinHessian);
                }
            }
            lock (lockObject) { loss += localLoss; correct += localCorrect; }
        });
        return (loss / rows, (double)correct / rows);
    }

    private static (double Loss, double Accuracy) LossAndAccuracy(float[] scores, byte[] labels)
    {
        Span<float> p = stackalloc float[Classes];
        double loss = 0;
        int correct = 0;
        for (int r = 0; r < labels.Length; r++)
        {
            Softmax(scores.AsSpan(r * Classes, Classes), p);
            loss -= Math.Log(Math.Max(p[labels[r]], 1e-15f));
            if (System.Numerics.Tensors.TensorPrimitives.IndexOfMax(p) == labels[r]) correct++;
        }
        return (loss / labels.Length, (double)correct / labels.Length);
    }

    /// <summary>Numerically stable softmax (subtracts the row maximum first: TensorPrimitives.SoftMax does not).</summary>
    private static void Softmax(ReadOnlySpan<float> scores, Span<float> probabilities)
    {
        float max = System.Numerics.Tensors.TensorPrimitives.Max(scores);
        System.Numerics.Tensors.TensorPrimitives.Subtract(scores, max, probabilities);
        System.Numerics.Tensors.TensorPrimitives.Exp(probabilities, probabilities);
        float sum = System.Numerics.Tensors.TensorPrimitives.Sum(probabilities);
        System.Numerics.Tensors.TensorPrimitives.Divide(probabilities, sum, probabilities);
    }

    private static void AddTrees(DecisionTree[] trees, byte[] rowBins, int featureCount, float[] scores)
    {
        int rows = scores.Length / Classes;
        const int Chunk = 1024;
        Parallel.For(0, (rows + Chunk - 1) / Chunk, ComputeThreads.ParallelOptions, chunk =>
        {
            int start = chunk * Chunk, end = Math.Min(rows, start + Chunk);
            for (int c = 0; c < Classes; c++)
            {
                DecisionTree tree = trees[c];
                for (int r = start; r < end; r++)
                    scores[r * Classes + c] += tree.LeafValues[tree.LeafOffset(rowBins.AsSpan(r * featureCount, featureCount))];
            }
        });
    }

    public void PredictProbabilities(FeatureMatrix features, Span<float> probabilities)
    {
        if (_binner is null) throw new InvalidOperationException("The boosting model is not fitted.");
        if (probabilities.Length < features.Rows * Classes)
            throw new ArgumentException($"Need room for {features.Rows}x{Classes} probabilities.", nameof(probabilities));
        byte[] rowBins = _binner.BinRows(features);
        int rows = features.Rows;
        var scores = new float[rows * Classes];
        for (int r = 0; r < rows; r++) _baseScores.CopyTo(scores, r * Classes);
        foreach (DecisionTree[] trees in _rounds) AddTrees(trees, rowBins, features.Columns, scores);
        for (int r = 0; r < rows; r++) Softmax(scores.AsSpan(r * Classes, Classes), probabilities.Slice(r * Classes, Classes));
    }

    public void SaveState(BinaryWriter writer)
    {
        if (_binner is null) throw new InvalidOperationException("The boosting model is not fitted.");
        writer.Write(FormatVersion);
        _binner.Write(writer);
        foreach (float score in _baseScores) writer.Write(score);
        writer.Write(_rounds.Length);
        foreach (DecisionTree[] trees in _rounds)
            foreach (DecisionTree tree in trees) tree.Write(writer);
        History.Write(writer);
    }

    public static GradientBoosting Load(BoostingOptions options, BinaryReader reader)
    {
        int version = reader.ReadInt32();
        if (version != FormatVersion) throw new InvalidDataException($"Gradient boosting state version {version} is not {FormatVersion}.");
        var binner = FeatureBinner.Read(reader);
        var baseScores = new float[Classes];
        for (int c = 0; c < Classes; c++) baseScores[c] = reader.ReadSingle();
        int roundCount = reader.ReadInt32();
        if (roundCount is < 0 or > 1_000_000) throw new InvalidDataException($"Implausible round count {roundCount}.");
        var rounds = new DecisionTree[roundCount][];
        for (int r = 0; r < roundCount; r++)
        {
            rounds[r] = new DecisionTree[Classes];
            for (int c = 0; c < Classes; c++) rounds[r][c] = DecisionTree.Read(reader, binner.Features, 1);
        }
        var history = TrainingHistory.Read(reader);
        return new GradientBoosting(options) { _binner = binner, _baseScores = baseScores, _rounds = rounds, History = history };
    }
}
