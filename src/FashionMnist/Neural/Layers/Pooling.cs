namespace FashionMnist.Neural.Layers;

/// <summary>Max pooling over size x size windows (valid: a partial window at the border is dropped).</summary>
public sealed class MaxPool2D : Layer
{
    private int[]? _argMax;

    public MaxPool2D(int size, int? stride = null)
    {
        if (size < 1) throw new LayerConfigurationException($"size must be at least 1, got {size}");
        if (stride is < 1) throw new LayerConfigurationException($"stride must be at least 1, got {stride}");
        Size = size;
        Stride = stride ?? size;
    }

    public override string Kind => "maxpool2d";
    public int Size { get; }
    public int Stride { get; }
    public override IReadOnlyList<(string Name, object Value)> Settings => [("size", Size), ("stride", Stride)];

    protected override Shape Configure(Shape input) => PoolShape(input, Size, Stride);

    internal static Shape PoolShape(Shape input, int size, int stride)
    {
        if (size > input.Height || size > input.Width)
            throw new LayerConfigurationException($"its {size}x{size} window does not fit the {input.Height}x{input.Width} input");
        return new Shape(input.Channels, (input.Height - size) / stride + 1, (input.Width - size) / stride + 1);
    }

    public override void Forward(float[] x, float[] y, int n, PassInfo pass)
    {
        int inSize = InputShape.Size, outSize = OutputShape.Size;
        int[] argMax = Ensure(ref _argMax, (long)n * outSize);
        BatchParallel.For(n, (long)n * inSize, (s, start, count) =>
        {
            for (int i = start; i < start + count; i++) PoolImage(x, i * inSize, y, argMax, i * outSize);
        });
    }

    /// <summary>Max and arg-max (index within the image) of every window of one image; pointers, as this loop is hot.</summary>
    private unsafe void PoolImage(float[] x, int inOffset, float[] y, int[] argMax, int outOffset)
    {
        int height = InputShape.Height, width = InputShape.Width, outH = OutputShape.Height, outW = OutputShape.Width;
        int plane = height * width;
        fixed (float* px = &x[inOffset], py = &y[outOffset])
        fixed (int* pa = &argMax[outOffset])
        {
            for (int c = 0; c < InputShape.Channels; c++)
            {
                float* input = px + c * plane;
                float* output = py + c * outH * outW;
                int* arg = pa + c * outH * outW;
                int planeStart = c * plane;
                for (int oy = 0; oy < outH; oy++)
                {
                    int top = oy * Stride;
                    if (Size == 2 && Stride == 2)
                    {
                        float* row0 = input + top * width, row1 = row0 + width;
                        for (int ox = 0; ox < outW; ox++)
                        {
                            int left = 2 * ox;
                            // Branch-free: with random data, if/else here mispredicts about once per window.
                            float a = row0[left], b = row0[left + 1], d = row1[left], e = row1[left + 1];
                            float top2 = MathF.Max(a, b), bottom2 = MathF.Max(d, e);
                            int topAt = left + (b > a ? 1 : 0), bottomAt = width + left + (e > d ? 1 : 0);
                            bool lower = bottom2 > top2;
                            output[oy * outW + ox] = MathF.Max(top2, bottom2);
                            arg[oy * outW + ox] = planeStart + top * width + (lower ? bottomAt : topAt);
                        }
                        continue;
                    }
                    for (int ox = 0; ox < outW; ox++)
                    {
                        int left = ox * Stride;
                        int best = top * width + left;
                        float max = input[best];
                        for (int ky = 0; ky < Size; ky++)
                        for (int kx = 0; kx < Size; kx++)
                        {
                            int at = (top + ky) * width + left + kx;
                            if (input[at] > max) { max = input[at]; best = at; }
                        }
                        output[oy * outW + ox] = max;
                        arg[oy * outW + ox] = planeStart + best;
                    }
                }
            }
        }
    }

    public override void Backward(float[] x, float[] y, float[] dy, float[]? dx, int n)
    {
        if (dx is null) return;
        int inSize = InputShape.Size, outSize = OutputShape.Size;
        int[] argMax = _argMax!;
        BatchParallel.For(n, (long)n * inSize, (s, start, count) =>
        {
            Array.Clear(dx, start * inSize, count * inSize);
            for (int i = start; i < start + count; i++)
            for (int o = 0; o < outSize; o++)
                dx[i * inSize + argMax[i * outSize + o]] += dy[i * outSize + o];
        });
    }
}

/// <summary>Average pooling over size x size windows (valid).</summary>
public sealed class AvgPool2D : Layer
{
    public AvgPool2D(int size, int? stride = null)
    {
        if (size < 1) throw new LayerConfigurationException($"size must be at least 1, got {size}");
        if (stride is < 1) throw new LayerConfigurationException($"stride must be at least 1, got {stride}");
        Size = size;
        Stride = stride ?? size;
    }

