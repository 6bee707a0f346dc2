using FashionMnist.Data;
using FashionMnist.Models;

namespace FashionMnist.Evaluation;

/// <summary>Everything measured from one model's probabilities on one labelled set.</summary>
public sealed class ModelEvaluation
{
    /// <summary>Accuracy, per-class precision/recall/F1 and the confusion matrix.</summary>
    public required ClassificationMetrics Metrics { get; init; }
    /// <summary>Share of images whose true class is among the two most probable.</summary>
    public required double TopTwoAccuracy { get; init; }
    /// <summary>Mean negative log probability of the true class (scikit-learn's log_loss; probabilities clipped at 1e-15).</summary>
    public required double LogLoss { get; init; }
    /// <summary>How far confidence is from accuracy, averaged over 15 confidence bins (0 = perfectly calibrated).</summary>
    public required double ExpectedCalibrationError { get; init; }
    /// <summary>The predicted class of each image.</summary>
    public required byte[] Predicted { get; init; }
    /// <summary>The model's <c>Count x 10</c> probabilities, row-major.</summary>
    public required float[] Probabilities { get; init; }

    /// <summary>Share of images predicted right.</summary>
    public double Accuracy => Metrics.Accuracy;

    /// <summary>All scalar metrics by name (the names the experiment store and reports use).</summary>
    public IReadOnlyDictionary<string, double> Scalars => new Dictionary<string, double>
    {
        ["accuracy"] = Metrics.Accuracy,
        ["top2_accuracy"] = TopTwoAccuracy,
        ["log_loss"] = LogLoss,
        ["ece"] = ExpectedCalibrationError,
        ["macro_precision"] = Metrics.MacroAverage.Precision,
        ["macro_recall"] = Metrics.MacroAverage.Recall,
        ["macro_f1"] = Metrics.MacroAverage.F1,
        ["weighted_precision"] = Metrics.WeightedAverage.Precision,
        ["weighted_recall"] = Metrics.WeightedAverage.Recall,
        ["weighted_f1"] = Metrics.WeightedAverage.F1,
    };

    /// <summary>Everything measured from <c>labels.Length x 10</c> probabilities against the true labels.</summary>
    public static ModelEvaluation FromProbabilities(float[] probabilities, ReadOnlySpan<byte> labels)
    {
        byte[] predicted = ClassifierExtensions.ArgMaxRows(probabilities, FashionMnistClasses.Count);
        return new ModelEvaluation
        {
            Metrics = ClassificationMetrics.Compute(labels, predicted),
            TopTwoAccuracy = ProbabilityMetrics.TopKAccuracy(probabilities, labels, 2),
            LogLoss = ProbabilityMetrics.LogLoss(probabilities, labels),
            ExpectedCalibrationError = ProbabilityMetrics.ExpectedCalibrationError(probabilities, labels),
            Predicted = predicted,
            Probabilities = probabilities,
        };
    }

    /// <summary>Predicts the labelled <paramref name="images"/> with a fitted <paramref name="model"/> and measures the result.</summary>
    public static ModelEvaluation Evaluate(IClassifier model, ImageSet images) =>
        FromProbabilities(model.PredictProbabilities(images), images.Labels);
}
