using System.Text;
using FashionMnist.Neural.Layers;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace FashionMnist.Neural;

/// <summary>
/// Networks as text, so a user defines one without recompiling. YAML (JSON works too, it is YAML's subset):
/// <code>
/// layers:
///   - conv2d: {filters: 32, kernel: 3, padding: same}
///   - batchnorm
///   - relu
///   - maxpool2d: {size: 2}
///   - dropout: {rate: 0.25}
///   - flatten
///   - dense: {units: 10}
/// </code>
/// The input is always one 28x28 channel. Every mistake (unknown layer or parameter, bad value, a shape that
/// does not fit) is a <see cref="FashionMnistException"/> naming the layer's position and kind.
/// Model files store their architecture in this format too.
/// </summary>
internal static class ArchitectureSpec
{
    private sealed record LayerKind(string Name, string[] Aliases, string[] Parameters, Func<Args, Layer> Create);

    private static readonly LayerKind[] s_kinds =
    [
        new("conv2d", ["conv", "convolution"], ["filters", "kernel", "stride", "padding", "init", "bias"], a =>
        {
            var (kh, kw) = a.Kernel("kernel", 3);
            return new Conv2D(a.Int("filters", null), kh, kw, a.Int("stride", 1), a.Enum("padding", Padding.Valid), a.Enum("init", Initializer.He), a.Bool("bias", true));
        }),
        new("dense", ["linear", "fc"], ["units", "init", "bias"], a => new Dense(a.Int("units", null), a.Enum("init", Initializer.He), a.Bool("bias", true))),
        new("maxpool2d", ["maxpool", "maxpooling2d"], ["size", "stride"], a => new MaxPool2D(a.Int("size", 2), a.OptionalInt("stride"))),
        new("avgpool2d", ["avgpool", "averagepooling2d"], ["size", "stride"], a => new AvgPool2D(a.Int("size", 2), a.OptionalInt("stride"))),
        new("globalavgpool", ["globalaveragepooling2d", "gap"], [], _ => new GlobalAvgPool()),
        new("flatten", [], [], _ => new Flatten()),
        new("dropout", [], ["rate"], a => new Dropout(a.Float("rate", null))),
        new("batchnorm", ["batchnorm2d", "batchnorm1d", "batchnormalization"], ["momentum", "epsilon"], a => new BatchNorm(a.Float("momentum", 0.9f), a.Float("epsilon", 1e-5f))),
        new("relu", [], [], _ => new ReLU()),
        new("leakyrelu", [], ["alpha"], a => new LeakyReLU(a.Float("alpha", 0.01f))),
        new("elu", [], ["alpha"], a => new ELU(a.Float("alpha", 1f))),
    ];

    /// <summary>The one layer with a nested list: <c>residual: {layers: [...]}</c>.</summary>
    private const string ResidualName = "residual";

    /// <summary>Largest spec file read (a spec is a few hundred bytes).</summary>
    public const long MaxSpecBytes = 1L << 20;

    public static IEnumerable<string> LayerNames => s_kinds.Select(k => k.Name).Append(ResidualName);

    /// <summary>Reads a spec file into an unbuilt network.</summary>
    public static Sequential Load(string path)
    {
        string text = InputFile.ReadAllText(path, "Spec file", "Check the path given with --spec.", MaxSpecBytes);
        return Parse(text, path);
    }

