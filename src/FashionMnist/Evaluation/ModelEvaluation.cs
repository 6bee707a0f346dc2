using FashionMnist.Data;
using FashionMnist.Models;

namespace FashionMnist.Evaluation;

/// <summary>Everything measured from one model's probabilities on one labelled set.</summary>
public sealed class ModelEvaluation
{
    public required ClassificationMetrics Metrics { get; init; }
    public required double TopTwoAccuracy { get; init; }
    public required double LogLoss { get; init; }
    public required double ExpectedCalibrationError { get; init; }
    public required byte[] Predicted { get; init; }
    public required float[] Probabilities { get; init; }

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

    public static ModelEvaluation Evaluate(IClassifier model, ImageSet images) =>
        FromProbabilities(model.PredictProbabilities(images), images.Labels);
}
