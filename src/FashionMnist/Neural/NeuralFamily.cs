using FashionMnist.Models;
using FashionMnist.Neural.Layers;

namespace FashionMnist.Neural;

/// <summary>The neural model zoo, registered with <see cref="ModelCatalog"/>.</summary>
internal sealed class NeuralFamily : IModelFamily
{
    public IEnumerable<ModelDescriptor> Models =>
    [
        Describe<MlpOptions>("mlp", "Multi-layer perceptron 784-256-128-10 with dropout (hidden=... changes the sizes)", Zoo.Mlp, ("hidden", "32")),
        Describe<Cnn1Options>("cnn1", "One conv layer (32 3x3) + max-pool + dropout + dense 128", Zoo.Cnn1),
        Describe<Cnn3Options>("cnn3", "Three conv layers (32/64/128 3x3, pooling after the first two) with dropout, dense 128", Zoo.Cnn3),
        Describe<Cnn4Options>("cnn4", "Four conv layers (32/32/64/64) with batch norm, max-pooling and dropout, dense 128", Zoo.Cnn4),
        Describe<DeepCnnOptions>("cnn-deep", "Our strongest: VGG-style 32-64-128 with batch norm, augmentation, AdamW and one-cycle", Zoo.Deep),
        Describe<PhotoCnnOptions>("cnn-photo", "The model for real photos: cnn-deep's network trained on photo-like images and 196 labelled real photos too (what serve should get)", Zoo.Deep,
            ("width", "8"), ("photo-repeats", "0"))
            with { RecipePhotoCalibration = PhotoRecipe.CalibrationFor, OlderFileSettings = new Dictionary<string, string> { ["photo-repeats"] = "0" } },
        Describe<CustomOptions>("custom", "Any architecture from a YAML/JSON spec file (spec=PATH)", Zoo.Custom),
    ];

    /// <summary>A zoo model; its fast settings train two epochs in batches of 32 (plus <paramref name="fast"/>).</summary>
    private static ModelDescriptor Describe<T>(string name, string summary, Func<NeuralOptions, Sequential> architecture,
        params (string Name, string Value)[] fast) where T : NeuralOptions =>
        new(name, "neural", summary, typeof(T),
            options => new NeuralClassifier(name, (NeuralOptions)options, architecture),
            (options, reader) => NeuralClassifier.Load(name, (NeuralOptions)options, architecture, reader))
        {
            FastSettings = fast.Append((Name: "epochs", Value: "2")).Append((Name: "batch-size", Value: "32")).ToDictionary(s => s.Name, s => s.Value),
        };
}

/// <summary>The zoo's architectures, in the fluent builder.</summary>
internal static class Zoo
{
    public static Sequential Mlp(NeuralOptions options)
    {
        float dropout = (float)options.Dropout;
        var network = new Sequential().Flatten();
        foreach (int size in ((MlpOptions)options).Hidden) network.Dense(size).ReLU().Dropout(dropout);
        return network.Dense(10, Initializer.Glorot);
    }

    public static Sequential Cnn1(NeuralOptions options)
    {
        float dropout = (float)options.Dropout;
        return new Sequential()
            .Conv2D(32, 3).ReLU().MaxPool(2).Dropout(dropout)
            .Flatten().Dense(128).ReLU().Dropout(dropout)
            .Dense(10, Initializer.Glorot);
    }

    /// <summary>
    /// The 3-conv shape of the Keras/PyTorch notebooks (and of bench/python/peers.py): valid 3x3 convs, pooling after the
    /// first two, so the last conv's 3x3x128 map reaches the dense layer whole (a third pool would keep only its
    /// top-left 2x2 window). PyTorch's default initialisation: measured 0.9058 after 10 epochs vs 0.8783 with He normal.
    /// </summary>
    public static Sequential Cnn3(NeuralOptions options)
    {
        float dropout = (float)options.Dropout;
        return new Sequential()
            .Conv2D(32, 3, init: Initializer.Torch).ReLU().MaxPool(2).Dropout(dropout)    // 26 -> 13
            .Conv2D(64, 3, init: Initializer.Torch).ReLU().MaxPool(2).Dropout(dropout)    // 11 -> 5
            .Conv2D(128, 3, init: Initializer.Torch).ReLU().Dropout(2 * dropout)          // 3x3x128
            .Flatten().Dense(128, Initializer.Torch).ReLU().Dropout(2 * dropout)
            .Dense(10, Initializer.Torch);
    }

