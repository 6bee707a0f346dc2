using System.Numerics.Tensors;

namespace FashionMnist.Neural.Layers;

/// <summary>How a convolution or pooling window treats the border.</summary>
internal enum Padding
{
    /// <summary>No padding: the output shrinks by kernel-1.</summary>
    Valid,
    /// <summary>Zero padding so the output is ceil(input / stride) (TensorFlow's convention: extra padding at the bottom/right).</summary>
    Same,
}

/// <summary>
/// 2-D convolution (cross-correlation as in every framework) with any kernel size, stride and padding.
/// Weights are <c>filters x (channels * kh * kw)</c>. Each thread takes a slice of the batch; within it, groups
/// of images are unfolded (im2col) side by side so one GEMM covers several small images, and the weight
/// gradient of each slice is a partial sum added to the others in slice order (deterministic).
/// </summary>
internal sealed partial class Conv2D : Layer
{
    /// <summary>Target GEMM width (columns = images x output pixels) when grouping small images.</summary>
    private const int TargetColumns = 768;
    /// <summary>Cap on one thread's unfolded buffer (floats), so it stays within L2.</summary>
    private const int MaxColumnFloats = 196_608;

    private int _inChannels, _kernelSize, _outHeight, _outWidth, _outPixels, _padTop, _padLeft, _group;
    private float[]?[] _columns = [], _gathered = [], _weightPartial = [], _biasPartial = [];

    public Conv2D(int filters, int kernelHeight, int kernelWidth, int stride = 1, Padding padding = Padding.Valid,
        Initializer initializer = Initializer.He, bool useBias = true)
    {
        if (filters < 1) throw new LayerConfigurationException($"filters must be at least 1, got {filters}");
        if (kernelHeight < 1 || kernelWidth < 1) throw new LayerConfigurationException($"kernel must be at least 1x1, got {kernelHeight}x{kernelWidth}");
        if (stride < 1) throw new LayerConfigurationException($"stride must be at least 1, got {stride}");
        (Filters, KernelHeight, KernelWidth, Stride, Padding, Initializer, UseBias) = (filters, kernelHeight, kernelWidth, stride, padding, initializer, useBias);
    }

    public override string Kind => "conv2d";
    public int Filters { get; }
    public int KernelHeight { get; }
    public int KernelWidth { get; }
    public int Stride { get; }
    public Padding Padding { get; }
    public Initializer Initializer { get; }
    public bool UseBias { get; }

    public Parameter Weights { get; private set; } = null!;
    public Parameter? Bias { get; private set; }

    public override IReadOnlyList<Parameter> Parameters => Bias is null ? [Weights] : [Weights, Bias];

    public override IReadOnlyList<(string Name, object Value)> Settings =>
    [
        ("filters", Filters),
        ("kernel", KernelHeight == KernelWidth ? KernelHeight : $"{KernelHeight}x{KernelWidth}"),
        ("stride", Stride), ("padding", Padding), ("init", Initializer), ("bias", UseBias),
    ];

    protected override Shape Configure(Shape input)
    {
        AllowParameters((long)Filters * input.Channels * KernelHeight * KernelWidth + (UseBias ? Filters : 0));
        _inChannels = input.Channels;
        _kernelSize = input.Channels * KernelHeight * KernelWidth;
        if (Padding == Padding.Valid)
        {
            if (KernelHeight > input.Height || KernelWidth > input.Width)
                throw new LayerConfigurationException(
                    $"its {KernelHeight}x{KernelWidth} kernel does not fit the {input.Height}x{input.Width} input with valid padding (use padding: same, a smaller kernel, or less pooling before it)");
            _outHeight = (input.Height - KernelHeight) / Stride + 1;
            _outWidth = (input.Width - KernelWidth) / Stride + 1;
            _padTop = _padLeft = 0;
        }
        else
        {
            _outHeight = (input.Height + Stride - 1) / Stride;
            _outWidth = (input.Width + Stride - 1) / Stride;
            _padTop = Math.Max((_outHeight - 1) * Stride + KernelHeight - input.Height, 0) / 2;
            _padLeft = Math.Max((_outWidth - 1) * Stride + KernelWidth - input.Width, 0) / 2;
        }
        _outPixels = _outHeight * _outWidth;
        _group = Math.Clamp((TargetColumns + _outPixels - 1) / _outPixels, 1, 64);
        while (_group > 1 && (long)_kernelSize * _group * _outPixels > MaxColumnFloats) _group--;
        Weights = new Parameter($"conv{Index}.weights", Filters * _kernelSize, decay: true);
        Bias = UseBias ? new Parameter($"conv{Index}.bias", Filters, decay: false) : null;
        return new Shape(Filters, _outHeight, _outWidth);
    }

