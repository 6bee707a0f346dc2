using FashionMnist.Neural.Layers;

namespace FashionMnist.Neural;

/// <summary>
/// A stack of layers, declared fluently in the Keras style
/// (<c>new Sequential().Conv2D(32, 3).ReLU().MaxPool(2).Flatten().Dense(10)</c>), then
/// <see cref="Build"/>t for an input shape with seeded initial weights. After building it runs
/// forward and backward passes over batches of up to any size; activation and gradient buffers are
/// allocated for the largest batch seen and reused.
/// </summary>
internal sealed class Sequential
{
    private readonly List<Layer> _layers = [];
    private float[][] _outputs = [];
    private float[] _gradientA = [], _gradientB = [];
    private int _capacity, _passCount;
    // Per pass: the buffer holding each layer's output (its own, or its input's for a skipped layer) and whether it ran.
    private float[][] _passOutputs = [];
    private bool[] _skipped = [];
    // Fixed at Build: ReLUs folded into a neighbour, and which layers must produce dL/dx (some earlier layer has parameters).
    private bool[] _foldedReLU = [];
    private bool[] _needsInputGradient = [];
    // Fixed at Build: for a conv whose output (after a folded ReLU) feeds a 2x2/2 max-pool, the pool's index, else -1.
    // Inference passes run the two as one (Conv2D.ForwardPooled); training passes keep them apart.
    private int[] _pooledInto = [];
    // Fixed at Build: batch norms folded into the conv/dense before them for inference passes (Layer.FoldedNorm).
    private bool[] _normFolded = [];
    // Whether the last pass was an inference pass that fused layers (pooled in a conv, folded a norm): no backward then.
    private bool _passFused;
    private bool _foldNorms = true;

    /// <summary>Fold ReLUs into the neighbouring conv/dense/max-pool (on by default; tests switch it off to compare).</summary>
    internal bool FuseReLUs { get; init; } = true;

    /// <summary>
    /// Whether <see cref="BackwardToInput"/> must produce dL/dx of the input too (a network nested in a residual block):
    /// then the first layer computes its input gradient even though no parameters come before it.
    /// </summary>
    internal bool ProducesInputGradient { get; init; }

    /// <summary>Run conv → (ReLU) → 2x2 max-pool as one pass at inference (on by default; tests switch it off to compare).</summary>
    internal bool FusePooling { get; init; } = true;

    /// <summary>
    /// Fold each batch norm that directly follows a conv or dense layer into that layer's weights and bias for inference
    /// passes (on by default). Folding rounds differently from normalising the output, so tests switch it off (here and
    /// in nested residual blocks) to compare the two within a tolerance; training passes are the same either way.
    /// </summary>
    internal bool FoldNorms
    {
        get => _foldNorms;
        set
        {
            _foldNorms = value;
            if (!IsBuilt) return;
            PlanFusion();
            WeightsChanged(); // what the layers prepared was for the other plan
        }
    }

    public Shape InputShape { get; private set; } = Shape.Image;

    /// <summary>Optional hook around every layer's forward and backward call (per-layer profiling in the bench).</summary>
    public ILayerObserver? Observer { get; set; }
    public IReadOnlyList<Layer> Layers => _layers;
    public bool IsBuilt { get; private set; }
    public Shape OutputShape => IsBuilt ? _layers[^1].OutputShape : throw new InvalidOperationException("Build the network first.");

    public Sequential Input(Shape shape)
    {
        EnsureNotBuilt();
        InputShape = shape;
        return this;
    }

    public Sequential Add(Layer layer)
    {
        EnsureNotBuilt();
        _layers.Add(layer);
        return this;
    }

    public Sequential Conv2D(int filters, int kernel, int stride = 1, Padding padding = Padding.Valid, Initializer init = Initializer.He, bool bias = true) =>
        Add(new Conv2D(filters, kernel, kernel, stride, padding, init, bias));
    public Sequential Dense(int units, Initializer init = Initializer.He, bool bias = true) => Add(new Dense(units, init, bias));
    public Sequential MaxPool(int size, int? stride = null) => Add(new MaxPool2D(size, stride));
    public Sequential AvgPool(int size, int? stride = null) => Add(new AvgPool2D(size, stride));
    public Sequential GlobalAvgPool() => Add(new GlobalAvgPool());
    public Sequential Flatten() => Add(new Flatten());
    public Sequential Dropout(float rate) => Add(new Dropout(rate));
    public Sequential BatchNorm(float momentum = 0.9f, float epsilon = 1e-5f) => Add(new BatchNorm(momentum, epsilon));
    public Sequential ReLU() => Add(new ReLU());
    public Sequential LeakyReLU(float alpha = 0.01f) => Add(new LeakyReLU(alpha));
    public Sequential ELU(float alpha = 1f) => Add(new ELU(alpha));

