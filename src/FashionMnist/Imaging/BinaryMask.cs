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

    /// <summary>Erode then dilate: removes specks and thin bridges narrower than the square.</summary>
    public BinaryMask Open(int radius) => Erode(radius).Dilate(radius);

    /// <summary>Dilate then erode: closes gaps and small dents narrower than the square.</summary>
    public BinaryMask Close(int radius) => Dilate(radius).Erode(radius);

    private BinaryMask Filter(int radius, bool dilate)
    {
        if (radius <= 0) return Clone();
        var horizontal = new byte[Bits.Length];
        for (int y = 0; y < Height; y++)
            Pass(Bits.AsSpan(y * Width, Width), 1, horizontal.AsSpan(y * Width, Width), 1, Width, radius, dilate);
        var result = new byte[Bits.Length];
        for (int x = 0; x < Width; x++)
            Pass(horizontal.AsSpan(x), Width, result.AsSpan(x), Width, Height, radius, dilate);
        return new BinaryMask(Width, Height, result);
    }

    // Running count of set pixels in the window: dilate = any set, erode = all set (outside = unset).
    private static void Pass(ReadOnlySpan<byte> source, int sourceStep, Span<byte> destination, int step, int length, int radius, bool dilate)
    {
        int window = 2 * radius + 1, set = 0;
        for (int i = 0; i < Math.Min(radius, length); i++) set += source[i * sourceStep];
        for (int i = 0; i < length; i++)
        {
            int enter = i + radius, leave = i - radius - 1;
            if (enter < length) set += source[enter * sourceStep];
            if (leave >= 0) set -= source[leave * sourceStep];
            destination[i * step] = (byte)(dilate ? (set > 0 ? 1 : 0) : (set == window ? 1 : 0));
        }
    }

    /// <summary>Sets every background pixel not connected to the image border (holes inside the garment).</summary>
    public BinaryMask FillHoles()
    {
        var result = (byte[])Bits.Clone();
        FillHoles(result, Width, Height, new int[Bits.Length]);
        return new BinaryMask(Width, Height, result);
    }

    /// <summary>
    /// <see cref="FillHoles()"/> in place on a raw mask (0 = background, anything else = garment), without
    /// allocating: <paramref name="stack"/> needs width x height ints. Afterwards every pixel is 0 or 1.
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
    public BinaryMask KeepLargestComponents(double minFraction)
    {
        var labels = new int[Bits.Length];
        var areas = new List<int> { 0 };
        var stack = new Stack<int>();
        for (int start = 0; start < Bits.Length; start++)
        {
            if (Bits[start] == 0 || labels[start] != 0) continue;
            int label = areas.Count, area = 0;
            labels[start] = label;
            stack.Push(start);
            while (stack.Count > 0)
            {
                int i = stack.Pop(), x = i % Width, y = i / Width;
                area++;
                if (x > 0 && Bits[i - 1] != 0 && labels[i - 1] == 0) { labels[i - 1] = label; stack.Push(i - 1); }
                if (x < Width - 1 && Bits[i + 1] != 0 && labels[i + 1] == 0) { labels[i + 1] = label; stack.Push(i + 1); }
                if (y > 0 && Bits[i - Width] != 0 && labels[i - Width] == 0) { labels[i - Width] = label; stack.Push(i - Width); }
                if (y < Height - 1 && Bits[i + Width] != 0 && labels[i + Width] == 0) { labels[i + Width] = label; stack.Push(i + Width); }
            }
            areas.Add(area);
        }
        int largest = areas.Count > 1 ? areas.Skip(1).Max() : 0;
        var result = new byte[Bits.Length];
        for (int i = 0; i < result.Length; i++)
            if (labels[i] != 0 && areas[labels[i]] >= minFraction * largest) result[i] = 1;
        return new BinaryMask(Width, Height, result);
    }

    /// <summary>The smallest rectangle holding every set pixel, or null when the mask is empty.</summary>
    public (int X, int Y, int Width, int Height)? BoundingBox() => BoundingBox(Bits, Width, Height);

    /// <summary><see cref="BoundingBox()"/> of a raw <paramref name="width"/> x <paramref name="height"/> mask (non-zero = set).</summary>
    public static (int X, int Y, int Width, int Height)? BoundingBox(ReadOnlySpan<byte> bits, int width, int height)
    {
        int x0 = width, y0 = height, x1 = -1, y1 = -1;
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
                if (bits[y * width + x] != 0)
                {
                    if (x < x0) x0 = x;
                    if (x > x1) x1 = x;
                    if (y < y0) y0 = y;
                    if (y > y1) y1 = y;
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
