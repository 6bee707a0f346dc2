using FashionMnist.Data;
using FashionMnist.Evaluation;
using FashionMnist.Tests.Support;

namespace FashionMnist.Tests.Evaluation;

public class MetricsTests
{
    // Three classes, seven samples. Confusion (row = true, column = predicted):
    //   cat : [1 1 0]   support 2
    //   dog : [0 2 0]   support 2
    //   bird: [1 0 2]   support 3
    // predicted totals: cat 2, dog 3, bird 2
    private static readonly string[] s_names = ["cat", "dog", "bird"];
    private static readonly byte[] s_actual = [0, 0, 1, 1, 2, 2, 2];
    private static readonly byte[] s_predicted = [0, 1, 1, 1, 2, 0, 2];

    private static ClassificationMetrics Example() => ClassificationMetrics.Compute(s_actual, s_predicted, s_names);

    [Fact]
    public void Confusion_matrix_counts_true_rows_against_predicted_columns()
    {
        var confusion = Example().Confusion;
        Assert.Equal([[1, 1, 0], [0, 2, 0], [1, 0, 2]], confusion.ToRows());
        Assert.Equal(7, confusion.Total);
        Assert.Equal(5, confusion.Correct);
        // Row-normalised bird row: 1/3 predicted cat, 0 dog, 2/3 bird.
        double[] bird = confusion.RowNormalized()[2];
        Assert.Equal(1.0 / 3, bird[0], 12);
        Assert.Equal(0.0, bird[1], 12);
        Assert.Equal(2.0 / 3, bird[2], 12);
    }

    [Fact]
    public void Accuracy_and_per_class_metrics_match_hand_arithmetic()
    {
        var m = Example();
        Assert.Equal(5.0 / 7, m.Accuracy, 12); // 1 + 2 + 2 correct of 7
        // cat: P = 1/2 (1 of 2 predicted cats), R = 1/2, F1 = 0.5
        AssertClass(m.PerClass[0], 0.5, 0.5, 0.5, 2);
        // dog: P = 2/3, R = 2/2 = 1, F1 = 2*(2/3)*1 / (2/3 + 1) = (4/3)/(5/3) = 0.8
        AssertClass(m.PerClass[1], 2.0 / 3, 1.0, 0.8, 2);
        // bird: P = 2/2 = 1, R = 2/3, F1 = 0.8
        AssertClass(m.PerClass[2], 1.0, 2.0 / 3, 0.8, 3);
        // macro: P = (0.5 + 2/3 + 1)/3 = 0.72222, R = (0.5 + 1 + 2/3)/3 = 0.72222, F1 = (0.5 + 0.8 + 0.8)/3 = 0.7
        Assert.Equal(13.0 / 18, m.MacroAverage.Precision, 12);
        Assert.Equal(13.0 / 18, m.MacroAverage.Recall, 12);
        Assert.Equal(0.7, m.MacroAverage.F1, 12);
        // weighted: P = (0.5*2 + 2/3*2 + 1*3)/7 = (16/3)/7 = 16/21, R = (1 + 2 + 2)/7 = 5/7, F1 = (1 + 1.6 + 2.4)/7 = 5/7
        Assert.Equal(16.0 / 21, m.WeightedAverage.Precision, 12);
        Assert.Equal(5.0 / 7, m.WeightedAverage.Recall, 12);
        Assert.Equal(5.0 / 7, m.WeightedAverage.F1, 12);
        Assert.Equal(7, m.WeightedAverage.Support);
    }

    [Fact]
    public void A_class_never_predicted_has_zero_precision_and_f1_like_sklearn_zero_division_0()
    {
        // true [0, 1], predicted [0, 0]: class 1 has no predictions and no hits.
        var m = ClassificationMetrics.Compute([0, 1], [0, 0], ["a", "b"]);
        AssertClass(m.PerClass[1], 0, 0, 0, 1);
        // class 0: P = 1/2, R = 1/1, F1 = 2*0.5*1/1.5 = 2/3
        AssertClass(m.PerClass[0], 0.5, 1, 2.0 / 3, 1);
    }