    /// <summary>A residual block y = body(x) + x (or + a 1x1 projection when the body changes the shape): <c>.Residual(b =&gt; b.Conv2D(...).BatchNorm())</c>.</summary>
    public Sequential Residual(Func<Sequential, Sequential> body) => Add(new Residual(body(new Sequential())));

    /// <summary>
    /// Checks every layer against the shape it receives and draws initial weights from <paramref name="seed"/>
    /// (each layer from its own stream). Shape problems name the layer (1-based, as in a spec file).
    /// </summary>
    public Sequential Build(int seed, NetworkLimits? limits = null)
    {
        EnsureNotBuilt();
        if (_layers.Count == 0)
            throw new FashionMnistException("The network has no layers", "Add at least one layer (e.g. dense with 10 units).");
        limits ??= NetworkLimits.Default;
        Shape shape = InputShape;
        long allowance = limits.MaxParameters;
        for (int i = 0; i < _layers.Count; i++)
        {
            Layer layer = _layers[i];
            try
            {
                var random = new SplitMix64(SplitMix64.Key((ulong)seed, 0x5EED_1417, (ulong)i));
                layer.Build(shape, i, ref random, limits, allowance);
                allowance -= layer.Parameters.Sum(p => (long)p.Value.Length) + layer.States.Sum(s => (long)s.Length);
            }
            catch (LayerConfigurationException e)
            {
                throw new FashionMnistException($"Layer {i + 1} ({layer.Kind}) gets input {shape}: {e.Message}",
                    "Fix that layer in the architecture.");
            }
            shape = layer.OutputShape;
        }
        PlanFusion();
        IsBuilt = true;
        return this;
    }

    /// <summary>Draws every layer's initial weights again from the streams of <paramref name="key"/> (a nested network's own seed).</summary>
    internal void Reinitialize(ulong key)
    {
        EnsureBuilt();
        for (int i = 0; i < _layers.Count; i++)
        {
            var random = new SplitMix64(SplitMix64.Key(key, 0x5EED_1417, (ulong)i));
            _layers[i].Reinitialize(ref random);
        }
        WeightsChanged();
    }

    /// <summary>
    /// Decides which ReLUs are folded into a neighbour: relu → maxpool becomes maxpool with ReLU on its (4x smaller)
    /// output (pooling and ReLU commute); otherwise conv/dense → relu becomes a ReLU epilogue of the conv/dense.
    /// A folded ReLU is skipped: its output is its input buffer and its gradient passes straight through.
    /// </summary>
    private void PlanFusion()
    {
        int count = _layers.Count;
        _foldedReLU = new bool[count];
        _needsInputGradient = new bool[count];
        bool parametersBefore = ProducesInputGradient;
        for (int i = 0; i < count; i++)
        {
            _needsInputGradient[i] = parametersBefore;
            parametersBefore |= _layers[i].Parameters.Count > 0;
            _layers[i].FusedReLU = false;
        }
        _pooledInto = Enumerable.Repeat(-1, count).ToArray();
        _normFolded = new bool[count];
        foreach (Layer layer in _layers)
        {
            layer.FoldedNorm = null;
            layer.SetNormFolding(_foldNorms); // nested networks (residual blocks) follow this one
        }
        if (!FuseReLUs) return;
        for (int i = 0; i < count; i++)
        {
            if (_layers[i] is not FashionMnist.Neural.Layers.ReLU) continue;
            if (i + 1 < count && _layers[i + 1] is MaxPool2D pool)
            {
                pool.FusedReLU = true;
                _foldedReLU[i] = true;
            }
            else if (i > 0 && _layers[i - 1].CanFuseReLU && !_layers[i - 1].FusedReLU && _layers[i - 1] is not MaxPool2D)
            {
                _layers[i - 1].FusedReLU = true;
                _foldedReLU[i] = true;
            }
        }
        // conv/dense → batch norm (→ relu, folded into the norm or a pool): the norm folds into the conv/dense at inference.
        for (int i = 1; i < count && _foldNorms; i++)
        {
            if (_layers[i] is not BatchNorm norm || !_layers[i - 1].CanFoldNorm || _layers[i - 1].FusedReLU) continue;
            _layers[i - 1].FoldedNorm = norm;
            _normFolded[i] = true;
        }
        if (!FusePooling) return;
        for (int i = 0; i < count; i++)
        {
            if (_layers[i] is not FashionMnist.Neural.Layers.Conv2D { FusedReLU: false }) continue;
            int j = i + 1;
            while (j < count && (_foldedReLU[j] || _normFolded[j])) j++;
            if (j < count && _layers[j] is MaxPool2D pool && FashionMnist.Neural.Layers.Conv2D.CanPoolInto(pool)) _pooledInto[i] = j;
        }
    }

