using System.Text.Json;

namespace FashionMnist.Models;

/// <summary>
/// A calibration of a model's answers for photos of real clothes (not for Fashion-MNIST images): the photo path's
/// probabilities p (averaged over the test-time views) become softmax(ln p / <see cref="Temperature"/> + <see cref="LogPrior"/>),
/// or, with a <see cref="Matrix"/>, softmax(W·ln p + <see cref="LogPrior"/>).
/// The temperature softens or sharpens the model's confidence, the per-class offsets are a photo-domain class prior
/// (what photos are like, unlike Fashion-MNIST's balanced classes); the matrix also moves evidence between classes, which
/// is what the photo domain's systematic confusions need (a photo's T-shirt that the model calls Shirt with T-shirt
/// second). Fitted on labelled photos by `fmnist calibrate` and kept in the model file (<see cref="ModelFile"/>, format
/// version 2, or 3 with a matrix); only the photo paths (predict, serve) apply it, and only for the pipeline and view count
/// it was fitted with, because the outputs it was fitted on depend on both.
/// </summary>
public sealed record PhotoCalibration
{
    /// <summary>Smallest probability taken into the logarithm: an averaged probability of exactly 0 would be −∞.</summary>
    public const double ProbabilityFloor = 1e-12;

    /// <summary>T &gt; 0: above 1 softens the model's probabilities, below 1 sharpens them.</summary>
    public required double Temperature { get; init; }

    /// <summary>One additive offset per Fashion-MNIST class on the tempered log-probabilities.</summary>
    public required IReadOnlyList<double> LogPrior { get; init; }

    /// <summary>
    /// Null, or 10 x 10 weights W (row-major: calibrated logit i = Σ_j W[i, j]·ln p_j + b_i) used instead of 1/T on the
    /// diagonal; <see cref="Temperature"/> then only describes it (10 / trace W).
    /// </summary>
    public IReadOnlyList<double>? Matrix { get; init; }

    /// <summary>"temperature", "prior" or "matrix": the form of the calibration, for reports.</summary>
    public string Form => Matrix is not null ? "matrix" : LogPrior.Any(b => b != 0) ? "prior" : "temperature";

    /// <summary>The photo pipeline the outputs it was fitted on came from ("garment").</summary>
    public required string Pipeline { get; init; }

    /// <summary>Test-time views per photo it was fitted with (6 with the default TTA, 1 without).</summary>
    public required int Views { get; init; }

    /// <summary>How it was fitted (photos, folds, the penalty chosen, the labels file): shown, not used to predict.</summary>
    public IReadOnlyDictionary<string, string> Facts { get; init; } = new Dictionary<string, string>();

    /// <summary>Checks the numbers: a positive finite temperature and one finite offset per class.</summary>
    public void Validate()
    {
        if (!(Temperature > 0) || double.IsInfinity(Temperature))
            throw new ArgumentOutOfRangeException(nameof(Temperature), Temperature, "The temperature must be positive and finite.");
        if (LogPrior is null || LogPrior.Count != Data.FashionMnistClasses.Count)
            throw new ArgumentException($"The log-prior needs {Data.FashionMnistClasses.Count} offsets, got {LogPrior?.Count ?? 0}.", nameof(LogPrior));
        foreach (double b in LogPrior)
            if (!double.IsFinite(b)) throw new ArgumentOutOfRangeException(nameof(LogPrior), b, "The log-prior offsets must be finite.");
        if (Matrix is not null)
        {
            int cells = Data.FashionMnistClasses.Count * Data.FashionMnistClasses.Count;
            if (Matrix.Count != cells) throw new ArgumentException($"The matrix needs {cells} weights, got {Matrix.Count}.", nameof(Matrix));
            foreach (double w in Matrix)
                if (!double.IsFinite(w)) throw new ArgumentOutOfRangeException(nameof(Matrix), w, "The matrix weights must be finite.");
        }
        if (string.IsNullOrWhiteSpace(Pipeline)) throw new ArgumentException("The pipeline must be named.", nameof(Pipeline));
        ArgumentOutOfRangeException.ThrowIfLessThan(Views, 1);
    }

