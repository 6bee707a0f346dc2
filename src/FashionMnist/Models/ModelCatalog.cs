namespace FashionMnist.Models;

/// <summary>How the catalog makes and loads one kind of model.</summary>
/// <param name="Name">The one word a user types: "knn", "svm", "cnn3", ...</param>
/// <param name="Family">"classic" or "neural" (or a family of an outside assembly).</param>
/// <param name="Summary">One line for --help and reports.</param>
/// <param name="OptionsType">The model's <see cref="ModelOptions"/> record type; one type belongs to one model.</param>
/// <param name="Create">Makes an unfitted model from validated options.</param>
/// <param name="Load">Makes a fitted model from its options and the state written by <see cref="IClassifier.SaveState"/>.</param>
public sealed record ModelDescriptor(
    string Name,
    string Family,
    string Summary,
    Type OptionsType,
    Func<ModelOptions, IClassifier> Create,
    Func<ModelOptions, BinaryReader, IClassifier> Load)
{
    /// <summary>
    /// Settings that make a small model that fits in a second or so on a few hundred images: what smoke tests and
    /// the conformance suite use (like scikit-learn's checking parameters). Empty means the defaults are already fast.
    /// </summary>
    public IReadOnlyDictionary<string, string> FastSettings { get; init; } = new Dictionary<string, string>();

    /// <summary>
    /// A photo calibration that comes with the model's recipe, for the options it was fitted for (null otherwise, and for
    /// models without one): the runner writes it into the model file a fit produces, so `predict` and `serve` apply it
    /// to photos without a `fmnist calibrate` of one's own. Only cnn-photo has one (docs/photos.md).
    /// </summary>
    public Func<ModelOptions, PhotoCalibration?>? RecipePhotoCalibration { get; init; }

    /// <summary>
    /// Settings a model file written before they existed was made with (an option added later with a default that
    /// changes the model): a file that lacks one is read with this value, not today's default. cnn-photo's photo-repeats
    /// is 0 in files from before it (they trained on Fashion-MNIST alone).
    /// </summary>
    public IReadOnlyDictionary<string, string> OlderFileSettings { get; init; } = new Dictionary<string, string>();

    /// <summary>
    /// The options that settings stored in a file (a model file, a checkpoint) stand for: <see cref="OlderFileSettings"/>
    /// fill in what an older file lacks, then they bind like any settings; <paramref name="modelName"/> names the model in errors.
    /// </summary>
    internal ModelOptions BindStored(IReadOnlyDictionary<string, string> settings, string modelName)
    {
        var stored = new Dictionary<string, string>(settings);
        foreach (var (name, value) in OlderFileSettings) stored.TryAdd(name, value);
        return OptionBinder.Bind(OptionsType, stored, modelName);
    }

    /// <summary>The model's default options.</summary>
    public ModelOptions DefaultOptions() => (ModelOptions)Activator.CreateInstance(OptionsType)!;
}

/// <summary>A group of models (classic, neural, ...) that makes itself known to the catalog.</summary>
public interface IModelFamily
{
    /// <summary>The models this family adds to the catalog.</summary>
    IEnumerable<ModelDescriptor> Models { get; }
}

/// <summary>
/// Every model by name, and the one place that validates options and builds models. The families of this library
/// are found by reflection once; code outside it adds its own with <see cref="Register"/>.
/// </summary>
public static class ModelCatalog
{
    private static readonly object s_gate = new();
    private static Dictionary<string, ModelDescriptor>? s_models;

    /// <summary>Every registered model, ordered by family and name.</summary>
    public static IEnumerable<ModelDescriptor> All =>
        Models.Values.OrderBy(d => d.Family, StringComparer.Ordinal).ThenBy(d => d.Name, StringComparer.Ordinal).ToList();

    /// <summary>Every registered model's name, ordered as <see cref="All"/>.</summary>
    public static IEnumerable<string> Names => All.Select(d => d.Name);

    /// <summary>The model called <paramref name="name"/> (ignoring case), if there is one.</summary>
    public static bool TryGet(string name, out ModelDescriptor descriptor) =>
        Models.TryGetValue(name, out descriptor!);

    /// <summary>The model called <paramref name="name"/>; an unknown name is a <see cref="FashionMnistException"/> listing the known ones.</summary>
    public static ModelDescriptor Get(string name) =>
        TryGet(name, out var descriptor)
            ? descriptor
            : throw new FashionMnistException($"Unknown model '{name}'",
                (Spelling.DidYouMean(name, Names) is { Length: > 0 } hint ? hint + " " : "") +
                $"Choose one of: {string.Join(", ", Names)} (`fmnist models` describes them).");

