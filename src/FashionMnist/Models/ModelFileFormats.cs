namespace FashionMnist.Models;

/// <summary>
/// A model file format other than fmnist's own .fmm (e.g. ONNX, implemented in the Onnx folder). <see cref="ModelFile"/>
/// asks the registered formats about any file that does not start with FMNISTMD, so `--model FILE` works for every
/// format while Models imports none of them.
/// </summary>
public interface IModelFileFormat
{
    /// <summary>The format's name in messages ("ONNX").</summary>
    string Name { get; }

    /// <summary>True when the file (its path and first bytes) is in this format.</summary>
    bool Recognizes(string path, ReadOnlySpan<byte> head);

    /// <summary>What evaluate and reports show: a model name, its settings and metadata.</summary>
    ModelFile.Header ReadHeader(byte[] bytes, string source);

    /// <summary>
    /// A ready-to-predict model. <paramref name="settings"/> are format-specific "name=value" load settings
    /// (ONNX: input-scale, input-mean, input-std); unknown names are a <see cref="FashionMnistException"/>.
    /// </summary>
    IClassifier Load(byte[] bytes, string source, IReadOnlyDictionary<string, string> settings);
}

/// <summary>
/// The registered <see cref="IModelFileFormat"/>s: every implementation in this assembly with a parameterless
/// constructor is found once by reflection (as model families are); <see cref="Register"/> adds others.
/// </summary>
public static class ModelFileFormats
{
    private static readonly Lazy<List<IModelFileFormat>> s_formats = new(Discover);

    public static IReadOnlyList<IModelFileFormat> All
    {
        get
        {
            lock (s_formats.Value) return [.. s_formats.Value];
        }
    }

    public static void Register(IModelFileFormat format)
    {
        lock (s_formats.Value)
            if (!s_formats.Value.Any(f => f.GetType() == format.GetType())) s_formats.Value.Add(format);
    }

    /// <summary>The format that recognises this file, or null.</summary>
    public static IModelFileFormat? Find(string path, ReadOnlySpan<byte> head)
    {
        foreach (IModelFileFormat format in All)
            if (format.Recognizes(path, head)) return format;
        return null;
    }

    private static List<IModelFileFormat> Discover() =>
        typeof(ModelFileFormats).Assembly.GetTypes()
            .Where(t => typeof(IModelFileFormat).IsAssignableFrom(t) && t is { IsAbstract: false, IsInterface: false } && t.GetConstructor(Type.EmptyTypes) is not null)
            .OrderBy(t => t.FullName, StringComparer.Ordinal)
            .Select(t => (IModelFileFormat)Activator.CreateInstance(t)!)
            .ToList();
}
