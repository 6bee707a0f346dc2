using System.Buffers;
using System.Numerics;

namespace FashionMnist.Imaging;

/// <summary>
/// Exact area resampling (a box filter whose width is the scale factor): each output pixel is the area-weighted
/// mean of the source pixels it covers, so shrinking a photo 20x averages 400 pixels instead of sampling one
/// (which is what makes nearest/bilinear downscales noisy and aliased). Separable: rows, then columns.
/// </summary>
internal static class AreaResampler
{
    public static void Resize(ReadOnlySpan<float> source, int sourceWidth, int sourceHeight,
        Span<float> destination, int width, int height)
    {
        float[] rented = ArrayPool<float>.Shared.Rent(width * sourceHeight);
        try
        {
            Resize(source, sourceWidth, sourceHeight, destination, width, height, rented);
        }
        finally
        {
            ArrayPool<float>.Shared.Return(rented);
        }
    }

    /// <summary>
    /// The same resampling without allocating: <paramref name="scratch"/> holds the row pass and needs
    /// <paramref name="width"/> x <paramref name="sourceHeight"/> floats (the training augmentation calls this per image).
    /// </summary>
    public static void Resize(ReadOnlySpan<float> source, int sourceWidth, int sourceHeight,
        Span<float> destination, int width, int height, Span<float> scratch)
    {
        if (source.Length < sourceWidth * sourceHeight) throw new ArgumentException("Source is smaller than its size.", nameof(source));
        if (destination.Length < width * height) throw new ArgumentException("Destination is smaller than its size.", nameof(destination));
        if (scratch.Length < width * sourceHeight) throw new ArgumentException($"Scratch needs {width * sourceHeight} floats.", nameof(scratch));
        Span<float> rows = scratch[..(width * sourceHeight)];
        // Every row (column) of an image uses the same taps and weights: computed once per axis, not per line.
        using (var across = new LineWeights(sourceWidth, width))
            for (int y = 0; y < sourceHeight; y++) across.Apply(source.Slice(y * sourceWidth, sourceWidth), 1, rows.Slice(y * width, width), 1);
        using (var down = new LineWeights(sourceHeight, height))
            down.ApplyToRows(rows, width, destination);
    }

    /// <summary>
    /// <see cref="Resize(ReadOnlySpan{float}, int, int, Span{float}, int, int)"/> of the red, green and blue planes of an
    /// opaque RGBA image whose planes would be each byte x (1/255f), reading the bytes directly: each source row is
    /// turned into floats just before its row pass, so the three full-size float planes are never made. The same
    /// floats as converting first and resizing each plane.
    /// </summary>
    public static void ResizeOpaqueRgb(ReadOnlySpan<byte> rgba, int sourceWidth, int sourceHeight,
        Span<float> red, Span<float> green, Span<float> blue, int width, int height)
    {
        if (rgba.Length < 4 * sourceWidth * sourceHeight) throw new ArgumentException("The image is smaller than its size.", nameof(rgba));
        int rowsLength = width * sourceHeight;
        float[] rows = ArrayPool<float>.Shared.Rent(3 * rowsLength), line = ArrayPool<float>.Shared.Rent(sourceWidth);
        try
        {
            Span<float> rowsRed = rows.AsSpan(0, rowsLength), rowsGreen = rows.AsSpan(rowsLength, rowsLength), rowsBlue = rows.AsSpan(2 * rowsLength, rowsLength);
            Span<float> values = line.AsSpan(0, sourceWidth);
            const float unit = 1f / 255f;
            using (var across = new LineWeights(sourceWidth, width))
                for (int y = 0; y < sourceHeight; y++)
                {
                    ReadOnlySpan<byte> pixels = rgba.Slice(y * sourceWidth * 4, sourceWidth * 4);
                    for (int c = 0; c < 3; c++)
                    {
                        for (int x = 0; x < sourceWidth; x++) values[x] = pixels[4 * x + c] * unit;
                        across.Apply(values, 1, (c == 0 ? rowsRed : c == 1 ? rowsGreen : rowsBlue).Slice(y * width, width), 1);
                    }
                }
            using var down = new LineWeights(sourceHeight, height);
            down.ApplyToRows(rowsRed, width, red);
            down.ApplyToRows(rowsGreen, width, green);
            down.ApplyToRows(rowsBlue, width, blue);
        }
        finally
        {
            ArrayPool<float>.Shared.Return(rows);
            ArrayPool<float>.Shared.Return(line);
        }
    }

