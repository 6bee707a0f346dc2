namespace FashionMnist.Imaging;

/// <summary>
/// How solid a garment mask is: a garment photographed whole is one compact region, while a mask that fell apart on a
/// busy or light floor is strips and fragments (which the model reads as sandal straps). Measured on the mask the
/// pipeline keeps, to decide whether it is doubtful (<see cref="GarmentPipelineOptions.MinSolidity"/>).
/// </summary>
/// <param name="Area">Set pixels.</param>
/// <param name="BoxFill">Area over the bounding box's area.</param>
/// <param name="Solidity">Area over the convex hull's area (the hull of the pixels' squares).</param>
internal readonly record struct MaskShape(int Area, double BoxFill, double Solidity)
{
    /// <summary>The shape of <paramref name="mask"/>; an empty mask has area, fill and solidity 0.</summary>
    public static MaskShape Of(BinaryMask mask)
    {
        var corners = new List<(int X, int Y)>();
        var (area, left, right, top, bottom) = Rows(mask.Bits, mask.Width, mask.Height, corners);
        if (area == 0) return new MaskShape(0, 0, 0);
        double hull = PolygonArea(Hull(corners));
        return new MaskShape(area, area / (double)((right - left + 1) * (bottom - top + 1)), Math.Min(1, area / hull));
    }

    /// <summary>The convex hull (counter-clockwise, no repeated point) of the set pixels' squares.</summary>
    public static List<(int X, int Y)> Hull(ReadOnlySpan<byte> bits, int width, int height)
    {
        var corners = new List<(int X, int Y)>();
        Rows(bits, width, height, corners);
        return Hull(corners);
    }

    /// <summary>
    /// One vectorised pass over the rows (every test-time view of every photo is measured): each row's first and last set
    /// pixel give the bounding box and the outer corners the hull can touch (added to <paramref name="corners"/>), its
    /// count the area.
    /// </summary>
    private static (int Area, int Left, int Right, int Top, int Bottom) Rows(ReadOnlySpan<byte> bits, int width, int height, List<(int X, int Y)> corners)
    {
        int area = 0, left = width, right = -1, top = -1, bottom = -1;
        for (int y = 0; y < height; y++)
        {
            ReadOnlySpan<byte> row = bits.Slice(y * width, width);
            int first = row.IndexOfAnyExcept((byte)0);
            if (first < 0) continue;
            int last = row.LastIndexOfAnyExcept((byte)0);
            ReadOnlySpan<byte> span = row[first..(last + 1)];
            area += span.Length - span.Count((byte)0);
            (left, right, bottom) = (Math.Min(left, first), Math.Max(right, last), y);
            if (top < 0) top = y;
            corners.AddRange([(first, y), (first, y + 1), (last + 1, y), (last + 1, y + 1)]);
        }
        return (area, left, right, top, bottom);
    }

    /// <summary>
    /// The convex hull of <paramref name="points"/> (sorted in place): each row's outer corners of its leftmost and
    /// rightmost pixel are all a pixel mask's hull can touch (Andrew's monotone chain).
    /// </summary>
    private static List<(int X, int Y)> Hull(List<(int X, int Y)> points)
    {
        points.Sort();
        if (points.Count < 3) return points;
        var hull = new List<(int X, int Y)>(points.Count);
        for (int pass = 0; pass < 2; pass++)
        {
            int start = hull.Count;
            for (int k = 0; k < points.Count; k++)
            {
                var p = points[pass == 0 ? k : points.Count - 1 - k];
                while (hull.Count >= start + 2 && Cross(hull[^2], hull[^1], p) <= 0) hull.RemoveAt(hull.Count - 1);
                hull.Add(p);
            }
            hull.RemoveAt(hull.Count - 1); // the last point of each chain starts the other
        }
        return hull;

        static long Cross((int X, int Y) o, (int X, int Y) a, (int X, int Y) b) =>
            (long)(a.X - o.X) * (b.Y - o.Y) - (long)(a.Y - o.Y) * (b.X - o.X);
    }

    /// <summary>Shoelace area of a simple polygon.</summary>
    public static double PolygonArea(IReadOnlyList<(int X, int Y)> polygon)
    {
        long twice = 0;
        for (int i = 0; i < polygon.Count; i++)
        {
            var (a, b) = (polygon[i], polygon[(i + 1) % polygon.Count]);
            twice += (long)a.X * b.Y - (long)b.X * a.Y;
        }
        return Math.Abs(twice) / 2.0;
    }

    /// <summary>A mask of the pixels whose centre lies inside the convex hull of <paramref name="mask"/>'s pixels.</summary>
    public static BinaryMask FilledHull(BinaryMask mask)
    {
        int width = mask.Width, height = mask.Height;
        var hull = Hull(mask.Bits, width, height);
        var result = new BinaryMask(width, height);
        if (hull.Count < 3) return mask.Clone();
        for (int y = 0; y < height; y++)
        {
            // The hull is convex: the row through the pixel centres crosses it in one interval.
            double centre = y + 0.5, left = double.MaxValue, right = double.MinValue;
            for (int i = 0; i < hull.Count; i++)
            {
                var (a, b) = (hull[i], hull[(i + 1) % hull.Count]);
                if ((a.Y <= centre) == (b.Y <= centre)) continue;
                double x = a.X + (centre - a.Y) * (b.X - a.X) / (b.Y - a.Y);
                left = Math.Min(left, x);
                right = Math.Max(right, x);
            }
            if (left > right) continue;
            int from = Math.Max(0, (int)Math.Ceiling(left - 0.5)), to = Math.Min(width - 1, (int)Math.Floor(right - 0.5));
            for (int x = from; x <= to; x++) result.Bits[y * width + x] = 1;
        }
        return result;
    }
}
