using System.Buffers;
using System.Numerics.Tensors;
using FashionMnist.Data;

namespace FashionMnist.Imaging;

/// <summary>
/// Makes a photo of a garment look like a Fashion-MNIST image: the garment alone, light on black, its longest side
/// filling the 28-pixel frame, centred, with Fashion-MNIST-like contrast. Stages:
/// <list type="number">
/// <item>reduce to a working image (longest side <see cref="GarmentPipelineOptions.WorkingSize"/>, area averaging);</item>
/// <item>model the background from a border band (a robust plane per colour channel);</item>
/// <item>garment = pixels whose colour is far from the background: smoothed distance map, threshold = max(Otsu,
/// border texture, floor); opening, closing and hole filling clean it; the largest component(s) are kept.
/// A photo with transparency uses its alpha channel as the garment mask instead;</item>
/// <item>intensity = luminance, inverted when the background is lighter than the garment (Fashion-MNIST garments
/// are light on black), stretched into [floor, 1] and gamma-matched to Fashion-MNIST's mean; background = 0;</item>
/// <item>crop to the garment, area-resample so its longest side fills the frame, centre it in 28x28.</item>
/// </list>
/// </summary>
public sealed partial class GarmentPipeline(GarmentPipelineOptions? options = null) : IPhotoPipeline
{
    /// <summary>The thresholds, sizes and intensity mapping this pipeline runs with.</summary>
    public GarmentPipelineOptions Options { get; } = (options ?? new GarmentPipelineOptions()).Validated();

    /// <inheritdoc/>
    public string Name => "garment";

    /// <summary><see cref="GarmentPipelineOptions.WorkingSize"/>: the garment is segmented at that size.</summary>
    public int WorkingSide => Options.WorkingSize;

    /// <inheritdoc/>
    public PreparedPhoto Prepare(RgbaImage photo, bool keepStages = false)
    {
        using Analysis analysis = Analyse(photo);
        return Finish(analysis, Options.ThresholdScale, Options.AspectScale, keepStages);
    }

    /// <summary>
    /// The photo prepared once per variant, as test-time augmentation needs it: each multiplies
    /// <see cref="GarmentPipelineOptions.ThresholdScale"/> and <see cref="GarmentPipelineOptions.AspectScale"/> by its
    /// factors. Everything before the threshold (working image, background, distance map, Otsu and border texture) is
    /// computed once and shared, so each result is, to the bit, what <see cref="Prepare"/> gives with those scales in
    /// the options, at a fraction of the cost. Stages are kept for the first variant only.
    /// </summary>
    public IReadOnlyList<PreparedPhoto> PrepareVariants(RgbaImage photo, IReadOnlyList<(double Threshold, double Aspect)> variants, bool keepStages = false)
    {
        using Analysis analysis = Analyse(photo);
        var result = new PreparedPhoto[variants.Count];
        for (int v = 0; v < variants.Count; v++)
            result[v] = Finish(analysis, Options.ThresholdScale * variants[v].Threshold, Options.AspectScale * variants[v].Aspect, keepStages && v == 0);
        return result;
    }

    /// <summary>
    /// What every threshold shares: the working image, its luminance, its background, and (without transparency) the
    /// smoothed distance from the background with the two numbers the threshold is made of. The planes, luminance and
    /// distance are pooled arrays (their first width x height floats are the image): dispose the analysis when done.
    /// </summary>
    internal sealed class Analysis(PhotoPlanes planes, float[] luminance, BackgroundModel background, bool useAlpha, float[]? distance, float otsu, float texture)
        : IDisposable
    {
        public PhotoPlanes Planes { get; } = planes;
        public float[] Luminance { get; private set; } = luminance;
        public float[][] Channels { get; } = [planes.Red, planes.Green, planes.Blue];
        public BackgroundModel Background { get; } = background;
        public bool UseAlpha { get; } = useAlpha;
        public float[]? Distance { get; private set; } = distance;
        public float Otsu { get; } = otsu;
        public float Texture { get; } = texture;

        public void Dispose()
        {
            if (Luminance.Length == 0) return;
            Planes.Dispose();
            ArrayPool<float>.Shared.Return(Luminance);
            if (Distance is not null) ArrayPool<float>.Shared.Return(Distance);
            Luminance = [];
            Distance = null;
        }
    }