    [Fact]
    public void Report_text_matches_sklearn_classification_report_with_four_digits()
    {
        // What sklearn.metrics.classification_report(y_true, y_pred, target_names=["cat","dog","bird"], digits=4)
        // prints for this case, laid out by hand from sklearn's format strings: name column width
        // max(len("weighted avg")=12, 4) = 12, then " " and " {:>9}" per column.
        const string expected =
            "              precision    recall  f1-score   support\n" +
            "\n" +
            "         cat     0.5000    0.5000    0.5000         2\n" +
            "         dog     0.6667    1.0000    0.8000         2\n" +
            "        bird     1.0000    0.6667    0.8000         3\n" +
            "\n" +
            "    accuracy                         0.7143         7\n" +
            "   macro avg     0.7222    0.7222    0.7000         7\n" +
            "weighted avg     0.7619    0.7143    0.7143         7\n";
        Assert.Equal(expected, Example().ToReport());
    }

    [Fact]
    public void Report_uses_the_fashion_mnist_class_names()
    {
        byte[] labels = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
        string report = ClassificationMetrics.Compute(labels, labels).ToReport();
        // "T-shirt/top" is 11 characters, under "weighted avg", so the name column stays 12 wide.
        Assert.Contains(" T-shirt/top     1.0000    1.0000    1.0000         1\n", report);
        Assert.Contains("  Ankle boot     1.0000    1.0000    1.0000         1\n", report);
        Assert.Contains("    accuracy                         1.0000        10\n", report);
    }

    [Fact]
    public void Most_confused_pairs_are_off_diagonal_cells_by_count()
    {
        var pairs = Example().Confusion.MostConfusedPairs(5);
        // Off-diagonal non-zero cells: cat->dog 1 (1 of 2 cats), bird->cat 1 (1 of 3 birds); equal counts: lower true class first.
        Assert.Equal([new ConfusedPair(0, 1, 1, 0.5), new ConfusedPair(2, 0, 1, 1.0 / 3)], pairs);
    }

    [Fact]
    public void Top_two_accuracy_counts_the_true_class_among_the_two_most_probable()
    {
        float[] p =
        [
            0.5f, 0.3f, 0.2f, // label 1: second most probable -> top-2 hit
            0.1f, 0.2f, 0.7f, // label 0: third -> miss
            0.4f, 0.4f, 0.2f, // label 1: tied with class 0, which wins ties -> second -> hit
            0.6f, 0.3f, 0.1f, // label 0: first -> hit
        ];
        byte[] labels = [1, 0, 1, 0];
        Assert.Equal(3.0 / 4, ProbabilityMetrics.TopKAccuracy(p, labels, 2, classes: 3), 12);
        Assert.Equal(1.0 / 4, ProbabilityMetrics.TopKAccuracy(p, labels, 1, classes: 3), 12);
        Assert.Equal(1.0, ProbabilityMetrics.TopKAccuracy(p, labels, 3, classes: 3), 12);
    }

    [Fact]
    public void Log_loss_clips_at_1e_minus_15_like_sklearn()
    {
        float[] p =
        [
            0.5f, 0.3f, 0.2f, // label 1: -ln 0.3 = 1.2039728
            0.0f, 1.0f, 0.0f, // label 0: clipped to 1e-15, row renormalised by (1 + 1e-15): -ln(1e-15) = 34.5387764
        ];
        // mean = (1.2039728 + 34.5387764) / 2 = 17.8713746
        Assert.Equal(17.8713746, ProbabilityMetrics.LogLoss(p, [1, 0], classes: 3), 6);
        // A perfect prediction costs -ln(1 - 1e-15) ≈ 1e-15, not 0 and not NaN.
        Assert.Equal(0.0, ProbabilityMetrics.LogLoss([0f, 1f], [1], classes: 2), 12);
    }

