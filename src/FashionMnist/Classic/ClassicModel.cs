using FashionMnist.Models;

namespace FashionMnist.Classic;

/// <summary>
/// Registers a classical estimator with the catalog in one line. The descriptor's Create wraps a new
/// estimator in a <see cref="Pipeline"/> with no steps (the CLI or the caller adds scaling/HOG/PCA with
/// <see cref="Pipeline.WithSteps"/>); its Load reads a whole pipeline (steps, then the estimator's state).
/// <code>
/// public sealed class KnnFamily : IModelFamily
/// {
///     public IEnumerable&lt;ModelDescriptor&gt; Models =>
///     [
///         ClassicModel.Descriptor&lt;KnnOptions&gt;("knn", "k-nearest neighbours (exact, L1/L2)",
///             options => new KnnClassifier(options), (options, reader) => KnnClassifier.Load(options, reader)),
///     ];
/// }
/// </code>
/// </summary>
public static class ClassicModel
{
    public const string Family = "classic";

    /// <summary>A descriptor whose load reads the estimator's state with the options at hand.</summary>
    public static ModelDescriptor Descriptor<TOptions>(string name, string summary,
        Func<TOptions, IFeatureClassifier> create, Func<TOptions, BinaryReader, IFeatureClassifier> load)
        where TOptions : ModelOptions, new() =>
        new(name, Family, summary, typeof(TOptions),
            options => new Pipeline(name, options, [], create((TOptions)options)),
            (options, reader) => Pipeline.Load(name, options, reader, r => load((TOptions)options, r)));

    /// <summary>A descriptor whose load needs only the saved state.</summary>
    public static ModelDescriptor Descriptor<TOptions>(string name, string summary,
        Func<TOptions, IFeatureClassifier> create, Func<BinaryReader, IFeatureClassifier> load)
        where TOptions : ModelOptions, new() =>
        Descriptor<TOptions>(name, summary, create, (_, reader) => load(reader));

    /// <summary>True when the catalog model is a classical pipeline (and so accepts preprocessing steps).</summary>
    public static bool IsClassic(ModelDescriptor descriptor) => descriptor.Family == Family;
}
