using FashionMnist.Evaluation;
using FashionMnist.Models;

namespace FashionMnist.Experiments;

/// <summary>What one <see cref="ExperimentRequest"/> produced. Owns the fitted model: dispose it when done.</summary>
public sealed class ExperimentResult : IDisposable
{
    /// <summary>The fitted model (owned by this result until it is disposed).</summary>
    public required IClassifier Model { get; init; }
    /// <summary>Metrics of the model on the request's test images.</summary>
    public required ModelEvaluation Evaluation { get; init; }

    /// <summary>Wall seconds of the fit (0 for a model that was only evaluated).</summary>
    public double FitSeconds { get; init; }

    /// <summary>CPU seconds of the whole process during the fit (all threads).</summary>
    public double FitCpuSeconds { get; init; }

    /// <summary>Wall seconds to predict the test images.</summary>
    public double PredictSeconds { get; init; }

    /// <summary>Accuracy on the first <see cref="ExperimentRequest.TrainAccuracySample"/> training images, if asked for.</summary>
    public double? TrainAccuracy { get; init; }

    /// <summary>The held-out accuracy an iterative fit watched (at its best epoch when it kept that one).</summary>
    public double? ValidationAccuracy { get; init; }

    /// <summary>Size of the model file in bytes.</summary>
    public long ModelBytes { get; init; }

    /// <summary>Where the model was saved, or null.</summary>
    public string? ModelPath { get; init; }

    /// <summary>The photo calibration the model file carries: its recipe's (cnn-photo trained without photos: photo-repeats=0, the other options default), or null.</summary>
    public PhotoCalibration? PhotoCalibration { get; init; }

    /// <summary>Number of images the model was fitted on.</summary>
    public int TrainImages { get; init; }
    /// <summary>Number of images it was evaluated on.</summary>
    public int TestImages { get; init; }

    /// <summary>The record as the store holds it (null without a store).</summary>
    public RunRecord? Run { get; init; }

    /// <summary>Seconds of each epoch or round of an iterative fit (empty otherwise).</summary>
    public IReadOnlyList<double> EpochSeconds => Model.TrainingHistory()?.Epochs.Select(e => e.Seconds).ToList() ?? [];

    /// <summary>Prediction time scaled to 10,000 images.</summary>
    public double PredictSecondsPer10k => TestImages == 0 ? 0 : PredictSeconds * 10_000 / TestImages;

    /// <summary>Disposes the model (releasing native memory of SVM, XGBoost and ONNX models).</summary>
    public void Dispose() => Model.Dispose();
}
