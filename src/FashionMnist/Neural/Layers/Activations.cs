using System.Numerics;
using System.Numerics.Tensors;

namespace FashionMnist.Neural.Layers;

/// <summary>A layer applied to each float on its own; the work is split into equal element ranges across threads.</summary>
internal abstract class ElementwiseLayer : Layer
{
    protected override Shape Configure(Shape input) => input;

    public sealed override void Forward(float[] x, float[] y, int n, PassInfo pass)
    {
        int total = n * InputShape.Size;
        BatchParallel.For(total, total, (s, start, count) => Apply(x.AsSpan(start, count), y.AsSpan(start, count)));
    }

    internal sealed override bool HasRowForward => true;

    internal sealed override void ForwardRows(float[] x, float[] y, int slice, int start, int count) =>
        Apply(x.AsSpan(start * InputShape.Size, count * InputShape.Size), y.AsSpan(start * InputShape.Size, count * InputShape.Size));

    public sealed override void Backward(float[] x, float[] y, float[] dy, float[]? dx, int n)
    {
        if (dx is null) return;
        int total = n * InputShape.Size;
        BatchParallel.For(total, total, (s, start, count) =>
            Derive(x.AsSpan(start, count), y.AsSpan(start, count), dy.AsSpan(start, count), dx.AsSpan(start, count)));
    }

    protected abstract void Apply(ReadOnlySpan<float> x, Span<float> y);

    protected abstract void Derive(ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx);
}

/// <summary>max(x, 0).</summary>
internal sealed class ReLU : ElementwiseLayer
{
    public override string Kind => "relu";

    protected override void Apply(ReadOnlySpan<float> x, Span<float> y) => TensorPrimitives.Max(x, 0f, y);

    protected override void Derive(ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx)
    {
        int i = 0, width = Vector<float>.Count;
        for (; i <= y.Length - width; i += width)
        {
            var keep = Vector.GreaterThan(new Vector<float>(y[i..]), Vector<float>.Zero);
            Vector.ConditionalSelect(keep, new Vector<float>(dy[i..]), Vector<float>.Zero).CopyTo(dx[i..]);
        }
        for (; i < y.Length; i++) dx[i] = y[i] > 0 ? dy[i] : 0f;
    }
}

/// <summary>x for x &gt; 0, alpha·x otherwise.</summary>
internal sealed class LeakyReLU : ElementwiseLayer
{
    public LeakyReLU(float alpha = 0.01f)
    {
        if (!(alpha >= 0 && alpha < 1)) throw new LayerConfigurationException($"alpha must be in [0, 1), got {alpha}");
        Alpha = alpha;
    }

    public override string Kind => "leakyrelu";
    public float Alpha { get; }
    public override IReadOnlyList<(string Name, object Value)> Settings => [("alpha", Alpha)];

    protected override void Apply(ReadOnlySpan<float> x, Span<float> y)
    {
        int i = 0, width = Vector<float>.Count;
        var alpha = new Vector<float>(Alpha);
        for (; i <= x.Length - width; i += width)
        {
            var v = new Vector<float>(x[i..]);
            Vector.ConditionalSelect(Vector.GreaterThan(v, Vector<float>.Zero), v, v * alpha).CopyTo(y[i..]);
        }
        for (; i < x.Length; i++) y[i] = x[i] > 0 ? x[i] : Alpha * x[i];
    }

    protected override void Derive(ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx)
    {
        int i = 0, width = Vector<float>.Count;
        var alpha = new Vector<float>(Alpha);
        for (; i <= x.Length - width; i += width)
        {
            var g = new Vector<float>(dy[i..]);
            Vector.ConditionalSelect(Vector.GreaterThan(new Vector<float>(x[i..]), Vector<float>.Zero), g, g * alpha).CopyTo(dx[i..]);
        }
        for (; i < x.Length; i++) dx[i] = x[i] > 0 ? dy[i] : Alpha * dy[i];
    }
}

/// <summary>x for x &gt; 0, alpha·(eˣ − 1) otherwise.</summary>
internal sealed class ELU : ElementwiseLayer
{
    public ELU(float alpha = 1f)
    {
        if (!(alpha > 0 && alpha <= 10)) throw new LayerConfigurationException($"alpha must be in (0, 10], got {alpha}");
        Alpha = alpha;
    }

    public override string Kind => "elu";
    public float Alpha { get; }
    public override IReadOnlyList<(string Name, object Value)> Settings => [("alpha", Alpha)];

    protected override void Apply(ReadOnlySpan<float> x, Span<float> y)
    {
        for (int i = 0; i < x.Length; i++) y[i] = x[i] > 0 ? x[i] : Alpha * (MathF.Exp(x[i]) - 1f);
    }

    protected override void Derive(ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx)
    {
        for (int i = 0; i < x.Length; i++) dx[i] = x[i] > 0 ? dy[i] : dy[i] * (y[i] + Alpha);
    }
}

/// <summary>
/// Inverted dropout: in training each float is kept with probability 1 − rate and scaled by 1/(1 − rate);
/// at inference it passes through. The mask is a counter-based hash of (pass key, layer, element index)
/// (<see cref="Kernels.Dropout"/>), so it does not depend on how the batch is split across threads, and the
/// backward pass recomputes it instead of storing it.
/// </summary>
internal sealed class Dropout : Layer
{
    private ulong _key;

    public Dropout(float rate)
    {
        if (!(rate >= 0 && rate < 1)) throw new LayerConfigurationException($"rate must be in [0, 1), got {rate}");
        Rate = rate;
    }

    public override string Kind => "dropout";
    public float Rate { get; }
    public override IReadOnlyList<(string Name, object Value)> Settings => [("rate", Rate)];

    protected override Shape Configure(Shape input) => input;

    internal override bool IsIdentity(PassInfo pass) => !pass.Training || Rate == 0;

    private uint Threshold => (uint)Math.Min(uint.MaxValue, Math.Round(Rate * 4294967296.0));

    public override void Forward(float[] x, float[] y, int n, PassInfo pass)
    {
        int total = n * InputShape.Size;
        if (IsIdentity(pass))
        {
            Array.Copy(x, y, total);
            return;
        }
        _key = SplitMix64.Key(pass.RandomKey, (ulong)Index);
        Apply(x, y, total);
    }

    public override void Backward(float[] x, float[] y, float[] dy, float[]? dx, int n)
    {
        if (dx is null) return;
        int total = n * InputShape.Size;
        if (Rate == 0)
        {
            Array.Copy(dy, dx, total);
            return;
        }
        Apply(dy, dx, total);
    }

    private void Apply(float[] source, float[] target, int total)
    {
        ulong key = _key;
        uint threshold = Threshold;
        float scale = 1f / (1f - Rate);
        // Slices in whole vectors, so the vector/scalar boundary does not move with the thread count (it would not change results anyway).
        int blocks = (total + 7) / 8;
        BatchParallel.For(blocks, total, (s, start, count) =>
        {
            int from = 8 * start, length = Math.Min(8 * (start + count), total) - from;
            Kernels.Dropout(source.AsSpan(from, length), target.AsSpan(from, length), (uint)from, key, threshold, scale);
        });
    }
}
