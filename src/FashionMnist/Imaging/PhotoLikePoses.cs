namespace FashionMnist.Imaging;

// The poses and textures Fashion-MNIST lacks (issue 16; options photo-fold, photo-shoe-top, photo-texture): what is
// drawn for them (the records) and how they are laid out in source coordinates (the nested structs). Apart from
// PhotoLikeAugmentation.cs so each file stays about one concern.

/// <summary>One trouser leg folded over a line across it: the part beyond the line is mirrored over it.</summary>
/// <param name="On">Fold a leg.</param>
/// <param name="Right">The right leg (on screen) instead of the left.</param>
/// <param name="At">Where the fold line meets the leg's outer edge, as a fraction of the garment's height from its top.</param>
/// <param name="Angle">Degrees the fold line is turned from horizontal, rising towards the crotch: 0 folds the lower leg
/// straight up over the leg, 45 sideways (the leg then points outwards).</param>
internal readonly record struct LegFold(bool On, bool Right, double At, double Angle);

/// <summary>A shoe pair seen from above, made from the profile: each shoe's outline across its length is the profile's
/// height mirrored about the sole (narrow toe, wide heel), the two side by side with the toes the same way.</summary>
/// <param name="On">Show the pair from above.</param>
/// <param name="Width">Each shoe's width as a fraction of its length.</param>
/// <param name="Gap">Gap between the two shoes, as a fraction of the length.</param>
/// <param name="Shift">The second shoe is moved along the first by this fraction of the length (signed).</param>
/// <param name="Opening">Darkening (0-1) of the opening at the heel end, the shadowed inside of the shoe.</param>
internal readonly record struct TopView(bool On, double Width, double Gap, double Shift, double Opening);

/// <summary>Stripes or a print modulating the garment's intensity (in canvas pixels, so before the reduction to 28x28).</summary>
/// <param name="On">Texture the garment.</param>
/// <param name="Print">A print on the chest (an ellipse lighter or darker than the garment, with a fine pattern) instead of stripes.</param>
/// <param name="Period">Stripe period in canvas pixels (about 28x28 pixels: the canvas is at the source's scale).</param>
/// <param name="Angle">Stripe direction in degrees (0 = horizontal stripes).</param>
/// <param name="Depth">How much the dark phase darkens (0-1).</param>
/// <param name="Phase">Stripe phase (0-1 of a period).</param>
/// <param name="PrintX">Print centre offset across, as a fraction of the half width.</param>
/// <param name="PrintY">Print centre offset down from 0.4 of the height, as a fraction of the half height.</param>
/// <param name="PrintSize">Print radius as a fraction of the garment's width.</param>
/// <param name="PrintDark">The print is darker than the garment (else lighter).</param>
internal readonly record struct GarmentTexture(bool On, bool Print, double Period, double Angle, double Depth, double Phase,
    double PrintX, double PrintY, double PrintSize, bool PrintDark)
{
    /// <summary>The intensity factor at canvas pixel (x, y) of a width x height canvas.</summary>
    public float Factor(int x, int y, int width, int height)
    {
        double radians = Angle * Math.PI / 180;
        double across = (x + 0.5) * -Math.Sin(radians) + (y + 0.5) * Math.Cos(radians);
        double wave = 0.5 + 0.5 * Math.Cos(2 * Math.PI * (across / Period + Phase));
        if (!Print) return (float)(1 - Depth * wave);
        double cx = width * (0.5 + 0.5 * PrintX), cy = height * (0.4 + 0.5 * PrintY), r = PrintSize * width;
        double dx = (x + 0.5 - cx) / r, dy = (y + 0.5 - cy) / (0.9 * r);
        if (dx * dx + dy * dy > 1) return 1;
        // The print's own detail: a finer pattern at right angles to the stripe direction, half as deep.
        double detail = 0.5 + 0.5 * Math.Cos(2 * Math.PI * ((x + 0.5) * Math.Cos(radians) + (y + 0.5) * Math.Sin(radians)) / (0.7 * Period));
        double level = PrintDark ? 1 - Depth : 1 + Depth;
        return (float)(level * (1 - 0.5 * Depth * detail));
    }
}

