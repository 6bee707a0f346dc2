namespace FashionMnist.Imaging;

/// <summary>A decoded photo: 8-bit RGBA, row-major, 4 bytes per pixel, straight (not premultiplied) alpha.</summary>
public sealed class RgbaImage
{
    public RgbaImage(int width, int height)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        Width = width;
        Height = height;
        Pixels = new byte[checked(width * height * 4)];
    }

    /// <summary>Adopts <paramref name="pixels"/> (R, G, B, A per pixel, row after row) without copying.</summary>
    internal RgbaImage(int width, int height, byte[] pixels)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        if (pixels.Length != (long)width * height * 4)
            throw new ArgumentException($"{pixels.Length} bytes are not {width}x{height} RGBA pixels.", nameof(pixels));
        Width = width;
        Height = height;
        Pixels = pixels;
    }

    public int Width { get; }
    public int Height { get; }

    /// <summary>R, G, B, A for each pixel, row after row.</summary>
    public byte[] Pixels { get; }

    public bool HasTransparency
    {
        get
        {
            for (int i = 3; i < Pixels.Length; i += 4) if (Pixels[i] != 255) return true;
            return false;
        }
    }

    public void SetPixel(int x, int y, byte r, byte g, byte b, byte a = 255)
    {
        int i = (y * Width + x) * 4;
        Pixels[i] = r;
        Pixels[i + 1] = g;
        Pixels[i + 2] = b;
        Pixels[i + 3] = a;
    }

    /// <summary>Fills a rectangle (clipped to the image).</summary>
    public void Fill(int x0, int y0, int width, int height, byte r, byte g, byte b)
    {
        int x1 = Math.Min(Width, x0 + width), y1 = Math.Min(Height, y0 + height);
        for (int y = Math.Max(0, y0); y < y1; y++)
            for (int x = Math.Max(0, x0); x < x1; x++) SetPixel(x, y, r, g, b);
    }

    /// <summary>Copies <paramref name="source"/> with its top-left corner at (x0, y0), clipped, alpha ignored.</summary>
    public void Draw(RgbaImage source, int x0, int y0)
    {
        for (int y = 0; y < source.Height; y++)
        {
            int ty = y0 + y;
            if ((uint)ty >= (uint)Height) continue;
            for (int x = 0; x < source.Width; x++)
            {
                int tx = x0 + x;
                if ((uint)tx >= (uint)Width) continue;
                int s = (y * source.Width + x) * 4, t = (ty * Width + tx) * 4;
                Pixels[t] = source.Pixels[s];
                Pixels[t + 1] = source.Pixels[s + 1];
                Pixels[t + 2] = source.Pixels[s + 2];
                Pixels[t + 3] = 255;
            }
        }
    }
}
