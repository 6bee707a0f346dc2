using System.Buffers;
using System.Numerics;

namespace FashionMnist.Imaging;

/// <summary>
/// A binary image (1 = garment, 0 = background) with the few morphological operations the garment
/// segmentation needs: square dilation/erosion (separable), hole filling and connected components (4-connected).
/// </summary>
internal sealed class BinaryMask
{
    public BinaryMask(int width, int height, byte[]? bits = null)
    {
        Width = width;
        Height = height;
        Bits = bits ?? new byte[checked(width * height)];
        if (Bits.Length != width * height) throw new ArgumentException("Mask size mismatch.", nameof(bits));
    }

    public int Width { get; }
    public int Height { get; }

    /// <summary>0 or 1 per pixel, row-major.</summary>
    public byte[] Bits { get; }

    public bool this[int x, int y] => Bits[y * Width + x] != 0;

    public int Count()
    {
        int n = 0;
        foreach (byte b in Bits) n += b;
        return n;
    }

    public BinaryMask Clone() => new(Width, Height, (byte[])Bits.Clone());

    /// <summary>Max (dilate) or min (erode) over a (2r+1)x(2r+1) square; outside the image counts as background.</summary>
    public BinaryMask Dilate(int radius) => Filter(radius, dilate: true);

    public BinaryMask Erode(int radius) => Filter(radius, dilate: false);

    /// <summary>
    /// <c>Open(opening).Close(closing).FillHoles()</c> in one go: the same mask, with the intermediate masks in pooled
    /// buffers instead of five new ones (the garment pipeline cleans a mask per test-time threshold).
    /// </summary>
    public BinaryMask OpenCloseFillHoles(int opening, int closing)
    {
        int n = Bits.Length;
        var result = (byte[])Bits.Clone();
        byte[] other = ArrayPool<byte>.Shared.Rent(n), scratch = ArrayPool<byte>.Shared.Rent(n);
        try
        {
            Span<byte> a = result, b = other.AsSpan(0, n), s = scratch.AsSpan(0, n);
            Step(a, b, s, opening, dilate: false);
            Step(b, a, s, opening, dilate: true);
            Step(a, b, s, closing, dilate: true);
            Step(b, a, s, closing, dilate: false);
            FillHoles(a, Width, Height);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(other);
            ArrayPool<byte>.Shared.Return(scratch);
        }
        return new BinaryMask(Width, Height, result);

        void Step(ReadOnlySpan<byte> source, Span<byte> destination, Span<byte> scratch, int radius, bool dilate)
        {
            if (radius <= 0) source.CopyTo(destination);
            else Filter(source, destination, scratch, Width, Height, radius, dilate);
        }
    }

    /// <summary>Erode then dilate: removes specks and thin bridges narrower than the square.</summary>
    public BinaryMask Open(int radius) => Erode(radius).Dilate(radius);

    /// <summary>Dilate then erode: closes gaps and small dents narrower than the square.</summary>
    public BinaryMask Close(int radius) => Dilate(radius).Erode(radius);

    private BinaryMask Filter(int radius, bool dilate)
    {
        if (radius <= 0) return Clone();
        var result = new byte[Bits.Length];
        Filter(Bits, result, new byte[Bits.Length], Width, Height, radius, dilate);
        return new BinaryMask(Width, Height, result);
    }

    /// <summary>
    /// Dilation (any set pixel in the (2r+1)x(2r+1) square) or erosion (all set; outside the image counts as unset) of a
    /// 0/1 mask into <paramref name="destination"/>, rows then columns; <paramref name="scratch"/> holds the row pass.
    /// Whole vectors of bytes at a time: a row is the OR (AND) of its shifted copies, a column pass the OR (AND) of rows.
    /// </summary>
    public static void Filter(ReadOnlySpan<byte> source, Span<byte> destination, Span<byte> scratch, int width, int height, int radius, bool dilate)
    {
        int n = width * height;
        if (source.Length < n || destination.Length < n || scratch.Length < n)
            throw new ArgumentException($"A {width}x{height} mask needs {n} bytes in source, destination and scratch.");
        for (int y = 0; y < height; y++) FilterRow(source.Slice(y * width, width), scratch.Slice(y * width, width), radius, dilate);
        for (int y = 0; y < height; y++)
        {
            Span<byte> output = destination.Slice(y * width, width);
            int first = y - radius, last = y + radius;
            if (!dilate && (first < 0 || last >= height))
            {
                output.Clear(); // the square reaches outside the image: an erosion there is unset
                continue;
            }
            first = Math.Max(0, first);
            last = Math.Min(height - 1, last);
            scratch.Slice(first * width, width).CopyTo(output);
            for (int k = first + 1; k <= last; k++) Combine(scratch.Slice(k * width, width), output, dilate);
        }
    }

