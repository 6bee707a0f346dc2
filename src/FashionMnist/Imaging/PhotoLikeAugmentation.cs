using FashionMnist.Data;

namespace FashionMnist.Imaging;

/// <summary>The ranges of <see cref="PhotoLikeAugmentation"/> (defaults from docs/photos.md).</summary>
/// <param name="MaxRotation">Garments are tilted by up to this many degrees either way (photos are rarely square to the garment).</param>
/// <param name="MaxShoeRotation">Shoes (Sandal, Sneaker, Ankle boot) are turned by up to this many degrees either way (they lie at any angle).</param>
/// <param name="PairProbability">Share of shoes shown as a pair from above: the shoe and its mirror image, overlapping.</param>
/// <param name="MinAspect">Width relative to height is multiplied by a factor between this and <paramref name="MaxAspect"/>
/// (log-uniform). Photos of flat-laid clothes are wider than Fashion-MNIST's (sleeves and legs spread out): the garment
/// pipeline's outputs have 1.3-1.75 times the width/height ratio of the same Fashion-MNIST class (docs/photos.md).</param>
/// <param name="MaxAspect">See <paramref name="MinAspect"/>.</param>
/// <param name="MaxRamp">Brightness changes by up to this fraction from the centre to the edge of the garment (uneven light).</param>
/// <param name="MaxNoise">Pixel noise over the garment has a standard deviation of up to this (0-1 intensity scale).</param>
/// <param name="NormalizeProbability">Share of images given the garment pipeline's own intensity normalisation
/// (1st-99th percentile into [0.12, 1], gamma to mean 0.55) instead of keeping Fashion-MNIST's intensities.</param>
/// <param name="FoldProbability">Share of trousers with one leg folded (up over itself, or sideways): flat-laid trousers in
/// photos often have a folded or bent leg, a pose Fashion-MNIST lacks. 0 = off.</param>
/// <param name="TopViewProbability">Share of shoes shown as a pair seen from above (two soles side by side, toes the same
/// way, the opening dark) instead of in profile: how shoe pairs are usually photographed. 0 = off.</param>
/// <param name="TextureProbability">Share of tops and dresses (T-shirt, Pullover, Dress, Coat, Shirt) given stripes or a
/// print inside the garment: Fashion-MNIST's intensity is the garment's shade, while the pipeline turns a photo's
/// stripes and prints into texture, which the model otherwise takes for Shirt, Dress or Coat. 0 = off.</param>
internal sealed record PhotoLikeSettings(double MaxRotation = 12, double MaxShoeRotation = 90, double PairProbability = 0.5,
    double MinAspect = 0.8, double MaxAspect = 1.8, double MaxRamp = 0.3, double MaxNoise = 0.06, double NormalizeProbability = 0.5,
    double FoldProbability = 0, double TopViewProbability = 0, double TextureProbability = 0)
{
    public void Validate()
    {
        static void Check(bool ok, string what, double value, string range)
        {
            if (!ok) throw new FashionMnistException($"Photo-like augmentation: {what} must be {range}, got {value}", $"Use a {what} in {range}.");
        }
        Check(MaxRotation is >= 0 and <= 180, "rotation", MaxRotation, "0-180 degrees");
        Check(MaxShoeRotation is >= 0 and <= 180, "shoe rotation", MaxShoeRotation, "0-180 degrees");
        Check(PairProbability is >= 0 and <= 1, "pair probability", PairProbability, "0-1");
        Check(MinAspect is >= 0.25 and <= 1, "smallest aspect factor", MinAspect, "0.25-1");
        Check(MaxAspect is >= 1 and <= 4, "largest aspect factor", MaxAspect, "1-4");
        Check(MaxRamp is >= 0 and <= 0.9, "brightness ramp", MaxRamp, "0-0.9");
        Check(MaxNoise is >= 0 and <= 0.5, "noise", MaxNoise, "0-0.5");
        Check(NormalizeProbability is >= 0 and <= 1, "normalisation probability", NormalizeProbability, "0-1");
        Check(FoldProbability is >= 0 and <= 1, "fold probability", FoldProbability, "0-1");
        Check(TopViewProbability is >= 0 and <= 1, "top-view probability", TopViewProbability, "0-1");
        Check(TextureProbability is >= 0 and <= 1, "texture probability", TextureProbability, "0-1");
    }
}

