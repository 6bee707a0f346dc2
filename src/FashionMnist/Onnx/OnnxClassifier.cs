using System.ComponentModel;
using FashionMnist.Data;
using FashionMnist.Interop;
using FashionMnist.Models;
using FashionMnist.Numerics;

namespace FashionMnist.Onnx;

/// <summary>How an imported ONNX model is fed and where it came from (shown by evaluate, stored with runs).</summary>
public sealed record OnnxOptions : ModelOptions
{
    /// <summary>The .onnx file.</summary>
    [Description("The .onnx file.")]
    public string? Path { get; init; }

    /// <summary>Pixels (0-255) are multiplied by this first. Unset: the file's metadata, else 1/255 ([0, 1]); fmnist's own exports take 1 (raw pixels).</summary>
    [Description("Pixels (0-255) are multiplied by this first. Unset: the file's metadata, else 1/255 ([0, 1]); fmnist's own exports take 1 (raw pixels).")]
    public double? InputScale { get; init; }

    /// <summary>Then this is subtracted (e.g. 0.2860 for a PyTorch Normalize). Unset: the file's metadata, else 0.</summary>
    [Description("Then this is subtracted (e.g. 0.2860 for a PyTorch Normalize). Unset: the file's metadata, else 0.")]
    public double? InputMean { get; init; }

    /// <summary>Then the result is divided by this (e.g. 0.3530). Unset: the file's metadata, else 1.</summary>
    [Description("Then the result is divided by this (e.g. 0.3530). Unset: the file's metadata, else 1.")]
    public double? InputStd { get; init; }

    /// <summary>The scaling in effect (set once the file is loaded).</summary>
    public (double Scale, double Mean, double Std) Input => (InputScale ?? 1.0 / 255, InputMean ?? 0, InputStd ?? 1);

    /// <summary>Checks the input scaling: a non-zero finite scale, a finite mean, a positive std.</summary>
    public override void Validate()
    {
        Require(InputScale is null || (double.IsFinite(InputScale.Value) && InputScale != 0), "input-scale", "must be a non-zero number", InputScale);
        Require(InputMean is null || double.IsFinite(InputMean.Value), "input-mean", "must be a number", InputMean);
        Require(InputStd is null || (double.IsFinite(InputStd.Value) && InputStd > 0), "input-std", "must be a positive number", InputStd);
    }
}

/// <summary>
/// Any Fashion-MNIST ONNX classifier, run by ONNX Runtime: input float32 [N,1,28,28] or [N,784] (a fixed batch size is
/// honoured), output [N,10] probabilities or logits (softmax when a batch's rows are not probabilities). Pixels are fed
/// as (pixel · scale − mean) / std (<see cref="OnnxOptions"/>). It is already trained: Fit is an error.
/// Predictions may run concurrently: each call has its own input and output arrays, and ORT's Run is thread-safe.
/// </summary>
internal sealed class OnnxClassifier : IConcurrentPrediction, IDisposable
{
    private const int MaxBatch = 1000;
    private readonly OnnxRuntimeSession _session;
    private readonly string _input, _output;
    private readonly bool _flatInput;
    private readonly int _fixedBatch;
    private readonly string _source;

    private readonly byte[] _bytes;

    internal OnnxClassifier(OnnxRuntimeSession session, byte[] bytes, OnnxOptions options, string source, string name)
    {
        _bytes = bytes;
        _session = session;
        _source = source;
        Options = options;
        Name = name;
        (_input, _flatInput, _fixedBatch) = ChooseInput(session, source);
        _output = ChooseOutput(session, source);
    }

    /// <summary>"onnx" for a foreign file; an fmnist export keeps its model's name (e.g. "cnn3").</summary>
    public string Name { get; }
    public ModelOptions Options { get; }
    public OnnxOptions OnnxOptions => (OnnxOptions)Options;
    public bool IsFitted => true;

    /// <summary>The model's metadata_props.</summary>
    public IReadOnlyDictionary<string, string> Metadata => _session.Metadata;

    public string Describe() => $"onnx({System.IO.Path.GetFileName(_source)}: {_session.Inputs[0]} → {_output})";

    /// <summary>Nothing to learn: an imported model comes trained (compare calls this like any fit, and it costs nothing).</summary>
    public void Fit(ImageSet train, FitContext? context = null) =>
        context?.Log?.Invoke($"{Describe()}: an imported ONNX model comes trained; nothing to fit");