    public override string Kind => "avgpool2d";
    public int Size { get; }
    public int Stride { get; }
    public override IReadOnlyList<(string Name, object Value)> Settings => [("size", Size), ("stride", Stride)];

    protected override Shape Configure(Shape input) => MaxPool2D.PoolShape(input, Size, Stride);

    public override void Forward(float[] x, float[] y, int n, PassInfo pass)
    {
        int inSize = InputShape.Size, outSize = OutputShape.Size;
        int height = InputShape.Height, width = InputShape.Width, outH = OutputShape.Height, outW = OutputShape.Width;
        float scale = 1f / (Size * Size);
        BatchParallel.For(n, (long)n * inSize, (s, start, count) =>
        {
            for (int i = start; i < start + count; i++)
            for (int c = 0; c < InputShape.Channels; c++)
            {
                int planeIn = i * inSize + c * height * width, planeOut = i * outSize + c * outH * outW;
                for (int oy = 0; oy < outH; oy++)
                for (int ox = 0; ox < outW; ox++)
                {
                    float sum = 0;
                    for (int ky = 0; ky < Size; ky++)
                    for (int kx = 0; kx < Size; kx++)
                        sum += x[planeIn + (oy * Stride + ky) * width + ox * Stride + kx];
                    y[planeOut + oy * outW + ox] = sum * scale;
                }
            }
        });
    }

    public override void Backward(float[] x, float[] y, float[] dy, float[]? dx, int n)
    {
        if (dx is null) return;
        int inSize = InputShape.Size, outSize = OutputShape.Size;
        int height = InputShape.Height, width = InputShape.Width, outH = OutputShape.Height, outW = OutputShape.Width;
        float scale = 1f / (Size * Size);
        BatchParallel.For(n, (long)n * inSize, (s, start, count) =>
        {
            Array.Clear(dx, start * inSize, count * inSize);
            for (int i = start; i < start + count; i++)
            for (int c = 0; c < InputShape.Channels; c++)
            {
                int planeIn = i * inSize + c * height * width, planeOut = i * outSize + c * outH * outW;
                for (int oy = 0; oy < outH; oy++)
                for (int ox = 0; ox < outW; ox++)
                {
                    float g = dy[planeOut + oy * outW + ox] * scale;
                    for (int ky = 0; ky < Size; ky++)
                    for (int kx = 0; kx < Size; kx++)
                        dx[planeIn + (oy * Stride + ky) * width + ox * Stride + kx] += g;
                }
            }
        });
    }
}

/// <summary>Averages each channel over all pixels: C x H x W → C.</summary>
public sealed class GlobalAvgPool : Layer
{
    public override string Kind => "globalavgpool";

    protected override Shape Configure(Shape input) => Shape.Flat(input.Channels);

    public override void Forward(float[] x, float[] y, int n, PassInfo pass)
    {
        int pixels = InputShape.Height * InputShape.Width, channels = InputShape.Channels;
        float scale = 1f / pixels;
        BatchParallel.For(n, (long)n * InputShape.Size, (s, start, count) =>
        {
            for (int i = start; i < start + count; i++)
            for (int c = 0; c < channels; c++)
                y[i * channels + c] = System.Numerics.Tensors.TensorPrimitives.Sum(x.AsSpan((i * channels + c) * pixels, pixels)) * scale;
        });
    }

    public override void Backward(float[] x, float[] y, float[] dy, float[]? dx, int n)
    {
        if (dx is null) return;
        int pixels = InputShape.Height * InputShape.Width, channels = InputShape.Channels;
        float scale = 1f / pixels;
        BatchParallel.For(n, (long)n * InputShape.Size, (s, start, count) =>
        {
            for (int i = start; i < start + count; i++)
            for (int c = 0; c < channels; c++)
                dx.AsSpan((i * channels + c) * pixels, pixels).Fill(dy[i * channels + c] * scale);
        });
    }
}

/// <summary>Reshapes C x H x W to a flat vector (the memory layout does not change).</summary>
public sealed class Flatten : Layer
{
    public override string Kind => "flatten";

    protected override Shape Configure(Shape input) => Shape.Flat(input.Size);

    internal override bool IsReshape => true;

    public override void Forward(float[] x, float[] y, int n, PassInfo pass)
    {
        if (!ReferenceEquals(x, y)) Array.Copy(x, y, n * InputShape.Size);
    }

    public override void Backward(float[] x, float[] y, float[] dy, float[]? dx, int n)
    {
        if (dx is not null && !ReferenceEquals(dx, dy)) Array.Copy(dy, dx, n * InputShape.Size);
    }
}