    /// <summary>Whether it applies to a photo path with this pipeline and this many views; otherwise why not.</summary>
    public string? Mismatch(string pipeline, int views) =>
        !string.Equals(pipeline, Pipeline, StringComparison.OrdinalIgnoreCase) ? $"fitted for the '{Pipeline}' pipeline, this run uses '{pipeline}'"
        : views != Views ? $"fitted with {Views} test-time view(s) per photo, this run uses {views}"
        : null;

    /// <summary>Writes the calibrated distribution of <paramref name="probabilities"/> (one photo, 10 classes) into <paramref name="calibrated"/>.</summary>
    public void Apply(ReadOnlySpan<float> probabilities, Span<float> calibrated)
    {
        Span<double> logits = stackalloc double[probabilities.Length];
        if (Matrix is null) Logits(probabilities, Temperature, LogPrior, logits);
        else MatrixLogits(probabilities, Matrix, LogPrior, logits);
        double max = double.NegativeInfinity;
        foreach (double z in logits) max = Math.Max(max, z);
        double sum = 0;
        for (int k = 0; k < logits.Length; k++) sum += logits[k] = Math.Exp(logits[k] - max);
        for (int k = 0; k < logits.Length; k++) calibrated[k] = (float)(logits[k] / sum);
    }

    /// <summary>ln(max(p, floor)) / T + b per class: the calibrated logits.</summary>
    public static void Logits(ReadOnlySpan<float> probabilities, double temperature, IReadOnlyList<double> logPrior, Span<double> logits)
    {
        for (int k = 0; k < probabilities.Length; k++)
            logits[k] = Math.Log(Math.Max(probabilities[k], ProbabilityFloor)) / temperature + logPrior[k];
    }

    /// <summary>Σ_j W[k, j]·ln(max(p_j, floor)) + b_k per class: the calibrated logits of the matrix form.</summary>
    public static void MatrixLogits(ReadOnlySpan<float> probabilities, IReadOnlyList<double> matrix, IReadOnlyList<double> logPrior, Span<double> logits)
    {
        int classes = probabilities.Length;
        Span<double> logs = stackalloc double[classes];
        for (int j = 0; j < classes; j++) logs[j] = Math.Log(Math.Max(probabilities[j], ProbabilityFloor));
        for (int k = 0; k < classes; k++)
        {
            double z = logPrior[k];
            for (int j = 0; j < classes; j++) z += matrix[k * classes + j] * logs[j];
            logits[k] = z;
        }
    }

    private static readonly JsonSerializerOptions s_json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower, WriteIndented = false };

    /// <summary>The JSON kept in the model file (doubles round-trip exactly).</summary>
    public string ToJson() => JsonSerializer.Serialize(new Stored(Temperature, [.. LogPrior], Pipeline, Views, new SortedDictionary<string, string>(Facts.ToDictionary(), StringComparer.Ordinal),
        Matrix is null ? null : [.. Matrix]), s_json);

    /// <summary>Reads <see cref="ToJson"/>'s text; anything else is an <see cref="InvalidDataException"/>.</summary>
    public static PhotoCalibration FromJson(string json)
    {
        Stored stored;
        try
        {
            stored = JsonSerializer.Deserialize<Stored>(json, s_json) ?? throw new InvalidDataException("the photo calibration is empty");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"the photo calibration is not valid JSON: {e.Message}", e);
        }
        var calibration = new PhotoCalibration
        {
            Temperature = stored.Temperature, LogPrior = stored.LogPrior ?? [], Pipeline = stored.Pipeline ?? "", Views = stored.Views,
            Facts = stored.Facts ?? new SortedDictionary<string, string>(StringComparer.Ordinal),
            Matrix = stored.Matrix,
        };
        try
        {
            calibration.Validate();
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"the photo calibration is invalid: {e.Message}", e);
        }
        return calibration;
    }

    private sealed record Stored(double Temperature, double[]? LogPrior, string? Pipeline, int Views,
        SortedDictionary<string, string>? Facts, [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)] double[]? Matrix = null);
}