    private protected override void Initialize(ref SplitMix64 random) =>
        Initializers.Fill(Weights.Value, Initializer, _kernelSize, Filters * KernelHeight * KernelWidth, ref random);

    private void EnsureSlices(int slices)
    {
        if (_columns.Length >= slices) return;
        Array.Resize(ref _columns, slices);
        Array.Resize(ref _gathered, slices);
        Array.Resize(ref _weightPartial, slices);
        Array.Resize(ref _biasPartial, slices);
        Array.Resize(ref _packed, slices);
        Array.Resize(ref _paddedGroup, slices);
        Array.Resize(ref _runs, slices);
    }

    internal override bool CanFuseReLU => true;

    internal override bool CanFoldNorm => true;

    private readonly InferenceWeights _inference = new();
    // The weights and bias of the current forward pass (SelectWeights): the parameters, or a folded batch norm's.
    private float[] _forwardWeights = [];
    private float[]? _forwardBias;

    private void SelectWeights(bool training) => (_forwardWeights, _forwardBias) = _inference.Select(this, Weights, Bias, _kernelSize, training);

    private float ForwardBias(int f) => _forwardBias is null ? 0f : _forwardBias[f];

    internal override void WeightsChanged()
    {
        _inference.Invalidate();
        _transposedFrom = null;
        _winogradFrom = null;
        _panelsFrom = null;
    }

    public override void Forward(float[] x, float[] y, int n, PassInfo pass)
    {
        int slices = BatchParallel.Slices(n);
        EnsureSlices(slices);
        int outSize = OutputShape.Size;
        SelectWeights(pass.Training);
        bool relu = pass.Training ? FusedReLU : InferenceReLU, packed = UsePacked, broadcast = UseBroadcast;
        bool winograd = !pass.Training && UseWinograd(pooled: false); // inference only: training keeps the GEMM's sums
        if (broadcast) PrepareBroadcast();
        if (winograd) PrepareWinograd();
        PrepareWeightPanels(!pass.Training && packed && !broadcast && !winograd);
        BatchParallel.For(n, slices, (long)n * outSize * _kernelSize, (s, start, count) => ForwardRange(x, y, s, start, count, relu, packed, broadcast, winograd));
    }

    internal override bool HasRowForward => true;

    internal override void PrepareRows(int slices, int capacity)
    {
        EnsureSlices(slices);
        SelectWeights(training: false);
        if (UseBroadcast) PrepareBroadcast();
        if (UseWinograd(pooled: true)) PrepareWinograd(); // pooled or not, as the pass plans it
        PrepareWeightPanels(!UseBroadcast && !UseWinograd(pooled: false)); // a conv with unpooled Winograd has pooled Winograd too: no packed path
    }

    internal override void ForwardRows(float[] x, float[] y, int slice, int start, int count) =>
        ForwardRange(x, y, slice, start, count, InferenceReLU, UsePacked, UseBroadcast, UseWinograd(pooled: false));

