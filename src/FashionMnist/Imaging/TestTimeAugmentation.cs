using FashionMnist.Data;

namespace FashionMnist.Imaging;

/// <summary>
/// Test-time augmentation for photos: the model sees several versions of the photo's 28x28 input and their class
/// probabilities are averaged. Versions: the garment segmented at a few thresholds (a borderline threshold decides
/// whether a shadow, a strap or a bit of floor belongs to the garment, so averaging over it hedges that one
/// decision), each also mirrored left-right (a photo's garment or shoe may face either way; Fashion-MNIST's
/// shoes face left). Deterministic: the same photo always gives the same views in the same order.
/// <para>A model that mirrors on its own (<see cref="Models.IMirrorAveraging"/>, e.g. a network with <c>tta</c>) is
/// not asked to mirror again: <see cref="PhotoClassifier"/> runs each distinct image once (docs/photos.md).</para>
/// </summary>
public sealed record TestTimeAugmentation
{
    /// <summary>Factors applied to the garment pipeline's segmentation threshold; 1 is the pipeline's own mask.</summary>
    public IReadOnlyList<double> ThresholdScales { get; init; } = [1.0];

    /// <summary>
    /// Factors applied to the garment's width before framing, for every threshold (1 = as the pipeline frames it). Each
    /// factor other than 1 adds a view per threshold: a squeezed flat-lay looks more like Fashion-MNIST's hanging garments.
    /// </summary>
    public IReadOnlyList<double> AspectScales { get; init; } = [1.0];

    /// <summary>Also classify every view mirrored left-right.</summary>
    public bool Flip { get; init; }

    /// <summary>One view: the pipeline's input as it is.</summary>
    public static TestTimeAugmentation None { get; } = new();

    /// <summary>Thresholds x0.7, x1, x1.4, each as is and mirrored: 6 views (see docs/photos.md for the measurements).</summary>
    public static TestTimeAugmentation Default { get; } = new() { ThresholdScales = [1.0, 0.7, 1.4], Flip = true };

    /// <summary>How many inputs the model sees per photo with <paramref name="pipeline"/>.</summary>
    public int ViewCount(IPhotoPipeline pipeline) => Variants(pipeline).Count * (Flip ? 2 : 1);

    /// <summary>
    /// The model inputs for <paramref name="photo"/>, 784 bytes each, back to back. The first is
    /// <paramref name="prepared"/> (the pipeline's own result, which is what gets shown); threshold variants only
    /// apply to <see cref="GarmentPipeline"/> (the seed pipeline has no segmentation), flips to every pipeline.
    /// </summary>
    public byte[] Views(RgbaImage photo, IPhotoPipeline pipeline, PreparedPhoto prepared) =>
        Views(photo, pipeline, prepared, Flip);

    /// <summary>
    /// The distinct images behind the views: each threshold's input, followed by its mirror when
    /// <paramref name="withMirrors"/> (so an image and its mirror are neighbours: 0 and 1, 2 and 3, ...).
    /// </summary>
    internal byte[] Views(RgbaImage photo, IPhotoPipeline pipeline, PreparedPhoto prepared, bool withMirrors)
    {
        var variants = Variants(pipeline);
        bool reuse = variants[0] == (1.0, 1.0);
        if (reuse && variants.Count == 1) return Views([prepared], withMirrors);
        // The other variants share one analysis of the photo (GarmentPipeline.PrepareVariants).
        var inputs = ((GarmentPipeline)pipeline).PrepareVariants(photo, reuse ? variants.Skip(1).ToList() : variants).ToList();
        if (reuse) inputs.Insert(0, prepared);
        return Views(inputs, withMirrors);
    }

    /// <summary>
    /// The pipeline's own input for <paramref name="photo"/> (with its stages when asked: what is shown) and the inputs
    /// behind the views, one per variant, all from one analysis of the photo (<see cref="GarmentPipeline.PrepareVariants"/>).
    /// </summary>
    internal (PreparedPhoto Shown, IReadOnlyList<PreparedPhoto> Inputs) Prepare(RgbaImage photo, IPhotoPipeline pipeline, bool keepStages)
    {
        var variants = Variants(pipeline);
        if (variants.Count == 1 && variants[0] == (1.0, 1.0))
        {
            PreparedPhoto own = pipeline.Prepare(photo, keepStages);
            return (own, [own]);
        }
        var garment = (GarmentPipeline)pipeline;
        if (variants[0] == (1.0, 1.0))
        {
            var all = garment.PrepareVariants(photo, variants, keepStages);
            return (all[0], all);
        }
        var withOwn = garment.PrepareVariants(photo, [(1.0, 1.0), .. variants], keepStages);
        return (withOwn[0], withOwn.Skip(1).ToList());
    }

    /// <summary>The model's images for prepared inputs (one per variant): each, then its mirror when asked.</summary>
    internal static byte[] Views(IReadOnlyList<PreparedPhoto> inputs, bool withMirrors)
    {
        int perScale = withMirrors ? 2 : 1;
        var views = new byte[inputs.Count * perScale * ImageSet.PixelCount];
        for (int s = 0; s < inputs.Count; s++)
        {
            byte[] input = inputs[s].Pixels;
            input.CopyTo(views.AsSpan(s * perScale * ImageSet.PixelCount, ImageSet.PixelCount));
            if (withMirrors) ImageSet.Mirror(input, views.AsSpan((s * perScale + 1) * ImageSet.PixelCount, ImageSet.PixelCount));
        }
        return views;
    }

    /// <summary>(threshold scale, aspect scale) per view, thresholds outer: the pipeline's own input first.</summary>
    internal List<(double Threshold, double Aspect)> Variants(IPhotoPipeline pipeline)
    {
        if (pipeline is not GarmentPipeline || ThresholdScales.Count == 0) return [(1.0, 1.0)];
        foreach (double scale in ThresholdScales.Concat(AspectScales))
            if (!(scale > 0) || double.IsInfinity(scale))
                throw new ArgumentOutOfRangeException(nameof(ThresholdScales), scale, "Threshold and aspect scales must be positive.");
        IReadOnlyList<double> aspects = AspectScales.Count == 0 ? [1.0] : AspectScales;
        return ThresholdScales.SelectMany(t => aspects.Select(a => (t, a))).ToList();
    }
}