/// <summary>One photo-like transformation, every choice explicit (drawn from a key by <see cref="Draw(ulong, int, PhotoLikeSettings)"/>, or set by hand in tests).</summary>
/// <param name="Rotation">Degrees, positive = clockwise on screen (y points down).</param>
/// <param name="Aspect">Width is multiplied by √Aspect and height divided by it, in the garment's own axes (before the rotation).</param>
/// <param name="Pair">Paste the garment and its mirror image overlapping (a pair of shoes seen from above).</param>
/// <param name="PairOffset">The two copies are moved apart across their length by this fraction of the garment's height (signed).</param>
/// <param name="PairShift">... and along it by this fraction of its width (signed).</param>
/// <param name="PairMirrorVertical">The second copy is mirrored top-bottom (soles or uppers facing) instead of left-right (toes opposite).</param>
/// <param name="RampX">Brightness factor 1 + RampX·x + RampY·y over the garment, x and y from -1 to 1 across the canvas.</param>
/// <param name="RampY">See <paramref name="RampX"/>.</param>
/// <param name="Noise">Standard deviation of the pixel noise added over the garment.</param>
/// <param name="NoiseKey">Seed of the per-pixel noise.</param>
/// <param name="Normalize">Apply the garment pipeline's intensity normalisation.</param>
internal readonly record struct PhotoLikeParameters(double Rotation, double Aspect, bool Pair, double PairOffset, double PairShift,
    bool PairMirrorVertical, double RampX, double RampY, double Noise, ulong NoiseKey, bool Normalize)
{
    /// <summary>No rotation, stretch, pair, lighting or noise: only the re-framing.</summary>
    public static PhotoLikeParameters None => new(0, 1, false, 0, 0, false, 0, 0, 0, 0, false);

    /// <summary>A folded trouser leg (off by default).</summary>
    public LegFold Fold { get; init; }

    /// <summary>A shoe pair seen from above (off by default; replaces <see cref="Pair"/>).</summary>
    public TopView Top { get; init; }

    /// <summary>Stripes or a print on the garment (off by default).</summary>
    public GarmentTexture Texture { get; init; }

    /// <summary>The choices for one image of class <paramref name="label"/>, from <paramref name="key"/> alone (always the same number of draws).</summary>
    public static PhotoLikeParameters Draw(ulong key, int label, PhotoLikeSettings settings)
    {
        var random = new SplitMix64(key);
        return Draw(ref random, label, settings);
    }

    /// <summary>The draws from a given stream (tests count them: exactly <see cref="DrawCount"/>).</summary>
    internal static PhotoLikeParameters Draw(ref SplitMix64 random, int label, PhotoLikeSettings settings)
    {
        bool shoe = PhotoLikeAugmentation.IsShoe(label);
        double rotation = random.NextSigned() * (shoe ? settings.MaxShoeRotation : settings.MaxRotation);
        double aspect = Math.Exp(Math.Log(settings.MinAspect) + random.NextDouble() * (Math.Log(settings.MaxAspect) - Math.Log(settings.MinAspect)));
        bool pair = random.NextDouble() < settings.PairProbability && shoe;
        double offset = (0.4 + 0.4 * random.NextDouble()) * (random.Next(2) == 0 ? -1 : 1);
        double shift = 0.15 * random.NextSigned();
        bool vertical = random.Next(2) == 0;
        double rampAngle = 2 * Math.PI * random.NextDouble(), ramp = settings.MaxRamp * random.NextDouble();
        double noise = settings.MaxNoise * random.NextDouble();
        bool normalize = random.NextDouble() < settings.NormalizeProbability;
        ulong noiseKey = random.NextULong();
        // The issue-16 poses and textures, drawn after the choices above (which so stay what they were) and always, for
        // every class and setting: a variant switched on changes its own classes' images only.
        bool fold = random.NextDouble() < settings.FoldProbability && label == 1;
        var legFold = new LegFold(fold, random.Next(2) == 0, 0.5 + 0.25 * random.NextDouble(), 50 * random.NextDouble());
        bool top = random.NextDouble() < settings.TopViewProbability && shoe;
        var topView = new TopView(top, 0.36 + 0.14 * random.NextDouble(), 0.08 * random.NextDouble(), 0.12 * random.NextSigned(),
            0.3 + 0.5 * random.NextDouble());
        bool textured = random.NextDouble() < settings.TextureProbability && PhotoLikeAugmentation.IsTop(label);
        bool print = random.Next(3) == 0;
        double stripeAngle = (random.Next(4) == 0 ? 90 : 0) + 20 * random.NextSigned();
        var texture = new GarmentTexture(textured, print, 2 + 2.5 * random.NextDouble(), stripeAngle, 0.3 + 0.45 * random.NextDouble(),
            random.NextDouble(), 0.15 * random.NextSigned(), 0.15 * random.NextSigned(), 0.2 + 0.15 * random.NextDouble(), random.Next(2) == 0);
        return new(rotation, aspect, pair && !top, offset, shift, vertical, ramp * Math.Cos(rampAngle), ramp * Math.Sin(rampAngle), noise, noiseKey, normalize)
        {
            Fold = legFold,
            Top = topView,
            Texture = texture,
        };
    }

    /// <summary>How many values <see cref="Draw(ulong, int, PhotoLikeSettings)"/> takes from its stream: the same for every class and setting (tests hold it).</summary>
    internal const int DrawCount = 12 + 4 + 5 + 11;
}

