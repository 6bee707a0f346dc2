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
}

/// <summary>How <see cref="GarmentPipeline"/> turns garment luminance into Fashion-MNIST-like intensity.</summary>
public enum IntensityMapping
{
    /// <summary>1st-99th percentile into [<see cref="GarmentPipelineOptions.Floor"/>, 1], then a gamma to <see cref="GarmentPipelineOptions.TargetMean"/>.</summary>
    Stretch,

    /// <summary>Rank of each garment pixel mapped onto the distribution of Fashion-MNIST's garment pixels (histogram matching).</summary>
    MatchHistogram,
}
