using System.Numerics.Tensors;

namespace FashionMnist.Neural;

/// <summary>
/// An exponential moving average of the weights and batch-norm statistics (as timm's ModelEmaV2 keeps it): after every
/// optimiser step, avg ← avg + (1 − d)·(w − avg), with d = min(decay, (1 + t) / (10 + t)) so the first steps are not
/// dominated by the random initial weights. The averaged weights are what the trained model keeps and what validation
/// scores. Its tensors are part of the checkpoint, so resuming stays exact.
/// </summary>
internal sealed class WeightAverage
{
    private readonly float[][] _targets;
    private readonly Sequential _network;

    public WeightAverage(Sequential network, double decay)
    {
        Decay = decay;
        _network = network;
        _targets = network.Parameters.Select(p => p.Value).Concat(network.States).ToArray();
        Tensors = _targets.Select(t => t.ToArray()).ToArray();
    }

    public double Decay { get; }

    /// <summary>The averages, in the order of <see cref="NeuralTrainer.CopyTensors"/> (parameters, then states).</summary>
    public float[][] Tensors { get; }

    /// <summary>Folds the network's current tensors in; <paramref name="step"/> is the number of optimiser steps done before this one.</summary>
    public void Update(long step)
    {
        float rate = (float)(1 - Math.Min(Decay, (1.0 + step) / (10.0 + step)));
        BatchParallel.For(_targets.Length, Tensors.Sum(t => (long)t.Length), (s, first, count) =>
        {
            for (int i = first; i < first + count; i++) TensorPrimitives.Lerp(Tensors[i], _targets[i], rate, Tensors[i]);
        });
    }

    /// <summary>Swaps the network's tensors with the averages (call again to swap back).</summary>
    public void Swap()
    {
        for (int i = 0; i < _targets.Length; i++)
        {
            Span<float> a = _targets[i], b = Tensors[i];
            for (int j = 0; j < a.Length; j++) (a[j], b[j]) = (b[j], a[j]);
        }
        _network.WeightsChanged();
    }

    /// <summary>Copies the averages into the network for good.</summary>
    public void Install()
    {
        for (int i = 0; i < _targets.Length; i++) Tensors[i].CopyTo(_targets[i], 0);
        _network.WeightsChanged();
    }
}