/// <summary>
/// Makes a Fashion-MNIST training image look like what <see cref="GarmentPipeline"/> makes of a real photo, so a
/// model trained on it meets photos less surprised (docs/photos.md, "photo-like training"):
/// <list type="number">
/// <item>geometry, by bilinear sampling onto a canvas: tilt (shoes: turned up to ±90°, and for some a pair seen from
/// above, the shoe and its mirror image overlapping) and an aspect-ratio stretch;</item>
/// <item>a brightness ramp and pixel noise over the garment (uneven light, fabric, sensor);</item>
/// <item>for some images the pipeline's own intensity normalisation (<see cref="GarmentIntensity"/>) on the
/// hole-filled garment mask, as the pipeline does it;</item>
/// <item>the pipeline's framing (<see cref="GarmentFraming"/>): crop to the garment, longest side to 28 by area
/// resampling, centred, brightest pixel 255.</item>
/// </list>
/// A function of (image, label, key) only, and allocation-free (it runs per image inside the training batch).
/// </summary>
internal static partial class PhotoLikeAugmentation
{
    private const int Side = ImageSet.Width;

    /// <summary>Largest canvas side (a pair of shoes turned 45° needs about 50 pixels at the source's resolution).</summary>
    public const int MaxCanvas = 56;

    /// <summary>Pixels at or below this (0-1) are background: Fashion-MNIST's background is 0, bilinear edges fade out.</summary>
    public const float GarmentLevel = 0.03f;

    /// <summary>The pipeline's intensity floor and mean target (<see cref="GarmentPipelineOptions"/>' defaults).</summary>
    private static readonly GarmentPipelineOptions Pipeline = new();

    /// <summary>Sandal, Sneaker and Ankle boot: shown in profile in Fashion-MNIST, in pairs and at any angle in photos.</summary>
    public static bool IsShoe(int label) => label is 5 or 7 or 9;

    /// <summary>T-shirt/top, Pullover, Dress, Coat and Shirt: the garments photographed with stripes and prints.</summary>
    public static bool IsTop(int label) => label is 0 or 2 or 3 or 4 or 6;

    /// <summary>One photo-like version of <paramref name="image"/> (class <paramref name="label"/>), its choices drawn from <paramref name="key"/>.</summary>
    public static void Apply(ReadOnlySpan<byte> image, int label, Span<byte> destination, PhotoLikeSettings settings, ulong key) =>
        Apply(image, destination, PhotoLikeParameters.Draw(key, label, settings));