    /// <summary>
    /// The ReLU of conv <paramref name="conv"/> pooled into its max-pool at inference: the pool's folded one, or the one
    /// folded into the conv's folded norm (max-pool and ReLU commute, so either order gives the same values).
    /// </summary>
    private bool PooledReLU(int conv) => _layers[_pooledInto[conv]].FusedReLU || _layers[conv].InferenceReLU;

    /// <summary>
    /// Floats per sample of the largest activation an inference pass writes to memory (folded ReLUs and reshapes write
    /// none; a convolution pooled inside its pass writes only the pooled output). Inference chunks are sized by it.
    /// </summary>
    internal int LargestInferenceActivation
    {
        get
        {
            EnsureBuilt();
            int largest = 1;
            for (int i = 0; i < _layers.Count; i++)
                if (!_foldedReLU[i] && !_normFolded[i] && !_layers[i].IsReshape && _pooledInto[i] < 0) largest = Math.Max(largest, _layers[i].OutputShape.Size);
            return largest;
        }
    }

    public IEnumerable<Parameter> Parameters => _layers.SelectMany(l => l.Parameters);

    public IEnumerable<float[]> States => _layers.SelectMany(l => l.States);

    public long ParameterCount => Parameters.Sum(p => (long)p.Length);

    /// <summary>One line per layer: index, layer with its settings, output shape, parameter count.</summary>
    public string Describe()
    {
        var lines = new List<string> { $"input {InputShape}" };
        for (int i = 0; i < _layers.Count; i++)
        {
            Layer l = _layers[i];
            string shape = l.IsBuilt ? l.OutputShape.ToString() : "?";
            lines.Add($"{i + 1,3}  {l,-60} -> {shape,-10} {l.Parameters.Sum(p => p.Length),9:N0} params");
        }
        return string.Join(Environment.NewLine, lines);
    }

    /// <summary>Runs the layers on <paramref name="n"/> samples of <paramref name="input"/>; returns the output buffer (n x OutputShape.Size, valid until the next pass).</summary>
    public float[] Forward(float[] input, int n, PassInfo pass)
    {
        EnsureBuilt();
        if (input.Length < (long)n * InputShape.Size)
            throw new ArgumentException($"The input holds {input.Length} floats, fewer than {n} samples of {InputShape}.", nameof(input));
        EnsureCapacity(n);
        if (pass.Training) WeightsChanged(); // batch norm updates its running statistics, and an optimiser step follows
        float[] x = input;
        _passFused = false;
        for (int i = 0; i < _layers.Count; i++)
        {
            Layer layer = _layers[i];
            if (!pass.Training && _pooledInto[i] > i)
            {
                int pool = _pooledInto[i];
                Observer?.Begin(i, backward: false);
                ((FashionMnist.Neural.Layers.Conv2D)layer).ForwardPooled(x, _outputs[pool], n, PooledReLU(i));
                Observer?.End(i, backward: false);
                x = _outputs[pool];
                for (int k = i; k <= pool; k++)
                {
                    _skipped[k] = k != i;
                    _passOutputs[k] = x;
                }
                _passFused = true;
                i = pool;
                continue;
            }
            bool folded = !pass.Training && _normFolded[i];
            _passFused |= folded;
            _skipped[i] = _foldedReLU[i] || folded || layer.IsIdentity(pass);
            if (!_skipped[i])
            {
                Observer?.Begin(i, backward: false);
                layer.Forward(x, _outputs[i], n, pass);
                Observer?.End(i, backward: false);
                x = _outputs[i];
            }
            _passOutputs[i] = x;
        }
        _passCount = n;
        return x;
    }

