using FashionMnist.Classic.Trees;
using FashionMnist.Models;
using FashionMnist.Numerics;

namespace FashionMnist.Classic;

/// <summary>
/// A random forest of CART classification trees (scikit-learn's RandomForestClassifier semantics), grown in
/// parallel on exact byte histograms. Each tree draws its own bootstrap sample and per-node feature subsets
/// from a generator seeded by (fit seed, tree index), so a seed gives the same forest on any number of threads.
/// Probabilities are the mean of the trees' leaf class distributions.
/// </summary>
internal sealed class RandomForest : IFeatureClassifier, IFeatureImportances
{
    private const int Classes = 10;
    private const int FormatVersion = 1;
    private const int PredictChunkRows = 512;

    private FeatureBinner? _binner;
    private DecisionTree[] _trees = [];

    public RandomForest(ForestOptions options)
    {
        options.Validate();
        Options = options;
    }

    public ForestOptions Options { get; }

    public bool IsFitted => _binner is not null;

    /// <summary>Mean decrease in impurity per feature, normalised to sum to 1 (784 values on raw pixels: a 28x28 map).</summary>
    public float[] FeatureImportances { get; private set; } = [];

    IReadOnlyList<double> IFeatureImportances.FeatureImportances => Array.ConvertAll(FeatureImportances, v => (double)v);

    /// <summary>Accuracy of out-of-bag predictions on the training rows; null without bootstrap or oob-score.</summary>
    public double? OobScore { get; private set; }

    /// <summary>Seconds the last fit took (binning, trees and OOB scoring).</summary>
    public double FitSeconds { get; private set; }

    public int TreeCount => _trees.Length;

    internal IReadOnlyList<DecisionTree> Trees => _trees;

    internal FeatureBinner? Binner => _binner;

    public void Fit(FeatureMatrix features, ReadOnlySpan<byte> labels, FitContext context)
    {
        if (labels.Length != features.Rows)
            throw new ArgumentException($"{features.Rows} rows but {labels.Length} labels.", nameof(labels));
        if (features.Rows == 0)
            throw new FashionMnistException("The training set is empty", "Fit on at least one labelled image.");
        var clock = Stopwatch.StartNew();
        int rows = features.Rows, featureCount = features.Columns;
        var binner = FeatureBinner.Fit(features, context.Seed);
        byte[] rowBins = binner.BinRows(features);
        byte[] columns = FeatureBinner.Transpose(rowBins, rows, featureCount);
        byte[] labelArray = labels.ToArray();
        var set = new ForestTrainingSet
        {
            Columns = columns,
            RowBins = rowBins,
            Labels = labelArray,
            Rows = rows,
            Features = featureCount,
            FeaturesPerSplit = Options.FeaturesPerSplit(featureCount),
            Criterion = Options.Criterion,
            MaxDepth = Options.MaxDepth ?? int.MaxValue,
            MinSamplesSplit = Options.MinSamplesSplit,
            MinSamplesLeaf = Options.MinSamplesLeaf,
        };

        int treeCount = Options.Trees;
        var trees = new DecisionTree[treeCount];
        var treeImportances = new double[treeCount][];
        bool oob = Options.Bootstrap && Options.OobScore;
        var inBag = oob ? new bool[treeCount][] : null;
        int done = 0;
        var progressLock = new object();
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = ComputeThreads.Count, CancellationToken = context.Cancellation };
        context.Progress?.Report(new FitProgress("trees", 0, treeCount));

        // Each worker takes the next tree from a shared counter, so both threads stay busy to the end (Parallel.For's
        // range chunks could leave one thread with several trees while the other waits). A tree depends only on
        // (seed, tree index), so the forest is the same for any thread count or order.
        int nextTree = -1;
        Parallel.For(0, Math.Min(ComputeThreads.Count, treeCount), parallel, _ =>
        {
            var builder = new ForestTreeBuilder(set);
            var weights = new int[rows];
            int t;
            while ((t = Interlocked.Increment(ref nextTree)) < treeCount)
                GrowTree(t, builder, weights);
        });

