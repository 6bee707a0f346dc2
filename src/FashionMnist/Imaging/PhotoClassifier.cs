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
/// </summary>
public sealed class PhotoClassifier(IClassifier model, IPhotoPipeline pipeline)
{
    private readonly Lock _modelGate = new();

    public IClassifier Model { get; } = model;
    public IPhotoPipeline Pipeline { get; } = pipeline;

    public PhotoPrediction Classify(RgbaImage photo, bool keepStages = false)
    {
        PreparedPhoto input = Pipeline.Prepare(photo, keepStages);
        var probabilities = new float[FashionMnistClasses.Count];
        var images = ImageSet.Unlabeled(input.Pixels);
        lock (_modelGate) Model.PredictProbabilities(images, probabilities);
        return new PhotoPrediction(probabilities, input);
    }
}