    private void ForwardRange(float[] x, float[] y, int s, int start, int count, bool relu, bool packed, bool broadcast, bool winograd)
    {
        int inSize = InputShape.Size, outSize = OutputShape.Size;
        if (winograd)
        {
            ForwardWinograd(x, s, start, count, y, pooled: false, relu, 0, Filters);
            return;
        }
        if (broadcast)
        {
            ForwardBroadcast(x, s, start, count, y, relu, 0, Filters);
            return;
        }
        float[] columns = packed ? [] : Ensure(ref _columns[s], (long)_kernelSize * _group * _outPixels);
        float[] gathered = Ensure(ref _gathered[s], (long)Filters * _group * _outPixels + 16); // + 16: BiasIntoImages reads whole vectors
        for (int first = start; first < start + count; first += _group)
        {
            int g = Math.Min(_group, start + count - first), width = g * _outPixels;
            if (packed)
            {
                ForwardPacked(x, s, first, g, gathered);
                BiasIntoImages(gathered, width, first, g, y, relu);
                continue;
            }
            for (int j = 0; j < g; j++) Im2Col(x.AsSpan((first + j) * inSize, inSize), columns, j * _outPixels, width);
            if (g == 1)
            {
                Span<float> target = y.AsSpan(first * outSize, outSize);
                NeuralGemm.Multiply(false, false, Filters, _outPixels, _kernelSize, 1f, _forwardWeights, _kernelSize, columns, width, 0f, target, _outPixels);
                if (_forwardBias is not null)
                    for (int f = 0; f < Filters; f++) Kernels.AddBias(target.Slice(f * _outPixels, _outPixels), _forwardBias[f], relu);
                else if (relu) Kernels.ReLU(target);
            }
            else
            {
                NeuralGemm.Multiply(false, false, Filters, width, _kernelSize, 1f, _forwardWeights, _kernelSize, columns, width, 0f, gathered, width);
                for (int j = 0; j < g; j++)
                for (int f = 0; f < Filters; f++)
                {
                    ReadOnlySpan<float> source = gathered.AsSpan(f * width + j * _outPixels, _outPixels);
                    Span<float> target = y.AsSpan((first + j) * outSize + f * _outPixels, _outPixels);
                    Kernels.AddBias(source, ForwardBias(f), target, relu);
                }
            }
        }
    }

    /// <summary>
    /// y[first + j] = gathered's planes of image j (columns j*outPixels.., row f per filter) + bias, ReLU when
    /// <paramref name="relu"/>: the GEMM layout back to NCHW. Planes under 16 pixels (conv3's 3x3: 4,736 planes per
    /// group of 37 images, 9 floats each) go one 16-float vector per plane (a call per plane cost as much as its
    /// arithmetic); its extra lanes land on the next planes' first floats, which their stores write again, so the last
    /// planes of each image (whose vector would end past the image) take the exact path. Same float operations as
    /// Kernels.AddBias.
    /// </summary>
    private unsafe void BiasIntoImages(float[] gathered, int width, int first, int g, float[] y, bool relu)
    {
        int outSize = OutputShape.Size, pixels = _outPixels, filters = Filters;
        bool vector = pixels < 16 && Vector512.IsHardwareAccelerated;
        fixed (float* pg = gathered, py = y)
        {
            for (int j = 0; j < g; j++)
            {
                float* target = py + (long)(first + j) * outSize;
                int f = 0;
                if (vector)
                    for (; f * pixels + 16 <= outSize; f++) // the vector ends within this image's output
                    {
                        var v = Vector512.Load(pg + (long)f * width + j * pixels) + Vector512.Create(ForwardBias(f));
                        if (relu) v &= Vector512.GreaterThan(v, Vector512<float>.Zero);
                        v.Store(target + f * pixels);
                    }
                for (; f < filters; f++)
                    Kernels.AddBias(gathered.AsSpan(f * width + j * pixels, pixels), ForwardBias(f),
                        y.AsSpan((first + j) * outSize + f * pixels, pixels), relu);
            }
        }
    }

