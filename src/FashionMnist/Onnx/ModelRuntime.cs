using System.Reflection;
using System.Text.Json;
using FashionMnist.Models;
using FashionMnist.Neural;
using FashionMnist.Numerics;

namespace FashionMnist.Onnx;

/// <summary>Which engine runs a model's predictions in predict and serve.</summary>
public enum RuntimeChoice
{
    /// <summary>The faster one for this model as measured (runtime-defaults.json); our engine for models not measured.</summary>
    Auto,
    /// <summary>fmnist's own engine (not possible for an imported .onnx file).</summary>
    Native,
    /// <summary>ONNX Runtime on the model exported in memory (not possible for HOG or KNN pipelines).</summary>
    Onnx,
}

/// <summary>
/// Puts a loaded model on the chosen runtime. The measured defaults live in <c>runtime-defaults.json</c> (embedded):
/// the `onnx` bench suite (bench/run.sh onnx) prints the numbers to copy there, since both engines keep getting faster.
/// </summary>
public static class ModelRuntime
{
    private static readonly Lazy<RuntimeDefaults> s_defaults = new(LoadDefaults);

    /// <summary>The measured table: model → faster runtime at batch 6 (one photo), and where the figures came from.</summary>
    internal static RuntimeDefaults Defaults => s_defaults.Value;

    internal static RuntimeChoice Parse(string text) => text.Trim().ToLowerInvariant() switch
    {
        "auto" => RuntimeChoice.Auto,
        "native" => RuntimeChoice.Native,
        "onnx" => RuntimeChoice.Onnx,
        _ => throw new FashionMnistException($"--runtime cannot be '{text}'", "Use auto (the measured faster one), native or onnx."),
    };

    /// <summary>
    /// The model to predict with: <paramref name="model"/> itself, or its in-memory ONNX export run by ONNX Runtime
    /// (which the caller then owns and disposes). <paramref name="used"/> says which runtime it is.
    /// </summary>
    public static IClassifier Apply(IClassifier model, RuntimeChoice choice, out RuntimeChoice used) =>
        Apply(model, choice, out used, ComputeThreads.Count);

    /// <summary>
    /// <see cref="Apply(IClassifier, RuntimeChoice, out RuntimeChoice)"/>, with ONNX Runtime computing each prediction on
    /// <paramref name="onnxThreads"/> threads (a model exported here; an .onnx file keeps the threads it was loaded with).
    /// The web server passes 1: its photo slots already keep every core busy, and calls then run side by side
    /// (<see cref="IConcurrentPrediction"/>) instead of splitting each small batch across cores that are not free.
    /// </summary>
    public static IClassifier Apply(IClassifier model, RuntimeChoice choice, out RuntimeChoice used, int onnxThreads)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(onnxThreads);
        if (model is OnnxClassifier or MirrorAveragingOnnxClassifier)
        {
            if (choice == RuntimeChoice.Native)
                throw new FashionMnistException("An ONNX file runs in ONNX Runtime only (--runtime native needs an fmnist .fmm model)",
                    "Leave out --runtime, or use --runtime onnx.");
            used = RuntimeChoice.Onnx;
            return model;
        }
        bool wantOnnx = choice == RuntimeChoice.Onnx || (choice == RuntimeChoice.Auto && Defaults.Prefers(model.Name) == RuntimeChoice.Onnx);
        if (!wantOnnx)
        {
            used = RuntimeChoice.Native;
            return model;
        }
        if (model is NeuralClassifier { NeuralOptions.Tta: true } mirrored)
        {
            // The graph's own mirror TTA would run the photo TTA's mirrors again: export the single view and mirror here.
            used = RuntimeChoice.Onnx;
            var single = (OnnxClassifier)new OnnxModelFormat().Load(OnnxExporter.ExportSingleView(mirrored),
                $"{model.Name} (exported in memory)", new Dictionary<string, string>(), onnxThreads);
            return new MirrorAveragingOnnxClassifier(single);
        }
        byte[] bytes;
        try
        {
            bytes = OnnxExporter.Export(model);
        }
        catch (FashionMnistException) when (choice == RuntimeChoice.Auto)
        {
            used = RuntimeChoice.Native; // not exportable (HOG, KNN): our engine it is
            return model;
        }
        used = RuntimeChoice.Onnx;
        return new OnnxModelFormat().Load(bytes, $"{model.Name} (exported in memory)", new Dictionary<string, string>(), onnxThreads);
    }

    private static RuntimeDefaults LoadDefaults()
    {
        using Stream stream = EmbeddedResource.Open("FashionMnist.Onnx.runtime-defaults.json");
        return JsonSerializer.Deserialize<RuntimeDefaults>(stream, new JsonSerializerOptions { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower })
            ?? throw new InvalidOperationException("runtime-defaults.json is empty.");
    }
}

/// <summary>The measured defaults: which runtime is faster per model (at one photo's batch of 6), and how it was measured.</summary>
internal sealed record RuntimeDefaults(string Measured, Dictionary<string, string> Faster, Dictionary<string, double>? OnnxOverNative)
{
    public RuntimeChoice Prefers(string model) =>
        Faster.TryGetValue(model, out string? runtime) && runtime == "onnx" ? RuntimeChoice.Onnx : RuntimeChoice.Native;
}
