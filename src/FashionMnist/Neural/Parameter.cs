namespace FashionMnist.Neural;

/// <summary>A trainable tensor and its gradient (same length). <see cref="Decay"/> is false for biases and batch-norm scales.</summary>
public sealed class Parameter
{
    public Parameter(string name, int length, bool decay)
    {
        Name = name;
        Value = new float[length];
        Gradient = new float[length];
        Decay = decay;
    }

    public string Name { get; }
    public float[] Value { get; }
    public float[] Gradient { get; }
    public bool Decay { get; }
    public int Length => Value.Length;
}

/// <summary>How a layer's weights start.</summary>
public enum Initializer
{
    /// <summary>He (Kaiming) normal: std = sqrt(2 / fan_in); for layers followed by ReLU-like activations.</summary>
    He,
    /// <summary>Glorot (Xavier) uniform: limit = sqrt(6 / (fan_in + fan_out)).</summary>
    Glorot,
    /// <summary>PyTorch's default for conv/linear weights (kaiming uniform with a = sqrt 5): limit = 1 / sqrt(fan_in).</summary>
    Torch,
}

internal static class Initializers
{
    public static void Fill(Span<float> weights, Initializer kind, int fanIn, int fanOut, ref SplitMix64 rng)
    {
        switch (kind)
        {
            case Initializer.He:
                double std = Math.Sqrt(2.0 / fanIn);
                for (int i = 0; i < weights.Length; i++) weights[i] = (float)(rng.NextGaussian() * std);
                break;
            case Initializer.Glorot:
                double limit = Math.Sqrt(6.0 / (fanIn + fanOut));
                for (int i = 0; i < weights.Length; i++) weights[i] = (float)((rng.NextDouble() * 2 - 1) * limit);
                break;
            case Initializer.Torch:
                double bound = 1.0 / Math.Sqrt(fanIn);
                for (int i = 0; i < weights.Length; i++) weights[i] = (float)((rng.NextDouble() * 2 - 1) * bound);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(kind));
        }
    }
}
