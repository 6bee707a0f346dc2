namespace FashionMnist.Neural.Layers;

/// <summary>Max pooling over size x size windows (valid: a partial window at the border is dropped).</summary>
internal sealed class MaxPool2D : Layer
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

    internal override bool CanFuseReLU => true;

    /// <summary>The common 2x2 / stride 2 window: no arg-max is stored, backward finds the maximum again from x and y.</summary>
    private bool IsPair => Size == 2 && Stride == 2;

    public override void Forward(float[] x, float[] y, int n, PassInfo pass)
    {
        int inSize = InputShape.Size, outSize = OutputShape.Size;
        int[] argMax = IsPair ? [] : Ensure(ref _argMax, (long)n * outSize);
        BatchParallel.For(n, (long)n * inSize, (s, start, count) => PoolRows(x, y, argMax, start, count));
    }

    internal override bool HasRowForward => true;

    internal override void PrepareRows(int slices, int capacity)
    {
        if (!IsPair) Ensure(ref _argMax, (long)capacity * OutputShape.Size);
    }

    internal override void ForwardRows(float[] x, float[] y, int slice, int start, int count) => PoolRows(x, y, _argMax ?? [], start, count);

    private void PoolRows(float[] x, float[] y, int[] argMax, int start, int count)
    {
        int inSize = InputShape.Size, outSize = OutputShape.Size;
        for (int i = start; i < start + count; i++)
        {
            if (IsPair) PoolPairs(x, i * inSize, y, i * outSize);
            else PoolImage(x, i * inSize, y, argMax, i * outSize);
        }
    }

    /// <summary>
    /// 2x2 / stride 2 max (then ReLU when fused) of one image, plane by plane (<see cref="PoolPlane{TBias}"/>).
    /// </summary>
    private unsafe void PoolPairs(float[] x, int inOffset, float[] y, int outOffset)
    {
        int height = InputShape.Height, width = InputShape.Width, outH = OutputShape.Height, outW = OutputShape.Width;
        fixed (float* px = &x[inOffset], py = &y[outOffset])
        {
            for (int c = 0; c < InputShape.Channels; c++)
                PoolPlane<WithoutBias>(px + c * height * width, width, py + c * outH * outW, outH, outW, 0f, FusedReLU);
        }
    }

    /// <summary>
    /// 2x2 / stride 2 max of one plane (rows <paramref name="inWidth"/> apart) into outH x outW, each value plus
    /// <paramref name="bias"/> first when <typeparamref name="TBias"/> adds one (the fused conv → pool), then ReLU when
    /// <paramref name="relu"/>: vertical max of two rows, then of neighbouring columns, 8 (AVX) or 4 (SSE) outputs at a
    /// time; the last vector of a row overlaps the previous one instead of a scalar tail (scalar compares on random data
    /// mispredict about once per window: that made this pass 4x slower). <typeparamref name="TBias"/> is a struct, so
    /// each use gets its own machine code and the pool without a bias adds nothing.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static unsafe void PoolPlane<TBias>(float* input, int inWidth, float* output, int outH, int outW, float bias, bool relu)
        where TBias : struct, IPoolBias
    {
        bool wide = Avx2.IsSupported && outW >= 8, narrow = Sse.IsSupported && outW >= 4;
        var b8 = Vector256.Create(bias);
        var b4 = Vector128.Create(bias);
        for (int oy = 0; oy < outH; oy++)
        {
            float* row0 = input + 2 * oy * inWidth, row1 = row0 + inWidth, target = output + oy * outW;
            if (wide)
            {
                for (int ox = 0; ; ox += 8)
                {
                    if (ox > outW - 8) ox = outW - 8; // overlapping last vector
                    Vector256<float> lo = Avx.Max(TBias.Add(Avx.LoadVector256(row0 + 2 * ox), b8), TBias.Add(Avx.LoadVector256(row1 + 2 * ox), b8));
                    Vector256<float> hi = Avx.Max(TBias.Add(Avx.LoadVector256(row0 + 2 * ox + 8), b8), TBias.Add(Avx.LoadVector256(row1 + 2 * ox + 8), b8));
                    // Even and odd columns (within 128-bit lanes), their max, then the lanes back in order.
                    Vector256<float> pairs = Avx.Max(Avx.Shuffle(lo, hi, 0b10_00_10_00), Avx.Shuffle(lo, hi, 0b11_01_11_01));
                    Vector256<float> result = Avx2.Permute4x64(pairs.AsDouble(), 0b11_01_10_00).AsSingle();
                    if (relu) result = Avx.Max(result, Vector256<float>.Zero);
                    Avx.Store(target + ox, result);
                    if (ox == outW - 8) break;
                }
            }
            else if (narrow)
            {
                for (int ox = 0; ; ox += 4)
                {
                    if (ox > outW - 4) ox = outW - 4;
                    Vector128<float> lo = Sse.Max(TBias.Add(Sse.LoadVector128(row0 + 2 * ox), b4), TBias.Add(Sse.LoadVector128(row1 + 2 * ox), b4));
                    Vector128<float> hi = Sse.Max(TBias.Add(Sse.LoadVector128(row0 + 2 * ox + 4), b4), TBias.Add(Sse.LoadVector128(row1 + 2 * ox + 4), b4));
                    Vector128<float> result = Sse.Max(Sse.Shuffle(lo, hi, 0b10_00_10_00), Sse.Shuffle(lo, hi, 0b11_01_11_01));
                    if (relu) result = Sse.Max(result, Vector128<float>.Zero);
                    Sse.Store(target + ox, result);
                    if (ox == outW - 4) break;
                }
            }
            else
            {
                for (int ox = 0; ox < outW; ox++)
                {
                    float max = MathF.Max(MathF.Max(TBias.Add(row0[2 * ox], bias), TBias.Add(row0[2 * ox + 1], bias)),
                        MathF.Max(TBias.Add(row1[2 * ox], bias), TBias.Add(row1[2 * ox + 1], bias)));
                    target[ox] = relu ? MathF.Max(max, 0f) : max;
                }
            }
        }
    }

    /// <summary>Max and arg-max (index within the image) of every window of one image; pointers, as this loop is hot.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private unsafe void PoolImage(float[] x, int inOffset, float[] y, int[] argMax, int outOffset)
    {
        int height = InputShape.Height, width = InputShape.Width, outH = OutputShape.Height, outW = OutputShape.Width;
        int plane = height * width;
        bool relu = FusedReLU;
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
                        output[oy * outW + ox] = relu && !(max > 0f) ? 0f : max;
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
        bool relu = FusedReLU;
        if (IsPair)
        {
            BatchParallel.For(n, (long)n * inSize, (s, start, count) =>
            {
                for (int i = start; i < start + count; i++) UnpoolPairs(x, y, dy, dx, i * inSize, i * outSize);
            });
            return;
        }
        int[] argMax = _argMax!;
        BatchParallel.For(n, (long)n * inSize, (s, start, count) =>
        {
            Array.Clear(dx, start * inSize, count * inSize);
            for (int i = start; i < start + count; i++)
            for (int o = 0; o < outSize; o++)
            {
                float g = dy[i * outSize + o];
                if (relu && !(y[i * outSize + o] > 0f)) g = 0f;
                dx[i * inSize + argMax[i * outSize + o]] += g;
            }
        });
    }

    /// <summary>
    /// Backward of <see cref="PoolPairs"/> for one image, writing every dx entry once (no clear + scatter): the gradient
    /// goes to the first window element equal to the output, in the order a max tie is broken (top-left, top-right,
    /// bottom-left, bottom-right). With a fused ReLU an output of 0 passes no gradient, so the window max is then irrelevant.
    /// Branch-free SSE masks, 4 windows at a time (the last group of a row overlaps the previous one).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private unsafe void UnpoolPairs(float[] x, float[] y, float[] dy, float[] dx, int inOffset, int outOffset)
    {
        int height = InputShape.Height, width = InputShape.Width, outH = OutputShape.Height, outW = OutputShape.Width;
        int channels = InputShape.Channels;
        bool relu = FusedReLU, vector = Sse.IsSupported && outW >= 4;
        var odd = Vector128.Create(0, -1, 0, -1).AsSingle();
        fixed (float* px = &x[inOffset], py = &y[outOffset], pdy = &dy[outOffset], pdx = &dx[inOffset])
        {
            for (int c = 0; c < channels; c++)
            {
                float* input = px + c * height * width, grad = pdx + c * height * width;
                float* output = py + c * outH * outW, gradOut = pdy + c * outH * outW;
                for (int oy = 0; oy < outH; oy++)
                {
                    float* row0 = input + 2 * oy * width, row1 = row0 + width;
                    float* grad0 = grad + 2 * oy * width, grad1 = grad0 + width;
                    float* m = output + oy * outW, gm = gradOut + oy * outW;
                    if (vector)
                    {
                        for (int ox = 0; ; ox += 4)
                        {
                            if (ox > outW - 4) ox = outW - 4;
                            Vector128<float> m4 = Sse.LoadVector128(m + ox), g4 = Sse.LoadVector128(gm + ox);
                            if (relu) g4 = Sse.And(g4, Sse.CompareGreaterThan(m4, Vector128<float>.Zero));
                            Unpool2(row0 + 2 * ox, row1 + 2 * ox, grad0 + 2 * ox, grad1 + 2 * ox, Sse.UnpackLow(m4, m4), Sse.UnpackLow(g4, g4), odd);
                            Unpool2(row0 + 2 * ox + 4, row1 + 2 * ox + 4, grad0 + 2 * ox + 4, grad1 + 2 * ox + 4, Sse.UnpackHigh(m4, m4), Sse.UnpackHigh(g4, g4), odd);
                            if (ox == outW - 4) break;
                        }
                    }
                    else if (Sse2.IsSupported)
                    {
                        for (int ox = 0; ox < outW; ox++)
                        {
                            float max = m[ox], g = gm[ox];
                            if (relu && !(max > 0f)) g = 0f;
                            UnpoolWindow(row0 + 2 * ox, row1 + 2 * ox, grad0 + 2 * ox, grad1 + 2 * ox, max, g);
                        }
                    }
                    else
                    {
                        for (int ox = 0; ox < outW; ox++)
                        {
                            float max = m[ox], g = gm[ox];
                            if (relu && !(max > 0f)) g = 0f;
                            bool isA = row0[2 * ox] == max;
                            bool isB = !isA && row0[2 * ox + 1] == max;
                            bool isD = !isA && !isB && row1[2 * ox] == max;
                            grad0[2 * ox] = isA ? g : 0f;
                            grad0[2 * ox + 1] = isB ? g : 0f;
                            grad1[2 * ox] = isD ? g : 0f;
                            grad1[2 * ox + 1] = !isA && !isB && !isD ? g : 0f;
                        }
                    }
                    if (width > 2 * outW)
                        for (int col = 2 * outW; col < width; col++) grad0[col] = grad1[col] = 0f;
                }
                for (int row = 2 * outH; row < height; row++) new Span<float>(grad + row * width, width).Clear();
            }
        }
    }

    /// <summary>
    /// One window [a b] / [d e] without branches (rows under 4 windows: cnn-deep's 7x7 → 3x3 pool, whose compares
    /// mispredicted as scalar code: 2.04 CPU-ms per 128 images against 0.28 forward): the gradient goes to the first of
    /// a, b, d, e equal to the max. When none is (a fused ReLU's zero output), g is 0 and every entry gets 0, as the
    /// scalar rule gives.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void UnpoolWindow(float* row0, float* row1, float* grad0, float* grad1, float max, float g)
    {
        Vector128<float> window = Sse.MoveLowToHigh(Sse2.LoadScalarVector128((double*)row0).AsSingle(), Sse2.LoadScalarVector128((double*)row1).AsSingle());
        Vector128<int> eq = Sse.CompareEqual(window, Vector128.Create(max)).AsInt32();
        // A lane is picked when it equals the max and no earlier lane does.
        Vector128<int> earlier = Sse2.Or(Sse2.Or(Sse2.ShiftLeftLogical128BitLane(eq, 4), Sse2.ShiftLeftLogical128BitLane(eq, 8)), Sse2.ShiftLeftLogical128BitLane(eq, 12));
        Vector128<float> result = Sse.And(Sse2.AndNot(earlier, eq).AsSingle(), Vector128.Create(g));
        Sse2.StoreScalar((double*)grad0, result.AsDouble());
        Sse2.StoreHigh((double*)grad1, result.AsDouble());
    }

    /// <summary>Two windows: rows [a0 b0 a1 b1] / [d0 e0 d1 e1], max and gradient duplicated per window [m0 m0 m1 m1].</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Unpool2(float* row0, float* row1, float* grad0, float* grad1, Vector128<float> max, Vector128<float> g, Vector128<float> odd)
    {
        Vector128<float> eq0 = Sse.CompareEqual(Sse.LoadVector128(row0), max);
        Vector128<float> eq1 = Sse.CompareEqual(Sse.LoadVector128(row1), max);
        Vector128<float> a = Sse.Shuffle(eq0, eq0, 0b10_10_00_00);   // "a is the max", in both lanes of its window
        Vector128<float> top = Sse.Or(a, Sse.Shuffle(eq0, eq0, 0b11_11_01_01)); // a or b
        Vector128<float> d = Sse.Shuffle(eq1, eq1, 0b10_10_00_00);
        // Top row: a where a is the max; b where b is and a is not.
        Vector128<float> pick0 = Sse.AndNot(Sse.And(a, odd), eq0);
        // Bottom row: d where d is and neither a nor b; e where none of a, b, d is.
        Vector128<float> pick1 = Sse.Or(Sse.AndNot(odd, Sse.AndNot(top, eq1)), Sse.AndNot(Sse.Or(top, d), odd));
        Sse.Store(grad0, Sse.And(pick0, g));
        Sse.Store(grad1, Sse.And(pick1, g));
    }
}