    /// <summary>The transformation with every choice given.</summary>
    public static void Apply(ReadOnlySpan<byte> image, Span<byte> destination, in PhotoLikeParameters parameters)
    {
        if (image.Length != ImageSet.PixelCount || destination.Length != ImageSet.PixelCount)
            throw new ArgumentException($"Photo-like augmentation works on single {Side}x{Side} images ({ImageSet.PixelCount} bytes).");
        if (!(parameters.Aspect > 0)) throw new ArgumentOutOfRangeException(nameof(parameters), parameters.Aspect, "The aspect factor must be positive.");

        Span<float> source = stackalloc float[ImageSet.PixelCount];
        int left = Side, right = -1, top = Side, bottom = -1;
        for (int i = 0; i < source.Length; i++)
        {
            float v = source[i] = image[i] * (1f / 255f);
            if (v <= GarmentLevel) continue;
            int x = i % Side, y = i / Side;
            left = Math.Min(left, x); right = Math.Max(right, x);
            top = Math.Min(top, y); bottom = Math.Max(bottom, y);
        }
        if (right < 0)
        {
            image.CopyTo(destination); // nothing to frame (a blank image stays blank)
            return;
        }

        var fold = FoldLine.For(left, right, top, bottom, parameters.Fold);
        double x0 = left - 0.5, x1 = right + 0.5, y0 = top - 0.5, y1 = bottom + 0.5;
        if (fold.On) fold.Extend(source, ref x0, ref x1, ref y0, ref y1);
        bool heelRight = parameters.Top.On && HeelIsRight(source, left, right, top, bottom);
        var geometry = Geometry.For(x0, x1, y0, y1, left + right, top + bottom, parameters, fold, heelRight);
        int width = geometry.CanvasWidth, height = geometry.CanvasHeight, n = width * height;
        Span<float> padded = stackalloc float[Geometry.PaddedSide * Geometry.PaddedSide];
        Geometry.Pad(source, padded);
        Span<float> canvas = stackalloc float[MaxCanvas * MaxCanvas];
        canvas = canvas[..n];
        // Top view: each column's profile height and mean shade (a shoe seen from above is one shade, with no sole line).
        Span<float> columns = stackalloc float[2 * Side];
        if (parameters.Top.On) TopLayout.Columns(source, columns);
        geometry.Render(padded, canvas, parameters, fold, columns);

        Span<byte> mask = stackalloc byte[MaxCanvas * MaxCanvas];
        mask = mask[..n];
        Light(canvas, mask, width, height, parameters);

        Span<float> buffer = stackalloc float[MaxCanvas * MaxCanvas];
        if (parameters.Normalize) Normalize(canvas, mask, width, height, buffer);

        // Crop to the garment (the pipeline crops to its mask's bounding box) and frame it.
        for (int i = 0; i < n; i++)
            if (mask[i] == 0) canvas[i] = 0;
        if (BinaryMask.BoundingBox(mask, width, height) is not (int cropLeft, int cropTop, int cropWidth, int cropHeight))
        {
            image.CopyTo(destination); // the whole garment sampled below the background level (a faint speck)
            return;
        }
        Span<float> crop = buffer[..(cropWidth * cropHeight)];
        for (int y = 0; y < cropHeight; y++)
            canvas.Slice((cropTop + y) * width + cropLeft, cropWidth).CopyTo(crop.Slice(y * cropWidth, cropWidth));
        Span<float> framed = stackalloc float[ImageSet.PixelCount];
        GarmentFraming.Frame(crop, cropWidth, cropHeight, framed);
        for (int i = 0; i < framed.Length; i++) destination[i] = GrayImage.ToByte(framed[i]);
    }

    /// <summary>Whether the shoe's heel (its highest part: the ankle or collar) is on the right: the mean column of its top rows.</summary>
    private static bool HeelIsRight(ReadOnlySpan<float> source, int left, int right, int top, int bottom)
    {
        int rows = Math.Max(1, (bottom - top + 1) / 3);
        double sum = 0, count = 0;
        for (int y = top; y < top + rows; y++)
            for (int x = left; x <= right; x++)
            {
                float v = source[y * Side + x];
                if (v <= GarmentLevel) continue;
                sum += v * x; count += v;
            }
        return count > 0 && sum / count > (left + right) / 2.0;
    }

    /// <summary>Marks the garment, then applies the brightness ramp and noise to it (never pushing it into the background).</summary>
    private static void Light(Span<float> canvas, Span<byte> mask, int width, int height, in PhotoLikeParameters parameters)
    {
        var noise = new SplitMix64(parameters.NoiseKey);
        float noiseScale = (float)parameters.Noise, rampX = (float)parameters.RampX, rampY = (float)parameters.RampY;
        GarmentTexture texture = parameters.Texture;
        float halfWidth = width / 2f, halfHeight = height / 2f;
        for (int y = 0; y < height; y++)
        {
            float ry = rampY * (y + 0.5f - halfHeight) / halfHeight;
            for (int x = 0; x < width; x++)
            {
                int i = y * width + x;
                float v = canvas[i];
                if (v <= GarmentLevel) { mask[i] = 0; continue; }
                mask[i] = 1;
                if (noiseScale == 0 && rampX == 0 && rampY == 0 && !texture.On) continue;
                float factor = 1 + rampX * (x + 0.5f - halfWidth) / halfWidth + ry;
                float shade = texture.On ? v * texture.Factor(x, y, width, height) : v; // the mask keeps the outline
                float noisy = shade * factor + (noiseScale == 0 ? 0 : noiseScale * noise.NextNoise());
                canvas[i] = Math.Clamp(noisy, Math.Min(v, 2 * GarmentLevel), 1f);
            }
        }
    }

