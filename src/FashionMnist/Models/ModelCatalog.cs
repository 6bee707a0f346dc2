using System.Reflection;

namespace FashionMnist.Models;

/// <summary>How the catalog makes and loads one kind of model.</summary>
/// <param name="Name">The one word a user types: "knn", "svm", "cnn3", ...</param>
/// <param name="Family">"classic" or "neural".</param>
/// <param name="Summary">One line for --help and reports.</param>
/// <param name="OptionsType">The model's <see cref="ModelOptions"/> record type.</param>
/// <param name="Create">Makes an unfitted model from validated options.</param>
/// <param name="Load">Makes a fitted model from its options and the state written by <see cref="IClassifier.SaveState"/>.</param>
public sealed record ModelDescriptor(
    string Name,
    string Family,
    string Summary,
    Type OptionsType,
    Func<ModelOptions, IClassifier> Create,
    Func<ModelOptions, BinaryReader, IClassifier> Load);

/// <summary>A group of models (classic, neural, ...) that makes itself known to the catalog.</summary>
public interface IModelFamily
{
    IEnumerable<ModelDescriptor> Models { get; }
}

/// <summary>
/// Every model by name. Families register by implementing <see cref="IModelFamily"/>
/// (found by reflection once), so adding a model touches no central list.
/// </summary>
public static class ModelCatalog
{
    private static readonly Lazy<IReadOnlyDictionary<string, ModelDescriptor>> s_models = new(Discover);

    public static IEnumerable<ModelDescriptor> All => s_models.Value.Values.OrderBy(d => d.Family).ThenBy(d => d.Name, StringComparer.Ordinal);

    public static IEnumerable<string> Names => All.Select(d => d.Name);

    public static bool TryGet(string name, out ModelDescriptor descriptor) =>
        s_models.Value.TryGetValue(name, out descriptor!);

    public static ModelDescriptor Get(string name) =>
        TryGet(name, out var descriptor)
            ? descriptor
            : throw new FashionMnistException($"Unknown model '{name}'",
                $"Choose one of: {string.Join(", ", Names)}.");

    /// <summary>Makes an unfitted model from "name=value" settings over the model's defaults.</summary>
    public static IClassifier Create(string name, IReadOnlyDictionary<string, string>? settings = null)
    {
        var descriptor = Get(name);
        ModelOptions options = OptionBinder.Bind(descriptor.OptionsType, settings ?? new Dictionary<string, string>(), name);
        return descriptor.Create(options);
    }

    private static IReadOnlyDictionary<string, ModelDescriptor> Discover()
    {
        var models = new Dictionary<string, ModelDescriptor>(StringComparer.OrdinalIgnoreCase);
        var familyTypes = typeof(ModelCatalog).Assembly.GetTypes()
            .Where(t => typeof(IModelFamily).IsAssignableFrom(t) && t is { IsAbstract: false, IsInterface: false })
            .OrderBy(t => t.FullName, StringComparer.Ordinal);
        foreach (Type type in familyTypes)
        {
            var family = (IModelFamily)Activator.CreateInstance(type)!;
            foreach (var descriptor in family.Models)
            {
                if (!typeof(ModelOptions).IsAssignableFrom(descriptor.OptionsType))
                    throw new InvalidOperationException($"{descriptor.Name}: {descriptor.OptionsType} is not a ModelOptions.");
                if (!models.TryAdd(descriptor.Name, descriptor))
                    throw new InvalidOperationException($"Two models are named '{descriptor.Name}'.");
            }
        }
        return models;
    }
}