    /// <summary>
    /// Whether an inference pass can run as <see cref="ForwardRows"/>: every layer the pass runs has a row forward
    /// (and no observer is attached: observers time whole layer calls on one thread).
    /// </summary>
    internal bool CanForwardRows
    {
        get
        {
            EnsureBuilt();
            if (Observer is not null) return false;
            for (int i = 0; i < _layers.Count; i++)
            {
                if (_pooledInto[i] > i) i = _pooledInto[i];
                else if (!_foldedReLU[i] && !_normFolded[i] && !_layers[i].IsIdentity(PassInfo.Inference) && !_layers[i].HasRowForward) return false;
            }
            return true;
        }
    }

    /// <summary>
    /// Readies an inference pass made of <see cref="ForwardRows"/> calls: buffers for <paramref name="capacity"/> rows,
    /// each layer's scratch for <paramref name="slices"/> concurrent row ranges and its shared preparation. Backward is
    /// refused until the next training <see cref="Forward"/>.
    /// </summary>
    internal void PrepareRows(int slices, int capacity)
    {
        EnsureBuilt();
        EnsureCapacity(capacity);
        for (int i = 0; i < _layers.Count; i++)
            if (!_foldedReLU[i] && !_normFolded[i] && !_layers[i].IsIdentity(PassInfo.Inference)) _layers[i].PrepareRows(slices, capacity);
        _passCount = 0;
        _passFused = true;
    }

    /// <summary>
    /// The inference pass of rows [start, start + count) of <paramref name="input"/> on the calling thread, with slice
    /// <paramref name="slice"/>'s scratch, after <see cref="PrepareRows"/>; returns the buffer holding those rows of the
    /// output. Several threads may run it at once on disjoint rows and slices. Each row gets the same bits as from
    /// <see cref="Forward"/> (every layer's row forward computes a row on its own).
    /// </summary>
    internal float[] ForwardRows(float[] input, int slice, int start, int count) => ForwardRowsInParts(input, slice, start, count, parts: 1);

    /// <summary>
    /// The inference pass of rows [0, <paramref name="count"/>) of <paramref name="input"/> (fewer rows than threads: one
    /// image at batch 1) with each convolution's filters split across <paramref name="parts"/> threads
    /// (<see cref="FashionMnist.Neural.Layers.Conv2D.ForwardFilterParts"/>), one fork and join per such convolution; the
    /// other layers run on the calling thread with slice 0's scratch. After <see cref="PrepareRows"/> with at least
    /// <paramref name="parts"/> slices. Each row gets the same bits as from <see cref="ForwardRows"/>.
    /// </summary>
    internal float[] ForwardFilterSplit(float[] input, int count, int parts) => ForwardRowsInParts(input, 0, 0, count, parts);

    /// <summary>The layer walk of <see cref="ForwardRows"/> and <see cref="ForwardFilterSplit"/>: with
    /// <paramref name="parts"/> above 1, each convolution that can splits its filters across that many threads.</summary>
    private float[] ForwardRowsInParts(float[] input, int slice, int start, int count, int parts)
    {
        float[] x = input;
        for (int i = 0; i < _layers.Count; i++)
        {
            Layer layer = _layers[i];
            if (_pooledInto[i] > i)
            {
                int pool = _pooledInto[i];
                var conv = (FashionMnist.Neural.Layers.Conv2D)layer;
                if (parts > 1 && conv.CanSplitFilters(pooled: true)) conv.ForwardFilterParts(x, _outputs[pool], count, parts, pooled: true, PooledReLU(i));
                else conv.ForwardPooledRows(x, _outputs[pool], slice, start, count, PooledReLU(i));
                x = _outputs[pool];
                i = pool;
                continue;
            }
            if (_foldedReLU[i] || _normFolded[i] || layer.IsIdentity(PassInfo.Inference)) continue;
            if (parts > 1 && layer is FashionMnist.Neural.Layers.Conv2D split && split.CanSplitFilters(pooled: false))
                split.ForwardFilterParts(x, _outputs[i], count, parts, pooled: false, split.InferenceReLU);
            else layer.ForwardRows(x, _outputs[i], slice, start, count);
            x = _outputs[i];
        }
        return x;
    }

    /// <summary>
    /// Back-propagates dL/d(output) through the layers of the last <see cref="Forward"/> (same input, same n),
    /// overwriting every parameter's gradient.
    /// </summary>
    public void Backward(float[] input, float[] outputGradient, int n) => BackwardToInput(input, outputGradient, n);

