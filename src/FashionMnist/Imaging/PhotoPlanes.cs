using System.Buffers;
using System.Numerics;
using System.Runtime.InteropServices;

namespace FashionMnist.Imaging;

/// <summary>
/// A photo reduced to working resolution as float planes (R, G, B in [0, 1], composited on white where transparent,
/// plus alpha). Reducing first keeps segmentation fast and memory small whatever the photo's size: a 40-megapixel
/// photo is box-averaged by an integer factor straight from its bytes, then area-resampled to the exact size.
/// <para>The planes of <see cref="From"/> are pooled (<see cref="ArrayPool{T}"/>): they may be longer than
/// <see cref="Width"/> x <see cref="Height"/>, whose first floats are the image, and <see cref="Dispose"/> returns them.
/// A web request made about 1.7 MB of these per photo, on the large-object heap (clearing, page faults, gen-2
/// collections); not disposing is safe, the arrays are then simply collected.</para>
/// </summary>
internal sealed class PhotoPlanes : IDisposable
{
    private readonly bool _pooled;
    private float[]? _alpha;

    private PhotoPlanes(int width, int height, bool pooled = false, bool withAlpha = true)
    {
        Width = width;
        Height = height;
        _pooled = pooled;
        Red = Allocate();
        Green = Allocate();
        Blue = Allocate();
        if (withAlpha) _alpha = Allocate();

        float[] Allocate() => pooled ? ArrayPool<float>.Shared.Rent(width * height) : new float[width * height];
    }

    public int Width { get; }
    public int Height { get; }
    public float[] Red { get; private set; }
    public float[] Green { get; private set; }
    public float[] Blue { get; private set; }

    /// <summary>Alpha in [0, 1]; an opaque photo's (every JPEG) is made, all ones, only when asked for.</summary>
    public float[] Alpha
    {
        get
        {
            if (_alpha is null)
            {
                _alpha = new float[Width * Height];
                Array.Fill(_alpha, 1f);
            }
            return _alpha;
        }
    }

    /// <summary>Whether every pixel of the photo was fully opaque.</summary>
    private bool Opaque { get; set; }

    /// <summary>Returns pooled planes; the planes must not be used afterwards.</summary>
    public void Dispose()
    {
        if (!_pooled || Red.Length == 0) return;
        ArrayPool<float>.Shared.Return(Red);
        ArrayPool<float>.Shared.Return(Green);
        ArrayPool<float>.Shared.Return(Blue);
        if (_alpha is not null && !Opaque) ArrayPool<float>.Shared.Return(_alpha);
        Red = Green = Blue = [];
        _alpha = null;
    }

    /// <summary>The photo with its longest side at most <paramref name="maxSide"/> (never enlarged); pooled planes.</summary>
    public static PhotoPlanes From(RgbaImage photo, int maxSide)
    {
        int longest = Math.Max(photo.Width, photo.Height);
        int factor = Math.Max(1, longest / Math.Max(1, maxSide));
        // The size the box reduction gives, and the final size.
        int boxedWidth = (photo.Width + factor - 1) / factor, boxedHeight = (photo.Height + factor - 1) / factor;
        double scale = Math.Min(1.0, (double)maxSide / Math.Max(boxedWidth, boxedHeight));
        int width = Math.Max(1, (int)Math.Round(boxedWidth * scale)), height = Math.Max(1, (int)Math.Round(boxedHeight * scale));
        bool opaque = IsOpaque(photo.Pixels);
        if (factor == 1 && opaque && (width != boxedWidth || height != boxedHeight))
        {
            // The usual case (a JPEG decoded at reduced scale): the box reduction by 1 is only p x (1/255f) per byte,
            // so the resampler reads the bytes a row at a time instead of three whole float planes of them.
            var direct = new PhotoPlanes(width, height, pooled: true, withAlpha: false) { Opaque = true };
            AreaResampler.ResizeOpaqueRgb(photo.Pixels, photo.Width, photo.Height, direct.Red, direct.Green, direct.Blue, width, height);
            return direct;
        }
        var boxed = opaque ? BoxReduceOpaque(photo, factor) : BoxReduceAnyAlpha(photo, factor);
        if (width == boxed.Width && height == boxed.Height) return boxed;
        var result = new PhotoPlanes(width, height, pooled: true, withAlpha: !boxed.Opaque);
        AreaResampler.Resize(boxed.Red, boxed.Width, boxed.Height, result.Red, width, height);
        AreaResampler.Resize(boxed.Green, boxed.Width, boxed.Height, result.Green, width, height);
        AreaResampler.Resize(boxed.Blue, boxed.Width, boxed.Height, result.Blue, width, height);
        // An opaque photo (every JPEG) stays opaque: its alpha is only ever compared with 0.5, so 1 everywhere is exact.
        if (!boxed.Opaque) AreaResampler.Resize(boxed.Alpha, boxed.Width, boxed.Height, result.Alpha, width, height);
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
        Luminance(gray.Pixels);
        return gray;
    }

    /// <summary>Rec. 601 luminance into the first <see cref="Width"/> x <see cref="Height"/> floats of <paramref name="destination"/>.</summary>
    public void Luminance(Span<float> destination)
    {
        int n = Width * Height;
        ReadOnlySpan<float> red = Red.AsSpan(0, n), green = Green.AsSpan(0, n), blue = Blue.AsSpan(0, n);
        Span<float> gray = destination[..n];
        for (int i = 0; i < gray.Length; i++)
            gray[i] = GrayImage.RedWeight * red[i] + GrayImage.GreenWeight * green[i] + GrayImage.BlueWeight * blue[i];
    }

    public RgbaImage ToRgba()
    {
        var image = new RgbaImage(Width, Height);
        for (int i = 0; i < Width * Height; i++)
            image.SetPixel(i % Width, i / Width, GrayImage.ToByte(Red[i]), GrayImage.ToByte(Green[i]), GrayImage.ToByte(Blue[i]));
        return image;
    }

    /// <summary>Fraction of pixels that are mostly transparent.</summary>
    public double TransparentFraction()
    {
        if (Opaque) return 0; // every alpha is 1
        int n = 0;
        foreach (float a in Alpha.AsSpan(0, Width * Height)) if (a < 0.5f) n++;
        return (double)n / (Width * Height);
    }
}
