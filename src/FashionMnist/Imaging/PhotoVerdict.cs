namespace FashionMnist.Imaging;

/// <summary>How much a photo's top class can be trusted, from its probability.</summary>
public enum VerdictConfidence
{
    /// <summary>The top class has at least <see cref="PhotoVerdict.ConfidentAt"/> of the probability.</summary>
    Confident,
    /// <summary>The top class has at least <see cref="PhotoVerdict.LikelyAt"/>: more than all others together.</summary>
    Likely,
    /// <summary>The top class has less than <see cref="PhotoVerdict.LikelyAt"/>: the others together are more probable.</summary>
    Uncertain,
}

/// <summary>
/// The one-line answer for a photo: its most probable class, how probable, and a word for how far to trust it
/// (<c>→ Coat 35 % (uncertain)</c>). The thresholds are on the model's (test-time averaged) probability of the top
/// class: confident from 80 %, likely from 50 % (the top class outweighs all others together), uncertain below.
/// On a photo, an uncertain verdict usually means the pipeline's 28x28 input does not look like the garment:
/// `fmnist predict --debug-dir DIR` shows every stage (docs/photos.md).
/// </summary>
public sealed record PhotoVerdict(ClassProbability Top, VerdictConfidence Confidence)
{
    /// <summary>The top class's probability from which the verdict is confident (80 %).</summary>
    public const float ConfidentAt = 0.80f;

    /// <summary>The top class's probability from which the verdict is likely (50 %: more than all others together).</summary>
    public const float LikelyAt = 0.50f;

    /// <summary>The verdict on <paramref name="prediction"/>: its top class and how far to trust it.</summary>
    public static PhotoVerdict Of(PhotoPrediction prediction)
    {
        ArgumentNullException.ThrowIfNull(prediction);
        var top = prediction.Top(1)[0];
        var confidence = top.Probability >= ConfidentAt ? VerdictConfidence.Confident
            : top.Probability >= LikelyAt ? VerdictConfidence.Likely
            : VerdictConfidence.Uncertain;
        return new PhotoVerdict(top, confidence);
    }

    /// <summary>"confident", "likely" or "uncertain".</summary>
    public string Word => Confidence.ToString().ToLowerInvariant();

    /// <summary>The probability as a whole percentage.</summary>
    public int Percent => (int)MathF.Round(Top.Probability * 100, MidpointRounding.AwayFromZero);

    /// <summary>"→ Coat 35 % (uncertain)".</summary>
    public string Headline => string.Create(CultureInfo.InvariantCulture, $"→ {Top.Name} {Percent} % ({Word})");

    /// <summary>The headline in ASCII, for the sheet's pixel font: "-> Coat 35% (uncertain)".</summary>
    public string AsciiHeadline => string.Create(CultureInfo.InvariantCulture, $"-> {Top.Name} {Percent}% ({Word})");
}