    public void PredictProbabilities(ImageSet images, Span<float> probabilities)
    {
        const int classes = FashionMnistClasses.Count;
        if (probabilities.Length < (long)images.Count * classes)
            throw new ArgumentException($"{images.Count} images need {images.Count * classes} probabilities.", nameof(probabilities));
        int batch = _fixedBatch > 0 ? _fixedBatch : Math.Min(MaxBatch, Math.Max(1, images.Count));
        var (inputScale, inputMean, inputStd) = OnnxOptions.Input;
        float scale = (float)(inputScale / inputStd), offset = (float)(-inputMean / inputStd);
        float[]? input = null;
        for (int start = 0; start < images.Count; start += batch)
        {
            int n = Math.Min(batch, images.Count - start);
            int rows = _fixedBatch > 0 ? _fixedBatch : n; // a fixed batch is padded with zeros
            // ORT reads the whole array as the tensor: one of exactly rows x 784 (reused while the batch size holds).
            if (input is null || input.Length != rows * ImageSet.PixelCount) input = new float[rows * ImageSet.PixelCount];
            else Array.Clear(input);
            ReadOnlySpan<byte> pixels = images.Pixels.AsSpan(start * ImageSet.PixelCount, n * ImageSet.PixelCount);
            Span<float> fed = input.AsSpan(0, pixels.Length);
            System.Numerics.Tensors.TensorPrimitives.ConvertChecked<byte, float>(pixels, fed);
            System.Numerics.Tensors.TensorPrimitives.Multiply(fed, scale, fed);
            System.Numerics.Tensors.TensorPrimitives.Add(fed, offset, fed);
            long[] shape = _flatInput ? [rows, ImageSet.PixelCount] : [rows, 1, ImageSet.Height, ImageSet.Width];
            var (values, outShape) = _session.Run(_input, input, shape, _output);
            if (outShape.Length != 2 || outShape[0] != rows || outShape[1] != classes)
                throw new FashionMnistException($"'{_source}' output '{_output}' has shape [{string.Join(",", outShape)}], not [{rows},{classes}]",
                    "Use a model whose output is one row of 10 class scores per image.");
            Span<float> target = probabilities.Slice(start * classes, n * classes);
            values.AsSpan(0, n * classes).CopyTo(target);
            if (!AreProbabilities(target)) Softmax(target);
        }
    }

    /// <summary>Rows of non-negative values summing to 1 (within float rounding).</summary>
    internal static bool AreProbabilities(ReadOnlySpan<float> rows)
    {
        for (int r = 0; r < rows.Length; r += FashionMnistClasses.Count)
        {
            double sum = 0;
            foreach (float v in rows.Slice(r, FashionMnistClasses.Count))
            {
                if (!(v >= 0 && v <= 1)) return false;
                sum += v;
            }
            if (Math.Abs(sum - 1) > 1e-3) return false;
        }
        return true;
    }

    /// <summary>Numerically stable softmax of every row (the row maximum subtracted first).</summary>
    internal static void Softmax(Span<float> rows)
    {
        for (int r = 0; r < rows.Length; r += FashionMnistClasses.Count)
        {
            Span<float> row = rows.Slice(r, FashionMnistClasses.Count);
            float max = System.Numerics.Tensors.TensorPrimitives.Max(row);
            System.Numerics.Tensors.TensorPrimitives.Subtract(row, max, row);
            System.Numerics.Tensors.TensorPrimitives.Exp(row, row);
            System.Numerics.Tensors.TensorPrimitives.Divide(row, System.Numerics.Tensors.TensorPrimitives.Sum(row), row);
        }
    }

    /// <summary>The state of an imported model is its ONNX file (so sizes in reports are the file's size).</summary>
    public void SaveState(BinaryWriter writer)
    {
        writer.Write(_bytes.Length);
        writer.Write(_bytes);
    }

    public void Dispose() => _session.Dispose();

    private static (string Name, bool Flat, int FixedBatch) ChooseInput(OnnxRuntimeSession session, string source)
    {
        if (session.Inputs.Count != 1)
            throw new FashionMnistException($"'{source}' has {session.Inputs.Count} inputs ({string.Join(", ", session.Inputs)}); an image classifier here takes one",
                "Export the model with a single float32 input of shape [N,1,28,28] or [N,784].");
        OnnxTensorInfo input = session.Inputs[0];
        long[] d = input.Dimensions;
        bool image = d.Length == 4 && Fits(d[1], 1) && Fits(d[2], ImageSet.Height) && Fits(d[3], ImageSet.Width);
        bool flat = d.Length == 2 && Fits(d[1], ImageSet.PixelCount);
        if (input.ElementType != "float" || !(image || flat))
            throw new FashionMnistException($"'{source}' takes {input}, not float32 [N,1,28,28] or [N,784]",
                "Import a Fashion-MNIST classifier whose input is one 28x28 grayscale image per row, as float32.");
        return (input.Name, flat, d[0] > 0 ? (int)d[0] : 0);
    }

    private static bool Fits(long dimension, long wanted) => dimension == wanted || dimension < 0;

    private static string ChooseOutput(OnnxRuntimeSession session, string source)
    {
        OnnxTensorInfo? Pick(Func<OnnxTensorInfo, bool> rule) => session.Outputs.FirstOrDefault(o =>
            o.ElementType == "float" && o.Dimensions.Length == 2 && Fits(o.Dimensions[1], FashionMnistClasses.Count) && rule(o));
        OnnxTensorInfo? chosen = Pick(o => o.Name == OnnxContract.Probabilities) ?? Pick(_ => true);
        return chosen?.Name ?? throw new FashionMnistException(
            $"'{source}' has no float32 [N,10] output (its outputs: {string.Join(", ", session.Outputs)})",
            "Import a 10-class Fashion-MNIST classifier whose output is logits or probabilities of shape [N,10].");
    }

    /// <summary>Parses a load setting's number (invariant culture) for error messages that name the flag.</summary>
    internal static double ParseSetting(string name, string value) =>
        double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out double number) ? number
            : throw new FashionMnistException($"--{name} must be a number, got '{value}'", $"Pass e.g. --{name} 0.5.");

    internal static int Threads => ComputeThreads.Count;
}
