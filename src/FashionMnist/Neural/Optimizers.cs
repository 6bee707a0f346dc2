using System.Numerics.Tensors;
using FashionMnist.Models;

namespace FashionMnist.Neural;

/// <summary>Which optimiser trains the network.</summary>
public enum OptimizerKind
{
    /// <summary>Adam (weight decay, if any, is an L2 term added to the gradient).</summary>
    Adam,
    /// <summary>SGD with momentum (optionally Nesterov); weight decay as L2.</summary>
    Sgd,
    /// <summary>Adam with decoupled weight decay (Loshchilov &amp; Hutter); written "adamw", as PyTorch names it.</summary>
    [WrittenAs("adamw")]
    [AlsoAccepted("adam-w")]
    AdamW,
}

/// <summary>
/// Updates parameters from their gradients. Decay applies only to parameters marked <see cref="Parameter.Decay"/>
/// (weights, not biases or batch-norm scales). The state (moments, step count) is saved in checkpoints so a resumed
/// run continues exactly.
/// </summary>
internal abstract class Optimizer
{
    protected Optimizer(IReadOnlyList<Parameter> parameters, float weightDecay)
    {
        Parameters = parameters;
        WeightDecay = weightDecay;
    }

    public IReadOnlyList<Parameter> Parameters { get; }
    public float WeightDecay { get; }
    public long Steps { get; protected set; }

    public abstract void Step(float learningRate);

    protected abstract IEnumerable<float[]> StateBuffers { get; }

    public void Write(BinaryWriter writer)
    {
        writer.Write(Steps);
        foreach (float[] buffer in StateBuffers) Serialization.WriteFloats(writer, buffer);
    }

    public void Read(BinaryReader reader)
    {
        Steps = reader.ReadInt64();
        foreach (float[] buffer in StateBuffers) Serialization.ReadFloats(reader, buffer);
    }

    public static Optimizer Create(OptimizerKind kind, IReadOnlyList<Parameter> parameters, float weightDecay,
        float momentum = 0.9f, bool nesterov = true) => kind switch
    {
        OptimizerKind.Sgd => new Sgd(parameters, momentum, nesterov, weightDecay),
        OptimizerKind.Adam => new Adam(parameters, weightDecay, decoupled: false),
        OptimizerKind.AdamW => new Adam(parameters, weightDecay, decoupled: true),
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };
}

/// <summary>v ← μv + g; w ← w − lr·(g + μv) (Nesterov) or w − lr·v.</summary>
internal sealed class Sgd : Optimizer
{
    private readonly float[][] _velocity;

    public Sgd(IReadOnlyList<Parameter> parameters, float momentum, bool nesterov, float weightDecay) : base(parameters, weightDecay)
    {
        Momentum = momentum;
        Nesterov = nesterov;
        _velocity = parameters.Select(p => new float[p.Length]).ToArray();
    }

    public float Momentum { get; }
    public bool Nesterov { get; }
    protected override IEnumerable<float[]> StateBuffers => _velocity;

    public override void Step(float learningRate)
    {
        Steps++;
        for (int p = 0; p < Parameters.Count; p++)
        {
            Parameter parameter = Parameters[p];
            Span<float> w = parameter.Value, g = parameter.Gradient, v = _velocity[p];
            if (parameter.Decay && WeightDecay > 0) TensorPrimitives.MultiplyAdd(w, WeightDecay, g, g);
            // v = μ v + g
            TensorPrimitives.MultiplyAdd(v, Momentum, g, v);
            if (Nesterov)
            {
                // w -= lr (g + μ v)
                TensorPrimitives.MultiplyAdd(v, Momentum, g, g);
                TensorPrimitives.MultiplyAdd(g, -learningRate, w, w);
            }
            else TensorPrimitives.MultiplyAdd(v, -learningRate, w, w);
        }
    }
}

/// <summary>Adam (Kingma &amp; Ba) with bias correction; decoupled decay makes it AdamW.</summary>
internal sealed class Adam : Optimizer
{
    private readonly float[][] _first, _second;
    private readonly bool _decoupled;

    public Adam(IReadOnlyList<Parameter> parameters, float weightDecay, bool decoupled, float beta1 = 0.9f, float beta2 = 0.999f, float epsilon = 1e-7f)
        : base(parameters, weightDecay)
    {
        _decoupled = decoupled;
        Beta1 = beta1;
        Beta2 = beta2;
        Epsilon = epsilon;
        _first = parameters.Select(p => new float[p.Length]).ToArray();
        _second = parameters.Select(p => new float[p.Length]).ToArray();
        _offsets = new long[parameters.Count + 1];
        for (int p = 0; p < parameters.Count; p++) _offsets[p + 1] = _offsets[p] + parameters[p].Length;
    }

    private readonly long[] _offsets;

    public float Beta1 { get; }
    public float Beta2 { get; }
    public float Epsilon { get; }
    protected override IEnumerable<float[]> StateBuffers => _first.Concat(_second);