/// <summary>The pose and texture parts of <see cref="PhotoLikeAugmentation"/>.</summary>
internal static partial class PhotoLikeAugmentation
{
    /// <summary>The fold of one trouser leg in source coordinates: the leg's part beyond the line is mirrored over it.</summary>
    private readonly struct FoldLine
    {
        public bool On { get; private init; }
        private readonly double _px, _py, _nx, _ny, _middle;
        private readonly bool _right;

        private FoldLine(double px, double py, double nx, double ny, double middle, bool right)
        {
            On = true;
            (_px, _py, _nx, _ny, _middle, _right) = (px, py, nx, ny, middle, right);
        }

        public static FoldLine For(int left, int right, int top, int bottom, in LegFold fold)
        {
            if (!fold.On) return default;
            double x0 = left - 0.5, x1 = right + 0.5, y0 = top - 0.5, y1 = bottom + 0.5;
            double radians = fold.Angle * Math.PI / 180, sin = Math.Sin(radians), cos = Math.Cos(radians);
            // The line starts at the leg's outer edge and rises towards the middle; its normal points into the folded part.
            return new FoldLine(fold.Right ? x1 : x0, y0 + fold.At * (y1 - y0), fold.Right ? -sin : sin, cos, (x0 + x1) / 2, fold.Right);
        }

        /// <summary>Whether source point (x, y) is in the part that is folded away.</summary>
        public bool Removed(float x, float y) =>
            (_right ? x > _middle : x < _middle) && (x - _px) * _nx + (y - _py) * _ny > 0;

        /// <summary>The mirror image of (x, y) over the fold line.</summary>
        public void Reflect(float x, float y, out float rx, out float ry)
        {
            double d = (x - _px) * _nx + (y - _py) * _ny;
            rx = (float)(x - 2 * d * _nx);
            ry = (float)(y - 2 * d * _ny);
        }

        /// <summary>The folded garment's value at (x, y): the garment less the folded part, or the folded part on top.</summary>
        public float Sample(ReadOnlySpan<float> padded, float x, float y)
        {
            float kept = Removed(x, y) ? 0 : Geometry.Bilinear(padded, x, y);
            Reflect(x, y, out float rx, out float ry);
            float folded = Removed(rx, ry) ? Geometry.Bilinear(padded, rx, ry) : 0;
            return Math.Max(kept, folded);
        }

        /// <summary>Widens the box (pixel edges) to the folded garment: its folded pixels where they land.</summary>
        public void Extend(ReadOnlySpan<float> source, ref double x0, ref double x1, ref double y0, ref double y1)
        {
            double left = double.MaxValue, right = double.MinValue, top = double.MaxValue, bottom = double.MinValue;
            for (int i = 0; i < source.Length; i++)
            {
                if (source[i] <= GarmentLevel) continue;
                float x = i % Side, y = i / Side;
                if (Removed(x, y)) Reflect(x, y, out x, out y);
                left = Math.Min(left, x); right = Math.Max(right, x); top = Math.Min(top, y); bottom = Math.Max(bottom, y);
            }
            (x0, x1, y0, y1) = (left - 0.5, right + 0.5, top - 0.5, bottom + 0.5);
        }
    }

