using FashionMnist.Data;
using FashionMnist.Models;

namespace FashionMnist.Onnx;

/// <summary>
/// A network with mirror TTA on ONNX Runtime, exported as its single view: <see cref="PredictProbabilities"/> runs each
/// image and its mirror in one batch and averages them as the network itself does (0.5 x (view + mirror)), while
/// <see cref="PredictSingleView"/> runs the images as given. So the photo TTA, which feeds its own mirrors
/// (Imaging.PhotoClassifier), costs one pass per distinct image on ONNX Runtime too, not two.
/// </summary>
internal sealed class MirrorAveragingOnnxClassifier(OnnxClassifier singleView) : IMirrorAveraging, IConcurrentPrediction, IDisposable
{
    public string Name => singleView.Name;
    public ModelOptions Options => singleView.Options;
    public bool IsFitted => true;
    public bool AveragesMirror => true;

    /// <summary>The ONNX model of the single view (what predict and serve run).</summary>
    internal OnnxClassifier SingleView => singleView;

    public void Fit(ImageSet train, FitContext? context = null) => singleView.Fit(train, context);

    public void PredictSingleView(ImageSet images, Span<float> probabilities) => singleView.PredictProbabilities(images, probabilities);

    public void PredictProbabilities(ImageSet images, Span<float> probabilities)
    {
        const int classes = FashionMnistClasses.Count;
        int n = images.Count, pixels = ImageSet.PixelCount;
        if (probabilities.Length < (long)n * classes)
            throw new ArgumentException($"{n} images need {n * classes} probabilities.", nameof(probabilities));
        var both = new byte[2 * n * pixels];
        images.Pixels.AsSpan(0, n * pixels).CopyTo(both);
        for (int i = 0; i < n; i++)
            ImageSet.Mirror(images.Pixels.AsSpan(i * pixels, pixels), both.AsSpan((n + i) * pixels, pixels));
        var all = new float[2 * n * classes];
        singleView.PredictProbabilities(ImageSet.Unlabeled(both), all);
        for (int i = 0; i < n * classes; i++) probabilities[i] = 0.5f * (all[i] + all[n * classes + i]);
    }

    public void SaveState(BinaryWriter writer) => singleView.SaveState(writer);

    public void Dispose() => singleView.Dispose();
}
