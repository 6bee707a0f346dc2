using System.Text.Json;
using FashionMnist.Interop;
using FashionMnist.Models;
using FashionMnist.Numerics;
using Onnx;

namespace FashionMnist.Onnx;

/// <summary>
/// ONNX files as models for evaluate, predict, serve and compare (found by <see cref="ModelFileFormats"/>). What a model is
/// fed is decided in this order: defaults (pixels/255), then the file's metadata (an fmnist export takes raw pixels;
/// <see cref="OnnxContract.InputScaleKey"/>/<see cref="OnnxContract.InputMeanKey"/>/<see cref="OnnxContract.InputStdKey"/>),
/// then the load settings input-scale, input-mean, input-std (the CLI's --input-* flags).
/// </summary>
internal sealed class OnnxModelFormat : IModelFileFormat
{
    public static readonly IReadOnlyList<string> SettingNames = ["input-scale", "input-mean", "input-std"];

    public string Name => "ONNX";

    public bool Recognizes(string path, ReadOnlySpan<byte> head)
    {
        if (path.EndsWith(".onnx", StringComparison.OrdinalIgnoreCase)) return true;
        // Without the extension: a protobuf that parses as a ModelProto with a graph and an IR version.
        try
        {
            ModelProto model = ModelProto.Parser.ParseFrom(head);
            return model.IrVersion > 0 && model.Graph is { Node.Count: > 0 };
        }
        catch (Exception e) when (e is Google.Protobuf.InvalidProtocolBufferException or InvalidOperationException or ArgumentException)
        {
            return false;
        }
    }

    public ModelFile.Header ReadHeader(byte[] bytes, string source)
    {
        ModelProto model = Parse(bytes, source);
        var metadata = model.MetadataProps.ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal);
        metadata["onnx_producer"] = $"{model.ProducerName} {model.ProducerVersion}".Trim();
        metadata["onnx_ir_version"] = model.IrVersion.ToString(CultureInfo.InvariantCulture);
        metadata["onnx_opsets"] = string.Join(", ", model.OpsetImport.Select(o => $"{(o.Domain.Length == 0 ? "ai.onnx" : o.Domain)} {o.Version}"));
        string name = NameOf(metadata);
        var settings = metadata.TryGetValue(OnnxContract.OptionsKey, out string? json) && TryParseSettings(json) is { } parsed
            ? parsed : new Dictionary<string, string>();
        return new ModelFile.Header(name, settings, metadata, bytes.Length);
    }

    public IClassifier Load(byte[] bytes, string source, IReadOnlyDictionary<string, string> settings) =>
        Load(bytes, source, settings, ComputeThreads.Count);

    /// <summary><see cref="Load(byte[], string, IReadOnlyDictionary{string, string})"/> with ORT computing each call on <paramref name="threads"/> threads.</summary>
    internal IClassifier Load(byte[] bytes, string source, IReadOnlyDictionary<string, string> settings, int threads)
    {
        foreach (string key in settings.Keys)
            if (!SettingNames.Contains(key))
                throw new FashionMnistException($"'{key}' is not a setting of ONNX models", $"Use: {string.Join(", ", SettingNames)}.");
        _ = Parse(bytes, source); // a file that is not ONNX at all gets that message rather than ORT's
        var session = OnnxRuntimeSession.Load(bytes, source, threads);
        try
        {
            OnnxOptions options = InputOptions(session.Metadata, settings, source);
            return new OnnxClassifier(session, bytes, options, source, NameOf(session.Metadata));
        }
        catch
        {
            session.Dispose();
            throw;
        }
    }

    /// <summary>Defaults, then the file's metadata, then explicit settings.</summary>
    internal static OnnxOptions InputOptions(IReadOnlyDictionary<string, string> metadata, IReadOnlyDictionary<string, string> settings, string source)
    {
        var options = new OnnxOptions { Path = File.Exists(source) ? Path.GetFullPath(source) : source };
        options = options with { InputScale = IsFmnistExport(metadata) ? 1 : 1.0 / 255, InputMean = 0, InputStd = 1 };
        double? Read(string key, double? current) =>
            metadata.TryGetValue(key, out string? text)
                ? double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) ? v
                    : throw new FashionMnistException($"'{source}' has metadata {key}='{text}', which is not a number", "Fix the file's metadata_props, or override it with the --input-* flags.")
                : current;
        options = options with
        {
            InputScale = Read(OnnxContract.InputScaleKey, options.InputScale),
            InputMean = Read(OnnxContract.InputMeanKey, options.InputMean),
            InputStd = Read(OnnxContract.InputStdKey, options.InputStd),
        };
        if (settings.TryGetValue("input-scale", out string? scale)) options = options with { InputScale = OnnxClassifier.ParseSetting("input-scale", scale) };
        if (settings.TryGetValue("input-mean", out string? mean)) options = options with { InputMean = OnnxClassifier.ParseSetting("input-mean", mean) };
        if (settings.TryGetValue("input-std", out string? std)) options = options with { InputStd = OnnxClassifier.ParseSetting("input-std", std) };
        options.Validate();
        return options;
    }

    /// <summary>
    /// `compare --models onnx:PATH`: a catalog-like descriptor for one ONNX file, so the comparison evaluates it beside the
    /// models it trains (its Fit does nothing). Its input scaling comes from the file (metadata, or fmnist export detection).
    /// </summary>
    public static ModelDescriptor ImportDescriptor(string name, string path) =>
        new(name, "imported", $"ONNX model {Path.GetFileName(path)}, run by ONNX Runtime", typeof(OnnxOptions),
            options =>
            {
                var chosen = (OnnxOptions)options;
                var settings = new Dictionary<string, string>(StringComparer.Ordinal);
                if (chosen.InputScale is double s) settings["input-scale"] = s.ToString("R", CultureInfo.InvariantCulture);
                if (chosen.InputMean is double m) settings["input-mean"] = m.ToString("R", CultureInfo.InvariantCulture);
                if (chosen.InputStd is double d) settings["input-std"] = d.ToString("R", CultureInfo.InvariantCulture);
                return ModelFile.Load(path, settings);
            },
            (_, _) => throw new FashionMnistException($"{name} cannot be loaded from an fmnist model file", "Use the .onnx file itself."));

    public static bool IsFmnistExport(IReadOnlyDictionary<string, string> metadata) =>
        metadata.TryGetValue(OnnxContract.ProducerKey, out string? producer) && producer == "fmnist";

    /// <summary>An fmnist export keeps its model's name ("cnn3"); any other file is "onnx".</summary>
    private static string NameOf(IReadOnlyDictionary<string, string> metadata) =>
        IsFmnistExport(metadata) && metadata.TryGetValue(OnnxContract.ModelKey, out string? name) && name.Length > 0 ? name : "onnx";

    private static Dictionary<string, string>? TryParseSettings(string json)
    {
        try { return JsonSerializer.Deserialize<Dictionary<string, string>>(json); }
        catch (JsonException) { return null; }
    }

    private static ModelProto Parse(byte[] bytes, string source)
    {
        try
        {
            return ModelProto.Parser.ParseFrom(bytes);
        }
        catch (Exception e) when (e is Google.Protobuf.InvalidProtocolBufferException or InvalidOperationException or ArgumentException)
        {
            throw new FashionMnistException($"'{source}' is not an ONNX model (it does not parse as ONNX's protobuf: {e.Message})",
                "Pass an .onnx file exported by fmnist, PyTorch, Keras/tf2onnx or another ONNX exporter.", ExitCodes.BadInput, e);
        }
    }
}
