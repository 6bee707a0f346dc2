using FashionMnist.Data;
using FashionMnist.Evaluation;
using FashionMnist.Evaluation.Reports;
using FashionMnist.Models;
using FashionMnist.Tests.Support;

namespace FashionMnist.Tests.Evaluation;

/// <summary>
/// A comparison report with plausible numbers for five made-up models, built from real test images and
/// labels (predictions are the true labels with seeded, class-dependent mistakes), so the report writer
/// and the browser check see every section: curves, PCA, feature importances, gallery.
/// </summary>
internal static class SyntheticReport
{
    public static ComparisonReport Build()
    {
        var test = TestData.Test.Take(2000);
        var models = new List<ModelResult>
        {
            Model("cnn3", "neural", 0.92, 310, 0.9, 1_200_000, test, seed: 1, epochs: 12),
            Model("svm", "classic", 0.89, 95, 14, 48_000_000, test, seed: 2),
            Model("random-forest", "classic", 0.87, 40, 0.6, 160_000_000, test, seed: 3, importances: true),
            Model("mlp", "neural", 0.885, 70, 0.2, 900_000, test, seed: 4, epochs: 20),
            Model("knn", "classic", 0.855, 0.4, 35, 47_000_000, test, seed: 5, pca: true),
        };
        return new ComparisonReport
        {
            Models = models,
            Skipped = [new SkippedModel("xgboost", "not in this build's model catalog")],
            Notes = ["Profile 'quick': synthetic numbers for a test of the report writer."],
            Run = new RunInfo
            {
                Command = "fmnist compare --profile quick --seed 42", Profile = "quick", Seed = 42,
                DataChecksums = new Dictionary<string, string> { ["t10k-images-idx3-ubyte.gz"] = new string('a', 64) },
                Machine = RunEnvironment.Current(), TotalSeconds = 515, Store = "runs/fmnist.db", RunId = Guid.NewGuid(),
            },
        };
    }

    private static ModelResult Model(string name, string family, double accuracy, double trainSeconds, double predictSeconds,
        long size, ImageSet test, int seed, int epochs = 0, bool importances = false, bool pca = false)
    {
        var random = new Random(seed);
        byte[] labels = test.Labels;
        var probabilities = new float[labels.Length * 10];
        // Shirts, pullovers and coats are confused with each other most, as on the real data.
        int[] confusable = [6, 1, 4, 0, 2, 7, 0, 9, 6, 7];
        for (int i = 0; i < labels.Length; i++)
        {
            int label = labels[i];
            double hardness = label is 6 ? 3.0 : label is 2 or 4 or 0 ? 1.6 : 0.5;
            bool wrong = random.NextDouble() < (1 - accuracy) * hardness;
            int predicted = wrong ? (random.NextDouble() < 0.7 ? confusable[label] : random.Next(10)) : label;
            float confidence = (float)(0.5 + 0.49 * random.NextDouble());
            for (int c = 0; c < 10; c++) probabilities[i * 10 + c] = (1 - confidence) / 9;
            probabilities[i * 10 + predicted] = confidence;
        }
        var evaluation = ModelEvaluation.FromProbabilities(probabilities, labels);
        var curve = Enumerable.Range(1, epochs).Select(e => new EpochMetrics(e,
            1.2 * Math.Exp(-e / 4.0) + 0.1, accuracy + 0.06 * (1 - Math.Exp(-e / 3.0)) - 0.05,
            1.1 * Math.Exp(-e / 5.0) + 0.25 + 0.004 * e, accuracy - 0.04 * Math.Exp(-e / 3.0), 20)).ToList();
        return new ModelResult
        {
            Name = name, Family = family, TestAccuracy = evaluation.Accuracy, MacroF1 = evaluation.Metrics.MacroAverage.F1,
            TopTwoAccuracy = evaluation.TopTwoAccuracy, LogLoss = evaluation.LogLoss, ExpectedCalibrationError = evaluation.ExpectedCalibrationError,
            TrainSeconds = trainSeconds, PredictSecondsPer10k = predictSeconds, ModelSizeBytes = size,
            PerClass = evaluation.Metrics.PerClass, Confusion = evaluation.Metrics.Confusion.ToRows(),
            Epochs = curve, TrainAccuracy = Math.Min(1, evaluation.Accuracy + 0.01 + 0.05 * random.NextDouble()),
            ValidationAccuracy = epochs > 0 ? curve[^1].ValidationAccuracy : null,
            FeatureImportances = importances ? Enumerable.Range(0, 784).Select(p => Bump(p / 28, p % 28)).ToArray() : null,
            ExplainedVariance = pca ? Enumerable.Range(1, 187).Select(k => 1 - Math.Exp(-k / 28.0) * 0.9 - 0.1 * Math.Exp(-k / 200.0)).ToArray() : null,
            Misclassified = FashionMnist.Experiments.Comparison.ComparisonRunner.Misclassified(test, evaluation, 16),
            TrainImages = name == "svm" ? 10_000 : 60_000, TestImages = test.Count,
            Note = name == "svm" ? "first 10,000 training images" : null,
            Parameters = new Dictionary<string, string> { ["seed"] = seed.ToString(System.Globalization.CultureInfo.InvariantCulture) },
        };

        static double Bump(int r, int c) => Math.Exp(-((r - 14) * (r - 14) + (c - 9) * (c - 9)) / 30.0) + Math.Exp(-((r - 8) * (r - 8) + (c - 20) * (c - 20)) / 20.0) * 0.6;
    }
}