    private static void FilterRow(ReadOnlySpan<byte> source, Span<byte> destination, int radius, bool dilate)
    {
        int length = source.Length, i = 0, vector = Vector<byte>.Count;
        // Outputs whose window is clipped by the row's ends, one at a time.
        for (; i < Math.Min(radius, length); i++) destination[i] = Window(source, i, radius, dilate);
        int middleEnd = length - radius; // outputs before this have their whole window inside the row
        if (middleEnd - i >= vector)
        {
            for (; ; i += vector)
            {
                // The last vector is moved back to end at middleEnd: it recomputes a few outputs, to the same bytes.
                if (i + vector > middleEnd) i = middleEnd - vector;
                var value = new Vector<byte>(source.Slice(i - radius, vector));
                for (int k = i - radius + 1; k <= i + radius; k++)
                {
                    var shifted = new Vector<byte>(source.Slice(k, vector));
                    value = dilate ? value | shifted : value & shifted;
                }
                value.CopyTo(destination[i..]);
                if (i + vector == middleEnd) break;
            }
            i = middleEnd;
        }
        for (; i < length; i++) destination[i] = Window(source, i, radius, dilate);
    }

    private static byte Window(ReadOnlySpan<byte> source, int i, int radius, bool dilate)
    {
        int first = i - radius, last = i + radius;
        if (!dilate && (first < 0 || last >= source.Length)) return 0;
        int value = dilate ? 0 : 1;
        for (int k = Math.Max(0, first); k <= Math.Min(source.Length - 1, last); k++)
            value = dilate ? value | source[k] : value & source[k];
        return (byte)value;
    }

    private static void Combine(ReadOnlySpan<byte> row, Span<byte> output, bool dilate)
    {
        int x = 0, vector = Vector<byte>.Count;
        for (; x + vector <= row.Length; x += vector)
        {
            var a = new Vector<byte>(row[x..]);
            var b = new Vector<byte>(output[x..]);
            (dilate ? a | b : a & b).CopyTo(output[x..]);
        }
        for (; x < row.Length; x++) output[x] = (byte)(dilate ? row[x] | output[x] : row[x] & output[x]);
    }

    /// <summary>Sets every background pixel not connected to the image border (holes inside the garment).</summary>
    public BinaryMask FillHoles()
    {
        var result = (byte[])Bits.Clone();
        FillHoles(result, Width, Height);
        return new BinaryMask(Width, Height, result);
    }

    /// <summary>
    /// <see cref="FillHoles()"/> in place on a raw mask (0 = background, anything else = garment), in pooled buffers:
    /// the background's components (<see cref="MaskRuns"/>) that touch the border stay background, everything else
    /// becomes garment. Afterwards every pixel is 0 or 1.
    /// </summary>
    public static void FillHoles(Span<byte> bits, int width, int height)
    {
        int n = width * height;
        if (bits.Length < n) throw new ArgumentException($"A {width}x{height} mask needs {n} bits.", nameof(bits));
        using var background = new MaskRuns(bits, width, height, set: false);
        bool[] outside = ArrayPool<bool>.Shared.Rent(background.Count);
        try
        {
            Array.Clear(outside, 0, background.Count);
            for (int r = 0; r < background.Count; r++)
                if (background.TouchesBorder(r)) outside[background.Component(r)] = true;
            bits[..n].Fill(1);
            for (int r = 0; r < background.Count; r++)
                if (outside[background.Component(r)]) background.Fill(bits, r, 0);
        }
        finally
        {
            ArrayPool<bool>.Shared.Return(outside);
        }
    }

    /// <summary>
    /// Flood-fill hole filling without allocating, for small masks (the photo-like training augmentation's canvas, with
    /// <paramref name="stack"/> on the stack): every background pixel reachable from the border is marked, one at a
    /// time. <paramref name="stack"/> needs width x height ints. The same result as <see cref="FillHoles(Span{byte}, int, int)"/>,
    /// which works per run and is the faster one on a photo's working image. Afterwards every pixel is 0 or 1.
    /// </summary>
    public static void FillHoles(Span<byte> bits, int width, int height, Span<int> stack)
    {
        const byte Outside = 2;
        int n = width * height, top = 0;
        if (bits.Length < n || stack.Length < n) throw new ArgumentException($"A {width}x{height} mask needs {n} bits and stack entries.");
        for (int x = 0; x < width; x++) { Seed(bits, stack, ref top, x); Seed(bits, stack, ref top, (height - 1) * width + x); }
        for (int y = 0; y < height; y++) { Seed(bits, stack, ref top, y * width); Seed(bits, stack, ref top, y * width + width - 1); }
        while (top > 0)
        {
            int i = stack[--top], x = i % width, y = i / width;
            if (x > 0) Seed(bits, stack, ref top, i - 1);
            if (x < width - 1) Seed(bits, stack, ref top, i + 1);
            if (y > 0) Seed(bits, stack, ref top, i - width);
            if (y < height - 1) Seed(bits, stack, ref top, i + width);
        }
        for (int i = 0; i < n; i++) bits[i] = (byte)(bits[i] == Outside ? 0 : 1);

        static void Seed(Span<byte> bits, Span<int> stack, ref int top, int i)
        {
            if (bits[i] != 0) return;
            bits[i] = Outside;
            stack[top++] = i;
        }
    }

