using System.Numerics.Tensors;

namespace FashionMnist.Neural.Layers;

/// <summary>
/// Batch normalisation per channel: over batch and pixels for conv outputs (2-D), over the batch for flat
/// vectors (1-D). Training normalises with the batch's mean and (biased) variance and updates running
/// estimates (running = momentum·running + (1 − momentum)·batch, with the unbiased variance); inference uses the
/// running estimates. Threads split the channels, so every channel's statistics come from one thread in a fixed order.
/// </summary>
internal sealed class BatchNorm : Layer
{
    private int _channels, _pixels;
    private float[] _runningMean = [], _runningVariance = [], _batchMean = [], _batchInvStd = [];

    public BatchNorm(float momentum = 0.9f, float epsilon = 1e-5f)
    {
        if (!(momentum >= 0 && momentum < 1)) throw new LayerConfigurationException($"momentum must be in [0, 1), got {momentum}");
        if (!(epsilon > 0 && epsilon < 1)) throw new LayerConfigurationException($"epsilon must be in (0, 1), got {epsilon}");
        Momentum = momentum;
        Epsilon = epsilon;
    }

    public override string Kind => "batchnorm";
    public float Momentum { get; }
    public float Epsilon { get; }
    public Parameter Gamma { get; private set; } = null!;
    public Parameter Beta { get; private set; } = null!;

    public override IReadOnlyList<Parameter> Parameters => [Gamma, Beta];
    public override IReadOnlyList<float[]> States => [_runningMean, _runningVariance];
    public override IReadOnlyList<(string Name, object Value)> Settings => [("momentum", Momentum), ("epsilon", Epsilon)];

    protected override Shape Configure(Shape input)
    {
        AllowParameters(4L * input.Channels);
        _channels = input.Channels;
        _pixels = input.Height * input.Width;
        Gamma = new Parameter($"batchnorm{Index}.gamma", _channels, decay: false);
        Beta = new Parameter($"batchnorm{Index}.beta", _channels, decay: false);
        _runningMean = new float[_channels];
        _runningVariance = new float[_channels];
        _batchMean = new float[_channels];
        _batchInvStd = new float[_channels];
        return input;
    }

    private protected override void Initialize(ref SplitMix64 random)
    {
        Gamma.Value.AsSpan().Fill(1f);
        _runningVariance.AsSpan().Fill(1f);
    }

    internal override bool CanFuseReLU => true;

    /// <summary>Tests switch the 8-channel path of flat inputs off to compare it with the per-channel loop.</summary>
    internal bool FlatPathAllowed { get; init; } = true;

    public override void Forward(float[] x, float[] y, int n, PassInfo pass)
    {
        int size = InputShape.Size;
        bool relu = FusedReLU;
        BatchParallel.For(_channels, (long)n * size, (s, first, count) =>
        {
            int c = first;
            if (_pixels == 1 && pass.Training && FlatPathAllowed) c = ForwardFlat(x, y, n, first, count, relu);
            for (; c < first + count; c++)
            {
                float scale, shift;
                if (pass.Training)
                {
                    // Two passes (mean, then squared deviations) for accuracy; each plane in float SIMD, planes summed in double.
                    double sum = 0;
                    for (int i = 0; i < n; i++) sum += TensorPrimitives.Sum(x.AsSpan(i * size + c * _pixels, _pixels));
                    long m = (long)n * _pixels;
                    double mean = sum / m, squares = 0;
                    for (int i = 0; i < n; i++) squares += Kernels.SumSquaredDeviations(x.AsSpan(i * size + c * _pixels, _pixels), (float)mean);
                    (scale, shift) = Statistics(c, mean, squares, m);
                }
                else (scale, shift) = InferenceScaleShift(c);
                for (int i = 0; i < n; i++)
                {
                    int at = i * size + c * _pixels;
                    Kernels.ScaleShift(x.AsSpan(at, _pixels), scale, shift, y.AsSpan(at, _pixels), relu);
                }
            }
        });
    }

    /// <summary>Inference scale and shift of channel c: y = x·scale + shift (the running statistics).</summary>
    private (float Scale, float Shift) InferenceScaleShift(int c)
    {
        float scale = Gamma.Value[c] / MathF.Sqrt(_runningVariance[c] + Epsilon);
        return (scale, Beta.Value[c] - _runningMean[c] * scale);
    }

    /// <summary>
    /// This norm folded into the layer before it (rows of <paramref name="rowLength"/> weights per output channel):
    /// foldedWeights[c, ·] = weights[c, ·]·scale[c], foldedBias[c] = bias[c]·scale[c] + shift[c] (bias empty: 0).
    /// The products round differently from normalising the layer's output, so outputs agree to float rounding, not bits.
    /// </summary>
    internal void Fold(ReadOnlySpan<float> weights, int rowLength, ReadOnlySpan<float> bias, Span<float> foldedWeights, Span<float> foldedBias)
    {
        for (int c = 0; c < _channels; c++)
        {
            var (scale, shift) = InferenceScaleShift(c);
            TensorPrimitives.Multiply(weights.Slice(c * rowLength, rowLength), scale, foldedWeights.Slice(c * rowLength, rowLength));
            foldedBias[c] = bias.IsEmpty ? shift : bias[c] * scale + shift;
        }
    }

