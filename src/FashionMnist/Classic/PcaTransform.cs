using System.Numerics.Tensors;
using FashionMnist.Models;
using FashionMnist.Numerics;

namespace FashionMnist.Classic;

/// <summary>
/// Principal component analysis as a pipeline step. Fit: centre the training features, form the covariance
/// XᵀX/(n-1) with one <see cref="Gemm"/> call (float, OpenBLAS or managed), then solve the symmetric eigenproblem
/// in double (LAPACK dsyevd from OpenBLAS; MathNet.Numerics when OpenBLAS is absent). Keep a fixed number of components, or the fewest whose explained variance
/// reaches a ratio; optionally whiten (divide each component by its standard deviation).
/// Each component's sign is fixed so its largest-magnitude loading is positive, so fits are deterministic.
/// </summary>
public sealed class PcaTransform : IFeatureTransform
{
    public const string Kind = "pca";
    private const int TransformBlockRows = 4096;

    private float[] _mean = [];
    private float[] _components = []; // features x kept, row-major (so Y = (X - mean) W is a plain GEMM)

    /// <param name="components">Number of components to keep, or null to choose by <paramref name="varianceRatio"/>.</param>
    /// <param name="varianceRatio">Keep the fewest components whose explained variance reaches this share (0 &lt; r &lt;= 1).</param>
    /// <param name="whiten">Scale each component to unit variance.</param>
    public PcaTransform(int? components = null, double? varianceRatio = null, bool whiten = false)
    {
        if (components is null == varianceRatio is null)
            throw new ArgumentException("Give exactly one of components and varianceRatio.");
        if (components is < 1)
            throw new FashionMnistException($"PCA needs at least 1 component, got {components}", "Pass --pca N with N >= 1, or a variance ratio such as 0.95.");
        if (varianceRatio is not null && (varianceRatio <= 0 || varianceRatio > 1))
            throw new FashionMnistException($"PCA variance ratio must be in (0, 1], got {varianceRatio}", "Pass --pca 0.95 for 95% of the variance, or a whole number of components.");
        RequestedComponents = components;
        VarianceRatio = varianceRatio;
        Whiten = whiten;
    }

    public int? RequestedComponents { get; }
    public double? VarianceRatio { get; }
    public bool Whiten { get; }

    /// <summary>Eigen-solver for the fit: LAPACK (OpenBLAS) when installed, else MathNet. Not saved; tests and benchmarks compare the two.</summary>
    public EigenSolver Solver { get; init; } = EigenSolver.Auto;

    /// <summary>Components kept by the fit.</summary>
    public int Components { get; private set; }

    public int InputColumns => _mean.Length;

    /// <summary>Share of the total variance each principal direction explains, largest first, for all directions (the explained-variance curve).</summary>
    public double[] ExplainedVarianceRatio { get; private set; } = [];

    /// <summary>Variance along each kept component (the eigenvalues of the covariance).</summary>
    public double[] ExplainedVariance { get; private set; } = [];

    /// <summary>The kept directions as a features x components row-major matrix (unwhitened, unit length).</summary>
    public float[] ComponentMatrix => Whiten ? Unwhitened() : _components;

    public float[] Mean => _mean;

    /// <summary>The matrix the fit projects with (features x components, whitening included), for ONNX export.</summary>
    internal float[] Projection => _components;

    public string Describe() =>
        (RequestedComponents is int n ? $"pca({n}" : $"pca({VarianceRatio:0.###} → {Components}") + (Whiten ? ",whiten)" : ")");

