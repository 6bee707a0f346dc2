namespace FashionMnist.Neural.Layers;

/// <summary>What a forward pass is for: training (batch statistics, dropout) or inference.</summary>
/// <param name="Training">True while fitting.</param>
/// <param name="RandomKey">Seeds this pass's randomness (dropout masks); fixed per training step.</param>
internal readonly record struct PassInfo(bool Training, ulong RandomKey)
{
    public static PassInfo Inference => new(false, 0);
}

/// <summary>A spec problem inside one layer; <see cref="Sequential"/> adds the layer's index and name.</summary>
internal sealed class LayerConfigurationException(string message) : Exception(message);

/// <summary>
/// One layer: a forward/backward pair over contiguous NCHW float buffers of <c>n x shape.Size</c>.
/// Forward writes y from x; Backward gets x, y and dL/dy, overwrites its parameters' gradients and, when
/// asked, writes dL/dx. Scratch memory is owned by the layer and grown only when the batch grows, so the
/// hot path does not allocate. A layer instance is not safe for concurrent passes.
/// </summary>
internal abstract class Layer
{
    /// <summary>The name used in spec files: "conv2d", "dense", "relu", ...</summary>
    public abstract string Kind { get; }

    public Shape InputShape { get; private set; }
    public Shape OutputShape { get; private set; }
    public bool IsBuilt { get; private set; }

    /// <summary>Position in the network (for messages and random streams).</summary>
    public int Index { get; private set; }

    /// <summary>Trainable tensors (weights, biases, scales).</summary>
    public virtual IReadOnlyList<Parameter> Parameters => [];

    /// <summary>Learned but not trained tensors that inference needs (batch-norm running statistics).</summary>
    public virtual IReadOnlyList<float[]> States => [];

    /// <summary>The constructor arguments, as written in a spec file.</summary>
    public virtual IReadOnlyList<(string Name, object Value)> Settings => [];

    /// <summary>Parameters this layer may still allocate (the network's budget minus what earlier layers took).</summary>
    private long _parameterAllowance = long.MaxValue;
    private NetworkLimits _limits = NetworkLimits.Default;

    internal void Build(Shape input, int index, ref SplitMix64 random, NetworkLimits? limits = null, long parameterAllowance = long.MaxValue)
    {
        Index = index;
        InputShape = input;
        _limits = limits ?? NetworkLimits.Default;
        _parameterAllowance = Math.Min(parameterAllowance, _limits.MaxParameters);
        OutputShape = Configure(input);
        if (OutputShape.Channels < 1 || OutputShape.Height < 1 || OutputShape.Width < 1)
            throw new LayerConfigurationException($"its output would be {OutputShape}, which is empty");
        long values = (long)OutputShape.Channels * OutputShape.Height * OutputShape.Width;
        if (values > _limits.MaxValuesPerImage)
            throw new LayerConfigurationException($"its output has {values:N0} values per image, more than the {_limits.MaxValuesPerImage:N0} allowed");
        Initialize(ref random);
        IsBuilt = true;
    }

    /// <summary>
    /// Called by <see cref="Configure"/> before it allocates <paramref name="count"/> parameters (and state values):
    /// a network from a spec or a model file asking for more than its budget is refused before any allocation.
    /// </summary>
    protected long AllowParameters(long count)
    {
        if (count > _parameterAllowance)
            throw new LayerConfigurationException(_parameterAllowance < _limits.MaxParameters
                ? $"it needs {count:N0} parameters, more than the {_parameterAllowance:N0} left of the network's budget ({_limits.Describe})"
                : $"it needs {count:N0} parameters, more than the {_limits.MaxParameters:N0} a network may have");
        return count;
    }

    /// <summary>Checks the input shape, sizes parameters, and returns the output shape.</summary>
    protected abstract Shape Configure(Shape input);

    private protected virtual void Initialize(ref SplitMix64 random) { }

    /// <summary>Draws the initial weights again (a layer inside a nested network gets its stream this way).</summary>
    internal void Reinitialize(ref SplitMix64 random) => Initialize(ref random);

    /// <summary>
    /// Set by <see cref="Sequential.FreezeWeights"/> around a prediction: until it is cleared the parameters do not change,
    /// so a layer may keep them in a prepared form across inference passes (and must drop it when cleared).
    /// </summary>
    internal virtual void SetWeightsFrozen(bool frozen) { }

    /// <summary>
    /// Called by <see cref="Sequential.WeightsChanged"/> when this layer's parameters or states (or those of a batch norm
    /// folded into it) may have changed: drops whatever the layer prepared from them for inference (folds, transposed
    /// or packed weights), which it otherwise keeps from one prediction to the next.
    /// </summary>
    internal virtual void WeightsChanged() { }