    /// <summary>
    /// Keeps the largest 4-connected component and any other component at least <paramref name="minFraction"/>
    /// of its area (a pair of shoes is two components; a shadow speck is not kept).
    /// </summary>
    public BinaryMask KeepLargestComponents(double minFraction) => KeepLargestComponents(minFraction, 1.0);

    /// <summary>
    /// <see cref="KeepLargestComponents(double)"/> among the components that cover at most <paramref name="maxBorderShare"/>
    /// of the image's outermost ring of pixels: a region running along much of the border is a surface (a rug, a bed, a
    /// wall's edge) rather than a garment, which touches the border with a sleeve or a leg at most. When every
    /// component covers more, they are all eligible (as with 1, which disables the rule).
    /// </summary>
    public BinaryMask KeepLargestComponents(double minFraction, double maxBorderShare)
    {
        int n = Bits.Length, width = Width, height = Height;
        var result = new byte[n];
        using var garment = new MaskRuns(Bits, width, height, set: true);
        int runs = garment.Count;
        // Per component (indexed by its first run): area and pixels on the outermost ring.
        int[] areas = ArrayPool<int>.Shared.Rent(runs), rings = ArrayPool<int>.Shared.Rent(runs);
        bool[] kept = ArrayPool<bool>.Shared.Rent(runs);
        try
        {
            Array.Clear(areas, 0, runs);
            Array.Clear(rings, 0, runs);
            for (int r = 0; r < runs; r++)
            {
                int c = garment.Component(r);
                areas[c] += garment.End(r) - garment.Start(r);
                rings[c] += garment.RingPixels(r);
            }
            int ringLength = Math.Max(1, width * height - Math.Max(0, width - 2) * Math.Max(0, height - 2));
            bool any = false;
            for (int c = 0; c < runs; c++)
                if (garment.Component(c) == c) any |= kept[c] = rings[c] <= maxBorderShare * ringLength; // eligible, for now
            int largest = 0;
            for (int c = 0; c < runs; c++)
                if (garment.Component(c) == c && (kept[c] || !any)) largest = Math.Max(largest, areas[c]);
            for (int c = 0; c < runs; c++)
                if (garment.Component(c) == c) kept[c] = (kept[c] || !any) && areas[c] >= minFraction * largest;
            for (int r = 0; r < runs; r++)
                if (kept[garment.Component(r)]) garment.Fill(result, r, 1);
        }
        finally
        {
            ArrayPool<int>.Shared.Return(areas);
            ArrayPool<int>.Shared.Return(rings);
            ArrayPool<bool>.Shared.Return(kept);
        }
        return new BinaryMask(Width, Height, result);
    }

    /// <summary>The smallest rectangle holding every set pixel, or null when the mask is empty.</summary>
    public (int X, int Y, int Width, int Height)? BoundingBox() => BoundingBox(Bits, Width, Height);

    /// <summary><see cref="BoundingBox()"/> of a raw <paramref name="width"/> x <paramref name="height"/> mask (non-zero = set).</summary>
    public static (int X, int Y, int Width, int Height)? BoundingBox(ReadOnlySpan<byte> bits, int width, int height)
    {
        // Per row, the first and last set pixel by a vector search (empty rows cost one search).
        int x0 = width, y0 = height, x1 = -1, y1 = -1;
        for (int y = 0; y < height; y++)
        {
            ReadOnlySpan<byte> row = bits.Slice(y * width, width);
            int first = row.IndexOfAnyExcept((byte)0);
            if (first < 0) continue;
            int last = row.LastIndexOfAnyExcept((byte)0);
            if (first < x0) x0 = first;
            if (last > x1) x1 = last;
            if (y < y0) y0 = y;
            y1 = y;
        }
        return x1 < 0 ? null : (x0, y0, x1 - x0 + 1, y1 - y0 + 1);
    }

    public GrayImage ToGray()
    {
        var gray = new GrayImage(Width, Height);
        for (int i = 0; i < Bits.Length; i++) gray.Pixels[i] = Bits[i];
        return gray;
    }
}