    public FeatureMatrix FitTransform(FeatureMatrix features, FitContext context)
    {
        int rows = features.Rows, columns = features.Columns;
        if (RequestedComponents > columns)
            throw new FashionMnistException($"PCA asks for {RequestedComponents} components but the features have only {columns} columns",
                $"Pass --pca N with N <= {columns}, or a variance ratio such as 0.95.");
        if (rows < 2) throw new FashionMnistException($"PCA needs at least 2 samples, got {rows}", "Train on more images.");
        if (RequestedComponents > rows)
            throw new FashionMnistException($"PCA asks for {RequestedComponents} components but there are only {rows} samples",
                $"Pass --pca N with N <= {rows}, or train on more images.");
        context.Progress?.Report(new FitProgress("pca", 0, 3));

        // Centre (a private float copy), mean in double for accuracy.
        float[] centred = features.IsBytes ? features.ToFloats() : (float[])features.Floats!.Clone();
        var sums = new double[columns];
        for (int r = 0; r < rows; r++)
        {
            ReadOnlySpan<float> row = centred.AsSpan(r * columns, columns);
            for (int c = 0; c < columns; c++) sums[c] += row[c];
        }
        _mean = new float[columns];
        for (int c = 0; c < columns; c++) _mean[c] = (float)(sums[c] / rows);
        float[] mean = _mean;
        Parallel.For(0, rows, ComputeThreads.ParallelOptions, r =>
            TensorPrimitives.Subtract(centred.AsSpan(r * columns, columns), mean, centred.AsSpan(r * columns, columns)));

        var covariance = new float[columns * columns];
        Gemm.Multiply(true, false, columns, columns, rows, 1f / (rows - 1), centred, columns, centred, columns, 0f, covariance, columns);
        context.Progress?.Report(new FitProgress("pca", 1, 3));

        var symmetric = new double[columns * columns];
        for (int i = 0; i < columns; i++)
            for (int j = 0; j < columns; j++)
                symmetric[i * columns + j] = 0.5 * ((double)covariance[i * columns + j] + covariance[j * columns + i]);
        var (eigenvalues, vectors) = SymmetricEigen.Decompose(symmetric, columns, Solver);
        context.Progress?.Report(new FitProgress("pca", 2, 3));

        // Largest first; round-off negatives clamped to 0.
        var values = new double[columns];
        for (int i = 0; i < columns; i++) values[i] = Math.Max(0, eigenvalues[i]);
        double total = values.Sum();
        ExplainedVarianceRatio = values.Select(v => total > 0 ? v / total : 0).ToArray();
        Components = RequestedComponents ?? ComponentsForRatio(ExplainedVarianceRatio, VarianceRatio!.Value);
        if (Components > rows - 1 && RequestedComponents is null) Components = Math.Max(1, rows - 1);
        ExplainedVariance = values[..Components];

        _components = new float[columns * Components];
        for (int j = 0; j < Components; j++)
        {
            ReadOnlySpan<double> vector = vectors.AsSpan(j * columns, columns);
            int largest = 0;
            for (int i = 1; i < columns; i++)
                if (Math.Abs(vector[i]) > Math.Abs(vector[largest])) largest = i;
            double sign = vector[largest] < 0 ? -1 : 1;
            double scale = Whiten ? 1 / Math.Sqrt(Math.Max(values[j], 1e-12)) : 1;
            for (int i = 0; i < columns; i++) _components[i * Components + j] = (float)(sign * scale * vector[i]);
        }
        context.Progress?.Report(new FitProgress("pca", 3, 3));
        return Project(centred, rows, alreadyCentred: true);
    }

    /// <summary>The fewest leading components whose ratios sum to at least <paramref name="ratio"/>.</summary>
    public static int ComponentsForRatio(IReadOnlyList<double> ratios, double ratio)
    {
        double cumulative = 0;
        for (int i = 0; i < ratios.Count; i++)
        {
            cumulative += ratios[i];
            if (cumulative >= ratio - 1e-12) return i + 1;
        }
        return ratios.Count;
    }

    public FeatureMatrix Transform(FeatureMatrix features)
    {
        if (features.Columns != InputColumns)
            throw new FashionMnistException($"PCA was fitted on {InputColumns} features but got {features.Columns}",
                "Use the same preprocessing for prediction as for training.");
        return Project(features.ToFloats(), features.Rows, alreadyCentred: false);
    }

