using System.Numerics;
using System.Numerics.Tensors;

namespace FashionMnist.Neural.Layers;

/// <summary>A layer applied to each float on its own; the work is split into equal element ranges across threads.</summary>
public abstract class ElementwiseLayer : Layer
{
    protected override Shape Configure(Shape input) => input;

    public sealed override void Forward(float[] x, float[] y, int n, PassInfo pass)
    {
        int total = n * InputShape.Size;
        BatchParallel.For(total, total, (s, start, count) => Apply(x.AsSpan(start, count), y.AsSpan(start, count)));
    }

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
public sealed class ReLU : ElementwiseLayer
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
public sealed class LeakyReLU : ElementwiseLayer
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
public sealed class ELU : ElementwiseLayer
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
/// at inference it passes through. The mask is a hash of (pass key, layer, element), so it does not depend
/// on how the batch is split across threads.
/// </summary>
public sealed class Dropout : Layer
{
    private float[]? _mask;

    public Dropout(float rate)
    {
        if (!(rate >= 0 && rate < 1)) throw new LayerConfigurationException($"rate must be in [0, 1), got {rate}");
        Rate = rate;
    }

    public override string Kind => "dropout";
    public float Rate { get; }
    public override IReadOnlyList<(string Name, object Value)> Settings => [("rate", Rate)];

    protected override Shape Configure(Shape input) => input;

    public override void Forward(float[] x, float[] y, int n, PassInfo pass)
    {
        int total = n * InputShape.Size;
        if (!pass.Training || Rate == 0)
        {
            Array.Copy(x, y, total);
            return;
        }
        float[] mask = Ensure(ref _mask, total);
        float scale = 1f / (1f - Rate);
        uint threshold = (uint)Math.Round(Rate * 65536.0);
        ulong key = Rng.Key(pass.RandomKey, (ulong)Index);
        // Work in blocks of four floats, one 64-bit hash per block (16 random bits per float).
        int blocks = (total + 3) / 4;
        BatchParallel.For(blocks, total, (s, start, count) =>
        {
            for (int b = start; b < start + count; b++)
            {
                ulong bits = Rng.Mix(key ^ (ulong)b);
                int end = Math.Min(4 * b + 4, total);
                for (int i = 4 * b; i < end; i++, bits >>= 16)
                    mask[i] = (uint)(bits & 0xFFFF) >= threshold ? scale : 0f;
            }
            int from = 4 * start, length = Math.Min(4 * (start + count), total) - from;
            TensorPrimitives.Multiply(x.AsSpan(from, length), mask.AsSpan(from, length), y.AsSpan(from, length));
        });
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
        TensorPrimitives.Multiply(dy.AsSpan(0, total), _mask.AsSpan(0, total), dx.AsSpan(0, total));
    }
}