    public static Sequential Cnn4(NeuralOptions options)
    {
        float dropout = (float)options.Dropout;
        return new Sequential()
            .Conv2D(32, 3, bias: false).BatchNorm().ReLU()       // 26
            .Conv2D(32, 3, bias: false).BatchNorm().ReLU()       // 24
            .MaxPool(2).Dropout(dropout)                          // 12
            .Conv2D(64, 3, bias: false).BatchNorm().ReLU()       // 10
            .Conv2D(64, 3, bias: false).BatchNorm().ReLU()       // 8
            .MaxPool(2).Dropout(dropout)                          // 4
            .Flatten().Dense(128, bias: false).BatchNorm().ReLU().Dropout(dropout)
            .Dense(10, Initializer.Glorot);
    }

    /// <summary>
    /// VGG-style, 'same' padding: [w, w] pool [2w, 2w] pool [4w] pool, dense 256 (w = <see cref="DeepNetworkOptions.Width"/>, 32
    /// by default). With <see cref="DeepNetworkOptions.Residual"/> the second and third stages are residual blocks of two
    /// convolutions each (a 1x1 projection on the shortcut, since the block doubles the channels). Trained with
    /// augmentation, AdamW, one-cycle and label smoothing by default (see <see cref="DeepNetworkOptions"/>); cnn-deep and
    /// cnn-photo both use it.
    /// </summary>
    public static Sequential Deep(NeuralOptions options)
    {
        var deep = (DeepNetworkOptions)options;
        return DeepNetwork(deep.Width, deep.Residual, (float)options.Dropout);
    }

    private static Sequential DeepNetwork(int w, bool residual, float dropout)
    {
        var network = new Sequential()
            .Conv2D(w, 3, padding: Padding.Same, bias: false).BatchNorm().ReLU()
            .Conv2D(w, 3, padding: Padding.Same, bias: false).BatchNorm().ReLU()
            .MaxPool(2).Dropout(dropout / 2);                                      // 14
        if (residual)
        {
            network
                .Residual(b => ResidualBody(b, 2 * w)).ReLU()
                .MaxPool(2).Dropout(dropout)                                       // 7
                .Residual(b => ResidualBody(b, 4 * w)).ReLU()
                .MaxPool(2).Dropout(dropout);                                      // 3
        }
        else
        {
            network
                .Conv2D(2 * w, 3, padding: Padding.Same, bias: false).BatchNorm().ReLU()
                .Conv2D(2 * w, 3, padding: Padding.Same, bias: false).BatchNorm().ReLU()
                .MaxPool(2).Dropout(dropout)                                       // 7
                .Conv2D(4 * w, 3, padding: Padding.Same, bias: false).BatchNorm().ReLU()
                .MaxPool(2).Dropout(dropout);                                      // 3
        }
        return network
            .Flatten().Dense(256, bias: false).BatchNorm().ReLU().Dropout(dropout)
            .Dense(10, Initializer.Glorot);
    }

    /// <summary>conv → BN → ReLU → conv → BN, 'same' 3x3 (ResNet's basic block body).</summary>
    private static Sequential ResidualBody(Sequential body, int filters) => body
        .Conv2D(filters, 3, padding: Padding.Same, bias: false).BatchNorm().ReLU()
        .Conv2D(filters, 3, padding: Padding.Same, bias: false).BatchNorm();

    public static Sequential Custom(NeuralOptions options) => ArchitectureSpec.Load(((CustomOptions)options).Spec!);
}
