using System.Buffers;

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
        for (int y = 0; y < sourceHeight; y++)
            ResampleLine(source.Slice(y * sourceWidth, sourceWidth), 1, sourceWidth, rows.Slice(y * width, width), 1, width);
        for (int x = 0; x < width; x++)
            ResampleLine(rows[x..], width, sourceHeight, destination[x..], width, height);
    }

    /// <summary>
    /// One row or column: output o covers source [o·s, (o+1)·s) with s = sourceLength / length; each source pixel
    /// weighs by its overlap, normalised by the covered total. Weights are computed on the fly (cheap next to the
    /// sums, and no table to allocate).
    /// </summary>
    private static void ResampleLine(ReadOnlySpan<float> source, int sourceStep, int sourceLength, Span<float> destination, int step, int length)
    {
        double scale = (double)sourceLength / length;
        for (int o = 0; o < length; o++)
        {
            double lo = o * scale, hi = (o + 1) * scale;
            int first = (int)Math.Floor(lo), last = Math.Min(sourceLength - 1, (int)Math.Ceiling(hi) - 1);
            double total = 0;
            for (int i = first; i <= last; i++) total += Math.Min(hi, i + 1) - Math.Max(lo, i);
            float sum = 0;
            for (int i = first, s = first * sourceStep; i <= last; i++, s += sourceStep)
            {
                // Rounded as the weight table this replaced did (float overlap, then normalised): identical outputs.
                float weight = (float)((float)(Math.Min(hi, i + 1) - Math.Max(lo, i)) / total);
                sum += weight * source[s];
            }
            destination[o * step] = sum;
        }
    }
}