    internal override bool HasRowForward => true;

    /// <summary>The inference pass of rows [start, start + count): the same operations as <see cref="Forward"/>'s, row by row.</summary>
    internal override void ForwardRows(float[] x, float[] y, int slice, int start, int count)
    {
        int size = InputShape.Size;
        bool relu = FusedReLU;
        for (int c = 0; c < _channels; c++)
        {
            var (scale, shift) = InferenceScaleShift(c);
            for (int i = start; i < start + count; i++)
            {
                int at = i * size + c * _pixels;
                Kernels.ScaleShift(x.AsSpan(at, _pixels), scale, shift, y.AsSpan(at, _pixels), relu);
            }
        }
    }

    /// <summary>Channel c's batch statistics from its mean and sum of squared deviations over m values; returns its scale and shift.</summary>
    private (float Scale, float Shift) Statistics(int c, double mean, double squares, long m)
    {
        double variance = squares / m;
        float invStd = (float)(1.0 / Math.Sqrt(variance + Epsilon));
        _batchMean[c] = (float)mean;
        _batchInvStd[c] = invStd;
        _runningMean[c] = (float)(Momentum * _runningMean[c] + (1 - Momentum) * mean);
        double unbiased = m > 1 ? variance * m / (m - 1) : variance;
        _runningVariance[c] = (float)(Momentum * _runningVariance[c] + (1 - Momentum) * unbiased);
        float scale = Gamma.Value[c] * invStd;
        return (scale, Beta.Value[c] - (float)mean * scale);
    }

    /// <summary>
    /// Training forward of a flat input (one value per channel and sample: the batch norm after a dense layer) for 8
    /// channels at a time, from <paramref name="first"/>; returns the first channel it left to the per-channel loop.
    /// The per-channel loop made a kernel call per value (128 x 256 of them for cnn-deep's dense BN: 0.59 CPU-ms
    /// forward). Each lane does exactly the per-channel arithmetic: a plane of one value sums to that value in float,
    /// samples are added in double in order, the squared deviation is taken in float, scale and shift as ScaleShift.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private unsafe int ForwardFlat(float[] x, float[] y, int n, int first, int count, bool relu)
    {
        int channels = _channels, c = first;
        if (!Vector256.IsHardwareAccelerated) return c;
        Span<double> means = stackalloc double[8], squares = stackalloc double[8];
        Span<float> scales = stackalloc float[8], shifts = stackalloc float[8];
        fixed (float* px = x, py = y)
        {
            for (; c + 8 <= first + count; c += 8)
            {
                Vector256<double> sumLo = Vector256<double>.Zero, sumHi = Vector256<double>.Zero;
                for (int i = 0; i < n; i++)
                {
                    var v = Vector256.Load(px + (long)i * channels + c);
                    sumLo += Vector256.WidenLower(v);
                    sumHi += Vector256.WidenUpper(v);
                }
                long m = n;
                var meanLo = sumLo / Vector256.Create((double)m);
                var meanHi = sumHi / Vector256.Create((double)m);
                var meanF = Vector256.Create((float)meanLo[0], (float)meanLo[1], (float)meanLo[2], (float)meanLo[3],
                    (float)meanHi[0], (float)meanHi[1], (float)meanHi[2], (float)meanHi[3]);
                Vector256<double> sqLo = Vector256<double>.Zero, sqHi = Vector256<double>.Zero;
                for (int i = 0; i < n; i++)
                {
                    var d = Vector256.Load(px + (long)i * channels + c) - meanF;
                    var dd = d * d;
                    sqLo += Vector256.WidenLower(dd);
                    sqHi += Vector256.WidenUpper(dd);
                }
                meanLo.CopyTo(means);
                meanHi.CopyTo(means[4..]);
                sqLo.CopyTo(squares);
                sqHi.CopyTo(squares[4..]);
                for (int k = 0; k < 8; k++) (scales[k], shifts[k]) = Statistics(c + k, means[k], squares[k], m);
                var scale = Vector256.Create<float>(scales);
                var shift = Vector256.Create<float>(shifts);
                for (int i = 0; i < n; i++)
                {
                    var v = Vector256.Load(px + (long)i * channels + c) * scale + shift;
                    if (relu) v &= Vector256.GreaterThan(v, Vector256<float>.Zero);
                    v.Store(py + (long)i * channels + c);
                }
            }
        }
        return c;
    }

