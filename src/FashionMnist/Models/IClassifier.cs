using FashionMnist.Data;

namespace FashionMnist.Models;

/// <summary>
/// The one contract every model keeps, classical or neural, in the spirit of scikit-learn's
/// fit / predict_proba: a user switches model by changing its catalog name (<see cref="Name"/>).
/// Hyper-parameters live in <see cref="Options"/> (a typed record with documented defaults);
/// learned state lives in the model and is written by <see cref="SaveState"/>.
/// Save and load whole model files through <see cref="ModelFile"/>, which adds a versioned,
/// checksummed envelope around the state. Models may hold native memory (LIBSVM, XGBoost): dispose them (a second
/// Dispose does nothing). Optional abilities are interfaces of their own (see Capabilities.cs).
/// </summary>
public interface IClassifier : IDisposable
{
    /// <summary>The catalog name: "knn", "svm", "random-forest", "cnn3", ...</summary>
    string Name { get; }

    /// <summary>The hyper-parameters this model was made with.</summary>
    ModelOptions Options { get; }

    bool IsFitted { get; }

    /// <summary>Learns from labelled images. Calling it again starts from scratch.</summary>
    void Fit(ImageSet train, FitContext? context = null);

    /// <summary>
    /// Writes <c>images.Count x 10</c> class probabilities, row-major, each row summing to 1.
    /// Models without calibrated probabilities write their best estimate (e.g. vote shares or one-hot).
    /// </summary>
    void PredictProbabilities(ImageSet images, Span<float> probabilities);

    /// <summary>Writes the learned state (not the options: <see cref="ModelFile"/> stores those).</summary>
    void SaveState(BinaryWriter writer);
}

/// <summary>Conveniences every model gets from the contract.</summary>
public static class ClassifierExtensions
{
    public static float[] PredictProbabilities(this IClassifier model, ImageSet images)
    {
        var probabilities = new float[images.Count * FashionMnistClasses.Count];
        model.PredictProbabilities(images, probabilities);
        return probabilities;
    }

    /// <summary>The model's per-epoch or per-round curves, or null if its fit has none.</summary>
    public static TrainingHistory? TrainingHistory(this IClassifier model) => (model as ITrainingCurves)?.History;

    /// <summary>The most probable class of each image.</summary>
    public static byte[] Predict(this IClassifier model, ImageSet images) =>
        ArgMaxRows(model.PredictProbabilities(images), FashionMnistClasses.Count);

    /// <summary>Accuracy on labelled images.</summary>
    public static double Score(this IClassifier model, ImageSet images)
    {
        byte[] predicted = model.Predict(images);
        byte[] labels = images.Labels;
        int correct = 0;
        for (int i = 0; i < predicted.Length; i++) if (predicted[i] == labels[i]) correct++;
        return images.Count == 0 ? 0 : (double)correct / images.Count;
    }

    /// <summary>Index of the largest value in each row of a row-major matrix (first one on ties).</summary>
    public static byte[] ArgMaxRows(ReadOnlySpan<float> matrix, int columns)
    {
        int rows = matrix.Length / columns;
        var result = new byte[rows];
        for (int r = 0; r < rows; r++)
        {
            ReadOnlySpan<float> row = matrix.Slice(r * columns, columns);
            int best = 0;
            for (int c = 1; c < columns; c++) if (row[c] > row[best]) best = c;
            result[r] = (byte)best;
        }
        return result;
    }
}
