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

    public override void Forward(float[] x, float[] y, int n, PassInfo pass)
    {
        int size = InputShape.Size;
        bool relu = FusedReLU;
        BatchParallel.For(_channels, (long)n * size, (s, first, count) =>
        {
            for (int c = first; c < first + count; c++)
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
                    double variance = squares / m;
                    float invStd = (float)(1.0 / Math.Sqrt(variance + Epsilon));
                    _batchMean[c] = (float)mean;
                    _batchInvStd[c] = invStd;
                    _runningMean[c] = (float)(Momentum * _runningMean[c] + (1 - Momentum) * mean);
                    double unbiased = m > 1 ? variance * m / (m - 1) : variance;
                    _runningVariance[c] = (float)(Momentum * _runningVariance[c] + (1 - Momentum) * unbiased);
                    scale = Gamma.Value[c] * invStd;
                    shift = Beta.Value[c] - (float)mean * scale;
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

    public override void Backward(float[] x, float[] y, float[] dy, float[]? dx, int n)
    {
        int size = InputShape.Size;
        bool relu = FusedReLU;
        BatchParallel.For(_channels, (long)n * size * 2, (s, first, count) =>
        {
            for (int c = first; c < first + count; c++)
            {
                float mean = _batchMean[c], invStd = _batchInvStd[c];
                double sumDy = 0, sumDyCentered = 0;
                for (int i = 0; i < n; i++)
                {
                    int at = i * size + c * _pixels;
                    var (g, gx) = Kernels.GradientSums(x.AsSpan(at, _pixels), relu ? y.AsSpan(at, _pixels) : default, dy.AsSpan(at, _pixels), mean);
                    sumDy += g;
                    sumDyCentered += gx;
                }
                double sumDyXhat = sumDyCentered * invStd;
                Gamma.Gradient[c] = (float)sumDyXhat;
                Beta.Gradient[c] = (float)sumDy;
                if (dx is null) continue;
                long m = (long)n * _pixels;
                float meanDy = (float)(sumDy / m), meanDyXhat = (float)(sumDyXhat / m), scale = Gamma.Value[c] * invStd;
                for (int i = 0; i < n; i++)
                {
                    int at = i * size + c * _pixels;
                    Kernels.BatchNormInputGradient(x.AsSpan(at, _pixels), relu ? y.AsSpan(at, _pixels) : default, dy.AsSpan(at, _pixels),
                        dx.AsSpan(at, _pixels), mean, invStd, scale, meanDy, meanDyXhat);
                }
            }
        });
    }
}