    /// <summary>Maps projected rows back to the input space (x ≈ mean + y Wᵀ); for checking and for pictures.</summary>
    public float[] InverseTransform(ReadOnlySpan<float> projected, int rows)
    {
        int columns = InputColumns;
        float[] w = ComponentMatrix;
        var result = new float[rows * columns];
        if (Whiten)
        {
            // Undo the per-component scaling first.
            var unscaled = projected[..(rows * Components)].ToArray();
            for (int r = 0; r < rows; r++)
                for (int j = 0; j < Components; j++) unscaled[r * Components + j] *= (float)Math.Sqrt(Math.Max(ExplainedVariance[j], 1e-12));
            Gemm.Multiply(false, true, rows, columns, Components, 1f, unscaled, Components, w, Components, 0f, result, columns);
        }
        else Gemm.Multiply(false, true, rows, columns, Components, 1f, projected, Components, w, Components, 0f, result, columns);
        for (int r = 0; r < rows; r++) TensorPrimitives.Add(result.AsSpan(r * columns, columns), _mean, result.AsSpan(r * columns, columns));
        return result;
    }

    private float[] Unwhitened()
    {
        var copy = (float[])_components.Clone();
        int columns = InputColumns;
        for (int i = 0; i < columns; i++)
            for (int j = 0; j < Components; j++) copy[i * Components + j] *= (float)Math.Sqrt(Math.Max(ExplainedVariance[j], 1e-12));
        return copy;
    }

    /// <summary>Y = (X - mean) W in row blocks, so only one block of centred rows is ever copied.</summary>
    private FeatureMatrix Project(float[] values, int rows, bool alreadyCentred)
    {
        int columns = InputColumns, k = Components;
        var output = new float[(long)rows * k];
        float[] block = alreadyCentred ? [] : new float[Math.Min(rows, TransformBlockRows) * columns];
        for (int start = 0; start < rows; start += TransformBlockRows)
        {
            int count = Math.Min(TransformBlockRows, rows - start);
            ReadOnlySpan<float> source = values.AsSpan(start * columns, count * columns);
            if (!alreadyCentred)
            {
                for (int r = 0; r < count; r++)
                    TensorPrimitives.Subtract(source.Slice(r * columns, columns), _mean, block.AsSpan(r * columns, columns));
                source = block.AsSpan(0, count * columns);
            }
            Gemm.Multiply(false, false, count, k, columns, 1f, source, columns, _components, k, 0f, output.AsSpan(start * k, count * k), k);
        }
        return FeatureMatrix.FromFloats(output, rows, k);
    }

    public void Save(BinaryWriter writer)
    {
        writer.Write(Kind);
        writer.Write(RequestedComponents ?? -1);
        writer.Write(VarianceRatio ?? -1);
        writer.Write(Whiten);
        writer.Write(InputColumns);
        writer.Write(Components);
        foreach (float v in _mean) writer.Write(v);
        foreach (float v in _components) writer.Write(v);
        foreach (double v in ExplainedVariance) writer.Write(v);
        writer.Write(ExplainedVarianceRatio.Length);
        foreach (double v in ExplainedVarianceRatio) writer.Write(v);
    }

    public static IFeatureTransform Read(BinaryReader reader)
    {
        int requested = reader.ReadInt32();
        double ratio = reader.ReadDouble();
        bool whiten = reader.ReadBoolean();
        int columns = reader.ReadInt32(), components = reader.ReadInt32();
        if (columns is < 1 or > 1 << 20 || components < 1 || components > columns)
            throw new InvalidDataException($"implausible PCA shape {columns} x {components}");
        var pca = requested > 0 ? new PcaTransform(requested, null, whiten) : new PcaTransform(null, ratio, whiten);
        pca.Components = components;
        pca._mean = new float[columns];
        for (int i = 0; i < columns; i++) pca._mean[i] = reader.ReadSingle();
        pca._components = new float[columns * components];
        for (int i = 0; i < pca._components.Length; i++) pca._components[i] = reader.ReadSingle();
        pca.ExplainedVariance = new double[components];
        for (int i = 0; i < components; i++) pca.ExplainedVariance[i] = reader.ReadDouble();
        int curve = reader.ReadInt32();
        if (curve < components || curve > columns) throw new InvalidDataException($"implausible PCA curve length {curve}");
        pca.ExplainedVarianceRatio = new double[curve];
        for (int i = 0; i < curve; i++) pca.ExplainedVarianceRatio[i] = reader.ReadDouble();
        return pca;
    }
}
