using System.Buffers;
using FashionMnist.Data;

namespace FashionMnist.Imaging;

/// <summary>
/// Fashion-MNIST's framing of a cropped garment, shared by <see cref="GarmentPipeline"/> and the photo-like
/// training augmentation (so the model trains on exactly the framing it will see): the longest side fills the
/// 28-pixel frame (area resampling, aspect ratio kept), centred by bounding box, brightest pixel = 1, values
/// under 2% = 0.
/// </summary>
public static class GarmentFraming
{
    /// <summary>Framed values below this (after scaling the brightest pixel to 1) become black.</summary>
    public const float BlackLevel = 0.02f;

    /// <summary>
    /// The resampled garment's size in the frame: its longest side is <paramref name="fill"/> x 28 (rounded), after its
    /// width is multiplied by <paramref name="aspect"/> (1 keeps the aspect ratio; 0.75 squeezes a wide flat-lay towards
    /// Fashion-MNIST's narrower product shots).
    /// </summary>
    public static (int Width, int Height) FramedSize(int cropWidth, int cropHeight, double fill = 1.0, double aspect = 1.0)
    {
        const int frame = ImageSet.Width;
        double target = frame * Math.Clamp(fill, 0.3, 1.0);
        double width = cropWidth * Math.Clamp(aspect, 0.25, 4.0);
        double scale = target / Math.Max(width, cropHeight);
        return (Math.Clamp((int)Math.Round(width * scale), 1, frame), Math.Clamp((int)Math.Round(cropHeight * scale), 1, frame));
    }

    /// <summary>
    /// Frames <paramref name="crop"/> (<paramref name="cropWidth"/> x <paramref name="cropHeight"/>, values in [0, 1])
    /// into the 28x28 <paramref name="destination"/>. Allocation-free for crops up to 64 pixels tall.
    /// </summary>
    public static void Frame(ReadOnlySpan<float> crop, int cropWidth, int cropHeight, Span<float> destination, double fill = 1.0, double aspect = 1.0)
    {
        const int frame = ImageSet.Width, stackRows = frame * 64;
        if (destination.Length < frame * frame) throw new ArgumentException($"The destination needs {frame * frame} floats.", nameof(destination));
        var (width, height) = FramedSize(cropWidth, cropHeight, fill, aspect);
        int need = width * cropHeight;
        float[]? rented = need > stackRows ? ArrayPool<float>.Shared.Rent(need) : null;
        try
        {
            Span<float> rows = rented ?? stackalloc float[stackRows];
            Span<float> small = stackalloc float[frame * frame];
            AreaResampler.Resize(crop, cropWidth, cropHeight, small, width, height, rows);
            destination[..(frame * frame)].Clear();
            int x0 = (frame - width) / 2, y0 = (frame - height) / 2;
            float max = 0;
            for (int y = 0; y < height; y++)
                for (int x = 0; x < width; x++)
                {
                    float v = small[y * width + x];
                    destination[(y0 + y) * frame + x0 + x] = v;
                    max = Math.Max(max, v);
                }
            // Full contrast as in Fashion-MNIST (every image reaches 255), then a clean black background.
            float gain = max > 0 ? 1f / max : 1f;
            for (int i = 0; i < frame * frame; i++)
            {
                float v = destination[i] * gain;
                destination[i] = v < BlackLevel ? 0 : v;
            }
        }
        finally
        {
            if (rented is not null) ArrayPool<float>.Shared.Return(rented);
        }
    }
}