    /// <summary>
    /// <see cref="Backward"/>, returning the buffer that holds dL/d(input) when the network was built with
    /// <see cref="ProducesInputGradient"/> (the output gradient itself when every layer was skipped), else null.
    /// The buffer belongs to the network and is valid until its next pass.
    /// </summary>
    internal float[]? BackwardToInput(float[] input, float[] outputGradient, int n)
    {
        EnsureBuilt();
        if (n > _capacity || n != _passCount) throw new InvalidOperationException("Backward needs the forward pass of the same batch first.");
        if (_passFused) throw new InvalidOperationException("Backward needs a training forward pass (an inference pass pooled inside a convolution or folded a batch norm).");
        float[] dy = outputGradient;
        for (int i = _layers.Count - 1; i >= 0; i--)
        {
            if (_skipped[i]) continue; // identity (or folded ReLU): the gradient passes through unchanged
            float[] x = i == 0 ? input : _passOutputs[i - 1];
            float[]? dx = _needsInputGradient[i] ? ReferenceEquals(dy, _gradientA) ? _gradientB : _gradientA : null;
            Observer?.Begin(i, backward: true);
            _layers[i].Backward(x, _passOutputs[i], dy, dx, n);
            Observer?.End(i, backward: true);
            if (dx is null) return null; // no earlier layer has parameters
            dy = dx;
        }
        return ProducesInputGradient ? dy : null;
    }

    private void EnsureCapacity(int n)
    {
        if (n <= _capacity) return;
        // Folded ReLUs and reshapes never write their own buffer.
        _outputs = _layers.Select((l, i) => _foldedReLU[i] || l.IsReshape ? [] : new float[checked(n * l.OutputShape.Size)]).ToArray();
        int largest = _layers.Max(l => l.OutputShape.Size);
        if (ProducesInputGradient) largest = Math.Max(largest, InputShape.Size); // dL/dx of the input is written too
        _gradientA = new float[checked(n * largest)];
        _gradientB = new float[checked(n * largest)];
        _passOutputs = new float[_layers.Count][];
        _skipped = new bool[_layers.Count];
        _capacity = n;
    }

    /// <summary>
    /// Until the returned scope is disposed, the caller promises not to change any parameter: layers may then prepare
    /// their weights once for all inference passes of the scope (<see cref="NeuralClassifier.Predict"/> opens one around
    /// its chunks). Training passes inside the scope are not affected.
    /// </summary>
    internal FrozenWeights FreezeWeights()
    {
        SetWeightsFrozen(true);
        return new FrozenWeights(this);
    }

    /// <summary>
    /// Tells the layers that parameters or states may have changed, so what they prepared for inference (folded batch
    /// norms, transposed or packed weights) is made again on the next inference pass; until then they keep it across
    /// predictions. Training passes call it themselves; so do the trainer after each optimiser step, loading and
    /// restoring weights; code that writes <see cref="Parameter.Value"/> or a state directly must call it.
    /// </summary>
    internal void WeightsChanged()
    {
        foreach (Layer layer in _layers) layer.WeightsChanged();
    }

    internal void SetWeightsFrozen(bool frozen)
    {
        foreach (Layer layer in _layers) layer.SetWeightsFrozen(frozen);
    }

    /// <summary>Ends a <see cref="FreezeWeights"/> scope.</summary>
    internal readonly struct FrozenWeights(Sequential network) : IDisposable
    {
        public void Dispose() => network?.SetWeightsFrozen(false);
    }

    /// <summary>Releases the batch buffers (they come back on the next pass).</summary>
    public void ReleaseBuffers()
    {
        _outputs = [];
        _gradientA = _gradientB = [];
        _passOutputs = [];
        _capacity = 0;
        _passCount = 0;
        foreach (Layer layer in _layers) layer.ReleaseBuffers();
    }

    private void EnsureBuilt()
    {
        if (!IsBuilt) throw new InvalidOperationException("Build the network before running it.");
    }

    private void EnsureNotBuilt()
    {
        if (IsBuilt) throw new InvalidOperationException("The network is already built; layers cannot change.");
    }
}

/// <summary>Called around each layer's pass (profiling); <c>layer</c> is the index in <see cref="Sequential.Layers"/>.</summary>
internal interface ILayerObserver
{
    void Begin(int layer, bool backward);
    void End(int layer, bool backward);
}
