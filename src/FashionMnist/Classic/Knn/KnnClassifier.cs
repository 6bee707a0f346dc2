using FashionMnist.Data;
using FashionMnist.Models;

namespace FashionMnist.Classic.Knn;

/// <summary>
/// k-nearest neighbours, exact (brute force, see <see cref="NeighbourIndex"/>). Fitting keeps the training
/// features and labels (they are the model, and are saved with it); predicting finds each query's k nearest
/// training samples and returns their (weighted) vote shares as probabilities.
/// </summary>
internal sealed class KnnClassifier : IFeatureClassifier
{
    private NeighbourIndex? _index;
    private byte[] _labels = [];

    public KnnClassifier(KnnOptions options)
    {
        options.Validate();
        Options = options;
    }

    public KnnOptions Options { get; }

    public bool IsFitted => _index is not null;

    /// <summary>Number of stored training samples.</summary>
    public int TrainingRows => _index?.Train.Rows ?? 0;

    public void Fit(FeatureMatrix features, ReadOnlySpan<byte> labels, FitContext context)
    {
        if (features.Rows != labels.Length) throw new ArgumentException($"{features.Rows} samples but {labels.Length} labels.");
        if (features.Rows < Options.K)
            throw new FashionMnistException($"k={Options.K} needs at least {Options.K} training samples, got {features.Rows}",
                "Use a smaller k or more training images.");
        context.Progress?.Report(new FitProgress("index", 0, 1));
        context.Cancellation.ThrowIfCancellationRequested();
        _labels = labels.ToArray();
        _index = new NeighbourIndex(features, Options.Metric);
        context.Progress?.Report(new FitProgress("index", 1, 1));
    }

    /// <summary>The k nearest training rows of each query: indices and distances, queries.Rows x k, nearest first.</summary>
    public (int[] Indices, float[] Distances) KNeighbours(FeatureMatrix queries, CancellationToken cancellation = default)
    {
        var index = _index ?? throw new InvalidOperationException("Fit the model first.");
        int k = Options.K;
        var indices = new int[queries.Rows * k];
        var distances = new float[queries.Rows * k];
        index.Search(queries, k, indices, distances, cancellation);
        return (indices, distances);
    }

    public void PredictProbabilities(FeatureMatrix features, Span<float> probabilities)
    {
        int classes = FashionMnistClasses.Count, k = Options.K;
        if (probabilities.Length < features.Rows * classes) throw new ArgumentException("Probability span is too short.");
        var (indices, distances) = KNeighbours(features);
        for (int q = 0; q < features.Rows; q++)
            Vote(indices.AsSpan(q * k, k), distances.AsSpan(q * k, k), probabilities.Slice(q * classes, classes));
    }

    /// <summary>
    /// Vote shares of one query's neighbours. Distance weights are 1/d; if some neighbours are at distance 0,
    /// only they vote (the scikit-learn rule), which keeps an exact match from being outvoted.
    /// </summary>
    private void Vote(ReadOnlySpan<int> neighbours, ReadOnlySpan<float> distances, Span<float> shares)
    {
        shares.Clear();
        bool exact = Options.Weights == KnnWeights.Distance && distances.Contains(0f);
        double total = 0;
        Span<double> sums = stackalloc double[shares.Length];
        for (int i = 0; i < neighbours.Length; i++)
        {
            double weight = Options.Weights == KnnWeights.Uniform ? 1
                : exact ? (distances[i] == 0f ? 1 : 0)
                : 1.0 / distances[i];
            sums[_labels[neighbours[i]]] += weight;
            total += weight;
        }
        for (int c = 0; c < shares.Length; c++) shares[c] = (float)(sums[c] / total);
    }

    public void SaveState(BinaryWriter writer)
    {
        var train = (_index ?? throw new InvalidOperationException("Fit the model first.")).Train;
        writer.Write(train.IsBytes);
        writer.Write(train.Rows);
        writer.Write(train.Columns);
        if (train.IsBytes) writer.Write(train.Bytes!);
        else writer.Write(MemoryMarshal.AsBytes(train.Floats.AsSpan()));
        writer.Write(_labels);
    }

    public static KnnClassifier Load(KnnOptions options, BinaryReader reader)
    {
        bool isBytes = reader.ReadBoolean();
        int rows = reader.ReadInt32(), columns = reader.ReadInt32();
        if (rows < 1 || columns < 1 || (long)rows * columns > int.MaxValue)
            throw new InvalidDataException($"implausible KNN training set of {rows} x {columns}");
        FeatureMatrix train;
        if (isBytes) train = FeatureMatrix.FromBytes(ReadExactly(reader, rows * columns), rows, columns);
        else
        {
            var floats = new float[rows * columns];
            reader.BaseStream.ReadExactly(MemoryMarshal.AsBytes(floats.AsSpan()));
            train = FeatureMatrix.FromFloats(floats, rows, columns);
        }
        byte[] labels = ReadExactly(reader, rows);
        foreach (byte label in labels)
            if (label >= FashionMnistClasses.Count) throw new InvalidDataException($"label {label} is outside 0-9");
        var model = new KnnClassifier(options);
        model.Fit(train, labels, FitContext.Default);
        return model;
    }

    private static byte[] ReadExactly(BinaryReader reader, int count)
    {
        byte[] bytes = reader.ReadBytes(count);
        return bytes.Length == count ? bytes : throw new EndOfStreamException($"expected {count} bytes, found {bytes.Length}");
    }
}