    public override void Backward(float[] x, float[] y, float[] dy, float[]? dx, int n)
    {
        int slices = BatchParallel.Slices(n);
        EnsureSlices(slices);
        int inSize = InputShape.Size, outSize = OutputShape.Size;
        bool relu = FusedReLU, rowFold = UseRowFold, tap = UseTapKernel;
        if (UseDirect && dx is null)
        {
            DirectBackward(x, y, dy, n, slices, relu);
            return;
        }
        if (tap) EnsureTapSlices(slices);
        // dL/dx without the column matrix (Conv2D.InputGradientDirect.cs) when the tap kernel makes the weight gradient.
        bool direct = tap && dx is not null && UseDirectInputGradient;
        if (direct) PrepareDirectInputGradient(slices);
        BatchParallel.For(n, slices, (long)n * outSize * _kernelSize * 2, (s, start, count) =>
        {
            // The weight gradient either by the tap kernel (Conv2D.WeightGradient.cs) or below with im2col + GEMM.
            if (tap) TapWeightGradientSlice(x, y, dy, s, start, count, relu);
            if (direct)
            {
                for (int i = start; i < start + count; i++) DirectInputGradient(dy, y, i, dx!, s, relu);
                return;
            }
            if (tap && dx is null) return;
            float[] columns = Ensure(ref _columns[s], (long)_kernelSize * _group * _outPixels);
            float[] gathered = Ensure(ref _gathered[s], (long)Filters * _group * _outPixels);
            float[] weightGrad = tap ? [] : Ensure(ref _weightPartial[s], Weights.Length);
            float[] biasGrad = tap ? [] : Ensure(ref _biasPartial[s], Filters);
            Array.Clear(biasGrad);
            if (dx is not null && !rowFold) Array.Clear(dx, start * inSize, count * inSize);
            bool firstGroup = true;
            for (int first = start; first < start + count; first += _group)
            {
                int g = Math.Min(_group, start + count - first), width = g * _outPixels;
                ReadOnlySpan<float> gradOut;
                if (g == 1 && !relu) gradOut = dy.AsSpan(first * outSize, outSize);
                else
                {
                    // Gather the group's planes side by side; with a fused ReLU, keep only where the output was positive.
                    for (int j = 0; j < g; j++)
                    for (int f = 0; f < Filters; f++)
                    {
                        int at = (first + j) * outSize + f * _outPixels;
                        Span<float> target = gathered.AsSpan(f * width + j * _outPixels, _outPixels);
                        if (relu) Kernels.MaskByPositive(y.AsSpan(at, _outPixels), dy.AsSpan(at, _outPixels), target);
                        else dy.AsSpan(at, _outPixels).CopyTo(target);
                    }
                    gradOut = gathered.AsSpan(0, Filters * width);
                }
                if (!tap)
                {
                    for (int f = 0; f < Filters; f++) biasGrad[f] += TensorPrimitives.Sum(gradOut.Slice(f * width, width));
                    for (int j = 0; j < g; j++) Im2Col(x.AsSpan((first + j) * inSize, inSize), columns, j * _outPixels, width);
                    NeuralGemm.Multiply(false, true, Filters, _kernelSize, width, 1f, gradOut, width, columns, width, firstGroup ? 0f : 1f, weightGrad, _kernelSize);
                    firstGroup = false;
                }
                if (dx is null) continue;
                // The unfolded input is no longer needed: reuse its buffer for the unfolded input gradient.
                NeuralGemm.Multiply(true, false, _kernelSize, width, Filters, 1f, Weights.Value, _kernelSize, gradOut, width, 0f, columns, width);
                for (int j = 0; j < g; j++)
                    if (rowFold) Col2ImRows(columns, j * _outPixels, width, dx.AsSpan((first + j) * inSize, inSize));
                    else Col2ImAdd(columns, j * _outPixels, width, dx.AsSpan((first + j) * inSize, inSize));
            }
        });
        if (tap) ReduceTapPartials(slices);
        else ReducePartials(_weightPartial, slices, Weights.Gradient);
        if (Bias is not null) ReducePartials(_biasPartial, slices, Bias.Gradient);
    }

    /// <summary>Adds the slices' partial gradients in slice order (fixed, so the sum is reproducible).</summary>
    internal static void ReducePartials(float[]?[] partials, int slices, Span<float> total)
    {
        partials[0].AsSpan(0, total.Length).CopyTo(total);
        for (int s = 1; s < slices; s++) TensorPrimitives.Add(total, partials[s].AsSpan(0, total.Length), total);
    }

    /// <summary>Unfolds one image: row (c, ki, kj) of the column matrix holds the input pixels that tap meets.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private unsafe void Im2Col(ReadOnlySpan<float> image, float[] columns, int columnOffset, int stride)
    {
        if (Stride != 1)
        {
            Im2ColStrided(image, columns, columnOffset, stride);
            return;
        }
        // Stride 1: every output row is one contiguous run of an input row (plus zero padding at the ends). The runs are
        // short (11 floats for cnn3's second conv), so they are copied with inline vectors, not span calls.
        int height = InputShape.Height, width = InputShape.Width, outH = _outHeight, outW = _outWidth;
        fixed (float* img = image, cols = columns)
        {
            for (int c = 0; c < _inChannels; c++)
            for (int ki = 0; ki < KernelHeight; ki++)
            for (int kj = 0; kj < KernelWidth; kj++)
            {
                int row = (c * KernelHeight + ki) * KernelWidth + kj;
                float* target = cols + (long)row * stride + columnOffset;
                int lo = Math.Clamp(_padLeft - kj, 0, outW), hi = Math.Clamp(width + _padLeft - kj, lo, outW);
                for (int oy = 0; oy < outH; oy++)
                {
                    float* outRow = target + oy * outW;
                    int iy = oy - _padTop + ki;
                    if ((uint)iy >= (uint)height)
                    {
                        new Span<float>(outRow, outW).Clear();
                        continue;
                    }
                    for (int ox = 0; ox < lo; ox++) outRow[ox] = 0f;
                    Copy(img + (c * height + iy) * width + lo - _padLeft + kj, outRow + lo, hi - lo);
                    for (int ox = hi; ox < outW; ox++) outRow[ox] = 0f;
                }
            }
        }
    }

