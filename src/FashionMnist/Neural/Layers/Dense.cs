using FashionMnist.Numerics;

namespace FashionMnist.Neural.Layers;

/// <summary>
/// Fully connected layer: y = x Wᵀ + b with W stored <c>units x inputs</c>. Forward and dL/dx split the batch
/// rows across threads; dL/dW splits the output units, so no partial sums are needed at all.
/// </summary>
internal sealed class Dense : Layer
{
    private int _inputs;

    public Dense(int units, Initializer initializer = Initializer.He, bool useBias = true)
    {
        if (units < 1) throw new LayerConfigurationException($"units must be at least 1, got {units}");
        Units = units;
        Initializer = initializer;
        UseBias = useBias;
    }

    public override string Kind => "dense";
    public int Units { get; }
    public Initializer Initializer { get; }
    public bool UseBias { get; }
    public Parameter Weights { get; private set; } = null!;
    public Parameter? Bias { get; private set; }

    public override IReadOnlyList<Parameter> Parameters => Bias is null ? [Weights] : [Weights, Bias];

    public override IReadOnlyList<(string Name, object Value)> Settings => [("units", Units), ("init", Initializer), ("bias", UseBias)];

    protected override Shape Configure(Shape input)
    {
        if (!input.IsFlat)
            throw new LayerConfigurationException($"it needs a flat input but gets {input} (put a flatten or globalavgpool layer before it)");
        AllowParameters((long)Units * input.Channels + (UseBias ? Units : 0));
        _inputs = input.Channels;
        Weights = new Parameter($"dense{Index}.weights", Units * _inputs, decay: true);
        Bias = UseBias ? new Parameter($"dense{Index}.bias", Units, decay: false) : null;
        return Shape.Flat(Units);
    }

    private protected override void Initialize(ref SplitMix64 random) => Initializers.Fill(Weights.Value, Initializer, _inputs, Units, ref random);

    internal override bool CanFuseReLU => true;

    private float[]? _maskedGradient;

    private float[]? _packedWeights;
    private float[]? _packedFrom;
    private bool _weightsFrozen, _packedCurrent;

    internal override void SetWeightsFrozen(bool frozen) => _weightsFrozen = frozen;

    internal override void WeightsChanged()
    {
        _packedCurrent = false;
        _inference.Invalidate();
    }

    internal override bool CanFoldNorm => true;

    private readonly InferenceWeights _inference = new();
    // The weights and bias of the current forward pass (SelectWeights): the parameters, or a folded batch norm's.
    private float[] _forwardWeights = [];
    private float[]? _forwardBias;

    private void SelectWeights(bool training) => (_forwardWeights, _forwardBias) = _inference.Select(this, Weights, Bias, _inputs, training);

    /// <summary>
    /// While the network's weights are frozen (<see cref="Sequential.FreezeWeights"/>: a prediction over many
    /// chunks), Wᵀ packed once into the GEMM's B panels; otherwise null and every multiply packs W itself: per thread
    /// and per K block, 200K floats for the mlp's first layer per 250-image slice. Layers narrower than one panel
    /// (the 10-unit output) use them only for a few rows (<see cref="UsesPackedWeights"/>).
    /// What is packed is the inference weights (<see cref="SelectWeights"/>, called before): a folded batch norm's.
    /// Training passes never use the packed panels.
    /// The sums are the ordinary multiply's (<see cref="ManagedGemm.MultiplyPrepackedB"/>), so outputs are identical.
    /// </summary>
    private float[]? FrozenPackedWeights()
    {
        if (!_weightsFrozen || NeuralGemm.Backend != GemmBackend.Managed) return null;
        if (!_packedCurrent || !ReferenceEquals(_packedFrom, _forwardWeights)) // folded or plain weights since the last packing
        {
            int nr = ManagedGemm.PackedPanelWidth;
            float[] packed = Ensure(ref _packedWeights, (long)(Units + nr - 1) / nr * nr * _inputs);
            ManagedGemm.PackPanels(true, _inputs, Units, _forwardWeights, _inputs, packed);
            (_packedCurrent, _packedFrom) = (true, _forwardWeights);
        }
        return _packedWeights;
    }