    /// <summary>The taps of one axis: for each output pixel, the first source pixel it covers and the weight of each.
    /// A struct over pooled arrays: the photo-like augmentation resizes per training image and must not allocate.</summary>
    private readonly struct LineWeights : IDisposable
    {
        private readonly int _length, _stride;
        private readonly int[] _first, _count;
        private readonly float[] _weights;

        public LineWeights(int sourceLength, int length)
        {
            double scale = (double)sourceLength / length;
            _length = length;
            _stride = (int)Math.Ceiling(scale) + 2; // an output covers fewer than scale + 2 source pixels
            _first = ArrayPool<int>.Shared.Rent(length);
            _count = ArrayPool<int>.Shared.Rent(length);
            _weights = ArrayPool<float>.Shared.Rent(length * _stride);
            for (int o = 0; o < length; o++)
            {
                double lo = o * scale, hi = (o + 1) * scale;
                int first = (int)Math.Floor(lo), last = Math.Min(sourceLength - 1, (int)Math.Ceiling(hi) - 1);
                double total = 0;
                for (int i = first; i <= last; i++) total += Math.Min(hi, i + 1) - Math.Max(lo, i);
                _first[o] = first;
                _count[o] = last - first + 1;
                for (int i = first; i <= last; i++)
                    // Rounded as the weight table this replaced did (float overlap, then normalised): identical outputs.
                    _weights[o * _stride + i - first] = (float)((float)(Math.Min(hi, i + 1) - Math.Max(lo, i)) / total);
            }
        }

        public void Apply(ReadOnlySpan<float> source, int sourceStep, Span<float> destination, int step)
        {
            for (int o = 0; o < _length; o++)
            {
                ReadOnlySpan<float> weights = _weights.AsSpan(o * _stride, _count[o]);
                float sum = 0;
                for (int k = 0, s = _first[o] * sourceStep; k < weights.Length; k++, s += sourceStep) sum += weights[k] * source[s];
                destination[o * step] = sum;
            }
        }

        /// <summary>
        /// The column pass: output row o is the weighted sum of its source rows (<paramref name="width"/> floats each),
        /// a vector of columns at a time instead of one strided column at a time. Each output float is the one
        /// <see cref="Apply"/> gives: the sum starts at 0 and adds weight x value tap by tap, a multiply then an add.
        /// </summary>
        public void ApplyToRows(ReadOnlySpan<float> source, int width, Span<float> destination)
        {
            int vector = Vector<float>.Count;
            for (int o = 0; o < _length; o++)
            {
                ReadOnlySpan<float> weights = _weights.AsSpan(o * _stride, _count[o]);
                Span<float> output = destination.Slice(o * width, width);
                int first = _first[o] * width, x = 0;
                for (; x + vector <= width; x += vector)
                {
                    Vector<float> sum = Vector<float>.Zero;
                    for (int k = 0; k < weights.Length; k++)
                        sum += new Vector<float>(weights[k]) * new Vector<float>(source.Slice(first + k * width + x, vector));
                    sum.CopyTo(output[x..]);
                }
                for (; x < width; x++)
                {
                    float sum = 0;
                    for (int k = 0; k < weights.Length; k++) sum += weights[k] * source[first + k * width + x];
                    output[x] = sum;
                }
            }
        }

        public void Dispose()
        {
            ArrayPool<int>.Shared.Return(_first);
            ArrayPool<int>.Shared.Return(_count);
            ArrayPool<float>.Shared.Return(_weights);
        }
    }
}
