namespace FashionMnist.Imaging;

/// <summary>A single-channel float image, row-major, values in [0, 1] (0 = black).</summary>
internal sealed class GrayImage
{
    public GrayImage(int width, int height, float[]? pixels = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        Width = width;
        Height = height;
        Pixels = pixels ?? new float[checked(width * height)];
        if (Pixels.Length != width * height)
            throw new ArgumentException($"{Pixels.Length} pixels for a {width}x{height} image.", nameof(pixels));
    }

    public int Width { get; }
    public int Height { get; }
    public float[] Pixels { get; }

    public float this[int x, int y]
    {
        get => Pixels[y * Width + x];
        set => Pixels[y * Width + x] = value;
    }

    /// <summary>Rec. 601 luma weights (what JPEG and most grayscale conversions, and Fashion-MNIST's tools, use).</summary>
    public const float RedWeight = 0.299f, GreenWeight = 0.587f, BlueWeight = 0.114f;

    /// <summary>
    /// Luminance of a photo. Transparent pixels are composited onto <paramref name="matte"/> (white by default:
    /// product photos with transparency are meant to be seen on a light page).
    /// </summary>
    public static GrayImage FromRgba(RgbaImage image, float matte = 1f)
    {
        var gray = new GrayImage(image.Width, image.Height);
        ReadOnlySpan<byte> p = image.Pixels;
        Span<float> g = gray.Pixels;
        const float scale = 1f / 255f;
        for (int i = 0, s = 0; i < g.Length; i++, s += 4)
        {
            float luma = (RedWeight * p[s] + GreenWeight * p[s + 1] + BlueWeight * p[s + 2]) * scale;
            float alpha = p[s + 3] * scale;
            g[i] = alpha * luma + (1 - alpha) * matte;
        }
        return gray;
    }

    /// <summary>This image as opaque gray RGBA, each pixel repeated <paramref name="scale"/> times in x and y (nearest: crisp pixels).</summary>
    public RgbaImage ToRgba(int scale = 1)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(scale);
        var image = new RgbaImage(Width * scale, Height * scale);
        for (int y = 0; y < image.Height; y++)
            for (int x = 0; x < image.Width; x++)
            {
                byte v = ToByte(Pixels[(y / scale) * Width + x / scale]);
                image.SetPixel(x, y, v, v, v);
            }
        return image;
    }

    public static byte ToByte(float value) => (byte)Math.Clamp(MathF.Round(value * 255f), 0f, 255f);

    /// <summary>Resized with exact area averaging (see <see cref="AreaResampler"/>).</summary>
    public GrayImage Resize(int width, int height)
    {
        var result = new GrayImage(width, height);
        AreaResampler.Resize(Pixels, Width, Height, result.Pixels, width, height);
        return result;
    }

    /// <summary>The rectangle [x0, x0+width) x [y0, y0+height), clipped source pixels outside read as <paramref name="outside"/>.</summary>
    public GrayImage Crop(int x0, int y0, int width, int height, float outside = 0f)
    {
        var result = new GrayImage(width, height);
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
            {
                int sx = x0 + x, sy = y0 + y;
                result.Pixels[y * width + x] = (uint)sx < (uint)Width && (uint)sy < (uint)Height ? Pixels[sy * Width + sx] : outside;
            }
        return result;
    }
}
