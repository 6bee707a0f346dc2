using System.Numerics.Tensors;
using FashionMnist.Models;

namespace FashionMnist.Classic;

/// <summary>How <see cref="FeatureScaler"/> rescales each feature.</summary>
public enum ScalingKind
{
    /// <summary>(x - min) / (max - min) per feature, learned on the training set: values in [0, 1] (scikit-learn MinMaxScaler).</summary>
    [AlsoAccepted("minmax")]
    Unit,
    /// <summary>(x - mean) / std per feature, learned on the training set (scikit-learn StandardScaler).</summary>
    [AlsoAccepted("standardize")]
    Standard,
}

/// <summary>
/// Per-feature scaling learned from the training features. A feature that is constant in training
/// (e.g. an always-black corner pixel) gets scale 1, so it maps to 0 rather than to NaN.
/// </summary>
public sealed class FeatureScaler : IFeatureTransform
{
    public const string Kind = "scale";

    private float[] _offset = [];
    private float[] _scale = [];

    public FeatureScaler(ScalingKind scaling) => Scaling = scaling;

    public ScalingKind Scaling { get; }

    public int Columns => _offset.Length;

    /// <summary>What is subtracted from each feature, then what the difference is multiplied by (for ONNX export).</summary>
    internal float[] Offsets => _offset;
    internal float[] Scales => _scale;

    public string Describe() => Scaling == ScalingKind.Unit ? "scale(unit)" : "scale(standard)";

    public FeatureMatrix FitTransform(FeatureMatrix features, FitContext context)
    {
        int rows = features.Rows, columns = features.Columns;
        if (rows == 0) throw new FashionMnistException("Cannot fit a scaler on no samples", "Train on at least one image.");
        float[] values = features.ToFloats();
        _offset = new float[columns];
        _scale = new float[columns];
        if (Scaling == ScalingKind.Unit)
        {
            var min = new float[columns];
            var max = new float[columns];
            values.AsSpan(0, columns).CopyTo(min);
            values.AsSpan(0, columns).CopyTo(max);
            for (int r = 1; r < rows; r++)
            {
                ReadOnlySpan<float> row = values.AsSpan(r * columns, columns);
                TensorPrimitives.Min(min, row, min);
                TensorPrimitives.Max(max, row, max);
            }
            for (int c = 0; c < columns; c++)
            {
                _offset[c] = min[c];
                float range = max[c] - min[c];
                _scale[c] = range > 0 ? 1f / range : 1f;
            }
        }
        else
        {
            // Two passes in double: the mean first, then the variance around it (no cancellation).
            var sum = new double[columns];
            for (int r = 0; r < rows; r++)
            {
                ReadOnlySpan<float> row = values.AsSpan(r * columns, columns);
                for (int c = 0; c < columns; c++) sum[c] += row[c];
            }
            var mean = new double[columns];
            for (int c = 0; c < columns; c++) mean[c] = sum[c] / rows;
            var squares = new double[columns];
            for (int r = 0; r < rows; r++)
            {
                ReadOnlySpan<float> row = values.AsSpan(r * columns, columns);
                for (int c = 0; c < columns; c++)
                {
                    double d = row[c] - mean[c];
                    squares[c] += d * d;
                }
            }
            for (int c = 0; c < columns; c++)
            {
                double std = Math.Sqrt(squares[c] / rows);
                _offset[c] = (float)mean[c];
                _scale[c] = std > 1e-12 ? (float)(1 / std) : 1f;
            }
        }
        // Bytes were copied into a fresh float array above, which this step may overwrite; caller floats are kept.
        return Apply(values, rows, columns, inPlace: features.IsBytes);
    }

    public FeatureMatrix Transform(FeatureMatrix features)
    {
        if (features.Columns != Columns)
            throw new FashionMnistException($"The scaler was fitted on {Columns} features but got {features.Columns}",
                "Use the same preprocessing for prediction as for training.");
        return Apply(features.ToFloats(), features.Rows, features.Columns, inPlace: false);
    }

    private FeatureMatrix Apply(float[] values, int rows, int columns, bool inPlace)
    {
        float[] result = inPlace ? values : new float[values.Length];
        Parallel.For(0, rows, Numerics.ComputeThreads.ParallelOptions, r =>
        {
            Span<float> target = result.AsSpan(r * columns, columns);
            TensorPrimitives.Subtract(values.AsSpan(r * columns, columns), _offset, target);
            TensorPrimitives.Multiply(target, _scale, target);
        });
        return FeatureMatrix.FromFloats(result, rows, columns);
    }

    public void Save(BinaryWriter writer)
    {
        writer.Write(Kind);
        writer.Write((int)Scaling);
        writer.Write(_offset.Length);
        foreach (float v in _offset) writer.Write(v);
        foreach (float v in _scale) writer.Write(v);
    }

    public static IFeatureTransform Read(BinaryReader reader)
    {
        int kind = reader.ReadInt32();
        if (!Enum.IsDefined((ScalingKind)kind)) throw new InvalidDataException($"unknown scaling kind {kind}");
        int columns = reader.ReadInt32();
        if (columns is < 1 or > 1 << 24) throw new InvalidDataException($"implausible scaler width {columns}");
        var scaler = new FeatureScaler((ScalingKind)kind) { _offset = new float[columns], _scale = new float[columns] };
        for (int c = 0; c < columns; c++) scaler._offset[c] = reader.ReadSingle();
        for (int c = 0; c < columns; c++) scaler._scale[c] = reader.ReadSingle();
        return scaler;
    }
}
