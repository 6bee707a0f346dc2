namespace FashionMnist.Data;

/// <summary>The ten Fashion-MNIST classes, in label order (label 0 is "T-shirt/top").</summary>
public static class FashionMnistClasses
{
    /// <summary>Number of classes (labels are 0-9).</summary>
    public const int Count = 10;

    /// <summary>The class names, indexed by label.</summary>
    public static IReadOnlyList<string> Names { get; } =
    [
        "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
        "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
    ];

    /// <summary>The name of class <paramref name="label"/>, e.g. 9 → "Ankle boot".</summary>
    public static string Name(int label) =>
        (uint)label < Count ? Names[label] : throw new ArgumentOutOfRangeException(nameof(label), label, "Labels are 0-9.");
}
