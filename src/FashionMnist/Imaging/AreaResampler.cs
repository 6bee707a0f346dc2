using System.Buffers;

namespace FashionMnist.Imaging;

/// <summary>
/// Exact area resampling (a box filter whose width is the scale factor): each output pixel is the area-weighted
/// mean of the source pixels it covers, so shrinking a photo 20x averages 400 pixels instead of sampling one
/// (which is what makes nearest/bilinear downscales noisy and aliased). Separable: rows, then columns.
/// </summary>
public static class AreaResampler
{
    public static void Resize(ReadOnlySpan<float> source, int sourceWidth, int sourceHeight,
        Span<float> destination, int width, int height)
    {
        if (source.Length < sourceWidth * sourceHeight) throw new ArgumentException("Source is smaller than its size.", nameof(source));
        if (destination.Length < width * height) throw new ArgumentException("Destination is smaller than its size.", nameof(destination));
        Weights horizontal = Weights.For(sourceWidth, width), vertical = Weights.For(sourceHeight, height);
        float[] rented = ArrayPool<float>.Shared.Rent(width * sourceHeight);
        try
        {
            Span<float> rows = rented.AsSpan(0, width * sourceHeight);
            for (int y = 0; y < sourceHeight; y++)
                horizontal.Apply(source.Slice(y * sourceWidth, sourceWidth), 1, rows.Slice(y * width, width), 1);
            for (int x = 0; x < width; x++)
                vertical.Apply(rows[x..], width, destination[x..], width);
        }
        finally
        {
            ArrayPool<float>.Shared.Return(rented);
        }
    }

    /// <summary>For each output index: the first source index it covers and the weights of consecutive source pixels.</summary>
    private sealed class Weights
    {
        private readonly int[] _start, _count;
        private readonly float[] _weights; // flattened, _maxTaps per output
        private readonly int _maxTaps;

        private Weights(int[] start, int[] count, float[] weights, int maxTaps)
        {
            _start = start;
            _count = count;
            _weights = weights;
            _maxTaps = maxTaps;
        }

        public static Weights For(int sourceLength, int length)
        {
            double scale = (double)sourceLength / length;
            int maxTaps = (int)Math.Ceiling(scale) + 2;
            var start = new int[length];
            var count = new int[length];
            var weights = new float[length * maxTaps];
            for (int o = 0; o < length; o++)
            {
                double lo = o * scale, hi = (o + 1) * scale;
                int first = (int)Math.Floor(lo), last = Math.Min(sourceLength - 1, (int)Math.Ceiling(hi) - 1);
                start[o] = first;
                count[o] = last - first + 1;
                double total = 0;
                for (int i = first; i <= last; i++)
                {
                    double overlap = Math.Min(hi, i + 1) - Math.Max(lo, i);
                    weights[o * maxTaps + (i - first)] = (float)overlap;
                    total += overlap;
                }
                for (int i = 0; i < count[o]; i++) weights[o * maxTaps + i] = (float)(weights[o * maxTaps + i] / total);
            }
            return new Weights(start, count, weights, maxTaps);
        }

        public void Apply(ReadOnlySpan<float> source, int sourceStep, Span<float> destination, int step)
        {
            for (int o = 0; o < _start.Length; o++)
            {
                ReadOnlySpan<float> w = _weights.AsSpan(o * _maxTaps, _count[o]);
                int s = _start[o] * sourceStep;
                float sum = 0;
                for (int i = 0; i < w.Length; i++, s += sourceStep) sum += w[i] * source[s];
                destination[o * step] = sum;
            }
        }
    }
}