/// <summary>Average pooling over size x size windows (valid).</summary>
internal sealed class AvgPool2D : Layer
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
internal sealed class GlobalAvgPool : Layer
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
internal sealed class Flatten : Layer
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

/// <summary>What <see cref="MaxPool2D.PoolPlane{TBias}"/> adds to each value before the maximum: nothing, or a bias.</summary>
internal interface IPoolBias
{
    static abstract Vector256<float> Add(Vector256<float> value, Vector256<float> bias);
    static abstract Vector128<float> Add(Vector128<float> value, Vector128<float> bias);
    static abstract float Add(float value, float bias);
}

/// <summary>A pool on its own: the values as they are.</summary>
internal readonly struct WithoutBias : IPoolBias
{
    public static Vector256<float> Add(Vector256<float> value, Vector256<float> bias) => value;
    public static Vector128<float> Add(Vector128<float> value, Vector128<float> bias) => value;
    public static float Add(float value, float bias) => value;
}

/// <summary>The pool fused into a convolution: its bias added to each of the four values, as the separate layers do.</summary>
internal readonly struct WithBias : IPoolBias
{
    public static Vector256<float> Add(Vector256<float> value, Vector256<float> bias) => value + bias;
    public static Vector128<float> Add(Vector128<float> value, Vector128<float> bias) => value + bias;
    public static float Add(float value, float bias) => value + bias;
}
