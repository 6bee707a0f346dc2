using System.Numerics.Tensors;

namespace FashionMnist.Neural.Layers;

/// <summary>
/// A residual block: y = body(x) + shortcut(x) (He et al. 2016). The body is a nested network of any layers; the
/// shortcut is x itself when the body keeps the shape, otherwise a 1x1 convolution with the stride that matches the
/// body's output size, followed by batch norm (ResNet's "projection shortcut"). A ReLU after the block is folded into
/// the sum like a conv's (y = max(body + shortcut, 0), dL/dy masked by y &gt; 0).
/// In backward the output gradient flows into both branches and their input gradients add up.
/// In a spec file: <c>- residual: {layers: [conv2d: {filters: 32, padding: same}, batchnorm, relu, ...]}</c>.
/// </summary>
internal sealed class Residual : Layer
{
    private readonly Sequential _body;
    private Sequential? _projection;
    private float[]? _maskedGradient;

    /// <summary>A block whose body is <paramref name="body"/> (not yet built; the block builds it for its input).</summary>
    public Residual(Sequential body)
    {
        ArgumentNullException.ThrowIfNull(body);
        if (body.IsBuilt) throw new LayerConfigurationException("its body must not be built yet");
        if (body.Layers.Count == 0) throw new LayerConfigurationException("its body has no layers (give it a 'layers' list)");
        _body = new Sequential { ProducesInputGradient = true };
        foreach (Layer layer in body.Layers) _body.Add(layer);
    }

    public override string Kind => "residual";

    /// <summary>The block's own layers, in order.</summary>
    public IReadOnlyList<Layer> Body => _body.Layers;

    /// <summary>True when the shortcut is a 1x1 convolution + batch norm (the body changes the shape).</summary>
    public bool HasProjection => _projection is not null;

    public override IReadOnlyList<Parameter> Parameters =>
        [.. _body.Parameters, .. _projection?.Parameters ?? []];

    public override IReadOnlyList<float[]> States => [.. _body.States, .. _projection?.States ?? []];

    internal override bool CanFuseReLU => true;

    protected override Shape Configure(Shape input)
    {
        try
        {
            _body.Input(input).Build(0);
        }
        catch (FashionMnistException e)
        {
            throw new LayerConfigurationException($"in its body, {Lower(e.Problem)}");
        }
        Shape output = _body.OutputShape;
        if (output == input) return output;
        if (output.Height * output.Width == 1 && input.Height * input.Width > 1)
            throw new LayerConfigurationException($"its body ends flat ({output}); a residual body must keep an image shape (C x H x W) so the shortcut can be added");
        int strideY = (input.Height + output.Height - 1) / output.Height, strideX = (input.Width + output.Width - 1) / output.Width;
        if (strideY != strideX || strideY < 1 || (input.Height - 1) / strideY + 1 != output.Height || (input.Width - 1) / strideX + 1 != output.Width)
            throw new LayerConfigurationException(
                $"its body turns {input} into {output}, which a 1x1 strided convolution on the shortcut cannot match (keep the size, or halve it with stride 2)");
        _projection = new Sequential { ProducesInputGradient = true }
            .Input(input)
            .Conv2D(output.Channels, 1, strideY, Padding.Valid, Initializer.He, bias: false)
            .BatchNorm()
            .Build(0);
        return output;
    }

    private static string Lower(string text) => text.Length == 0 ? text : char.ToLowerInvariant(text[0]) + text[1..];

    private protected override void Initialize(ref SplitMix64 random)
    {
        _body.Reinitialize(random.NextULong());
        _projection?.Reinitialize(random.NextULong());
    }

    public override void Forward(float[] x, float[] y, int n, PassInfo pass)
    {
        // The nested layers count from 0 again: give them their own random key so their dropout masks differ from the outer layers'.
        var inner = pass with { RandomKey = SplitMix64.Key(pass.RandomKey, 0xB10C, (ulong)Index) };
        float[] body = _body.Forward(x, n, inner);
        float[] shortcut = _projection is null ? x : _projection.Forward(x, n, inner);
        int total = n * OutputShape.Size;
        bool relu = FusedReLU;
        BatchParallel.For(total, total, (s, start, count) =>
        {
            Span<float> target = y.AsSpan(start, count);
            TensorPrimitives.Add(body.AsSpan(start, count), shortcut.AsSpan(start, count), target);
            if (relu) TensorPrimitives.Max(target, 0f, target);
        });
    }

    internal override bool HasRowForward => _body.CanForwardRows && (_projection?.CanForwardRows ?? true);

    internal override void PrepareRows(int slices, int capacity)
    {
        _body.PrepareRows(slices, capacity);
        _projection?.PrepareRows(slices, capacity);
    }

    /// <summary>Rows [start, start + count) through the body and the shortcut, then their sum (and ReLU) as <see cref="Forward"/> adds them.</summary>
    internal override void ForwardRows(float[] x, float[] y, int slice, int start, int count)
    {
        float[] body = _body.ForwardRows(x, slice, start, count);
        float[] shortcut = _projection is null ? x : _projection.ForwardRows(x, slice, start, count);
        int size = OutputShape.Size;
        Span<float> target = y.AsSpan(start * size, count * size);
        TensorPrimitives.Add(body.AsSpan(start * size, count * size), shortcut.AsSpan(start * size, count * size), target);
        if (FusedReLU) TensorPrimitives.Max(target, 0f, target);
    }

    internal override void SetNormFolding(bool fold)
    {
        _body.FoldNorms = fold;
        if (_projection is not null) _projection.FoldNorms = fold;
    }

    public override void Backward(float[] x, float[] y, float[] dy, float[]? dx, int n)
    {
        int total = n * OutputShape.Size;
        float[] gradient = dy;
        if (FusedReLU)
        {
            gradient = Ensure(ref _maskedGradient, total);
            BatchParallel.For(total, total, (s, start, count) =>
                Kernels.MaskByPositive(y.AsSpan(start, count), dy.AsSpan(start, count), gradient.AsSpan(start, count)));
        }
        float[] bodyInput = _body.BackwardToInput(x, gradient, n)!;
        float[]? shortcutInput = _projection?.BackwardToInput(x, gradient, n);
        if (dx is null) return;
        float[] other = shortcutInput ?? gradient;
        int inputTotal = n * InputShape.Size;
        BatchParallel.For(inputTotal, inputTotal, (s, start, count) =>
            TensorPrimitives.Add(bodyInput.AsSpan(start, count), other.AsSpan(start, count), dx.AsSpan(start, count)));
    }

    internal override void WeightsChanged()
    {
        _body.WeightsChanged();
        _projection?.WeightsChanged();
    }

    internal override void SetWeightsFrozen(bool frozen)
    {
        _body.SetWeightsFrozen(frozen);
        _projection?.SetWeightsFrozen(frozen);
    }

    internal override void ReleaseBuffers()
    {
        _body.ReleaseBuffers();
        _projection?.ReleaseBuffers();
        _maskedGradient = null;
    }

    public override string ToString() =>
        $"residual[{string.Join(" -> ", _body.Layers)}]{(_projection is null ? "" : " + 1x1 projection")}";
}