    /// <summary>
    /// A shoe pair seen from above, in source coordinates: two shoes side by side along the profile's length, each one's
    /// half-width at a point along it growing with the square root of the profile's height there (the toe cap rounded,
    /// widest at the heel), in the column's mean shade, with a dark opening at the heel end. Sampling the profile's
    /// inside instead (the sole line, stitching) drew stripes along the shoe and needle-thin toes that no photo shows.
    /// </summary>
    private readonly struct TopLayout
    {
        public bool On { get; private init; }
        public (double X0, double X1, double Y0, double Y1) Box { get; private init; }
        private readonly double _height, _halfWidth, _axisA, _axisB, _shiftB, _openingX, _openingRx, _openingRy, _opening;

        public static TopLayout For(double x0, double x1, double y0, double y1, in TopView view, bool heelRight)
        {
            double length = x1 - x0, height = y1 - y0, width = view.Width * length, gap = view.Gap * length;
            double middle = (y0 + y1) / 2, shift = view.Shift * length;
            double axisA = middle - (width + gap) / 2, axisB = middle + (width + gap) / 2;
            // The opening: an ellipse centred a fifth of the length in from the heel end, half the shoe's width across.
            double openingX = heelRight ? x1 - 0.22 * length : x0 + 0.22 * length;
            return new TopLayout(height, width / 2, axisA, axisB, shift, openingX, 0.16 * length, 0.28 * width, view.Opening,
                (x0 + Math.Min(0, shift), x1 + Math.Max(0, shift), axisA - width / 2, axisB + width / 2));
        }

        private TopLayout(double height, double halfWidth, double axisA, double axisB, double shiftB, double openingX, double openingRx,
            double openingRy, double opening, (double, double, double, double) box)
        {
            On = true;
            Box = box;
            (_height, _halfWidth, _axisA, _axisB, _shiftB) = (height, halfWidth, axisA, axisB, shiftB);
            (_openingX, _openingRx, _openingRy, _opening) = (openingX, openingRx, openingRy, opening);
        }

        /// <summary>The brighter of the two shoes at (x, y).</summary>
        public float Sample(ReadOnlySpan<float> columns, float x, float y) =>
            Math.Max(Shoe(columns, x, y - _axisA), Shoe(columns, x - _shiftB, y - _axisB));

        /// <summary>Per source column: its garment height in pixels (from its top-most garment pixel to the bottom row of the
        /// garment, 0 for an empty column) in the first 28 values, its mean garment shade in the next 28.</summary>
        public static void Columns(ReadOnlySpan<float> source, Span<float> columns)
        {
            int bottom = -1;
            for (int i = 0; i < source.Length; i++)
                if (source[i] > GarmentLevel) bottom = i / Side;
            for (int x = 0; x < Side; x++)
            {
                int top = -1, count = 0;
                float sum = 0;
                for (int y = 0; y < Side; y++)
                {
                    float v = source[y * Side + x];
                    if (v <= GarmentLevel) continue;
                    if (top < 0) top = y;
                    sum += v; count++;
                }
                columns[x] = top < 0 ? 0 : bottom - top + 1;
                columns[Side + x] = count == 0 ? 0 : sum / count;
            }
        }

        /// <summary>One shoe seen from above at (x, across) from its axis: the profile at height (across / half-width)² × its height above the sole.</summary>
        private float Shoe(ReadOnlySpan<float> columns, double x, double across)
        {
            // Linear between column centres; outside the columns nothing.
            if (!(x > -0.5 && x < Side - 0.5)) return 0;
            int left = Math.Clamp((int)Math.Floor(x), 0, Side - 2);
            double t = Math.Clamp(x - left, 0, 1);
            double height = columns[left] + (columns[left + 1] - columns[left]) * t;
            double shade = columns[Side + left] + (columns[Side + left + 1] - columns[Side + left]) * t;
            if (height <= 0) return 0;
            // Half-width grows with the square root of the profile's height: the toe cap rounded, widest at the heel.
            double halfWidth = _halfWidth * Math.Sqrt(Math.Min(1, height / _height));
            double edge = Math.Clamp(halfWidth - Math.Abs(across) + 0.5, 0, 1); // anti-aliased outline
            float value = (float)(shade * edge);
            double ox = (x - _openingX) / _openingRx, oy = across / _openingRy, r = ox * ox + oy * oy;
            return r < 1 ? (float)(value * (1 - _opening * (1 - r))) : value;
        }
    }
}
