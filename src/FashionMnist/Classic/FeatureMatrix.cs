using FashionMnist.Data;

namespace FashionMnist.Classic;

/// <summary>
/// The input of a classical estimator: <see cref="Rows"/> samples of <see cref="Columns"/> features,
/// row-major, held either as bytes (raw pixels: exact 256-level values that trees can split on
/// without binning, and that KNN L1 compares with byte SIMD) or as floats (after scaling, HOG or PCA).
/// </summary>
public sealed class FeatureMatrix
{
    private FeatureMatrix(int rows, int columns, byte[]? bytes, float[]? floats)
    {
        (Rows, Columns, Bytes, Floats) = (rows, columns, bytes, floats);
    }

    /// <summary>Number of samples.</summary>
    public int Rows { get; }
    /// <summary>Number of features per sample.</summary>
    public int Columns { get; }

    /// <summary>The values as bytes, when the features are raw pixels; otherwise null.</summary>
    public byte[]? Bytes { get; }

    /// <summary>The values as floats, when the features were computed; otherwise null.</summary>
    public float[]? Floats { get; }

    /// <summary>True when the values are raw pixel bytes (<see cref="Bytes"/>), false when they are floats.</summary>
    public bool IsBytes => Bytes is not null;

    /// <summary>A matrix over <paramref name="values"/> (no copy): <paramref name="rows"/> x <paramref name="columns"/> bytes, row-major.</summary>
    public static FeatureMatrix FromBytes(byte[] values, int rows, int columns)
    {
        if ((long)rows * columns != values.Length) throw new ArgumentException($"{rows}x{columns} does not match {values.Length} values.");
        return new FeatureMatrix(rows, columns, values, null);
    }

    /// <summary>A matrix over <paramref name="values"/> (no copy): <paramref name="rows"/> x <paramref name="columns"/> floats, row-major.</summary>
    public static FeatureMatrix FromFloats(float[] values, int rows, int columns)
    {
        if ((long)rows * columns != values.Length) throw new ArgumentException($"{rows}x{columns} does not match {values.Length} values.");
        return new FeatureMatrix(rows, columns, null, values);
    }

    /// <summary>Raw pixels of an image set (no copy).</summary>
    public static FeatureMatrix FromImages(ImageSet images) => FromBytes(images.Pixels, images.Count, ImageSet.PixelCount);

    /// <summary>The values as floats (a copy of byte values 0-255, or the float array itself).</summary>
    public float[] ToFloats()
    {
        if (Floats is not null) return Floats;
        var result = new float[Bytes!.Length];
        ImageSet.WriteFloats(Bytes, result, PixelScaling.Raw);
        return result;
    }

    /// <summary>The rows at the given indices (a copy), keeping the storage kind.</summary>
    public FeatureMatrix SelectRows(ReadOnlySpan<int> indices)
    {
        if (Bytes is not null)
        {
            var bytes = new byte[indices.Length * Columns];
            for (int i = 0; i < indices.Length; i++)
                Bytes.AsSpan(indices[i] * Columns, Columns).CopyTo(bytes.AsSpan(i * Columns));
            return FromBytes(bytes, indices.Length, Columns);
        }
        var floats = new float[indices.Length * Columns];
        for (int i = 0; i < indices.Length; i++)
            Floats!.AsSpan(indices[i] * Columns, Columns).CopyTo(floats.AsSpan(i * Columns));
        return FromFloats(floats, indices.Length, Columns);
    }
}

/// <summary>
/// A classical estimator on feature matrices (the scikit-learn fit/predict_proba shape).
/// The catalog wraps each one in a pipeline (scaling, HOG, PCA) that turns images into features,
/// so users only ever see <see cref="Models.IClassifier"/>.
/// </summary>
public interface IFeatureClassifier
{
    /// <summary>True once <see cref="Fit"/> has finished or the state was loaded.</summary>
    bool IsFitted { get; }

    /// <summary>Learns from <paramref name="features"/> with one label 0-9 per row. Calling it again starts from scratch.</summary>
    void Fit(FeatureMatrix features, ReadOnlySpan<byte> labels, Models.FitContext context);

    /// <summary>Writes Rows x 10 probabilities, row-major.</summary>
    void PredictProbabilities(FeatureMatrix features, Span<float> probabilities);

    /// <summary>Writes the learned state; the load function given to <see cref="ClassicModel"/>'s Descriptor reads it back.</summary>
    void SaveState(BinaryWriter writer);
}

/// <summary>
/// An estimator that can stop early on held-out data. The catalog's pipeline hands it
/// <see cref="Models.FitContext.Validation"/> transformed by the pipeline's steps before calling Fit,
/// so the validation features always match the training features.
/// </summary>
public interface IEarlyStoppingEstimator
{
    /// <summary>Validation features and labels for the next Fit (used once, then forgotten).</summary>
    void SetValidation(FeatureMatrix features, byte[] labels);
}

/// <summary>
/// Validation rows an <see cref="IEarlyStoppingEstimator"/> was handed for its next fit: set once, taken once,
/// so a later fit never reuses stale rows.
/// </summary>
internal sealed class PendingValidation
{
    private (FeatureMatrix Features, byte[] Labels)? _rows;

    public void Set(FeatureMatrix features, byte[] labels)
    {
        if (features.Rows != labels.Length)
            throw new ArgumentException($"{features.Rows} validation rows but {labels.Length} labels.", nameof(labels));
        _rows = (features, labels);
    }

    /// <summary>The rows set since the last fit, checked against the training features' width, or null.</summary>
    public (FeatureMatrix Features, byte[] Labels)? Take(int trainingColumns)
    {
        var rows = _rows;
        _rows = null;
        if (rows is { } given && given.Features.Columns != trainingColumns)
            throw new ArgumentException($"Validation rows have {given.Features.Columns} features, training rows {trainingColumns}.");
        return rows;
    }
}