    public override void Backward(float[] x, float[] y, float[] dy, float[]? dx, int n)
    {
        int size = InputShape.Size;
        bool relu = FusedReLU;
        BatchParallel.For(_channels, (long)n * size * 2, (s, first, count) =>
        {
            int c = first;
            if (_pixels == 1 && FlatPathAllowed) c = BackwardFlat(x, y, dy, dx, n, first, count, relu);
            for (; c < first + count; c++)
            {
                float mean = _batchMean[c], invStd = _batchInvStd[c];
                // The forward pass's scale and shift (same float operations): the fused ReLU's y > 0 is recomputed from x.
                float normScale = Gamma.Value[c] * invStd, normShift = Beta.Value[c] - mean * normScale;
                double sumDy = 0, sumDyCentered = 0;
                for (int i = 0; i < n; i++)
                {
                    int at = i * size + c * _pixels;
                    var (g, gx) = Kernels.GradientSums(x.AsSpan(at, _pixels), dy.AsSpan(at, _pixels), mean, relu, normScale, normShift);
                    sumDy += g;
                    sumDyCentered += gx;
                }
                var (scale, meanDy, meanDyXhat) = ParameterGradients(c, sumDy, sumDyCentered, (long)n * _pixels);
                if (dx is null) continue;
                for (int i = 0; i < n; i++)
                {
                    int at = i * size + c * _pixels;
                    Kernels.BatchNormInputGradient(x.AsSpan(at, _pixels), dy.AsSpan(at, _pixels), dx.AsSpan(at, _pixels),
                        mean, invStd, scale, meanDy, meanDyXhat, relu, normScale, normShift);
                }
            }
        });
    }

    /// <summary>Channel c's gamma and beta gradients from its sums over m values; returns what its dL/dx needs.</summary>
    private (float Scale, float MeanDy, float MeanDyXhat) ParameterGradients(int c, double sumDy, double sumDyCentered, long m)
    {
        float invStd = _batchInvStd[c];
        double sumDyXhat = sumDyCentered * invStd;
        Gamma.Gradient[c] = (float)sumDyXhat;
        Beta.Gradient[c] = (float)sumDy;
        return (Gamma.Value[c] * invStd, (float)(sumDy / m), (float)(sumDyXhat / m));
    }

    /// <summary>
    /// Backward of <see cref="ForwardFlat"/>'s case, 8 channels at a time (0.59 CPU-ms per step for cnn-deep's dense BN as
    /// one kernel call per value); each lane does the per-channel loop's arithmetic (Kernels.GradientSums on one value,
    /// sums in double in sample order, Kernels.BatchNormInputGradient's expression). Returns the first channel left.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private unsafe int BackwardFlat(float[] x, float[] y, float[] dy, float[]? dx, int n, int first, int count, bool relu)
    {
        int channels = _channels, c = first;
        if (!Vector256.IsHardwareAccelerated) return c;
        Span<double> sums = stackalloc double[16];
        Span<float> factors = stackalloc float[24];
        fixed (float* px = x, py = y, pdy = dy, pMean = _batchMean, pInvStd = _batchInvStd)
        {
            for (; c + 8 <= first + count; c += 8)
            {
                var mean = Vector256.Load(pMean + c);
                Vector256<double> gLo = Vector256<double>.Zero, gHi = Vector256<double>.Zero, gxLo = Vector256<double>.Zero, gxHi = Vector256<double>.Zero;
                for (int i = 0; i < n; i++)
                {
                    long at = (long)i * channels + c;
                    var g = Vector256.Load(pdy + at);
                    if (relu) g &= Vector256.GreaterThan(Vector256.Load(py + at), Vector256<float>.Zero);
                    var gx = g * (Vector256.Load(px + at) - mean);
                    gLo += Vector256.WidenLower(g);
                    gHi += Vector256.WidenUpper(g);
                    gxLo += Vector256.WidenLower(gx);
                    gxHi += Vector256.WidenUpper(gx);
                }
                gLo.CopyTo(sums);
                gHi.CopyTo(sums[4..]);
                gxLo.CopyTo(sums[8..]);
                gxHi.CopyTo(sums[12..]);
                for (int k = 0; k < 8; k++)
                    (factors[k], factors[8 + k], factors[16 + k]) = ParameterGradients(c + k, sums[k], sums[8 + k], n);
                if (dx is null) continue;
                var scale = Vector256.Create<float>(factors[..8]);
                var meanDy = Vector256.Create<float>(factors[8..16]);
                var meanDyXhat = Vector256.Create<float>(factors[16..]);
                var invStd = Vector256.Load(pInvStd + c);
                fixed (float* pdx = dx)
                    for (int i = 0; i < n; i++)
                    {
                        long at = (long)i * channels + c;
                        var g = Vector256.Load(pdy + at);
                        if (relu) g &= Vector256.GreaterThan(Vector256.Load(py + at), Vector256<float>.Zero);
                        var xhat = (Vector256.Load(px + at) - mean) * invStd;
                        (scale * (g - meanDy - xhat * meanDyXhat)).Store(pdx + at);
                    }
            }
        }
        return c;
    }
}
