using System.Numerics;
using System.Runtime.InteropServices;

namespace FashionMnist.Imaging;

/// <summary>
/// A photo reduced to working resolution as float planes (R, G, B in [0, 1], composited on white where transparent,
/// plus alpha). Reducing first keeps segmentation fast and memory small whatever the photo's size: a 40-megapixel
/// photo is box-averaged by an integer factor straight from its bytes, then area-resampled to the exact size.
/// </summary>
internal sealed class PhotoPlanes
{
    private PhotoPlanes(int width, int height)
    {
        Width = width;
        Height = height;
        Red = new float[width * height];
        Green = new float[width * height];
        Blue = new float[width * height];
        Alpha = new float[width * height];
    }

    public int Width { get; }
    public int Height { get; }
    public float[] Red { get; private set; }
    public float[] Green { get; private set; }
    public float[] Blue { get; private set; }
    public float[] Alpha { get; private set; }

    /// <summary>Whether every pixel of the photo was fully opaque.</summary>
    private bool Opaque { get; set; }

    /// <summary>The photo with its longest side at most <paramref name="maxSide"/> (never enlarged).</summary>
    public static PhotoPlanes From(RgbaImage photo, int maxSide)
    {
        int longest = Math.Max(photo.Width, photo.Height);
        int factor = Math.Max(1, longest / Math.Max(1, maxSide));
        var boxed = BoxReduce(photo, factor);
        double scale = Math.Min(1.0, (double)maxSide / Math.Max(boxed.Width, boxed.Height));
        int width = Math.Max(1, (int)Math.Round(boxed.Width * scale)), height = Math.Max(1, (int)Math.Round(boxed.Height * scale));
        if (width == boxed.Width && height == boxed.Height) return boxed;
        var result = new PhotoPlanes(width, height);
        AreaResampler.Resize(boxed.Red, boxed.Width, boxed.Height, result.Red, width, height);
        AreaResampler.Resize(boxed.Green, boxed.Width, boxed.Height, result.Green, width, height);
        AreaResampler.Resize(boxed.Blue, boxed.Width, boxed.Height, result.Blue, width, height);
        // An opaque photo (every JPEG) stays opaque: its alpha is only ever compared with 0.5, so 1 everywhere is exact.
        if (boxed.Opaque) Array.Fill(result.Alpha, 1f);
        else AreaResampler.Resize(boxed.Alpha, boxed.Width, boxed.Height, result.Alpha, width, height);
        result.Opaque = boxed.Opaque;
        return result;
    }

    // Mean of each factor x factor block (partial blocks at the right/bottom edge average what they hold).
    internal static PhotoPlanes BoxReduce(RgbaImage photo, int factor) =>
        IsOpaque(photo.Pixels) ? BoxReduceOpaque(photo, factor) : BoxReduceAnyAlpha(photo, factor);

    /// <summary><see cref="BoxReduce"/> for any photo: each pixel composited on white by its alpha, alpha averaged too.</summary>
    internal static PhotoPlanes BoxReduceAnyAlpha(RgbaImage photo, int factor)
    {
        int width = (photo.Width + factor - 1) / factor, height = (photo.Height + factor - 1) / factor;
        var planes = new PhotoPlanes(width, height);
        var count = new float[width * height];
        byte[] p = photo.Pixels;
        const float unit = 1f / 255f;
        bool opaque = true;
        for (int y = 0; y < photo.Height; y++)
        {
            int row = (y / factor) * width;
            for (int x = 0, s = y * photo.Width * 4; x < photo.Width; x++, s += 4)
            {
                int i = row + x / factor;
                opaque &= p[s + 3] == 255;
                float a = p[s + 3] * unit, matte = 1 - a;
                planes.Red[i] += a * p[s] * unit + matte;
                planes.Green[i] += a * p[s + 1] * unit + matte;
                planes.Blue[i] += a * p[s + 2] * unit + matte;
                planes.Alpha[i] += a;
                count[i]++;
            }
        }
        for (int i = 0; i < count.Length; i++)
        {
            float inverse = 1f / count[i];
            planes.Red[i] *= inverse;
            planes.Green[i] *= inverse;
            planes.Blue[i] *= inverse;
            planes.Alpha[i] *= inverse;
        }
        planes.Opaque = opaque;
        return planes;
    }

