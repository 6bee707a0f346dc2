namespace FashionMnist.Imaging;

/// <summary>The knobs of <see cref="GarmentPipeline"/>; defaults were tuned on the 290 development photos (docs/photos.md).</summary>
public sealed record GarmentPipelineOptions
{
    /// <summary>Longest side of the working image the garment is segmented in (pixels).</summary>
    public int WorkingSize { get; init; } = 256;

    /// <summary>Width of the border band the background is estimated from, as a fraction of the shorter side.</summary>
    public double BorderFraction { get; init; } = 0.05;

    /// <summary>Smallest colour distance from the background that can count as garment (RGB, 0-1 scale).</summary>
    public double MinThreshold { get; init; } = 0.06;

    /// <summary>The threshold is at least this times the 95th percentile of the distance in the border band (its texture).</summary>
    public double NoiseFactor { get; init; } = 0.5;

    /// <summary>Radius of the morphological opening (cuts thin bridges to clutter), as a fraction of the longest side; at least 1 pixel.</summary>
    public double OpeningFraction { get; init; } = 0.0;

    /// <summary>Radius of the morphological closing, as a fraction of the working image's longest side.</summary>
    public double ClosingFraction { get; init; } = 0.02;

    /// <summary>Other connected components are kept when at least this fraction of the largest one (pairs of shoes).</summary>
    public double ComponentFraction { get; init; } = 0.35;

    /// <summary>Garment pixels are stretched into [Floor, 1] (Fashion-MNIST garments are rarely pure black inside).</summary>
    public float Floor { get; init; } = 0.12f;

    /// <summary>Gamma is chosen so the garment's mean intensity is about this (Fashion-MNIST: 0.42-0.64 by class); 0 = off.</summary>
    public float TargetMean { get; init; } = 0.55f;

    /// <summary>The segmentation threshold is multiplied by this (test-time augmentation segments at a few scales).</summary>
    public double ThresholdScale { get; init; } = 1.0;

    /// <summary>How garment luminance becomes intensity: a percentile stretch plus gamma, or matching Fashion-MNIST's histogram.</summary>
    public IntensityMapping Intensity { get; init; } = IntensityMapping.Stretch;

    /// <summary>Share of the 28-pixel frame the garment's longest side fills (Fashion-MNIST: all of it).</summary>
    public double Fill { get; init; } = 1.0;

    /// <summary>
    /// The garment's width is multiplied by this before framing (1 = aspect ratio kept). Flat-laid clothes are 1.3-1.9x
    /// wider for their height than Fashion-MNIST's product shots of the same class (docs/photos.md); the test-time
    /// augmentation can add squeezed views.
    /// </summary>
    public double AspectScale { get; init; } = 1.0;

    /// <summary>
    /// Up to this many background colours are found in the border band (k-means) and a pixel near any of them counts
    /// as background, besides the fitted plane: a striped rug or a two-coloured bedspread is not taken for the garment.
    /// 0 = the plane alone. At most 8.
    /// </summary>
    public int BackgroundColours { get; init; }

    /// <summary>A background colour (<see cref="BackgroundColours"/>) counts only if it holds at least this share of the border band.</summary>
    public double BackgroundColourShare { get; init; } = 0.15;

    /// <summary>
    /// A mask component covering more than this share of the image's outermost ring of pixels is taken for a surface
    /// (a rug, a bed edge, a wall) and not kept, unless every component does. 1 = off.
    /// </summary>
    public double MaxBorderShare { get; init; } = 1.0;

    /// <summary>
    /// Radius of an averaging of the garment's own pixels before the 28x28 reduction, in pixels of the 28x28 frame (0 = off):
    /// stripes and prints then become shading instead of a texture the model takes for another garment.
    /// </summary>
    public double SmoothRadius { get; init; }

    /// <summary>
    /// A garment framed wider than this times its height (after <see cref="AspectScale"/>) is squeezed to it (0 = off):
    /// Fashion-MNIST's tops are about 0.77 as wide as tall, flat-laid ones in photos 1.0-1.2.
    /// </summary>
    public double MaxAspect { get; init; }

    /// <summary>
    /// A kept mask with less than this share of its convex hull set is doubtful (0 = off): a garment is one compact region,
    /// a mask that fell apart on a busy or light floor is strips and fragments, which the model reads as sandal straps.
    /// A doubtful mask is replaced by the <see cref="FragmentFallback"/> mask when that is more solid. 0.75 with the
    /// x0.4 threshold fallback: +8 tuning photos top-1, held out even, non-shoes called Sandal 18 -> 1 and 13 -> 3
    /// (docs/photos.md, "Fragmented masks").
    /// </summary>
    public double MinSolidity { get; init; } = 0.75;

    /// <summary>A kept mask with less than this share of its bounding box set is doubtful too (0 = off); see <see cref="MinSolidity"/>.</summary>
    public double MinBoxFill { get; init; }

    /// <summary>What replaces a doubtful mask (<see cref="MinSolidity"/>, <see cref="MinBoxFill"/>).</summary>
    public FragmentFallback FragmentFallback { get; init; } = FragmentFallback.LowerThreshold;

