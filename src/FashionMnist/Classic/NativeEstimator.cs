using FashionMnist.Data;
using FashionMnist.Models;

namespace FashionMnist.Classic;

/// <summary>
/// The lifecycle an estimator backed by a native model shares (LIBSVM's SVM, XGBoost): validated options, the native
/// model it owns (replaced by each fit, released by <see cref="Dispose"/>), the feature count it was trained on, and
/// the checks every fit and prediction makes first. The derived class trains, predicts and saves.
/// </summary>
/// <remarks>
/// The native model is held as <see cref="IDisposable"/>: its wrapper types are internal to Interop, and a public
/// estimator cannot name them in its base type. Each derived class reads it back through one typed property.
/// </remarks>
/// <typeparam name="TOptions">The estimator's options record.</typeparam>
internal abstract class NativeEstimator<TOptions> : IFeatureClassifier, IDisposable
    where TOptions : ModelOptions
{
    private readonly string _displayName;

    /// <param name="options">Validated here: a bad value is a clear error before anything native runs.</param>
    /// <param name="displayName">How messages name the model ("SVM", "XGBoost model").</param>
    private protected NativeEstimator(TOptions options, string displayName)
    {
        options.Validate();
        Options = options;
        _displayName = displayName;
    }

    /// <summary>The options the estimator was built with.</summary>
    public TOptions Options { get; }

    /// <inheritdoc/>
    public bool IsFitted => Native is not null;

    /// <summary>Number of features the model expects.</summary>
    public int FeatureCount { get; private protected set; }

    /// <summary>The native model, null before a fit or load and after <see cref="Dispose"/>.</summary>
    private protected IDisposable? Native { get; set; }

    /// <summary>The native model, or a clear error when there is none yet.</summary>
    private protected IDisposable Fitted => Native ?? throw new InvalidOperationException($"The {_displayName} is not fitted.");

    /// <summary>Takes ownership of a newly trained model, releasing the previous one.</summary>
    private protected void Replace(IDisposable model)
    {
        if (!ReferenceEquals(Native, model)) Native?.Dispose();
        Native = model;
    }

    /// <summary>The checks before a fit: one label per row, and at least one row.</summary>
    private protected static void CheckFitInput(FeatureMatrix features, ReadOnlySpan<byte> labels, string noImagesProblem)
    {
        if (features.Rows != labels.Length)
            throw new ArgumentException($"{features.Rows} feature rows but {labels.Length} labels.");
        if (features.Rows == 0) throw new FashionMnistException(noImagesProblem, "Give it training images.");
    }

    /// <summary>
    /// The checks before a prediction: a fitted model, the trained-on feature count, room for Rows x 10 probabilities.
    /// </summary>
    private protected void CheckPredictInput(FeatureMatrix features, Span<float> probabilities)
    {
        _ = Fitted;
        if (features.Columns != FeatureCount)
            throw new FashionMnistException($"The {_displayName} was trained on {FeatureCount} features but got {features.Columns}",
                "Use the same preprocessing steps as in training.");
        const int classes = FashionMnistClasses.Count;
        if (probabilities.Length < features.Rows * classes)
            throw new ArgumentException($"Need room for {features.Rows} x {classes} probabilities.", nameof(probabilities));
    }

    /// <summary>Starts the saved state: its version, then the feature count (read back by <see cref="ReadStateHeader"/>).</summary>
    private protected void WriteStateHeader(BinaryWriter writer, int stateVersion)
    {
        writer.Write(stateVersion);
        writer.Write(FeatureCount);
    }

    /// <summary>
    /// Checks the version <see cref="WriteStateHeader"/> wrote and returns the feature count, checked for plausibility;
    /// the messages name the state by <paramref name="stateName"/> ("SVM", "XGBoost").
    /// </summary>
    private protected static int ReadStateHeader(BinaryReader reader, int stateVersion, string stateName)
    {
        int version = reader.ReadInt32();
        if (version != stateVersion) throw new InvalidDataException($"unknown {stateName} state version {version}");
        int featureCount = reader.ReadInt32();
        if (featureCount is < 1 or > 1 << 24) throw new InvalidDataException($"implausible {stateName} feature count {featureCount}");
        return featureCount;
    }

    /// <summary>The native model's serialised bytes, length first.</summary>
    private protected static void WriteModelBytes(BinaryWriter writer, byte[] model)
    {
        writer.Write(model.Length);
        writer.Write(model);
    }

    /// <summary>Reads what <see cref="WriteModelBytes"/> wrote; a length beyond the stream (or below <paramref name="minimumLength"/>) is corrupt.</summary>
    private protected static byte[] ReadModelBytes(BinaryReader reader, string stateName, int minimumLength)
    {
        int length = reader.ReadInt32();
        if (length < minimumLength || length > reader.BaseStream.Length - reader.BaseStream.Position)
            throw new InvalidDataException($"implausible {stateName} model length {length}");
        return reader.ReadBytes(length);
    }

    /// <inheritdoc/>
    public abstract void Fit(FeatureMatrix features, ReadOnlySpan<byte> labels, FitContext context);

    /// <inheritdoc/>
    public abstract void PredictProbabilities(FeatureMatrix features, Span<float> probabilities);

    /// <inheritdoc/>
    public abstract void SaveState(BinaryWriter writer);

    /// <summary>Releases the native model; a second call does nothing.</summary>
    public void Dispose()
    {
        Native?.Dispose();
        Native = null;
        GC.SuppressFinalize(this);
    }
}
