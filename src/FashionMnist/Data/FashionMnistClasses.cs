namespace FashionMnist.Data;

/// <summary>The ten Fashion-MNIST classes, in label order (label 0 is "T-shirt/top").</summary>
public static class FashionMnistClasses
{
    public const int Count = 10;

    public static IReadOnlyList<string> Names { get; } =
    [
        "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
        "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
    ];

    public static string Name(int label) =>
        (uint)label < Count ? Names[label] : throw new ArgumentOutOfRangeException(nameof(label), label, "Labels are 0-9.");
}