    [Fact]
    public void Expected_calibration_error_uses_15_equal_width_confidence_bins()
    {
        float[] p =
        [
            0.90f, 0.05f, 0.05f, // label 0, correct, conf 0.90 -> bin 13 (0.8667, 0.9333]
            0.05f, 0.95f, 0.00f, // label 0, wrong,   conf 0.95 -> bin 14 (0.9333, 1]
            0.04f, 0.04f, 0.92f, // label 2, correct, conf 0.92 -> bin 13
            0.50f, 0.30f, 0.20f, // label 1, wrong,   conf 0.50 -> bin 7 (0.4667, 0.5333]
        ];
        byte[] labels = [0, 0, 2, 1];
        // bin 13: 2 samples, acc 1, mean conf 0.91 -> 2/4 * 0.09 = 0.045
        // bin 14: 1 sample,  acc 0, conf 0.95      -> 1/4 * 0.95 = 0.2375
        // bin 7 : 1 sample,  acc 0, conf 0.50      -> 1/4 * 0.50 = 0.125
        // ECE = 0.045 + 0.2375 + 0.125 = 0.4075
        Assert.Equal(0.4075, ProbabilityMetrics.ExpectedCalibrationError(p, labels, classes: 3), 6);
        var table = ProbabilityMetrics.CalibrationTable(p, labels, classes: 3);
        Assert.Equal(15, table.Count);
        Assert.Equal(2, table[13].Count);
        Assert.Equal(1, table[14].Count);
        Assert.Equal(1, table[7].Count);
    }

    [Fact]
    public void A_perfectly_calibrated_set_has_zero_ece()
    {
        // Two samples at confidence 0.5, one right and one wrong: accuracy 0.5 = confidence 0.5.
        float[] p = [0.5f, 0.5f, 0.5f, 0.5f];
        Assert.Equal(0.0, ProbabilityMetrics.ExpectedCalibrationError(p, [0, 1], classes: 2), 12);
    }

    [Fact]
    public void Overfitting_gap_is_train_minus_test_accuracy()
    {
        var split = new AccuracySplit(TrainAccuracy: 0.98, ValidationAccuracy: 0.91, TestAccuracy: 0.90);
        Assert.Equal(0.08, split.Gap, 12);
        Assert.Equal(0.07, split.TrainValidationGap!.Value, 12);
        Assert.Null(new AccuracySplit(0.9, null, 0.9).TrainValidationGap);
    }

    [Fact]
    public void Mismatched_shapes_are_rejected()
    {
        Assert.Throws<ArgumentException>(() => ClassificationMetrics.Compute([0, 1], [0], s_names));
        Assert.Throws<ArgumentException>(() => ProbabilityMetrics.LogLoss([0.5f, 0.5f], [0, 1], classes: 2));
        Assert.Throws<ArgumentException>(() => ProbabilityMetrics.TopKAccuracy([1f, 0f], [5], 1, classes: 2));
    }

    [Fact]
    public void Evaluation_of_real_labels_agrees_with_itself()
    {
        // Real data: a "model" that predicts the true label except for every 4th image, predicted as (label+1)%10.
        var test = TestData.Test.Take(2000);
        byte[] labels = test.Labels;
        var probabilities = new float[labels.Length * FashionMnistClasses.Count];
        for (int i = 0; i < labels.Length; i++)
        {
            int guess = i % 4 == 0 ? (labels[i] + 1) % 10 : labels[i];
            probabilities[i * 10 + guess] = 0.7f;
            probabilities[i * 10 + (guess + 1) % 10] = 0.3f;
        }
        var evaluation = ModelEvaluation.FromProbabilities(probabilities, labels);
        Assert.Equal(1500.0 / 2000, evaluation.Accuracy, 12);
        // On a miss the true class is guess-1, which got probability 0, so top-2 equals top-1 here.
        Assert.Equal(evaluation.Accuracy, evaluation.TopTwoAccuracy, 12);
        // All confidences are 0.7 (bin 10): ECE = |0.75 - 0.7| = 0.05.
        Assert.Equal(0.05, evaluation.ExpectedCalibrationError, 5);
        Assert.Equal(labels.Length, evaluation.Metrics.PerClass.Sum(c => c.Support));
    }

    private static void AssertClass(ClassMetrics m, double precision, double recall, double f1, int support)
    {
        Assert.Equal(precision, m.Precision, 12);
        Assert.Equal(recall, m.Recall, 12);
        Assert.Equal(f1, m.F1, 12);
        Assert.Equal(support, m.Support);
    }
}
