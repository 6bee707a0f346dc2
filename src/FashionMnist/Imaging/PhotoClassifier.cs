using FashionMnist.Data;
using FashionMnist.Models;

namespace FashionMnist.Imaging;

/// <summary>One class and its probability.</summary>
public sealed record ClassProbability(int Label, string Name, float Probability);

/// <summary>Where one classification's time went (wall clock): the pipeline with every TTA input, waiting for the
/// model (one call at a time), and the model's call itself.</summary>
public sealed record PhotoTiming(TimeSpan Prepare, TimeSpan ModelWait, TimeSpan Model);

/// <summary>What the model said about one photo, and the 28x28 input it saw.</summary>
public sealed record PhotoPrediction(float[] Probabilities, PreparedPhoto Input)
{
    /// <summary>Where the time went (set by <see cref="PhotoClassifier"/>; the web server reports it as Server-Timing).</summary>
    public PhotoTiming? Timing { get; init; }

    /// <summary>The <paramref name="k"/> most probable classes, most probable first (ties: lower label first).</summary>
    public IReadOnlyList<ClassProbability> Top(int k) =>
        Enumerable.Range(0, Probabilities.Length)
            .OrderByDescending(c => Probabilities[c]).ThenBy(c => c)
            .Take(Math.Clamp(k, 1, Probabilities.Length))
            .Select(c => new ClassProbability(c, FashionMnistClasses.Name(c), Probabilities[c]))
            .ToList();
}

/// <summary>
/// Photo in, class probabilities out: a pipeline (photo to 28x28) in front of any <see cref="IClassifier"/>.
/// <para>Thread-safe. The pipeline runs concurrently (it keeps no state); the model call is serialised by a lock,
/// because <see cref="IClassifier"/> implementations are not required to be thread-safe (a network reuses its
/// activation buffers), unless the model says it may be called concurrently (<see cref="IConcurrentPrediction"/>:
/// ONNX Runtime), so two photos' model calls can run on two cores side by side.</para>
/// <para>With <see cref="TestTimeAugmentation"/> the model sees several versions of the input in one batch and the
/// probabilities are averaged; the prediction's input is the pipeline's own (first) version.</para>
/// <para>Two layers may ask for mirrored images: the photo TTA (<see cref="TestTimeAugmentation.Flip"/>) and a model
/// that averages every image with its mirror (<see cref="IMirrorAveraging"/>, a network's <c>tta</c> option). Each
/// distinct image goes through the model once: the mirrors are made here, the model predicts single views, and each
/// view's probability is then what that model would have said for it (the mean of the view and its mirror), so the
/// result is the same, to the bit, as letting the model mirror every view again.</para>
/// <para>A <see cref="PhotoCalibration"/> (kept in the model file by `fmnist calibrate`) is applied to the averaged
/// probabilities when it was fitted with this pipeline and this many views; otherwise it is set aside and
/// <see cref="CalibrationSetAside"/> says why (its numbers only fit the outputs it was fitted on).</para>
/// </summary>
public sealed class PhotoClassifier(IClassifier model, IPhotoPipeline pipeline, TestTimeAugmentation? augmentation = null,
    PhotoCalibration? calibration = null)
{
    private readonly Lock _modelGate = new();

    /// <summary>The fitted model that classifies the 28x28 inputs.</summary>
    public IClassifier Model { get; } = model;
    /// <summary>How a photo becomes a 28x28 input.</summary>
    public IPhotoPipeline Pipeline { get; } = pipeline;
    /// <summary>The extra views averaged per photo (<see cref="TestTimeAugmentation.None"/> for one view).</summary>
    public TestTimeAugmentation Augmentation { get; } = augmentation ?? TestTimeAugmentation.None;

    /// <summary>Why the calibration given is not applied (another pipeline or view count), or null.</summary>
    public string? CalibrationSetAside { get; } = calibration?.Mismatch(pipeline.Name, (augmentation ?? TestTimeAugmentation.None).ViewCount(pipeline));

    /// <summary>The photo calibration applied to every prediction, or null (none given, or set aside).</summary>
    public PhotoCalibration? Calibration => CalibrationSetAside is null ? calibration : null;

    /// <summary>Whether the model averages each image with its mirror (then this class makes the mirrors).</summary>
    private bool ModelMirrors => Model is IMirrorAveraging { AveragesMirror: true };

    /// <summary>Distinct images the model sees per photo: the photo TTA's views, and their mirrors if the model wants them.</summary>
    public int ImagesPerPhoto => Augmentation.ViewCount(Pipeline) * (ModelMirrors && !Augmentation.Flip ? 2 : 1);

    private void Predict(byte[] images, float[] single, bool modelMirrors)
    {
        if (modelMirrors) ((IMirrorAveraging)Model).PredictSingleView(ImageSet.Unlabeled(images), single);
        else Model.PredictProbabilities(ImageSet.Unlabeled(images), single);
    }

    /// <summary>The class probabilities of <paramref name="photo"/>; <paramref name="keepStages"/> keeps the pipeline's intermediate pictures.</summary>
    public PhotoPrediction Classify(RgbaImage photo, bool keepStages = false)
    {
        long start = Stopwatch.GetTimestamp();
        var (input, inputs) = Augmentation.Prepare(photo, Pipeline, keepStages);
        bool modelMirrors = ModelMirrors, withMirrors = Augmentation.Flip || modelMirrors;
        byte[] images = TestTimeAugmentation.Views(inputs, withMirrors);
        int distinct = images.Length / ImageSet.PixelCount, classes = FashionMnistClasses.Count;
        var single = new float[distinct * classes];
        long prepared = Stopwatch.GetTimestamp(), admitted;
        if (Model is IConcurrentPrediction)
        {
            admitted = prepared;
            Predict(images, single, modelMirrors);
        }
        else
        {
            lock (_modelGate)
            {
                admitted = Stopwatch.GetTimestamp();
                Predict(images, single, modelMirrors);
            }
        }

        // The views are every image when the photo TTA flips, else every other one (the mirrors are only for the model).
        int step = withMirrors && !Augmentation.Flip ? 2 : 1, count = distinct / step;
        var probabilities = new float[classes];
        for (int v = 0; v < distinct; v += step)
        {
            int mirror = v ^ 1; // an image and its mirror are neighbours
            for (int c = 0; c < classes; c++)
            {
                // As the model's own mirror TTA computes it (NeuralClassifier.Predict): view first, then its mirror.
                float p = modelMirrors ? 0.5f * (single[v * classes + c] + single[mirror * classes + c]) : single[v * classes + c];
                probabilities[c] += p / count;
            }
        }
        Calibration?.Apply(probabilities, probabilities);
        return new PhotoPrediction(probabilities, input)
        {
            Timing = new PhotoTiming(Stopwatch.GetElapsedTime(start, prepared), Stopwatch.GetElapsedTime(prepared, admitted), Stopwatch.GetElapsedTime(admitted)),
        };
    }
}