    /// <summary>For <see cref="FragmentFallback.LowerThreshold"/>: the threshold is multiplied by this.</summary>
    public double FallbackThresholdFactor { get; init; } = 0.4;

    /// <summary>For <see cref="FragmentFallback.Closing"/>: the closing radius is multiplied by this.</summary>
    public double FallbackClosingFactor { get; init; } = 3;

    /// <summary>These options, after checking every value is in its range; an <see cref="ArgumentOutOfRangeException"/> names the first that is not.</summary>
    public GarmentPipelineOptions Validated()
    {
        Check(WorkingSize is >= 28 and <= 4096, nameof(WorkingSize), WorkingSize, "between 28 and 4096");
        Check(BorderFraction is > 0 and <= 0.5, nameof(BorderFraction), BorderFraction, "in (0, 0.5]");
        Check(MinThreshold is >= 0 and < 2, nameof(MinThreshold), MinThreshold, "in [0, 2)");
        Check(NoiseFactor is >= 0 and <= 10, nameof(NoiseFactor), NoiseFactor, "in [0, 10]");
        Check(OpeningFraction is >= 0 and <= 0.25, nameof(OpeningFraction), OpeningFraction, "in [0, 0.25]");
        Check(ClosingFraction is >= 0 and <= 0.25, nameof(ClosingFraction), ClosingFraction, "in [0, 0.25]");
        Check(ComponentFraction is >= 0 and <= 1, nameof(ComponentFraction), ComponentFraction, "in [0, 1]");
        Check(Floor is >= 0 and < 1, nameof(Floor), Floor, "in [0, 1)");
        Check(TargetMean is >= 0 and < 1, nameof(TargetMean), TargetMean, "in [0, 1)");
        Check(ThresholdScale is > 0 and < 100, nameof(ThresholdScale), ThresholdScale, "in (0, 100)");
        Check(Enum.IsDefined(Intensity), nameof(Intensity), Intensity, "a defined IntensityMapping");
        Check(Fill is >= 0.3 and <= 1, nameof(Fill), Fill, "in [0.3, 1]");
        Check(AspectScale is >= 0.25 and <= 4, nameof(AspectScale), AspectScale, "in [0.25, 4]");
        Check(BackgroundColours is >= 0 and <= 8, nameof(BackgroundColours), BackgroundColours, "between 0 and 8");
        Check(BackgroundColourShare is >= 0 and <= 1, nameof(BackgroundColourShare), BackgroundColourShare, "in [0, 1]");
        Check(MaxBorderShare is > 0 and <= 1, nameof(MaxBorderShare), MaxBorderShare, "in (0, 1]");
        Check(SmoothRadius is >= 0 and <= 4, nameof(SmoothRadius), SmoothRadius, "in [0, 4]");
        Check(MaxAspect == 0 || MaxAspect is >= 0.25 and <= 4, nameof(MaxAspect), MaxAspect, "0 (off) or in [0.25, 4]");
        Check(MinSolidity is >= 0 and <= 1, nameof(MinSolidity), MinSolidity, "in [0, 1]");
        Check(MinBoxFill is >= 0 and <= 1, nameof(MinBoxFill), MinBoxFill, "in [0, 1]");
        Check(Enum.IsDefined(FragmentFallback), nameof(FragmentFallback), FragmentFallback, "a defined FragmentFallback");
        Check(FallbackThresholdFactor is > 0 and < 1, nameof(FallbackThresholdFactor), FallbackThresholdFactor, "in (0, 1)");
        Check(FallbackClosingFactor is >= 1 and <= 10, nameof(FallbackClosingFactor), FallbackClosingFactor, "in [1, 10]");
        return this;

        // "is" patterns are false for NaN, so a NaN is refused too.
        static void Check(bool valid, string name, object value, string range)
        {
            if (!valid) throw new ArgumentOutOfRangeException(name, value, $"GarmentPipelineOptions.{name} must be {range}.");
        }
    }
}

/// <summary>How <see cref="GarmentPipeline"/> turns garment luminance into Fashion-MNIST-like intensity.</summary>
public enum IntensityMapping
{
    /// <summary>1st-99th percentile into [<see cref="GarmentPipelineOptions.Floor"/>, 1], then a gamma to <see cref="GarmentPipelineOptions.TargetMean"/>.</summary>
    Stretch,

    /// <summary>Rank of each garment pixel mapped onto the distribution of Fashion-MNIST's garment pixels (histogram matching).</summary>
    MatchHistogram,
}

/// <summary>The mask <see cref="GarmentPipeline"/> tries instead of a doubtful one (<see cref="GarmentPipelineOptions.MinSolidity"/>).</summary>
public enum FragmentFallback
{
    /// <summary>The mask at a lower threshold (<see cref="GarmentPipelineOptions.FallbackThresholdFactor"/>): fainter parts join the fragments.</summary>
    LowerThreshold,

    /// <summary>The threshold mask closed with a larger square (<see cref="GarmentPipelineOptions.FallbackClosingFactor"/>): gaps between fragments close.</summary>
    Closing,

    /// <summary>The filled convex hull of the kept mask.</summary>
    Hull,
}