    public override void Step(float learningRate)
    {
        Steps++;
        float correction1 = 1f - MathF.Pow(Beta1, Steps), correction2 = 1f - MathF.Pow(Beta2, Steps);
        float stepSize = learningRate / correction1, invCorrection2 = 1f / correction2;
        // Element-wise, so the work is cut into fixed ranges of the concatenated parameters, one per thread.
        long total = _offsets[^1];
        int slices = BatchParallel.Slices((int)Math.Min(int.MaxValue, total / 4096 + 1));
        BatchParallel.ForSlices(slices, total * 8, s =>
        {
            var (start, count) = BatchParallel.Range((int)total, slices, s);
            for (int p = 0; p < Parameters.Count; p++)
            {
                int from = (int)Math.Max(start, _offsets[p]), to = (int)Math.Min(start + count, _offsets[p + 1]);
                if (from >= to) continue;
                int offset = (int)_offsets[p];
                Update(Parameters[p], _first[p], _second[p], from - offset, to - offset, learningRate, stepSize, invCorrection2);
            }
        });
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private void Update(Parameter parameter, float[] m, float[] v, int from, int to, float learningRate, float stepSize, float invCorrection2)
    {
        Span<float> w = parameter.Value.AsSpan(from, to - from), g = parameter.Gradient.AsSpan(from, to - from);
        Span<float> first = m.AsSpan(from, to - from), second = v.AsSpan(from, to - from);
        bool decay = parameter.Decay && WeightDecay > 0;
        if (decay && !_decoupled) TensorPrimitives.MultiplyAdd(w, WeightDecay, g, g);
        if (decay && _decoupled) TensorPrimitives.Multiply(w, 1f - learningRate * WeightDecay, w);
        float b1 = Beta1, b2 = Beta2, c1 = 1 - Beta1, c2 = 1 - Beta2, eps = Epsilon;
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var vb1 = Vector256.Create(b1); var vb2 = Vector256.Create(b2);
            var vc1 = Vector256.Create(c1); var vc2 = Vector256.Create(c2);
            var vStep = Vector256.Create(stepSize); var vInv = Vector256.Create(invCorrection2); var vEps = Vector256.Create(eps);
            for (; i <= w.Length - 8; i += 8)
            {
                var gi = Vector256.Create<float>(g.Slice(i, 8));
                var mi = vb1 * Vector256.Create<float>(first.Slice(i, 8)) + vc1 * gi;
                var vi = vb2 * Vector256.Create<float>(second.Slice(i, 8)) + vc2 * gi * gi;
                mi.CopyTo(first.Slice(i, 8));
                vi.CopyTo(second.Slice(i, 8));
                (Vector256.Create<float>(w.Slice(i, 8)) - vStep * mi / (Vector256.Sqrt(vi * vInv) + vEps)).CopyTo(w.Slice(i, 8));
            }
        }
        for (; i < w.Length; i++)
        {
            float gi = g[i];
            float mi = first[i] = b1 * first[i] + c1 * gi;
            float vi = second[i] = b2 * second[i] + c2 * gi * gi;
            w[i] -= stepSize * mi / (MathF.Sqrt(vi * invCorrection2) + eps);
        }
    }
}

/// <summary>How the learning rate changes over training.</summary>
public enum LearningRateSchedule
{
    /// <summary>The same rate throughout.</summary>
    Constant,
    /// <summary>Multiplied by step-gamma every step-epochs epochs.</summary>
    Step,
    /// <summary>Cosine decay from the rate to zero over all steps.</summary>
    Cosine,
    /// <summary>One-cycle: warm up from rate/25 to the rate over the first 30% of steps, then cosine down to rate/25e4.</summary>
    OneCycle,
}

internal static class Schedules
{
    /// <summary>The learning rate for a 0-based optimiser step; depends only on the step, so resumed runs match.</summary>
    public static double Rate(LearningRateSchedule schedule, double baseRate, long step, long totalSteps, int stepsPerEpoch,
        int stepEpochs = 10, double stepGamma = 0.1)
    {
        double progress = totalSteps <= 1 ? 0 : Math.Clamp((double)step / (totalSteps - 1), 0, 1);
        switch (schedule)
        {
            case LearningRateSchedule.Constant:
                return baseRate;
            case LearningRateSchedule.Step:
                long epoch = stepsPerEpoch <= 0 ? 0 : step / stepsPerEpoch;
                return baseRate * Math.Pow(stepGamma, epoch / Math.Max(1, stepEpochs));
            case LearningRateSchedule.Cosine:
                return baseRate * 0.5 * (1 + Math.Cos(Math.PI * progress));
            case LearningRateSchedule.OneCycle:
                const double warm = 0.3, startDiv = 25, endDiv = 25e4;
                double low = baseRate / startDiv;
                if (progress < warm)
                    return Anneal(low, baseRate, progress / warm);
                return Anneal(baseRate, baseRate / endDiv, (progress - warm) / (1 - warm));
            default:
                throw new ArgumentOutOfRangeException(nameof(schedule));
        }

        static double Anneal(double from, double to, double t) => to + (from - to) * 0.5 * (1 + Math.Cos(Math.PI * t));
    }
}
