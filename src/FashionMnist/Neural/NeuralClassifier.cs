using FashionMnist.Data;
using FashionMnist.Models;
using FashionMnist.Neural.Layers;
using FashionMnist.Numerics;

namespace FashionMnist.Neural;

/// <summary>
/// A neural network as a catalog model: an architecture (from code or a spec file), trained by
/// <see cref="NeuralTrainer"/>, predicting in inference mode in batches of <see cref="InferenceBatch"/>.
/// The saved state holds the architecture (spec text), weights, batch-norm running statistics and the history,
/// so a model file loads without the code or spec that defined it.
/// </summary>
internal sealed class NeuralClassifier : ICheckpointable, IMirrorAveraging
{
    public const int InferenceBatch = 1000;
    private const int StateVersion = 1;
    private readonly Func<NeuralOptions, Sequential> _architecture;
    private bool _disposed;

    public NeuralClassifier(string name, NeuralOptions options, Func<NeuralOptions, Sequential> architecture)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        Name = name;
        NeuralOptions = options;
        _architecture = architecture;
    }

    public string Name { get; }
    public ModelOptions Options => NeuralOptions;
    public NeuralOptions NeuralOptions { get; }
    public bool IsFitted { get; private set; }
    public TrainingHistory History { get; private set; } = new();

    /// <summary>The trained network (null before fitting).</summary>
    public Sequential? Network { get; private set; }

    /// <summary>A fresh, unbuilt network of this model's architecture.</summary>
    public Sequential CreateArchitecture() => _architecture(NeuralOptions);

    public void Fit(ImageSet train, FitContext? context = null)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentNullException.ThrowIfNull(train);
        context ??= FitContext.Default;
        context.Cancellation.ThrowIfCancellationRequested();
        IsFitted = false;
        var trainer = new NeuralTrainer(this, NeuralOptions, context);
        // cnn-photo learns from labelled real photos too; the test images are never changed.
        if (NeuralOptions is PhotoCnnOptions { PhotoRepeats: > 0 } photo) train = PhotoTrainingSet.Append(train, photo.PhotoRepeats);
        (Network, History) = trainer.Run(train);
        IsFitted = true;
    }

    public void PredictProbabilities(ImageSet images, Span<float> probabilities) =>
        Predict(FittedNetwork(images, probabilities), images, probabilities, NeuralOptions.Tta);

    /// <summary>The <c>tta</c> option: each image is averaged with its mirror.</summary>
    public bool AveragesMirror => NeuralOptions.Tta;

    public void PredictSingleView(ImageSet images, Span<float> probabilities) =>
        Predict(FittedNetwork(images, probabilities), images, probabilities, mirror: false);

    private Sequential FittedNetwork(ImageSet images, Span<float> probabilities)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (!IsFitted || Network is null)
            throw new FashionMnistException($"Model '{Name}' is not fitted", "Fit it (fmnist train) or load a trained model first.");
        int classes = FashionMnistClasses.Count;
        if (probabilities.Length < (long)images.Count * classes)
            throw new ArgumentException($"{images.Count} images need {images.Count * classes} probabilities; the span holds {probabilities.Length}.", nameof(probabilities));
        return Network;
    }

    /// <summary>
    /// Inference-mode softmax outputs of a built network for all images. The images go through the network in
    /// chunks small enough that the largest activation of a chunk (~4 MB) stays in cache: at 1,000 images cnn1's
    /// first activation alone is 86 MB, and streaming it through memory cost more than the convolution itself.
    /// With <paramref name="mirror"/> (test-time augmentation) each chunk also goes through mirrored left-right and
    /// the two softmax outputs are averaged: training flips images, so both views are in-distribution.
    /// </summary>
    internal static void Predict(Sequential network, ImageSet images, Span<float> probabilities, bool mirror = false)
    {
        int classes = FashionMnistClasses.Count;
        int batch = Math.Min(ChunkSize(network), Math.Max(1, images.Count));
        using var frozen = network.FreezeWeights(); // the weights stay as they are for all chunks: layers prepare them once
        if (network.CanForwardRows)
        {
            PredictRows(network, images, probabilities, mirror, batch);
            return;
        }
        var input = new float[batch * ImageSet.PixelCount];
        var mirrored = mirror ? new float[batch * classes] : [];
        for (int start = 0; start < images.Count; start += batch)
        {
            int n = Math.Min(batch, images.Count - start);
            Span<float> target = probabilities.Slice(start * classes, n * classes);
            InputBatch.FillRange(images, start, n, input);
            SoftmaxCrossEntropy.Softmax(network.Forward(input, n, PassInfo.Inference), target, n, classes);
            if (!mirror) continue;
            InputBatch.MirrorRows(input, n);
            SoftmaxCrossEntropy.Softmax(network.Forward(input, n, PassInfo.Inference), mirrored, n, classes);
            for (int i = 0; i < n * classes; i++) target[i] = 0.5f * (target[i] + mirrored[i]);
        }
    }

    /// <summary>
    /// <see cref="Predict"/> as one parallel region: each thread claims the next piece of images (a chunk divided among
    /// the threads, so the pieces in flight together are one chunk's worth of cache) and takes it through input
    /// conversion, every layer (<see cref="Sequential.ForwardRows"/>), softmax and the mirror average on its own. The
    /// layer-by-layer path opens a region per layer per chunk (the mlp: 4 per 501 images, each a fork and a join of
    /// 0.1-1 ms, with the softmax on one thread between them). Every row's bits are the layer-by-layer path's whoever
    /// computes it, so the probabilities do not depend on the thread count or timing (tested).
    /// <para>
    /// A call too small to pay for waking a worker (<see cref="MinParallelMultiplyAdds"/>: the mlp on six images) runs
    /// as one piece on the calling thread: split in two pieces on one thread, every dense layer streamed its weights
    /// twice for three rows each. The input buffers are kept per network (<see cref="RowBuffers"/>): a server predicting
    /// one photo at a time allocated them per call (19 KB for six images, 1.5 MB, a large-object-heap block, per
    /// evaluation).
    /// </para>
    /// <para>
    /// With mirror averaging on a few images (both views of all fit in one chunk), each view is a row of its own
    /// (<see cref="PredictViewRows"/>): one image's two views then run on two threads, where its image and then its
    /// mirror ran one after the other on one thread (ORT, given both views as one batch, splits them: it was 1.16-1.30x
    /// faster than us on cnn3 and cnn-deep at batch 1), and an odd count of images splits evenly.
    /// </para>
    /// </summary>
    private static void PredictRows(Sequential network, ImageSet images, Span<float> probabilities, bool mirror, int batch)
    {
        int count = images.Count;
        if (count == 0) return;
        if (mirror && 2 * count <= ChunkSize(network))
        {
            PredictViewRows(network, images, probabilities);
            return;
        }
        int threads = ComputeThreads.Count, rest = count % threads;
        long restWork = rest * MultiplyAddsPerImage(network) * (mirror ? 2 : 1);
        if (rest > 0 && count < 4 * threads && restWork >= MinParallelMultiplyAdds)
        {
            // Fewer images than threads, or a few more (batch 3 with 2 threads: 2 images on one thread, 1 on the other):
            // whole rounds of images by rows, the rest with the filters split.
            int whole = count - rest;
            if (whole > 0) PredictImageRows(network, images, whole, probabilities, mirror, whole);
            PredictFilterSplit(network, images, whole, rest, probabilities[(whole * FashionMnistClasses.Count)..], mirror);
            return;
        }
        PredictImageRows(network, images, count, probabilities, mirror, batch);
    }

    /// <summary>
    /// Images first .. first + count, fewer than threads (one image, no mirror averaging, at batch 1), into
    /// <paramref name="probabilities"/>: the rows as one piece on the calling thread, with each convolution's filters
    /// split across the threads (<see cref="Sequential.ForwardFilterSplit"/>), where the batch split left all threads
    /// but one idle. Same bits per row as <see cref="PredictImageRows"/>.
    /// </summary>
    private static void PredictFilterSplit(Sequential network, ImageSet images, int first, int count, Span<float> probabilities, bool mirror)
    {
        const int classes = FashionMnistClasses.Count;
        int parts = ComputeThreads.Count;
        network.PrepareRows(parts, count);
        RowBuffers buffers = s_rowBuffers.GetValue(network, _ => new RowBuffers());
        float[] input = buffers.Input(count * ImageSet.PixelCount);
        Span<float> rows = input.AsSpan(0, count * ImageSet.PixelCount), output = probabilities[..(count * classes)];
        InputBatch.Convert(images.Pixels.AsSpan(first * ImageSet.PixelCount, count * ImageSet.PixelCount), rows);
        SoftmaxCrossEntropy.Softmax(network.ForwardFilterSplit(input, count, parts).AsSpan(0, count * classes), output, count, classes);
        if (!mirror) return;
        float[] mirrored = buffers.Mirrored(count * classes);
        InputBatch.MirrorRows(rows, count);
        SoftmaxCrossEntropy.Softmax(network.ForwardFilterSplit(input, count, parts).AsSpan(0, count * classes), mirrored, count, classes);
        for (int i = 0; i < count * classes; i++) output[i] = 0.5f * (output[i] + mirrored[i]);
    }

    /// <summary>Rows are images 0 .. count: each piece goes through the network, then mirrored through it again when <paramref name="mirror"/>.</summary>
    private static unsafe void PredictImageRows(Sequential network, ImageSet images, int count, Span<float> probabilities, bool mirror, int batch)
    {
        const int classes = FashionMnistClasses.Count;
        bool parallel = (long)count * MultiplyAddsPerImage(network) * (mirror ? 2 : 1) >= MinParallelMultiplyAdds;
        int threads = parallel ? BatchParallel.Slices(count) : 1;
        int piece = Math.Max(1, batch / threads), pieces = (count + piece - 1) / piece;
        int slices = Math.Min(threads, pieces);
        network.PrepareRows(slices, slices * piece);
        RowBuffers buffers = s_rowBuffers.GetValue(network, _ => new RowBuffers());
        float[] input = buffers.Input(slices * piece * ImageSet.PixelCount);
        float[] mirrored = mirror ? buffers.Mirrored(slices * piece * classes) : [];
        byte[] pixels = images.Pixels;
        var next = new StrongBox<int>(-1);
        fixed (float* target = probabilities)
        {
            nint address = (nint)target;
            BatchParallel.ForSlices(slices, parallel ? long.MaxValue : 0, s =>
            {
                int row = s * piece, k;
                while ((k = Interlocked.Increment(ref next.Value)) < pieces)
                {
                    int start = k * piece, n = Math.Min(piece, count - start);
                    Span<float> rows = input.AsSpan(row * ImageSet.PixelCount, n * ImageSet.PixelCount);
                    InputBatch.Convert(pixels.AsSpan(start * ImageSet.PixelCount, n * ImageSet.PixelCount), rows);
                    var output = new Span<float>((float*)address + (long)start * classes, n * classes);
                    float[] logits = network.ForwardRows(input, s, row, n);
                    SoftmaxCrossEntropy.Softmax(logits.AsSpan(row * classes, n * classes), output, n, classes);
                    if (!mirror) continue;
                    InputBatch.MirrorRows(rows, n);
                    logits = network.ForwardRows(input, s, row, n);
                    Span<float> other = mirrored.AsSpan(row * classes, n * classes);
                    SoftmaxCrossEntropy.Softmax(logits.AsSpan(row * classes, n * classes), other, n, classes);
                    for (int i = 0; i < n * classes; i++) output[i] = 0.5f * (output[i] + other[i]);
                }
            });
        }
    }

    /// <summary>
    /// Mirror averaging with the views as rows: rows 0 .. count are the images, rows count .. 2 count their mirrors, cut
    /// into one piece per thread; the softmax of every row goes to a buffer and the pairs are averaged afterwards, the
    /// same float operations as <see cref="PredictImageRows"/> on the same per-row values.
    /// </summary>
    private static void PredictViewRows(Sequential network, ImageSet images, Span<float> probabilities)
    {
        const int classes = FashionMnistClasses.Count;
        int count = images.Count, rows = 2 * count;
        bool parallel = (long)rows * MultiplyAddsPerImage(network) >= MinParallelMultiplyAdds;
        int slices = parallel ? BatchParallel.Slices(rows) : 1, piece = (rows + slices - 1) / slices;
        network.PrepareRows(slices, slices * piece);
        RowBuffers buffers = s_rowBuffers.GetValue(network, _ => new RowBuffers());
        float[] input = buffers.Input(slices * piece * ImageSet.PixelCount);
        float[] views = buffers.Mirrored(rows * classes);
        byte[] pixels = images.Pixels;
        BatchParallel.ForSlices(slices, parallel ? long.MaxValue : 0, s =>
        {
            int row = s * piece, start = s * piece, n = Math.Min(piece, rows - start);
            if (n <= 0) return;
            for (int r = 0; r < n; r++)
            {
                int view = start + r, image = view % count;
                Span<float> target = input.AsSpan((row + r) * ImageSet.PixelCount, ImageSet.PixelCount);
                InputBatch.Convert(pixels.AsSpan(image * ImageSet.PixelCount, ImageSet.PixelCount), target);
                if (view >= count) InputBatch.MirrorRows(target, 1);
            }
            float[] logits = network.ForwardRows(input, s, row, n);
            SoftmaxCrossEntropy.Softmax(logits.AsSpan(row * classes, n * classes), views.AsSpan(start * classes, n * classes), n, classes);
        });
        for (int i = 0; i < count * classes; i++) probabilities[i] = 0.5f * (views[i] + views[count * classes + i]);
    }

    /// <summary>
    /// Below this many multiply-adds (about 20 µs of one core) a prediction stays on the calling thread: a worker's
    /// wake-up and the join cost more than the half of the work it would take. The mlp on six images (1.4 M) stays;
    /// cnn1 on six (5 M) and every convolutional zoo model from two images on is split.
    /// </summary>
    internal const long MinParallelMultiplyAdds = 4L << 20;

    /// <summary>
    /// Multiply-adds per image of a network's inference pass, estimated as each layer's parameters times its output
    /// pixels (exact for dense and convolution layers, which dominate; a batch norm's few are counted too).
    /// </summary>
    internal static long MultiplyAddsPerImage(Sequential network) =>
        network.Layers.Sum(layer => layer.Parameters.Sum(p => (long)p.Length) * layer.OutputShape.Height * layer.OutputShape.Width);

    private static readonly ConditionalWeakTable<Sequential, RowBuffers> s_rowBuffers = new();

    /// <summary>A network's prediction input (and mirrored-output) buffers, kept across calls, grown when needed.</summary>
    private sealed class RowBuffers
    {
        private float[] _input = [], _mirrored = [];

        public float[] Input(int length) => _input.Length >= length ? _input : _input = new float[length];

        public float[] Mirrored(int length) => _mirrored.Length >= length ? _mirrored : _mirrored = new float[length];
    }

    /// <summary>Images per forward pass in inference: <see cref="InferenceBatch"/>, fewer when the activations are large.</summary>
    /// <remarks>
    /// Two limits: the largest activation a chunk writes stays within 4 MB (cnn1's first conv output is 86 MB at 1,000
    /// images: streaming it through memory cost more than the conv), and the chunk's input within 1.5 MB, under a 2 MB
    /// L2 (the mlp's first layer reads 3 KB per image: 1,000 images took 5.9 ms per 1,000 on one core, 250-500 images
    /// 3.9-4.0 ms).
    /// </remarks>
    internal static int ChunkSize(Sequential network)
    {
        const long ActivationBytes = 4L << 20, InputBytes = 3L << 19;
        long largest = (long)network.LargestInferenceActivation * sizeof(float);
        long input = (long)network.InputShape.Size * sizeof(float);
        return (int)Math.Clamp(Math.Min(ActivationBytes / largest, InputBytes / input), 16, InferenceBatch);
    }

    /// <summary>Drops the network (managed memory only); a second call does nothing.</summary>
    public void Dispose()
    {
        _disposed = true;
        IsFitted = false;
        Network = null;
    }

    public void SaveState(BinaryWriter writer)
    {
        if (Network is null) throw new InvalidOperationException("Nothing to save before fitting.");
        writer.Write(StateVersion);
        writer.Write(ArchitectureSpec.Write(Network));
        WriteTensors(Network, writer);
        History.Write(writer);
    }

    /// <summary>Rebuilds a fitted model from <see cref="SaveState"/>'s output.</summary>
    public static NeuralClassifier Load(string name, NeuralOptions options, Func<NeuralOptions, Sequential> architecture, BinaryReader reader)
    {
        int version = reader.ReadInt32();
        if (version != StateVersion) throw new InvalidDataException($"neural state version {version} is not {StateVersion}");
        string spec = reader.ReadString();
        Sequential network;
        try
        {
            // Every parameter is stored in the file, so the rest of the state bounds how many the architecture may ask for.
            long left = reader.BaseStream.Length - reader.BaseStream.Position;
            network = ArchitectureSpec.Parse(spec, "stored architecture").Build(0, NetworkLimits.ForStoredState(left));
        }
        catch (FashionMnistException e)
        {
            throw new InvalidDataException($"its stored architecture is unreadable ({e.Problem})");
        }
        ReadTensors(network, reader);
        var model = new NeuralClassifier(name, options, architecture)
        {
            Network = network,
            History = TrainingHistory.Read(reader),
            IsFitted = true,
        };
        return model;
    }

    internal static void WriteTensors(Sequential network, BinaryWriter writer)
    {
        foreach (Parameter p in network.Parameters) Serialization.WriteFloats(writer, p.Value);
        foreach (float[] state in network.States) Serialization.WriteFloats(writer, state);
    }

    internal static void ReadTensors(Sequential network, BinaryReader reader)
    {
        foreach (Parameter p in network.Parameters) Serialization.ReadFloats(reader, p.Value);
        foreach (float[] state in network.States) Serialization.ReadFloats(reader, state);
        network.WeightsChanged();
    }
}
