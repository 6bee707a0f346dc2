using FashionMnist.Data;

namespace FashionMnist.Models;

// What a model can offer beyond the contract of IClassifier. Evaluation, reports and the CLI ask for these
// interfaces and never for a concrete model type, so a new model gets the same treatment by implementing them.

/// <summary>A fitted estimator's importance of each of its input features (e.g. a forest's mean impurity decrease).</summary>
public interface IFeatureImportances
{
    /// <summary>One non-negative value per input feature, summing to 1; empty before fitting.</summary>
    IReadOnlyList<double> FeatureImportances { get; }
}

/// <summary>A model that can say how much each of the 784 pixels mattered, for the report's importance map.</summary>
public interface IPixelImportances
{
    /// <summary>784 values in row-major pixel order, or null when this fitted model cannot tell (e.g. it saw HOG features).</summary>
    IReadOnlyList<double>? PixelImportances { get; }
}

/// <summary>A fitted PCA step: the cumulative explained variance over all directions and how many it kept.</summary>
/// <param name="Cumulative">Running sum of the explained-variance ratios, one per principal direction.</param>
/// <param name="Components">Components the step kept.</param>
/// <param name="Input">What the PCA was fitted on: "pixels" or "HOG features".</param>
public sealed record PcaInsight(IReadOnlyList<double> Cumulative, int Components, string Input);

/// <summary>A model with a fitted preprocessing the report can show.</summary>
public interface IPreprocessingInsights
{
    /// <summary>The PCA step's explained-variance curve, or null when the model has no PCA.</summary>
    PcaInsight? Pca { get; }
}

/// <summary>
/// A model whose fit left per-epoch or per-round curves (boosting rounds, neural epochs), for learning
/// curves in reports. Unlike <see cref="ICheckpointable"/> it promises no checkpoint/resume.
/// </summary>
public interface ITrainingCurves
{
    /// <summary>The per-epoch or per-round curves of the last fit, or null before fitting.</summary>
    TrainingHistory? History { get; }
}

/// <summary>
/// A model that learns over epochs, writes a checkpoint after each (<see cref="FitContext.CheckpointPath"/>) and can
/// resume from one (<see cref="FitContext.Resume"/>), ending as an uninterrupted run would.
/// </summary>
public interface ICheckpointable : IClassifier, ITrainingCurves
{
    /// <summary>The per-epoch curves so far (empty before fitting).</summary>
    new TrainingHistory History { get; }
}

/// <summary>
/// A fitted model whose predictions may run on several threads at once (each call uses only its own buffers; ONNX
/// Runtime's Run is thread-safe). The web server's photo slots then call it side by side instead of one at a time.
/// </summary>
public interface IConcurrentPrediction : IClassifier;

/// <summary>
/// A model whose <see cref="IClassifier.PredictProbabilities"/> may average each image's probabilities with those of
/// its left-right mirror (test-time augmentation), and that can also predict the images only as given. A caller that
/// feeds mirrored images itself (the photo TTA) uses <see cref="PredictSingleView"/> and averages the pairs, so every
/// distinct image goes through the model once.
/// </summary>
public interface IMirrorAveraging : IClassifier
{
    /// <summary>Whether <see cref="IClassifier.PredictProbabilities"/> averages each image with its mirror (for this model's options).</summary>
    bool AveragesMirror { get; }

    /// <summary>Like <see cref="IClassifier.PredictProbabilities"/>, but for the images exactly as given: never mirrored.</summary>
    void PredictSingleView(ImageSet images, Span<float> probabilities);
}