    internal Analysis Analyse(RgbaImage photo)
    {
        PhotoPlanes planes = PhotoPlanes.From(photo, Options.WorkingSize);
        int width = planes.Width, height = planes.Height, n = width * height;
        float[] luminance = ArrayPool<float>.Shared.Rent(n);
        planes.Luminance(luminance);
        float[][] channels = [planes.Red, planes.Green, planes.Blue];
        int band = Math.Max(1, (int)Math.Round(Options.BorderFraction * Math.Min(width, height)));
        BackgroundModel background = BackgroundModel.Fit(channels, width, height, band);
        if (planes.TransparentFraction() > 0.05) return new Analysis(planes, luminance, background, true, null, 0, 0);

        float[] distance = ArrayPool<float>.Shared.Rent(n);
        background.DistanceMap(planes.Red, planes.Green, planes.Blue, distance);
        if (Options.BackgroundColours > 0)
        {
            // A busy background has several colours: a pixel near any of them is background too.
            Span<float> centres = stackalloc float[3 * 8];
            int kept = BackgroundPalette.Fit(planes.Red, planes.Green, planes.Blue, background.BandPixels, Options.BackgroundColours,
                Options.BackgroundColourShare, centres);
            BackgroundPalette.LowerDistances(planes.Red, planes.Green, planes.Blue, centres[..(3 * kept)], distance.AsSpan(0, n));
        }
        // Smoothing makes the threshold see regions rather than texture (wood grain, fabric weave, JPEG noise).
        BoxBlur.Apply(distance, width, height, radius: Math.Max(1, Math.Max(width, height) / 128));
        BoxBlur.Apply(distance, width, height, radius: Math.Max(1, Math.Max(width, height) / 128));

        var border = new List<float>(background.BandPixels.Length);
        foreach (int i in background.BandPixels)
            if (background.BorderInliers[i]) border.Add(distance[i]);
        return new Analysis(planes, luminance, background, false, distance, Thresholds.Otsu(distance.AsSpan(0, n)),
            Thresholds.Percentile(CollectionsMarshal.AsSpan(border), 0.95));
    }

    internal PreparedPhoto Finish(Analysis analysis, double thresholdScale, double aspectScale, bool keepStages)
    {
        var stages = new List<PipelineStage>();
        var notes = new List<string>();
        PhotoPlanes planes = analysis.Planes;
        int width = planes.Width, height = planes.Height, n = width * height;
        if (keepStages) stages.Add(new("1-gray", new GrayImage(width, height, analysis.Luminance[..n]).ToRgba()));

        BinaryMask garment;
        if (analysis.UseAlpha)
        {
            garment = new BinaryMask(width, height);
            for (int i = 0; i < n; i++) garment.Bits[i] = (byte)(planes.Alpha[i] >= 0.5f ? 1 : 0);
            notes.Add("mask from the alpha channel");
        }
        else
        {
            garment = Segment(analysis, thresholdScale, stages, notes, keepStages);
        }

        garment = garment.KeepLargestComponents(Options.ComponentFraction, Options.MaxBorderShare);
        if (!analysis.UseAlpha) garment = UnlessFragmented(analysis, thresholdScale, garment, notes);
        int area = garment.Count();
        if (area < 0.005 * n)
        {
            // Nothing stands out from the background: treat the whole photo as the garment rather than fail.
            Array.Fill(garment.Bits, (byte)1);
            notes.Add("no garment found; used the whole photo");
        }
        if (keepStages) stages.Add(new("4-garment-mask", garment.ToGray().ToRgba()));

        var box = garment.BoundingBox()!.Value;
        // The crop lives only until it is framed: a pooled buffer, not a new large-object-heap array per view (a web
        // request's three views made about 0.5 MB of them, and each such allocation brings a gen-2 collection nearer).
        float[] cropBuffer = ArrayPool<float>.Shared.Rent(box.Width * box.Height);
        try
        {
            Span<float> crop = cropBuffer.AsSpan(0, box.Width * box.Height);
            GarmentCrop(analysis.Luminance.AsSpan(0, n), width, analysis.Background, garment, box, crop, notes);
            if (keepStages) stages.Add(new("5-crop", new GrayImage(box.Width, box.Height, crop.ToArray()).ToRgba()));

            if (Options.MaxAspect > 0 && box.Width * aspectScale > Options.MaxAspect * box.Height)
            {
                // Flat-laid tops spread their sleeves: framed wider than tall they look like bags to a model trained on
                // hanging product shots, so the width is squeezed to at most MaxAspect x the height.
                aspectScale = Options.MaxAspect * box.Height / box.Width;
                notes.Add($"squeezed to width/height {Options.MaxAspect:0.00}");
            }
            GrayImage final = Frame(crop, box.Width, box.Height, aspectScale);
            if (keepStages) stages.Add(new("6-final-28x28", final.ToRgba(10)));
            return new PreparedPhoto(PhotoPipelines.ToBytes(final), stages, string.Join("; ", notes));
        }
        finally
        {
            ArrayPool<float>.Shared.Return(cropBuffer);
        }
    }

