namespace FashionMnist.Neural;

/// <summary>
/// The shape of one sample as the network sees it: channels x height x width (NCHW without the N).
/// Flat vectors (after Flatten or Dense) are (features, 1, 1).
/// </summary>
internal readonly record struct Shape(int Channels, int Height, int Width)
{
    /// <summary>Floats per sample.</summary>
    public int Size => Channels * Height * Width;

    public bool IsFlat => Height == 1 && Width == 1;

    public static Shape Flat(int features) => new(features, 1, 1);

    /// <summary>The Fashion-MNIST input: one 28x28 grayscale channel.</summary>
    public static Shape Image => new(1, 28, 28);

    public override string ToString() => IsFlat ? $"{Channels}" : $"{Channels}x{Height}x{Width}";
}