    /// <summary>The model whose options record is <paramref name="options"/>' type.</summary>
    public static ModelDescriptor DescriptorOf(ModelOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return Models.Values.FirstOrDefault(d => d.OptionsType == options.GetType())
            ?? throw new FashionMnistException($"No catalog model takes options of type {options.GetType().Name}",
                "Register the model's family with ModelCatalog.Register first.", ExitCodes.Failure);
    }

    /// <summary>Validates <paramref name="options"/> and makes the unfitted model they describe.</summary>
    public static IClassifier Create(ModelOptions options) => Create(DescriptorOf(options), options);

    /// <summary>
    /// Validates <paramref name="options"/> and makes <paramref name="descriptor"/>'s unfitted model from them; for a
    /// descriptor that is not (or not yet) registered, such as a test's.
    /// </summary>
    public static IClassifier Create(ModelDescriptor descriptor, ModelOptions options)
    {
        ArgumentNullException.ThrowIfNull(descriptor);
        ArgumentNullException.ThrowIfNull(options);
        if (options.GetType() != descriptor.OptionsType)
            throw new ArgumentException($"Model '{descriptor.Name}' takes {descriptor.OptionsType.Name}, not {options.GetType().Name}.", nameof(options));
        options.Validate();
        return descriptor.Create(options);
    }

    /// <summary>Makes an unfitted model from "name=value" settings over the model's defaults.</summary>
    public static IClassifier Create(string name, IReadOnlyDictionary<string, string>? settings = null) =>
        Create(Options(name, settings));

    /// <summary>The validated options of model <paramref name="name"/> with "name=value" settings over its defaults.</summary>
    public static ModelOptions Options(string name, IReadOnlyDictionary<string, string>? settings = null)
    {
        var descriptor = Get(name);
        return OptionBinder.Bind(descriptor.OptionsType, settings ?? new Dictionary<string, string>(), descriptor.Name);
    }

    /// <summary>
    /// Adds the models of a family from outside this library (a second registration of the same family type does
    /// nothing). A name or options type already taken is an error.
    /// </summary>
    public static void Register(IModelFamily family)
    {
        ArgumentNullException.ThrowIfNull(family);
        lock (s_gate)
        {
            var models = new Dictionary<string, ModelDescriptor>(Models, StringComparer.OrdinalIgnoreCase);
            var incoming = family.Models.ToList();
            if (incoming.All(d => models.TryGetValue(d.Name, out var known) && known == d)) return;
            foreach (var descriptor in incoming) Add(models, descriptor);
            s_models = models;
        }
    }

    private static Dictionary<string, ModelDescriptor> Models
    {
        get
        {
            if (s_models is { } ready) return ready;
            lock (s_gate) return s_models ??= Discover();
        }
    }

    private static Dictionary<string, ModelDescriptor> Discover()
    {
        var models = new Dictionary<string, ModelDescriptor>(StringComparer.OrdinalIgnoreCase);
        var familyTypes = typeof(ModelCatalog).Assembly.GetTypes()
            .Where(t => typeof(IModelFamily).IsAssignableFrom(t) && t is { IsAbstract: false, IsInterface: false }
                && t.GetConstructor(Type.EmptyTypes) is not null)
            .OrderBy(t => t.FullName, StringComparer.Ordinal);
        foreach (Type type in familyTypes)
            foreach (var descriptor in ((IModelFamily)Activator.CreateInstance(type)!).Models)
                Add(models, descriptor);
        return models;
    }

    private static void Add(Dictionary<string, ModelDescriptor> models, ModelDescriptor descriptor)
    {
        if (!typeof(ModelOptions).IsAssignableFrom(descriptor.OptionsType) || descriptor.OptionsType.GetConstructor(Type.EmptyTypes) is null)
            throw new InvalidOperationException($"{descriptor.Name}: {descriptor.OptionsType} is not a ModelOptions with a parameterless constructor.");
        if (models.ContainsKey(descriptor.Name))
            throw new InvalidOperationException($"Two models are named '{descriptor.Name}'.");
        if (models.Values.Any(d => d.OptionsType == descriptor.OptionsType))
            throw new InvalidOperationException($"Two models take options of type {descriptor.OptionsType.Name}; give each model its own options record.");
        models.Add(descriptor.Name, descriptor);
    }
}
