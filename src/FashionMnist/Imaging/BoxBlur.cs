using System.Buffers;
using System.Numerics;
using System.Runtime.InteropServices;

namespace FashionMnist.Imaging;

/// <summary>
/// In-place box blur of a float image (separable: rows, then columns; a window clipped at the edges averages what it
/// holds). SIMD across pixels, yet every output is the float the plain loop gives: each pixel's sum starts at 0 and
/// adds its window's values in increasing index order, then is divided by the window's size, lane by lane.
/// </summary>
internal static class BoxBlur
{
    public static void Apply(Span<float> values, int width, int height, int radius)
    {
        int n = width * height;
        if (values.Length < n) throw new ArgumentException($"A {width}x{height} image needs {n} values.", nameof(values));
        ArgumentOutOfRangeException.ThrowIfNegative(radius);
        float[] rented = ArrayPool<float>.Shared.Rent(n);
        try
        {
            Span<float> rows = rented.AsSpan(0, n);
            for (int y = 0; y < height; y++) Row(values.Slice(y * width, width), rows.Slice(y * width, width), radius);
            Columns(rows, values[..n], width, height, radius);
        }
        finally
        {
            ArrayPool<float>.Shared.Return(rented);
        }
    }

    /// <summary>One row: clipped windows at both ends one by one, the middle (full windows) a vector at a time.</summary>
    private static void Row(ReadOnlySpan<float> source, Span<float> destination, int radius)
    {
        int length = source.Length, window = 2 * radius + 1;
        int middleEnd = length - radius; // full windows: radius <= i < length - radius
        int i = 0;
        for (; i < Math.Min(radius, length); i++) destination[i] = Clipped(source, i, radius);
        int width = Vector<float>.Count;
        var divisor = new Vector<float>(window);
        ref float start = ref MemoryMarshal.GetReference(source);
        if (middleEnd - i >= width)
        {
            for (; ; i += width)
            {
                // The last vector is moved back to end at middleEnd: it recomputes a few outputs, to the same floats.
                if (i + width > middleEnd) i = middleEnd - width;
                Vector<float> sum = Vector<float>.Zero;
                for (int k = i - radius; k <= i + radius; k++) sum += Vector.LoadUnsafe(ref start, (nuint)k);
                (sum / divisor).CopyTo(destination[i..]);
                if (i + width == middleEnd) break;
            }
            i = middleEnd;
        }
        for (; i < length; i++) destination[i] = Clipped(source, i, radius);
    }

    private static float Clipped(ReadOnlySpan<float> source, int i, int radius)
    {
        float sum = 0;
        int count = 0;
        for (int k = Math.Max(0, i - radius); k <= Math.Min(source.Length - 1, i + radius); k++) { sum += source[k]; count++; }
        return sum / count;
    }

    /// <summary>The column pass, a row of outputs at a time: each output row sums its window of input rows.</summary>
    private static void Columns(ReadOnlySpan<float> source, Span<float> destination, int width, int height, int radius)
    {
        int vector = Vector<float>.Count;
        for (int y = 0; y < height; y++)
        {
            int first = Math.Max(0, y - radius), last = Math.Min(height - 1, y + radius);
            float count = last - first + 1;
            var divisor = new Vector<float>(count);
            Span<float> output = destination.Slice(y * width, width);
            int x = 0;
            for (; x + vector <= width; x += vector)
            {
                Vector<float> sum = Vector<float>.Zero;
                for (int k = first; k <= last; k++) sum += new Vector<float>(source.Slice(k * width + x, vector));
                (sum / divisor).CopyTo(output[x..]);
            }
            for (; x < width; x++)
            {
                float sum = 0;
                for (int k = first; k <= last; k++) sum += source[k * width + x];
                output[x] = sum / count;
            }
        }
    }
}