    private BinaryMask Segment(Analysis analysis, double thresholdScale, List<PipelineStage> stages, List<string> notes, bool keepStages,
        double closingScale = 1)
    {
        int width = analysis.Planes.Width, height = analysis.Planes.Height, n = width * height;
        ReadOnlySpan<float> distance = analysis.Distance.AsSpan(0, n);
        float otsu = analysis.Otsu, texture = analysis.Texture;
        float threshold = (float)thresholdScale * Math.Max(otsu, Math.Max((float)(Options.NoiseFactor * texture), (float)Options.MinThreshold));
        notes.Add($"threshold {threshold:0.000} (otsu {otsu:0.000}, border texture {texture:0.000})");

        var mask = new BinaryMask(width, height);
        for (int i = 0; i < n; i++) mask.Bits[i] = (byte)(distance[i] > threshold ? 1 : 0);
        if (keepStages)
        {
            float max = Math.Max(1e-6f, TensorPrimitives.Max(distance));
            var scaled = new GrayImage(width, height, distance.ToArray().Select(d => d / max).ToArray());
            stages.Add(new("2-distance-from-background", scaled.ToRgba()));
            stages.Add(new("3-threshold-mask", mask.ToGray().ToRgba()));
        }
        int closing = Math.Max(1, (int)Math.Round(closingScale * Options.ClosingFraction * Math.Max(width, height)));
        int opening = Math.Max(1, (int)Math.Round(Options.OpeningFraction * Math.Max(width, height)));
        return mask.OpenCloseFillHoles(opening, closing);
    }