    public override void Forward(float[] x, float[] y, int n, PassInfo pass)
    {
        bool relu = pass.Training ? FusedReLU : InferenceReLU;
        SelectWeights(pass.Training);
        float[]? packed = pass.Training ? null : FrozenPackedWeights();
        BatchParallel.For(n, (long)n * _inputs * Units, (s, start, count) => ForwardRange(x, y, start, count, packed, relu));
    }

    private float[]? _rowsPacked;

    internal override bool HasRowForward => true;

    internal override void PrepareRows(int slices, int capacity)
    {
        SelectWeights(training: false);
        _rowsPacked = FrozenPackedWeights();
    }

    internal override void ForwardRows(float[] x, float[] y, int slice, int start, int count) =>
        ForwardRange(x, y, start, count, _rowsPacked, InferenceReLU);

    private void ForwardRange(float[] x, float[] y, int start, int count, float[]? packed, bool relu)
    {
        Span<float> output = y.AsSpan(start * Units, count * Units);
        if (packed is not null && UsesPackedWeights(count))
            ManagedGemm.MultiplyPrepackedB(count, Units, _inputs, x.AsSpan(start * _inputs, count * _inputs), _inputs, packed, 0f, output, Units);
        else
            NeuralGemm.Multiply(false, true, count, Units, _inputs, 1f, x.AsSpan(start * _inputs, count * _inputs), _inputs,
                _forwardWeights, _inputs, 0f, output, Units);
        if (_forwardBias is not null)
            for (int r = 0; r < count; r++) Kernels.AddBias(output.Slice(r * Units, Units), _forwardBias, relu);
        else if (relu) Kernels.ReLU(output);
    }

    /// <summary>
    /// Whether <paramref name="rows"/> rows multiply with the packed weights. A layer narrower than one panel (the 10-unit
    /// output) does so only for up to one panel width of rows: on many rows the ordinary multiply turns C around so the
    /// short side is padded less (250 rows: 10.8 against 14.7 µs), on a few it packed W again per call (six rows: 2.5
    /// against 0.5 µs). Either way the sums are the same.
    /// </summary>
    private bool UsesPackedWeights(int rows) => Units >= ManagedGemm.PackedPanelWidth || rows <= ManagedGemm.PackedPanelWidth;

    /// <summary>
    /// One parallel region: slice s computes dL/dW and dL/db for its range of output units (sums over the whole
    /// batch, no partial sums) and dL/dx for its range of batch rows.
    /// </summary>
    public override void Backward(float[] x, float[] y, float[] dy, float[]? dx, int n)
    {
        float[] gradient = dy;
        if (FusedReLU)
        {
            gradient = Ensure(ref _maskedGradient, (long)n * Units);
            Kernels.MaskByPositive(y.AsSpan(0, n * Units), dy.AsSpan(0, n * Units), gradient);
        }
        int slices = Math.Min(BatchParallel.Slices(Units), BatchParallel.Slices(n));
        BatchParallel.ForSlices(slices, (long)n * _inputs * Units * (dx is null ? 1 : 2), s =>
        {
            var (first, count) = BatchParallel.Range(Units, slices, s);
            NeuralGemm.Multiply(true, false, count, _inputs, n, 1f, gradient.AsSpan(first), Units, x, _inputs, 0f,
                Weights.Gradient.AsSpan(first * _inputs, count * _inputs), _inputs);
            if (Bias is not null)
            {
                Span<float> biasGrad = Bias.Gradient.AsSpan(first, count);
                biasGrad.Clear();
                for (int r = 0; r < n; r++)
                {
                    ReadOnlySpan<float> row = gradient.AsSpan(r * Units + first, count);
                    System.Numerics.Tensors.TensorPrimitives.Add(biasGrad, row, biasGrad);
                }
            }
            if (dx is null) return;
            var (start, rows) = BatchParallel.Range(n, slices, s);
            NeuralGemm.Multiply(false, false, rows, _inputs, Units, 1f, gradient.AsSpan(start * Units, rows * Units), Units,
                Weights.Value, _inputs, 0f, dx.AsSpan(start * _inputs, rows * _inputs), _inputs);
        });
    }
}
