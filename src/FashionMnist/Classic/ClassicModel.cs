using FashionMnist.Models;

namespace FashionMnist.Classic;

/// <summary>
/// Registers a classical estimator with the catalog in one line: its Create wraps a new estimator in a
/// <see cref="Pipeline"/> whose steps come from the options; its Load reads a whole pipeline (steps, then the
/// estimator's state).
/// <code>
/// public sealed class KnnFamily : IModelFamily
/// {
///     public IEnumerable&lt;ModelDescriptor&gt; Models =>
///     [
///         ClassicModel.Descriptor&lt;KnnOptions&gt;("knn", "k-nearest neighbours (exact, L1/L2)",
///             options => new KnnClassifier(options), KnnClassifier.Load),
///     ];
/// }
/// </code>
/// </summary>
public static class ClassicModel
{
    public const string Family = "classic";

    /// <summary>A descriptor whose load reads the estimator's state with the options at hand.</summary>
    public static ModelDescriptor Descriptor<TOptions>(string name, string summary,
        Func<TOptions, IFeatureClassifier> create, Func<TOptions, BinaryReader, IFeatureClassifier> load,
        IReadOnlyDictionary<string, string>? fastSettings = null)
        where TOptions : ClassicOptions, new() =>
        new(name, Family, summary, typeof(TOptions),
            options => new Pipeline(name, (TOptions)options, create((TOptions)options)),
            (options, reader) => Pipeline.Load(name, (TOptions)options, reader, r => load((TOptions)options, r)))
        {
            FastSettings = fastSettings ?? new Dictionary<string, string>(),
        };

    /// <summary>A descriptor whose load needs only the saved state.</summary>
    public static ModelDescriptor Descriptor<TOptions>(string name, string summary,
        Func<TOptions, IFeatureClassifier> create, Func<BinaryReader, IFeatureClassifier> load,
        IReadOnlyDictionary<string, string>? fastSettings = null)
        where TOptions : ClassicOptions, new() =>
        Descriptor<TOptions>(name, summary, create, (_, reader) => load(reader), fastSettings);

    /// <summary>True when the catalog model is a classical pipeline (and so takes preprocessing options).</summary>
    public static bool IsClassic(ModelDescriptor descriptor) => typeof(ClassicOptions).IsAssignableFrom(descriptor.OptionsType);
}