    /// <summary>
    /// The garment's intensity (luminance, inverted when the background is lighter, then stretched or histogram-matched),
    /// cropped to the garment's bounding box: what an intensity image of the whole working size, cropped, would hold.
    /// </summary>
    private void GarmentCrop(ReadOnlySpan<float> pixels, int width, BackgroundModel background, BinaryMask garment,
        (int X, int Y, int Width, int Height) box, Span<float> crop, List<string> notes)
    {
        byte[] bits = garment.Bits;
        // Every garment pixel is inside the box: the loops below visit only its rows and columns, in index order.
        int area = 0;
        for (int y = box.Y; y < box.Y + box.Height; y++)
            foreach (byte bit in bits.AsSpan(y * width + box.X, box.Width)) area += bit;
        int[] band = background.BandPixels;
        float[] valueBuffer = ArrayPool<float>.Shared.Rent(area);
        try
        {
            Span<float> values = valueBuffer.AsSpan(0, area);
            GarmentValues(pixels, width, background, bits, box, band, values, notes);
            crop.Clear(); // the background stays black
            for (int y = box.Y, k = 0; y < box.Y + box.Height; y++)
            {
                // Every garment pixel is inside the box, and the rows before it hold none: k counts them in index order.
                int row = y * width;
                for (int x = box.X; x < box.X + box.Width; x++)
                    if (bits[row + x] != 0) crop[(y - box.Y) * box.Width + x - box.X] = values[k++];
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(valueBuffer);
        }
    }

    /// <summary>The garment pixels' intensities in index order, inverted when the background is lighter, then
    /// stretched or histogram-matched (<see cref="GarmentCrop"/>).</summary>
    private void GarmentValues(ReadOnlySpan<float> pixels, int width, BackgroundModel background, byte[] bits,
        (int X, int Y, int Width, int Height) box, int[] band, Span<float> values, List<string> notes)
    {
        float[] rented = ArrayPool<float>.Shared.Rent(band.Length);
        int radius = (int)Math.Round(Options.SmoothRadius * Math.Max(box.Width, box.Height) / ImageSet.Width);
        float[]? smooth = radius >= 1 ? ArrayPool<float>.Shared.Rent(2 * box.Width * box.Height) : null;
        float garmentLevel, backgroundLevel;
        try
        {
            if (smooth is not null)
            {
                // Stripes, checks and prints at about the 28x28 pixel's scale would alias into a texture the model
                // reads as another garment; averaging the garment's own pixels (normalised by the mask, so the
                // background does not darken the edges) keeps its shape and shading.
                SmoothInside(pixels, bits, width, box, radius, smooth);
                for (int y = box.Y, k = 0; y < box.Y + box.Height; y++)
                    for (int x = box.X; x < box.X + box.Width; x++)
                        if (bits[y * width + x] != 0) values[k++] = smooth[(y - box.Y) * box.Width + x - box.X];
            }
            else
            {
                for (int y = box.Y, k = 0; y < box.Y + box.Height; y++)
                    for (int i = y * width + box.X, end = i + box.Width; i < end; i++)
                        if (bits[i] != 0) values[k++] = pixels[i];
            }
            int borderCount = 0;
            foreach (int i in band)
                if (bits[i] == 0) rented[borderCount++] = pixels[i];
            garmentLevel = Thresholds.Percentile(values, 0.5);
            backgroundLevel = borderCount > 0 ? Thresholds.Percentile(rented.AsSpan(0, borderCount), 0.5) : 1f - garmentLevel;
        }
        finally
        {
            ArrayPool<float>.Shared.Return(rented);
            if (smooth is not null) ArrayPool<float>.Shared.Return(smooth);
        }
        bool invert = backgroundLevel >= garmentLevel;
        notes.Add(invert ? "background lighter than the garment: inverted" : "background darker than the garment: not inverted");

        if (invert)
            for (int k = 0; k < values.Length; k++) values[k] = 1 - values[k];
        if (Options.Intensity == IntensityMapping.MatchHistogram) FashionMnistHistogram.Match(values);
        else GarmentIntensity.Stretch(values, Options.Floor, Options.TargetMean);
    }

    /// <summary>
    /// The mean of the garment pixels in a (2r+1)-square around each pixel of <paramref name="box"/> (box blurs of the
    /// masked values and of the mask, divided), into the first box-sized part of <paramref name="scratch"/>; the second
    /// part holds the blurred mask. Only garment pixels' results are read.
    /// </summary>
    private static void SmoothInside(ReadOnlySpan<float> pixels, byte[] bits, int width, (int X, int Y, int Width, int Height) box, int radius, float[] scratch)
    {
        int size = box.Width * box.Height;
        Span<float> values = scratch.AsSpan(0, size), weights = scratch.AsSpan(size, size);
        for (int y = 0; y < box.Height; y++)
            for (int x = 0; x < box.Width; x++)
            {
                int i = (box.Y + y) * width + box.X + x;
                values[y * box.Width + x] = bits[i] != 0 ? pixels[i] : 0f;
                weights[y * box.Width + x] = bits[i];
            }
        BoxBlur.Apply(values, box.Width, box.Height, radius);
        BoxBlur.Apply(weights, box.Width, box.Height, radius);
        for (int k = 0; k < size; k++) values[k] = weights[k] > 0 ? values[k] / weights[k] : 0f;
    }

    // Longest side fills the frame (Fashion-MNIST's own framing), aspect ratio kept, centred by bounding box.
    private GrayImage Frame(ReadOnlySpan<float> crop, int cropWidth, int cropHeight, double aspectScale)
    {
        var final = new GrayImage(ImageSet.Width, ImageSet.Height);
        GarmentFraming.Frame(crop, cropWidth, cropHeight, final.Pixels, Options.Fill, aspectScale);
        return final;
    }
}