    /// <summary>The pipeline's intensity step on the hole-filled garment mask (holes get garment intensities, as in photos).</summary>
    private static void Normalize(Span<float> canvas, Span<byte> mask, int width, int height, Span<float> buffer)
    {
        int n = width * height;
        Span<int> stack = stackalloc int[MaxCanvas * MaxCanvas];
        BinaryMask.FillHoles(mask, width, height, stack);
        int count = 0;
        for (int i = 0; i < n; i++)
            if (mask[i] != 0) buffer[count++] = canvas[i];
        Span<float> values = buffer[..count];
        GarmentIntensity.Stretch(values, Pipeline.Floor, Pipeline.TargetMean);
        for (int i = 0, k = 0; i < n; i++)
            if (mask[i] != 0) canvas[i] = values[k++];
    }

    /// <summary>Where each canvas pixel samples the source: the inverse of stretch, then rotation, about the garment's centre.</summary>
    private readonly struct Geometry
    {
        public int CanvasWidth { get; private init; }
        public int CanvasHeight { get; private init; }
        private readonly double _cos, _sin, _scaleX, _scaleY, _zoom, _centerX, _centerY;
        private readonly double _pairDx, _pairDy, _mirrorX, _mirrorY; // second copy (pairs only)
        private readonly TopLayout _top; // pairs seen from above only

        private Geometry(int width, int height, double cos, double sin, double scaleX, double scaleY, double zoom,
            double centerX, double centerY, double pairDx, double pairDy, double mirrorX, double mirrorY, TopLayout top)
        {
            CanvasWidth = width; CanvasHeight = height;
            (_cos, _sin, _scaleX, _scaleY, _zoom, _centerX, _centerY) = (cos, sin, scaleX, scaleY, zoom, centerX, centerY);
            (_pairDx, _pairDy, _mirrorX, _mirrorY) = (pairDx, pairDy, mirrorX, mirrorY);
            _top = top;
        }

        /// <param name="x0">The garment's extent in source coordinates (pixel i covers [i - 0.5, i + 0.5]), folded leg included.</param>
        /// <param name="x1">See <paramref name="x0"/>.</param>
        /// <param name="y0">See <paramref name="x0"/>.</param>
        /// <param name="y1">See <paramref name="x0"/>.</param>
        /// <param name="mirrorX">Twice the centre column of the garment (left + right): the mirror line of a pair's second copy.</param>
        /// <param name="mirrorY">Twice its centre row.</param>
        /// <param name="p">The choices.</param>
        /// <param name="fold">The leg fold (its extent is in the box already).</param>
        /// <param name="heelRight">Top view: the heel is on the right.</param>
        public static Geometry For(double x0, double x1, double y0, double y1, int mirrorX, int mirrorY, in PhotoLikeParameters p,
            in FoldLine fold, bool heelRight)
        {
            double pairDx = 0, pairDy = 0;
            TopLayout top = default;
            if (p.Top.On)
            {
                top = TopLayout.For(x0, x1, y0, y1, p.Top, heelRight);
                (x0, x1, y0, y1) = top.Box;
            }
            else if (p.Pair)
            {
                // Copy A moves by -offset/2, the mirrored copy B by +offset/2 (and along the garment by the shift).
                pairDy = p.PairOffset * (y1 - y0);
                pairDx = p.PairShift * (x1 - x0);
                y0 -= Math.Abs(pairDy) / 2; y1 += Math.Abs(pairDy) / 2;
                x0 += Math.Min(0, pairDx); x1 += Math.Max(0, pairDx);
            }
            double radians = p.Rotation * Math.PI / 180, cos = Math.Cos(radians), sin = Math.Sin(radians);
            double scaleX = Math.Sqrt(p.Aspect), scaleY = 1 / scaleX;
            double halfX = (x1 - x0) / 2 * scaleX, halfY = (y1 - y0) / 2 * scaleY;
            double extentX = 2 * (Math.Abs(cos) * halfX + Math.Abs(sin) * halfY), extentY = 2 * (Math.Abs(sin) * halfX + Math.Abs(cos) * halfY);
            // One canvas pixel per source pixel (fewer if the garment would not fit); the framing then area-averages it
            // to 28. Sampling at up to 2x looked the same and cost 2.5x (92 vs 38 µs per image, one core).
            double zoom = Math.Min(1.0, (MaxCanvas - 2) / Math.Max(extentX, extentY));
            int width = Math.Min(MaxCanvas, (int)Math.Ceiling(extentX * zoom) + 2), height = Math.Min(MaxCanvas, (int)Math.Ceiling(extentY * zoom) + 2);
            // Mirror lines of the second copy: the garment's own centre lines (before the pair moved it).
            return new Geometry(width, height, cos, sin, scaleX, scaleY, zoom, (x0 + x1) / 2, (y0 + y1) / 2, pairDx, pairDy,
                mirrorX, mirrorY, top);
        }

        /// <summary>Samples the (paired, folded or top-view) garment onto the canvas. <paramref name="padded"/> is the source with a black 1-pixel border (see <see cref="Pad"/>).</summary>
        public void Render(ReadOnlySpan<float> padded, Span<float> canvas, in PhotoLikeParameters p, in FoldLine fold, ReadOnlySpan<float> columns)
        {
            double halfWidth = CanvasWidth / 2.0, halfHeight = CanvasHeight / 2.0;
            // Source coordinates move by a constant step along a canvas row: (cos, -sin) / zoom, unstretched.
            float du = (float)(_cos / _zoom / _scaleX), dv = (float)(-_sin / _zoom / _scaleY);
            for (int y = 0; y < CanvasHeight; y++)
            {
                double qx = (0.5 - halfWidth) / _zoom, qy = (y + 0.5 - halfHeight) / _zoom;
                // Undo the rotation (R(-θ)), then the stretch.
                float u = (float)((_cos * qx + _sin * qy) / _scaleX + _centerX), v = (float)((-_sin * qx + _cos * qy) / _scaleY + _centerY);
                Span<float> row = canvas.Slice(y * CanvasWidth, CanvasWidth);
                if (_top.On)
                {
                    for (int x = 0; x < row.Length; x++, u += du, v += dv) row[x] = _top.Sample(columns, u, v);
                    continue;
                }
                if (fold.On)
                {
                    for (int x = 0; x < row.Length; x++, u += du, v += dv) row[x] = fold.Sample(padded, u, v);
                    continue;
                }
                if (!p.Pair)
                {
                    for (int x = 0; x < row.Length; x++, u += du, v += dv) row[x] = Bilinear(padded, u, v);
                    continue;
                }
                float halfDy = (float)(_pairDy / 2), pairDx = (float)_pairDx, mirrorX = (float)_mirrorX, mirrorY = (float)_mirrorY;
                for (int x = 0; x < row.Length; x++, u += du, v += dv)
                {
                    float a = Bilinear(padded, u, v + halfDy);
                    float bu = u - pairDx, bv = v - halfDy;
                    float b = p.PairMirrorVertical ? Bilinear(padded, bu, mirrorY - bv) : Bilinear(padded, mirrorX - bu, bv);
                    row[x] = Math.Max(a, b);
                }
            }
        }

        /// <summary>Side of the padded source: the 28x28 image inside a black border one pixel wide.</summary>
        public const int PaddedSide = Side + 2;

        /// <summary>Copies the source into the middle of <paramref name="padded"/> (PaddedSide², zeroed by the caller).</summary>
        public static void Pad(ReadOnlySpan<float> source, Span<float> padded)
        {
            for (int y = 0; y < Side; y++) source.Slice(y * Side, Side).CopyTo(padded.Slice((y + 1) * PaddedSide + 1, Side));
        }

        /// <summary>Bilinear interpolation between pixel centres (integer coordinates); black outside the image.</summary>
        public static float Bilinear(ReadOnlySpan<float> padded, float x, float y)
        {
            if (!(x > -1f && y > -1f && x < Side && y < Side)) return 0;
            // x in (-1, 28): the four neighbours fall inside the padded image, whose border is black.
            float fx = x + 1, fy = y + 1;
            int x0 = (int)fx, y0 = (int)fy; // truncation = floor here (positive)
            fx -= x0; fy -= y0;
            int i = y0 * PaddedSide + x0;
            float top = padded[i] + (padded[i + 1] - padded[i]) * fx;
            float bottom = padded[i + PaddedSide] + (padded[i + PaddedSide + 1] - padded[i + PaddedSide]) * fx;
            return top + (bottom - top) * fy;
        }
    }
}
