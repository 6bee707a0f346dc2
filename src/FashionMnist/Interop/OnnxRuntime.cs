using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace FashionMnist.Interop;

/// <summary>One input or output of an ONNX model: name, element type ("float", "int64", ...) and dimensions (-1 = symbolic).</summary>
internal sealed record OnnxTensorInfo(string Name, string ElementType, long[] Dimensions)
{
    public override string ToString() => $"{Name} {ElementType}[{string.Join(",", Dimensions.Select(d => d < 0 ? "N" : d.ToString(System.Globalization.CultureInfo.InvariantCulture)))}]";
}

/// <summary>
/// ONNX Runtime (NuGet Microsoft.ML.OnnxRuntime, CPU) behind one small wrapper: callers see C# arrays, records and
/// <see cref="FashionMnistException"/>s, never ORT's types. A file ORT cannot load (not protobuf, an operator it lacks,
/// inconsistent shapes) is a bad-input error (exit 2) with ORT's own reason; a failing run likewise. One session may be
/// shared by concurrent callers (ORT's InferenceSession.Run is thread-safe).
/// </summary>
internal sealed class OnnxRuntimeSession : IDisposable
{
    private readonly InferenceSession _session;
    private readonly string _source;

    /// <summary>
    /// The run options of every run, held for the session's life. A <c>new RunOptions()</c> passed straight to Run was
    /// unreachable once ORT's wrapper had taken its native handle, so the finalizer could free it while the run read it
    /// ("Invalid run log severity level", about one run in a few thousand: bench/run.sh photo failed 2 times in 3, and
    /// the web server answered 500). Sharing one between concurrent runs is safe: a run only reads it.
    /// </summary>
    private readonly RunOptions _runOptions = new();

    private OnnxRuntimeSession(InferenceSession session, string source)
    {
        _session = session;
        _source = source;
        Inputs = Describe(session.InputMetadata);
        Outputs = Describe(session.OutputMetadata);
        Metadata = session.ModelMetadata.CustomMetadataMap.ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal);
    }

    public IReadOnlyList<OnnxTensorInfo> Inputs { get; }
    public IReadOnlyList<OnnxTensorInfo> Outputs { get; }

    /// <summary>The model's metadata_props.</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>Threads the session computes with (intra-op).</summary>
    public int Threads { get; private init; }

    /// <summary>Loads a model from its bytes; <paramref name="source"/> names it in errors.</summary>
    public static OnnxRuntimeSession Load(byte[] model, string source, int threads)
    {
        SessionOptions? options = null;
        try
        {
            options = new SessionOptions
            {
                IntraOpNumThreads = Math.Max(1, threads),
                InterOpNumThreads = 1,
                ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
                GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
                LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR,
            };
            // Idle ORT workers would spin for a while after each run, taking CPU from our own threads (trap 3 of OpenBLAS).
            options.AddSessionConfigEntry("session.intra_op.allow_spinning", "0");
            var session = new InferenceSession(model, options);
            return new OnnxRuntimeSession(session, source) { Threads = Math.Max(1, threads) };
        }
        catch (OnnxRuntimeException e)
        {
            throw new FashionMnistException($"ONNX Runtime cannot load '{source}': {FirstLine(e.Message)}",
                "Pass an ONNX model file (.onnx) that ONNX Runtime 1.32 can run: standard opsets, float32 input.", ExitCodes.BadInput, e);
        }
        catch (Exception e) when (e is DllNotFoundException or TypeInitializationException or EntryPointNotFoundException)
        {
            throw new FashionMnistException($"ONNX Runtime's native library (libonnxruntime.so) did not load: {e.Message}",
                "It comes with the NuGet package Microsoft.ML.OnnxRuntime next to fmnist's own files; rebuild with ./setup/setup.sh.",
                ExitCodes.Failure, e);
        }
        finally
        {
            options?.Dispose();
        }
    }

    /// <summary>
    /// Runs the model on one float32 input of shape <paramref name="shape"/> and returns the float32 output
    /// <paramref name="output"/> with its shape.
    /// </summary>
    public (float[] Values, long[] Shape) Run(string input, float[] values, long[] shape, string output)
    {
        try
        {
            using var tensor = OrtValue.CreateTensorValueFromMemory(values, shape);
            using var results = _session.Run(_runOptions, [input], [tensor], [output]);
            GC.KeepAlive(this); // and so _runOptions, until the run is over
            OrtValue result = results[0];
            var info = result.GetTensorTypeAndShape();
            if (info.ElementDataType != TensorElementType.Float)
                throw new FashionMnistException($"Output '{output}' of '{_source}' is {info.ElementDataType}, not float32",
                    "Use a model whose class scores are float32.", ExitCodes.BadInput);
            return (result.GetTensorDataAsSpan<float>().ToArray(), info.Shape);
        }
        catch (OnnxRuntimeException e)
        {
            throw new FashionMnistException($"ONNX Runtime failed to run '{_source}': {FirstLine(e.Message)}",
                $"Check that the model takes {string.Join(", ", Inputs)} as float32 and gives class scores.", ExitCodes.BadInput, e);
        }
    }

    public void Dispose()
    {
        _session.Dispose();
        _runOptions.Dispose();
    }

    private static List<OnnxTensorInfo> Describe(IReadOnlyDictionary<string, NodeMetadata> nodes) =>
        nodes.Select(p => new OnnxTensorInfo(p.Key,
            p.Value.IsTensor ? ElementName(p.Value.ElementDataType) : p.Value.OnnxValueType.ToString().ToLowerInvariant(),
            p.Value.IsTensor ? p.Value.Dimensions.Select(d => (long)d).ToArray() : [])).ToList();

    private static string ElementName(TensorElementType type) => type switch
    {
        TensorElementType.Float => "float",
        TensorElementType.Double => "double",
        TensorElementType.Int64 => "int64",
        TensorElementType.Int32 => "int32",
        TensorElementType.UInt8 => "uint8",
        _ => type.ToString().ToLowerInvariant(),
    };

    private static string FirstLine(string message) => message.Split('\n')[0].Trim();
}
