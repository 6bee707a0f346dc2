using System.Text.Json;

namespace FashionMnist.Models;

/// <summary>
/// A calibration of a model's answers for photos of real clothes (not for Fashion-MNIST images): the photo path's
/// probabilities p (averaged over the test-time views) become softmax(ln p / <see cref="Temperature"/> + <see cref="LogPrior"/>).
/// The temperature softens or sharpens the model's confidence, the per-class offsets are a photo-domain class prior
/// (what photos are like, unlike Fashion-MNIST's balanced classes). Fitted on labelled photos by `fmnist calibrate` and
/// kept in the model file (<see cref="ModelFile"/>, format version 2); only the photo paths (predict, serve) apply it, and only
/// for the pipeline and view count it was fitted with, because the outputs it was fitted on depend on both.
/// </summary>
public sealed record PhotoCalibration
{
    /// <summary>Smallest probability taken into the logarithm: an averaged probability of exactly 0 would be −∞.</summary>
    public const double ProbabilityFloor = 1e-12;

    /// <summary>T &gt; 0: above 1 softens the model's probabilities, below 1 sharpens them.</summary>
    public required double Temperature { get; init; }

    /// <summary>One additive offset per Fashion-MNIST class on the tempered log-probabilities.</summary>
    public required IReadOnlyList<double> LogPrior { get; init; }

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
        Logits(probabilities, Temperature, LogPrior, logits);
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

    private static readonly JsonSerializerOptions s_json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower, WriteIndented = false };

    /// <summary>The JSON kept in the model file (doubles round-trip exactly).</summary>
    public string ToJson() => JsonSerializer.Serialize(new Stored(Temperature, [.. LogPrior], Pipeline, Views, new SortedDictionary<string, string>(Facts.ToDictionary(), StringComparer.Ordinal)), s_json);

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
        SortedDictionary<string, string>? Facts);
}