    /// <summary>Copies a short run; the last vector overlaps the previous one instead of a scalar tail.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Copy(float* source, float* target, int count)
    {
        if (count >= 8)
        {
            int i = 0;
            for (; i <= count - 8; i += 8) Vector256.Store(Vector256.Load(source + i), target + i);
            if (i < count) Vector256.Store(Vector256.Load(source + count - 8), target + count - 8);
        }
        else if (count >= 4)
        {
            Vector128.Store(Vector128.Load(source), target);
            Vector128.Store(Vector128.Load(source + count - 4), target + count - 4);
        }
        else for (int i = 0; i < count; i++) target[i] = source[i];
    }

    /// <summary>target += source over a short run.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Add(float* source, float* target, int count)
    {
        int i = 0;
        for (; i <= count - 8; i += 8) Vector256.Store(Vector256.Load(target + i) + Vector256.Load(source + i), target + i);
        if (i <= count - 4)
        {
            Vector128.Store(Vector128.Load(target + i) + Vector128.Load(source + i), target + i);
            i += 4;
        }
        for (; i < count; i++) target[i] += source[i];
    }

    private void Im2ColStrided(ReadOnlySpan<float> image, float[] columns, int columnOffset, int stride)
    {
        int height = InputShape.Height, width = InputShape.Width;
        for (int c = 0; c < _inChannels; c++)
        for (int ki = 0; ki < KernelHeight; ki++)
        for (int kj = 0; kj < KernelWidth; kj++)
        {
            int row = (c * KernelHeight + ki) * KernelWidth + kj;
            Span<float> target = columns.AsSpan(row * stride + columnOffset, _outPixels);
            for (int oy = 0; oy < _outHeight; oy++)
            {
                Span<float> outRow = target.Slice(oy * _outWidth, _outWidth);
                int iy = oy * Stride - _padTop + ki;
                if ((uint)iy >= (uint)height)
                {
                    outRow.Clear();
                    continue;
                }
                ReadOnlySpan<float> inRow = image.Slice((c * height + iy) * width, width);
                for (int ox = 0; ox < _outWidth; ox++)
                {
                    int ix = ox * Stride - _padLeft + kj;
                    outRow[ox] = (uint)ix < (uint)width ? inRow[ix] : 0f;
                }
            }
        }
    }

    /// <summary>The adjoint of <see cref="Im2Col"/>: adds each column entry back onto the input pixel it came from.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private unsafe void Col2ImAdd(float[] columns, int columnOffset, int stride, Span<float> image)
    {
        int height = InputShape.Height, width = InputShape.Width;
        fixed (float* cols = columns, img = image)
        {
            for (int c = 0; c < _inChannels; c++)
            for (int ki = 0; ki < KernelHeight; ki++)
            for (int kj = 0; kj < KernelWidth; kj++)
            {
                int row = (c * KernelHeight + ki) * KernelWidth + kj;
                float* source = cols + (long)row * stride + columnOffset;
                int lo = 0, hi = _outWidth;
                if (Stride == 1)
                {
                    lo = Math.Clamp(_padLeft - kj, 0, _outWidth);
                    hi = Math.Clamp(width + _padLeft - kj, lo, _outWidth);
                }
                for (int oy = 0; oy < _outHeight; oy++)
                {
                    int iy = oy * Stride - _padTop + ki;
                    if ((uint)iy >= (uint)height) continue;
                    float* colRow = source + oy * _outWidth;
                    float* inRow = img + (c * height + iy) * width;
                    if (Stride == 1)
                    {
                        if (hi > lo) Add(colRow + lo, inRow + lo - _padLeft + kj, hi - lo);
                    }
                    else
                    {
                        for (int ox = 0; ox < _outWidth; ox++)
                        {
                            int ix = ox * Stride - _padLeft + kj;
                            if ((uint)ix < (uint)width) inRow[ix] += colRow[ox];
                        }
                    }
                }
            }
        }
    }
}