    /// <summary>
    /// <see cref="BoxReduce"/> of a photo without transparency (every JPEG), to the same floats: with alpha 255 the
    /// general formula a p / 255 + (1 - a) is p / 255 exactly (a = 255 x (1/255f) rounds to 1, and adding the 0 matte
    /// changes nothing), and each block's sums still run row by row, left to right. Only the per-pixel alpha
    /// arithmetic and the per-pixel block lookup go.
    /// </summary>
    private static PhotoPlanes BoxReduceOpaque(RgbaImage photo, int factor)
    {
        int sourceWidth = photo.Width, sourceHeight = photo.Height;
        int width = (sourceWidth + factor - 1) / factor, height = (sourceHeight + factor - 1) / factor;
        var planes = new PhotoPlanes(width, height);
        ReadOnlySpan<byte> p = photo.Pixels;
        Span<float> red = planes.Red, green = planes.Green, blue = planes.Blue;
        const float unit = 1f / 255f;
        for (int y = 0; y < sourceHeight; y++)
        {
            int row = (y / factor) * width;
            ReadOnlySpan<byte> line = p.Slice(y * sourceWidth * 4, sourceWidth * 4);
            for (int bx = 0, x = 0; bx < width; bx++)
            {
                float r = red[row + bx], g = green[row + bx], b = blue[row + bx];
                for (int end = Math.Min(sourceWidth, x + factor); x < end; x++)
                {
                    r += line[4 * x] * unit;
                    g += line[4 * x + 1] * unit;
                    b += line[4 * x + 2] * unit;
                }
                red[row + bx] = r;
                green[row + bx] = g;
                blue[row + bx] = b;
            }
        }
        for (int by = 0; by < height; by++)
        {
            int rows = Math.Min(sourceHeight, (by + 1) * factor) - by * factor;
            for (int bx = 0; bx < width; bx++)
            {
                // The pixel count, as the general path counts it (one float increment per pixel: exact), and its alpha
                // sum (1 per pixel) times the same inverse.
                float count = rows * (Math.Min(sourceWidth, (bx + 1) * factor) - bx * factor);
                float inverse = 1f / count;
                int i = by * width + bx;
                red[i] *= inverse;
                green[i] *= inverse;
                blue[i] *= inverse;
                planes.Alpha[i] = count * inverse;
            }
        }
        planes.Opaque = true;
        return planes;
    }

    /// <summary>Whether every pixel's alpha byte is 255.</summary>
    private static bool IsOpaque(ReadOnlySpan<byte> rgba)
    {
        ReadOnlySpan<uint> pixels = MemoryMarshal.Cast<byte, uint>(rgba);
        // Alpha is each pixel's fourth byte: the top byte of its little-endian uint (the general path checks it byte by byte).
        uint alpha = BitConverter.IsLittleEndian ? 0xFF000000u : 0x000000FFu;
        var mask = new Vector<uint>(alpha);
        int i = 0;
        for (; i + Vector<uint>.Count <= pixels.Length; i += Vector<uint>.Count)
            if ((new Vector<uint>(pixels[i..]) & mask) != mask) return false;
        for (; i < pixels.Length; i++)
            if ((pixels[i] & alpha) != alpha) return false;
        return true;
    }

    /// <summary>Rec. 601 luminance.</summary>
    public GrayImage Luminance()
    {
        var gray = new GrayImage(Width, Height);
        for (int i = 0; i < gray.Pixels.Length; i++)
            gray.Pixels[i] = GrayImage.RedWeight * Red[i] + GrayImage.GreenWeight * Green[i] + GrayImage.BlueWeight * Blue[i];
        return gray;
    }

    public RgbaImage ToRgba()
    {
        var image = new RgbaImage(Width, Height);
        for (int i = 0; i < Red.Length; i++)
            image.SetPixel(i % Width, i / Width, GrayImage.ToByte(Red[i]), GrayImage.ToByte(Green[i]), GrayImage.ToByte(Blue[i]));
        return image;
    }

    /// <summary>Fraction of pixels that are mostly transparent.</summary>
    public double TransparentFraction()
    {
        int n = 0;
        foreach (float a in Alpha) if (a < 0.5f) n++;
        return (double)n / Alpha.Length;
    }
}
