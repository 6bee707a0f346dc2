using FashionMnist.Data;
using FashionMnist.Models;

namespace FashionMnist.Imaging;

/// <summary>One class and its probability.</summary>
public sealed record ClassProbability(int Label, string Name, float Probability);

/// <summary>What the model said about one photo, and the 28x28 input it saw.</summary>
public sealed record PhotoPrediction(float[] Probabilities, PreparedPhoto Input)
{
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
/// activation buffers). One 28x28 inference takes well under a millisecond, so the lock is not the bottleneck:
/// decoding and the pipeline are.</para>
/// <para>With <see cref="TestTimeAugmentation"/> the model sees several versions of the input in one batch and the
/// probabilities are averaged; the prediction's input is the pipeline's own (first) version.</para>
/// </summary>
public sealed class PhotoClassifier(IClassifier model, IPhotoPipeline pipeline, TestTimeAugmentation? augmentation = null)
{
    private readonly Lock _modelGate = new();

    /// <summary>The fitted model that classifies the 28x28 inputs.</summary>
    public IClassifier Model { get; } = model;
    /// <summary>How a photo becomes a 28x28 input.</summary>
    public IPhotoPipeline Pipeline { get; } = pipeline;
    /// <summary>The extra views averaged per photo (<see cref="TestTimeAugmentation.None"/> for one view).</summary>
    public TestTimeAugmentation Augmentation { get; } = augmentation ?? TestTimeAugmentation.None;

    /// <summary>The class probabilities of <paramref name="photo"/>; <paramref name="keepStages"/> keeps the pipeline's intermediate pictures.</summary>
    public PhotoPrediction Classify(RgbaImage photo, bool keepStages = false)
    {
        PreparedPhoto input = Pipeline.Prepare(photo, keepStages);
        byte[] views = Augmentation.Views(photo, Pipeline, input);
        int count = views.Length / ImageSet.PixelCount, classes = FashionMnistClasses.Count;
        var all = new float[count * classes];
        lock (_modelGate) Model.PredictProbabilities(ImageSet.Unlabeled(views), all);
        var probabilities = new float[classes];
        for (int v = 0; v < count; v++)
            for (int c = 0; c < classes; c++) probabilities[c] += all[v * classes + c] / count;
        return new PhotoPrediction(probabilities, input);
    }
}
