using System.Numerics.Tensors;
using FashionMnist.Data;
using FashionMnist.Models;

namespace FashionMnist.Tests.Imaging;

/// <summary>Options of the test-only <see cref="TinyMlp"/>.</summary>
public sealed record TinyMlpOptions : ModelOptions
{
    /// <summary>Hidden ReLU units; 0 makes it a softmax regression.</summary>
    public int Hidden { get; init; } = 64;
    public int Epochs { get; init; } = 2;
    public float LearningRate { get; init; } = 0.02f;
}

/// <summary>
/// A small, deterministic classifier for tests and for tuning the photo pipeline before the real CNN arrives:
/// one hidden ReLU layer (or none) trained by plain per-sample SGD on pixels scaled to [0, 1].
/// Test-only: it is not in the model catalog. Not thread-safe (like the real models may not be).
/// </summary>
public sealed class TinyMlp(TinyMlpOptions? options = null) : IClassifier
{
    private const int Inputs = ImageSet.PixelCount, Classes = FashionMnistClasses.Count;

    public void Dispose() { }
    private readonly TinyMlpOptions _options = options ?? new TinyMlpOptions();
    private float[] _w1 = [], _b1 = [], _w2 = [], _b2 = [];

    public string Name => "tiny-mlp";
    public ModelOptions Options => _options;
    public bool IsFitted { get; private set; }

    /// <summary>Counts PredictProbabilities calls that overlapped another one (must stay 0 behind a lock).</summary>
    public int OverlappingCalls;
    private int _active;

    private int HiddenSize => _options.Hidden;
    private int OutputInputs => HiddenSize == 0 ? Inputs : HiddenSize;

    public void Fit(ImageSet train, FitContext? context = null)
    {
        var random = new Random(context?.Seed ?? 42);
        if (HiddenSize > 0)
        {
            _w1 = Init(random, HiddenSize * Inputs, MathF.Sqrt(2f / Inputs));
            _b1 = new float[HiddenSize];
        }
        _w2 = Init(random, Classes * OutputInputs, MathF.Sqrt(1f / OutputInputs));
        _b2 = new float[Classes];
        float[] x = new float[Inputs], h = new float[OutputInputs], logits = new float[Classes], gh = new float[OutputInputs];
        int[] order = Enumerable.Range(0, train.Count).ToArray();
        long step = 0, steps = (long)_options.Epochs * train.Count;
        for (int epoch = 0; epoch < _options.Epochs; epoch++)
        {
            random.Shuffle(order);
            foreach (int index in order)
            {
                float lr = _options.LearningRate * (1f - 0.9f * step++ / steps);
                ImageSet.WriteFloats(train.Image(index), x, PixelScaling.UnitRange);
                ReadOnlySpan<float> input = Forward(x, h, logits);
                TensorPrimitives.SoftMax(logits, logits); // logits are small here; the max-shift is done in Forward
                logits[train.Labels[index]] -= 1f; // d(loss)/d(logits)
                if (HiddenSize > 0) gh.AsSpan().Clear();
                for (int c = 0; c < Classes; c++)
                {
                    Span<float> row = _w2.AsSpan(c * OutputInputs, OutputInputs);
                    if (HiddenSize > 0) TensorPrimitives.MultiplyAdd(row, logits[c], gh, gh);
                    TensorPrimitives.MultiplyAdd(input, -lr * logits[c], row, row);
                    _b2[c] -= lr * logits[c];
                }
                for (int j = 0; j < HiddenSize; j++)
                {
                    if (h[j] <= 0) continue;
                    Span<float> row = _w1.AsSpan(j * Inputs, Inputs);
                    TensorPrimitives.MultiplyAdd(x, -lr * gh[j], row, row);
                    _b1[j] -= lr * gh[j];
                }
            }
        }
        IsFitted = true;
    }

    private ReadOnlySpan<float> Forward(float[] x, float[] h, float[] logits)
    {
        ReadOnlySpan<float> input = x;
        if (HiddenSize > 0)
        {
            for (int j = 0; j < HiddenSize; j++) h[j] = Math.Max(0, TensorPrimitives.Dot(_w1.AsSpan(j * Inputs, Inputs), x) + _b1[j]);
            input = h;
        }
        for (int c = 0; c < Classes; c++) logits[c] = TensorPrimitives.Dot(_w2.AsSpan(c * OutputInputs, OutputInputs), input) + _b2[c];
        float max = TensorPrimitives.Max(logits);
        TensorPrimitives.Subtract(logits, max, logits);
        return input;
    }

    public void PredictProbabilities(ImageSet images, Span<float> probabilities)
    {
        if (!IsFitted) throw new InvalidOperationException("Fit first.");
        if (Interlocked.Increment(ref _active) > 1) Interlocked.Increment(ref OverlappingCalls);
        try
        {
            float[] x = new float[Inputs], h = new float[OutputInputs], logits = new float[Classes];
            for (int i = 0; i < images.Count; i++)
            {
                ImageSet.WriteFloats(images.Image(i), x, PixelScaling.UnitRange);
                Forward(x, h, logits);
                TensorPrimitives.SoftMax(logits, probabilities.Slice(i * Classes, Classes));
            }
        }
        finally
        {
            Interlocked.Decrement(ref _active);
        }
    }

    /// <summary>An independent copy of the fitted weights (its own <see cref="OverlappingCalls"/> counter).</summary>
    public TinyMlp Clone() => new(_options)
    {
        _w1 = (float[])_w1.Clone(), _b1 = (float[])_b1.Clone(), _w2 = (float[])_w2.Clone(), _b2 = (float[])_b2.Clone(),
        IsFitted = IsFitted,
    };

    public void SaveState(BinaryWriter writer) => throw new NotSupportedException("TinyMlp is test-only and is not saved.");

    private static float[] Init(Random random, int count, float scale)
    {
        var values = new float[count];
        for (int i = 0; i < count; i++) values[i] = (float)(random.NextDouble() * 2 - 1) * scale * 1.7f;
        return values;
    }
}
