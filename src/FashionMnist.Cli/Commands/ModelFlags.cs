using FashionMnist.Classic;

namespace FashionMnist.Cli.Commands;

/// <summary>
/// The flags that choose and configure a catalog model, shared by `train` and `search`: --set name=value, and
/// convenience flags for common options — preprocessing (--features hog → features=hog, --pca, --scale ...) and
/// neural (--epochs → epochs, ...) — that apply only when the chosen model has that option.
/// </summary>
internal sealed class ModelFlags
{
    public readonly Argument<string> Model = new("MODEL") { Description = "Catalog name of the model (see `fmnist models`)." };

    public readonly Option<string[]> Set = new("--set")
    {
        Description = "Set a model option: --set name=value (repeatable). `fmnist models MODEL` lists the options.",
        AllowMultipleArgumentsPerToken = false,
    };

    public readonly Option<string?> Features = new("--features") { Description = "Classic models: pixels (default) or hog (histograms of oriented gradients)." };
    public readonly Option<string?> HogCell = new("--hog-cell") { Description = "HOG cell sizes in pixels (default 4,7: two scales, 1,620 features); one size such as 4 for a single scale. Implies --features hog." };
    public readonly Option<int?> HogBlock = new("--hog-block") { Description = "HOG block size in cells (default 2). Implies --features hog." };
    public readonly Option<int?> HogBins = new("--hog-bins") { Description = "HOG orientation bins over 0-360° (0-180° with --hog-signed false) (default 9). Implies --features hog." };
    public readonly Option<bool?> HogSigned = new("--hog-signed") { Description = "HOG orientations over 0-360°, keeping which side of an edge is brighter (the default); --hog-signed false gives 0-180°, the classic HOG. Implies --features hog." };
    public readonly Option<string?> HogNorm = new("--hog-norm") { Description = "HOG block normalisation: l1-sqrt (default; Hellinger) or l2-hys (the classic). Implies --features hog." };
    public readonly Option<string?> Pca = new("--pca") { Description = "Classic models: PCA to N components (--pca 50) or to a share of the variance (--pca 0.95)." };
    public readonly Option<bool> PcaWhiten = new("--pca-whiten") { Description = "Scale PCA components to unit variance." };
    public readonly Option<string?> Scale = new("--scale") { Description = "Classic models: per-feature scaling, unit ([0,1]) or standard (zero mean, unit variance)." };

    // Neural conveniences: each maps to a model option of that name, and is an error for models without it.
    public readonly Option<int?> Epochs = new("--epochs") { Description = "Neural models: training epochs (→ epochs)." };
    public readonly Option<int?> BatchSize = new("--batch-size") { Description = "Neural models: mini-batch size (→ batch-size)." };
    public readonly Option<double?> LearningRate = new("--lr", "--learning-rate") { Description = "Learning rate of neural models and boosting (→ learning-rate; eta for xgboost)." };
    public readonly Option<string?> Optimizer = new("--optimizer") { Description = "Neural models: adam, sgd or adamw (→ optimizer)." };
    public readonly Option<bool> Augment = new("--augment") { Description = "Neural models: augment training images (→ augment=true)." };
    public readonly Option<string?> Spec = new("--spec") { Description = "Neural models: network spec file (→ spec)." };

    public void AddTo(Command command)
    {
        command.Add(Model);
        foreach (Option option in new Option[] { Set, Features, HogCell, HogBlock, HogBins, HogSigned, HogNorm, Pca, PcaWhiten, Scale, Epochs, BatchSize, LearningRate, Optimizer, Augment, Spec })
            command.Add(option);
    }

    /// <summary>
    /// The model's "name=value" settings from --set and the convenience flags (preprocessing and neural), each flag
    /// checked against the model's options: a flag the model has no option for is a clear error.
    /// </summary>
    public Dictionary<string, string> Settings(ParseResult parse, ModelDescriptor descriptor)
    {
        var settings = ParseSettings(parse.GetValue(Set) ?? [], "--set");
        void Map(string flag, string option, string? value)
        {
            if (value is null) return;
            // The flag sets the option that answers to its name, aliases included: --lr sets xgboost's eta.
            string resolved = OptionBinder.Resolve(descriptor.OptionsType, option)
                ?? throw new FashionMnistException($"{flag} does not apply to {descriptor.Name} (a {descriptor.Family} model)",
                    ClassicOptions.PreprocessingNames.Contains(option)
                        ? "Preprocessing flags (--features, --hog-*, --scale, --pca) are for classic models only."
                        : $"{descriptor.Name} has no '{option}' option; its options are: " +
                          $"{string.Join(", ", OptionBinder.Describe(descriptor.OptionsType).Select(o => o.Name))}.");
            settings[resolved] = value;
        }
        Map("--features", "features", parse.GetValue(Features));
        Map("--hog-cell", "hog-cell", parse.GetValue(HogCell));
        Map("--hog-block", "hog-block", Format(parse.GetValue(HogBlock)));
        Map("--hog-bins", "hog-bins", Format(parse.GetValue(HogBins)));
        Map("--hog-signed", "hog-signed", Format(parse.GetValue(HogSigned)));
        Map("--hog-norm", "hog-norm", parse.GetValue(HogNorm));
        Map("--scale", "scale", parse.GetValue(Scale));
        Map("--pca", "pca", parse.GetValue(Pca));
        Map("--pca-whiten", "pca-whiten", parse.GetValue(PcaWhiten) ? "true" : null);
        Map("--epochs", "epochs", Format(parse.GetValue(Epochs)));
        Map("--batch-size", "batch-size", Format(parse.GetValue(BatchSize)));
        Map("--lr", "learning-rate", Format(parse.GetValue(LearningRate)));
        Map("--optimizer", "optimizer", parse.GetValue(Optimizer));
        Map("--augment", "augment", parse.GetValue(Augment) ? "true" : null);
        Map("--spec", "spec", parse.GetValue(Spec));
        return settings;
    }

    /// <summary>The model's whole options from the flags (validated).</summary>
    public ModelOptions Options(ParseResult parse, ModelDescriptor descriptor) =>
        OptionBinder.Bind(descriptor.OptionsType, Settings(parse, descriptor), descriptor.Name);

    /// <summary>Parses "name=value" items; a missing '=' or empty name is a clear error naming the flag.</summary>
    public static Dictionary<string, string> ParseSettings(IEnumerable<string> items, string flag)
    {
        var settings = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (string item in items)
        {
            int equals = item.IndexOf('=');
            if (equals <= 0)
                throw new FashionMnistException($"{flag} '{item}' is not of the form name=value", $"Write it as {flag} k=5.");
            settings[item[..equals].Trim()] = item[(equals + 1)..].Trim();
        }
        return settings;
    }

    private static string? Format(object? value) => value is null ? null : OptionBinder.Format(value);
}