    /// <summary>Parses spec text; <paramref name="source"/> names it in errors.</summary>
    public static Sequential Parse(string text, string source = "spec")
    {
        YamlGuard.Check(text, $"Spec '{source}'");
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(text));
        }
        catch (Exception e) when (YamlGuard.IsSyntaxError(e))
        {
            long line = (e as YamlException)?.Start.Line ?? 0, column = (e as YamlException)?.Start.Column ?? 0;
            throw new FashionMnistException($"Spec '{source}' is not valid YAML/JSON (line {line}, column {column}): {e.Message}",
                "Fix the syntax; see docs/neural.md for an example.", ExitCodes.BadInput, e);
        }
        if (stream.Documents.Count == 0 || stream.Documents[0].RootNode is not YamlMappingNode root)
            throw Problem(source, "must be a mapping with a 'layers' list");
        YamlSequenceNode? layers = null;
        foreach (var (keyNode, valueNode) in root.Children)
        {
            string key = KeyText(keyNode, source);
            if (key == "layers") layers = valueNode as YamlSequenceNode ?? throw Problem(source, "'layers' must be a list");
            else throw Problem(source, $"has an unknown top-level key '{key}' (only 'layers' is allowed)");
        }
        if (layers is null || layers.Children.Count == 0) throw Problem(source, "has no layers (add a 'layers' list)");
        return ParseLayers(layers, "", source);
    }

    /// <summary>The layers of a list; <paramref name="prefix"/> is "" at the top and "3." inside the block at position 3.</summary>
    private static Sequential ParseLayers(YamlSequenceNode layers, string prefix, string source)
    {
        var network = new Sequential();
        int position = 0;
        foreach (YamlNode node in layers.Children)
        {
            position++;
            network.Add(ParseLayer(node, $"{prefix}{position}", source));
        }
        return network;
    }

    private static Layer ParseResidual(YamlMappingNode? parameters, string position, string source)
    {
        YamlSequenceNode? body = null;
        foreach (var (k, v) in parameters?.Children ?? Enumerable.Empty<KeyValuePair<YamlNode, YamlNode>>())
        {
            string key = KeyText(k, source), parameter = Normalize(key);
            if (parameter != "layers")
                throw new FashionMnistException($"Spec '{source}' layer {position} (residual) has no parameter '{key}'",
                    "Its only parameter is: layers (the block's list of layers).");
            body = v as YamlSequenceNode
                ?? throw new FashionMnistException($"Spec '{source}' layer {position} (residual): 'layers' must be a list", "Write layers: [ ... ] or a '- layer' list under it.");
        }
        if (body is null || body.Children.Count == 0)
            throw new FashionMnistException($"Spec '{source}' layer {position} (residual) has no layers",
                "Give the block its layers: residual: {layers: [conv2d: {filters: 32, padding: same}, batchnorm]}.");
        Sequential network = ParseLayers(body, position + ".", source);
        try
        {
            return new Residual(network);
        }
        catch (LayerConfigurationException e)
        {
            throw new FashionMnistException($"Spec '{source}' layer {position} (residual): {e.Message}", "Fix that block's layers.");
        }
    }

    private static Layer ParseLayer(YamlNode node, string position, string source)
    {
        string name;
        YamlMappingNode? parameters = null;
        switch (node)
        {
            case YamlScalarNode scalar:
                name = scalar.Value ?? "";
                break;
            case YamlMappingNode { Children.Count: 1 } single:
                var (keyNode, valueNode) = single.Children.First();
                name = KeyText(keyNode, source);
                if (Normalize(name) == ResidualName && valueNode is YamlSequenceNode shortBody) // residual: [layers...]
                    return ParseResidual(new YamlMappingNode(new YamlScalarNode("layers"), shortBody), position, source);
                if (valueNode is YamlMappingNode map) parameters = map;
                else if (!(valueNode is YamlScalarNode { Value: null or "" or "~" or "null" }))
                    throw Problem(source, $"layer {position} ({name}) needs its parameters as a mapping, e.g. {{units: 10}}");
                break;
            default:
                throw Problem(source, $"layer {position} must be a layer name or 'name: {{parameters}}'");
        }
        string wanted = Normalize(name);
        if (wanted is ResidualName or "residualblock" or "skip") return ParseResidual(parameters, position, source);
        LayerKind kind = s_kinds.FirstOrDefault(k => k.Name == wanted || k.Aliases.Contains(wanted))
            ?? throw new FashionMnistException($"Spec '{source}' layer {position}: unknown layer '{name}'",
                $"Use one of: {string.Join(", ", LayerNames)}.");
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        if (parameters is not null)
        {
            foreach (var (k, v) in parameters.Children)
            {
                string parameter = Normalize(KeyText(k, source));
                if (!kind.Parameters.Contains(parameter))
                    throw new FashionMnistException($"Spec '{source}' layer {position} ({kind.Name}) has no parameter '{KeyText(k, source)}'",
                        kind.Parameters.Length == 0 ? $"{kind.Name} takes no parameters." : $"Its parameters are: {string.Join(", ", kind.Parameters)}.");
                values[parameter] = v is YamlScalarNode s ? s.Value ?? ""
                    : throw new FashionMnistException($"Spec '{source}' layer {position} ({kind.Name}): '{parameter}' must be a single value",
                        "Write it as name: value.");
            }
        }
        try
        {
            return kind.Create(new Args(values));
        }
        catch (LayerConfigurationException e)
        {
            throw new FashionMnistException($"Spec '{source}' layer {position} ({kind.Name}): {e.Message}", "Fix that layer's parameters.");
        }
    }

    /// <summary>Writes a network's architecture in the spec format (parseable by <see cref="Parse"/>).</summary>
    public static string Write(Sequential network)
    {
        var text = new StringBuilder("layers:\n");
        WriteLayers(network.Layers, "  ", text);
        return text.ToString();
    }

    private static void WriteLayers(IEnumerable<Layer> layers, string indent, StringBuilder text)
    {
        foreach (Layer layer in layers)
        {
            var settings = layer.Settings;
            if (layer is Residual block)
            {
                text.Append(indent).Append("- residual:\n").Append(indent).Append("    layers:\n");
                WriteLayers(block.Body, indent + "      ", text);
            }
            else if (settings.Count == 0) text.Append(indent).Append("- ").Append(layer.Kind).Append('\n');
            else
                text.Append(indent).Append("- ").Append(layer.Kind).Append(": {")
                    .Append(string.Join(", ", settings.Select(s => $"{s.Name}: {Layer.Format(s.Value)}")))
                    .Append("}\n");
        }
    }

    /// <summary>A mapping key as text; a key that is itself a list or mapping is a spec error, not a crash.</summary>
    private static string KeyText(YamlNode key, string source) => key is YamlScalarNode scalar ? scalar.Value ?? ""
        : throw Problem(source, $"has a list or mapping as a key (line {key.Start.Line}); keys are names such as 'layers' or 'units'");

    private static string Normalize(string name) => name.Trim().Replace("_", "").Replace("-", "").ToLowerInvariant();

    private static FashionMnistException Problem(string source, string problem) =>
        new($"Spec '{source}' {problem}", "See docs/neural.md for the spec format.");

    /// <summary>Typed access to one layer's parameters; parse failures become <see cref="LayerConfigurationException"/>.</summary>
    private sealed class Args(Dictionary<string, string> values)
    {
        public int Int(string name, int? fallback)
        {
            if (!values.TryGetValue(name, out string? text))
                return fallback ?? throw new LayerConfigurationException($"'{name}' is required");
            return int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int value) ? value
                : throw new LayerConfigurationException($"'{name}' must be a whole number, got '{text}'");
        }

        public int? OptionalInt(string name) => values.ContainsKey(name) ? Int(name, null) : null;

        public float Float(string name, float? fallback)
        {
            if (!values.TryGetValue(name, out string? text))
                return fallback ?? throw new LayerConfigurationException($"'{name}' is required");
            return float.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out float value) ? value
                : throw new LayerConfigurationException($"'{name}' must be a number, got '{text}'");
        }

        public bool Bool(string name, bool fallback)
        {
            if (!values.TryGetValue(name, out string? text)) return fallback;
            return text.ToLowerInvariant() switch
            {
                "true" or "yes" => true,
                "false" or "no" => false,
                _ => throw new LayerConfigurationException($"'{name}' must be true or false, got '{text}'"),
            };
        }

        public T Enum<T>(string name, T fallback) where T : struct, System.Enum
        {
            if (!values.TryGetValue(name, out string? text)) return fallback;
            return System.Enum.TryParse(text, ignoreCase: true, out T value) && System.Enum.IsDefined(value) && !int.TryParse(text, out _) ? value
                : throw new LayerConfigurationException($"'{name}' must be one of {string.Join(", ", System.Enum.GetNames<T>().Select(n => n.ToLowerInvariant()))}, got '{text}'");
        }

        /// <summary>A kernel as one number (3) or height x width ("3x5").</summary>
        public (int Height, int Width) Kernel(string name, int fallback)
        {
            if (!values.TryGetValue(name, out string? text)) return (fallback, fallback);
            string[] parts = text.ToLowerInvariant().Split('x');
            if (parts.Length is 1 or 2 && parts.All(p => int.TryParse(p, NumberStyles.Integer, CultureInfo.InvariantCulture, out _)))
            {
                int h = int.Parse(parts[0], CultureInfo.InvariantCulture);
                return (h, parts.Length == 2 ? int.Parse(parts[1], CultureInfo.InvariantCulture) : h);
            }
            throw new LayerConfigurationException($"'{name}' must be a size like 3 or 3x5, got '{text}'");
        }
    }
}