    /// <summary>Drops scratch buffers that come back on the next pass (layers holding a nested network release its buffers).</summary>
    internal virtual void ReleaseBuffers() { }

    public abstract void Forward(float[] x, float[] y, int n, PassInfo pass);

    /// <summary>Whether <see cref="ForwardRows"/> can run this layer's inference pass on a range of rows.</summary>
    internal virtual bool HasRowForward => false;

    /// <summary>
    /// Before the <see cref="ForwardRows"/> calls of an inference pass (on the calling thread): scratch for
    /// <paramref name="slices"/> concurrent row ranges of up to <paramref name="capacity"/> rows in all, and whatever the
    /// ranges share (transposed or packed weights).
    /// </summary>
    internal virtual void PrepareRows(int slices, int capacity) { }

    /// <summary>
    /// The inference forward pass of rows [start, start + count) of x into the same rows of y, on the calling thread with
    /// slice <paramref name="slice"/>'s scratch: exactly what <see cref="Forward"/> computes for those rows (every layer
    /// with a row forward computes each row on its own, whatever the rows around it).
    /// </summary>
    internal virtual void ForwardRows(float[] x, float[] y, int slice, int start, int count) => throw new NotSupportedException(Kind);

    /// <summary>Writes parameter gradients from dL/dy (<paramref name="dy"/>) and, unless <paramref name="dx"/> is null, dL/dx.</summary>
    /// <param name="x">The forward pass's input.</param>
    /// <param name="y">The forward pass's output.</param>
    /// <param name="dy">dL/dy.</param>
    /// <param name="dx">Where dL/dx goes; null when no one needs it (the first layer).</param>
    /// <param name="n">Samples in the batch.</param>
    public abstract void Backward(float[] x, float[] y, float[] dy, float[]? dx, int n);

    /// <summary>Layers that only reshape can let the network share their input buffer.</summary>
    internal virtual bool IsReshape => false;

    /// <summary>True when this pass leaves the values unchanged (dropout at inference): the network skips the layer.</summary>
    internal virtual bool IsIdentity(PassInfo pass) => IsReshape;

    /// <summary>Whether a ReLU next to this layer can be folded into it (see <see cref="FusedReLU"/>).</summary>
    internal virtual bool CanFuseReLU => false;

    /// <summary>
    /// Set by <see cref="Sequential"/> when the ReLU after this layer (or, for max-pooling, before it) is folded in:
    /// the layer applies max(·, 0) to its output and masks dL/dy by y &gt; 0 in backward, saving two passes over
    /// the activation. max-pool(relu(x)) = relu(max-pool(x)) because both are monotone.
    /// </summary>
    internal bool FusedReLU { get; set; }

    /// <summary>Whether a batch norm right after this layer can be folded into its weights and bias at inference.</summary>
    internal virtual bool CanFoldNorm => false;

    /// <summary>
    /// Set by <see cref="Sequential"/>'s plan: the batch norm right after this layer, which inference passes fold into
    /// this layer's weights and bias (w·s, b·s + t with the norm's s = γ/√(var + ε), t = β − mean·s) and skip. Training
    /// passes ignore it: they need the norm's batch statistics and gradients.
    /// </summary>
    internal BatchNorm? FoldedNorm { get; set; }

    /// <summary>Whether this layer's inference output gets a ReLU: its own folded one, or the folded norm's.</summary>
    internal bool InferenceReLU => FusedReLU || FoldedNorm is { FusedReLU: true };

    /// <summary>Switches batch-norm folding in nested networks (a residual block's); see <see cref="Sequential.FoldNorms"/>.</summary>
    internal virtual void SetNormFolding(bool fold) { }

    protected static float[] Ensure(ref float[]? buffer, long length)
    {
        if (buffer is null || buffer.Length < length) buffer = new float[checked((int)length)];
        return buffer;
    }

    protected static int[] Ensure(ref int[]? buffer, long length)
    {
        if (buffer is null || buffer.Length < length) buffer = new int[checked((int)length)];
        return buffer;
    }

    public override string ToString()
    {
        string args = string.Join(", ", Settings.Select(s => $"{s.Name}={Format(s.Value)}"));
        return args.Length == 0 ? Kind : $"{Kind}({args})";
    }

    internal static string Format(object value) => value switch
    {
        float f => f.ToString("R", System.Globalization.CultureInfo.InvariantCulture),
        double d => d.ToString("R", System.Globalization.CultureInfo.InvariantCulture),
        Enum e => e.ToString().ToLowerInvariant(),
        bool b => b ? "true" : "false",
        _ => Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture) ?? "",
    };
}