        void GrowTree(int t, ForestTreeBuilder builder, int[] weights)
        {
            context.Cancellation.ThrowIfCancellationRequested();
            var random = new Random(TreeSeeds.Derive(context.Seed, t));
            if (Options.Bootstrap)
            {
                Array.Clear(weights);
                for (int i = 0; i < rows; i++) weights[random.Next(rows)]++;
                if (inBag is not null)
                {
                    var bag = new bool[rows];
                    for (int i = 0; i < rows; i++) bag[i] = weights[i] > 0;
                    inBag[t] = bag;
                }
            }
            else Array.Fill(weights, 1);
            var importances = new double[featureCount];
            trees[t] = builder.Grow(weights, random, importances);
            treeImportances[t] = importances;
            lock (progressLock) context.Progress?.Report(new FitProgress("trees", ++done, treeCount));
        }

        _binner = binner;
        _trees = trees;
        FeatureImportances = CombineImportances(treeImportances, featureCount);
        OobScore = oob ? ScoreOutOfBag(rowBins, featureCount, labelArray, inBag!) : null;
        FitSeconds = clock.Elapsed.TotalSeconds;
        context.Log?.Invoke($"random forest: {treeCount} trees, mean depth {trees.Average(t => t.Depth()):0.#}, " +
            $"mean leaves {trees.Average(t => t.LeafCount):0}" + (OobScore is double s ? $", oob accuracy {s:0.0000}" : "") +
            $", {FitSeconds:0.00} s");
    }

    /// <summary>scikit-learn's feature_importances_: each tree's decreases normalised to 1, averaged over trees, normalised again.</summary>
    private static float[] CombineImportances(double[][] perTree, int featureCount)
    {
        var sum = new double[featureCount];
        foreach (double[] tree in perTree)
        {
            double total = tree.Sum();
            if (total <= 0) continue; // a single-leaf tree says nothing about features
            for (int f = 0; f < featureCount; f++) sum[f] += tree[f] / total;
        }
        double grand = sum.Sum();
        var result = new float[featureCount];
        if (grand > 0) for (int f = 0; f < featureCount; f++) result[f] = (float)(sum[f] / grand);
        return result;
    }

    /// <summary>
    /// Each training row predicted by the trees whose bootstrap left it out, summed in tree order (deterministic).
    /// Tree-outer per chunk of rows, as in prediction: one tree's nodes stay in cache while the chunk's out-of-bag
    /// rows walk it (row-outer order missed the cache on almost every node of 100 deep trees).
    /// </summary>
    private double? ScoreOutOfBag(byte[] rowBins, int featureCount, byte[] labels, bool[][] inBag)
    {
        int rows = labels.Length, correct = 0, scored = 0;
        var lockObject = new object();
        Parallel.For(0, (rows + PredictChunkRows - 1) / PredictChunkRows, ComputeThreads.ParallelOptions, chunk =>
        {
            int start = chunk * PredictChunkRows, end = Math.Min(rows, start + PredictChunkRows), count = end - start;
            var sums = new float[count * Classes];
            var votes = new int[count];
            var outOfBag = new int[count];
            var offsets = new int[count];
            foreach (var (tree, bag) in _trees.Zip(inBag))
            {
                int n = 0;
                for (int r = start; r < end; r++) if (!bag[r]) outOfBag[n++] = r;
                tree.LeafOffsets(rowBins, featureCount, outOfBag.AsSpan(0, n), offsets);
                for (int k = 0; k < n; k++)
                {
                    int local = outOfBag[k] - start;
                    votes[local]++;
                    ReadOnlySpan<float> leaf = tree.LeafValues.AsSpan(offsets[k], Classes);
                    Span<float> sum = sums.AsSpan(local * Classes, Classes);
                    for (int c = 0; c < Classes; c++) sum[c] += leaf[c];
                }
            }
            int localCorrect = 0, localScored = 0;
            for (int local = 0; local < count; local++)
            {
                if (votes[local] == 0) continue;
                localScored++;
                ReadOnlySpan<float> sum = sums.AsSpan(local * Classes, Classes);
                int best = 0;
                for (int c = 1; c < Classes; c++) if (sum[c] > sum[best]) best = c;
                if (best == labels[start + local]) localCorrect++;
            }
            lock (lockObject) { correct += localCorrect; scored += localScored; }
        });
        return scored == 0 ? null : (double)correct / scored;
    }

    public void PredictProbabilities(FeatureMatrix features, Span<float> probabilities)
    {
        if (_binner is null) throw new InvalidOperationException("The forest is not fitted.");
        if (probabilities.Length < features.Rows * Classes)
            throw new ArgumentException($"Need room for {features.Rows}x{Classes} probabilities.", nameof(probabilities));
        byte[] rowBins = _binner.BinRows(features);
        int rows = features.Rows, featureCount = features.Columns;
        var output = new float[rows * Classes];
        float scale = 1f / _trees.Length;
        Parallel.For(0, (rows + PredictChunkRows - 1) / PredictChunkRows, ComputeThreads.ParallelOptions, chunk =>
        {
            int start = chunk * PredictChunkRows, end = Math.Min(rows, start + PredictChunkRows);
            // Tree-outer loop: one tree's nodes stay in cache while the chunk's rows walk it (four walks interleaved).
            int[] chunkRows = [.. Enumerable.Range(start, end - start)];
            var offsets = new int[chunkRows.Length];
            foreach (DecisionTree tree in _trees)
            {
                tree.LeafOffsets(rowBins, featureCount, chunkRows, offsets);
                for (int r = start; r < end; r++)
                {
                    ReadOnlySpan<float> leaf = tree.LeafValues.AsSpan(offsets[r - start], Classes);
                    Span<float> target = output.AsSpan(r * Classes, Classes);
                    for (int c = 0; c < Classes; c++) target[c] += leaf[c];
                }
            }
            System.Numerics.Tensors.TensorPrimitives.Multiply(output.AsSpan(start * Classes, (end - start) * Classes), scale, output.AsSpan(start * Classes, (end - start) * Classes));
        });
        output.CopyTo(probabilities);
    }

    public void SaveState(BinaryWriter writer)
    {
        if (_binner is null) throw new InvalidOperationException("The forest is not fitted.");
        writer.Write(FormatVersion);
        _binner.Write(writer);
        writer.Write(FeatureImportances.Length);
        foreach (float value in FeatureImportances) writer.Write(value);
        writer.Write(OobScore ?? double.NaN);
        writer.Write(_trees.Length);
        foreach (DecisionTree tree in _trees) tree.Write(writer);
    }

    public static RandomForest Load(ForestOptions options, BinaryReader reader)
    {
        int version = reader.ReadInt32();
        if (version != FormatVersion) throw new InvalidDataException($"Random forest state version {version} is not {FormatVersion}.");
        var binner = FeatureBinner.Read(reader);
        int importanceCount = reader.ReadInt32();
        if (importanceCount != binner.Features) throw new InvalidDataException($"{importanceCount} importances for {binner.Features} features.");
        var importances = new float[importanceCount];
        for (int i = 0; i < importanceCount; i++) importances[i] = reader.ReadSingle();
        double oob = reader.ReadDouble();
        int treeCount = reader.ReadInt32();
        if (treeCount is < 1 or > 100_000) throw new InvalidDataException($"Implausible tree count {treeCount}.");
        var trees = new DecisionTree[treeCount];
        for (int t = 0; t < treeCount; t++) trees[t] = DecisionTree.Read(reader, binner.Features, Classes);
        return new RandomForest(options)
        {
            _binner = binner,
            _trees = trees,
            FeatureImportances = importances,
            OobScore = double.IsNaN(oob) ? null : oob,
        };
    }
}
