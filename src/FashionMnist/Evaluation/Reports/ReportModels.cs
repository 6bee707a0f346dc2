using FashionMnist.Models;

namespace FashionMnist.Evaluation.Reports;

/// <summary>A test image a model got wrong.</summary>
/// <param name="Index">Position in the evaluated test set.</param>
/// <param name="Pixels">The 784 pixels.</param>
/// <param name="Actual">The true class.</param>
/// <param name="Predicted">The class the model chose.</param>
/// <param name="Confidence">The probability the model gave its (wrong) answer.</param>
public sealed record MisclassifiedExample(int Index, byte[] Pixels, int Actual, int Predicted, double Confidence);

/// <summary>Everything the report shows about one trained and evaluated model.</summary>
public sealed record ModelResult
{
    public required string Name { get; init; }

    /// <summary>"classic" or "neural".</summary>
    public required string Family { get; init; }

    public string Summary { get; init; } = "";

    /// <summary>The options it was trained with, as "name=value" text.</summary>
    public IReadOnlyDictionary<string, string> Parameters { get; init; } = new Dictionary<string, string>();

    public required double TestAccuracy { get; init; }
    public required double MacroF1 { get; init; }
    public double? TopTwoAccuracy { get; init; }
    public double? LogLoss { get; init; }
    public double? ExpectedCalibrationError { get; init; }

    public required double TrainSeconds { get; init; }

    /// <summary>Seconds to predict 10,000 images (scaled from the test set's size).</summary>
    [System.Text.Json.Serialization.JsonPropertyName("predict_seconds_per_10k")]
    public required double PredictSecondsPer10k { get; init; }

    /// <summary>Size of the saved model file (or state), in bytes.</summary>
    public long ModelSizeBytes { get; init; }

    public IReadOnlyList<ClassMetrics> PerClass { get; init; } = [];

    /// <summary>Test confusion counts, rows = true class.</summary>
    public int[][]? Confusion { get; init; }

    /// <summary>Per-epoch curves, for iterative models.</summary>
    public IReadOnlyList<EpochMetrics> Epochs { get; init; } = [];

    public double? TrainAccuracy { get; init; }
    public double? ValidationAccuracy { get; init; }

    /// <summary>Cumulative explained variance ratio per principal component, if the model uses PCA.</summary>
    public IReadOnlyList<double>? ExplainedVariance { get; init; }

    /// <summary>784 pixel importances (e.g. a random forest's), if the model has them.</summary>
    public IReadOnlyList<double>? FeatureImportances { get; init; }

    public IReadOnlyList<MisclassifiedExample> Misclassified { get; init; } = [];

    public int TrainImages { get; init; }
    public int TestImages { get; init; }

    /// <summary>Remarks for the reader, e.g. "trained on a 10,000-image subset".</summary>
    public string? Note { get; init; }

    /// <summary>The experiment-store run this result came from.</summary>
    public Guid? RunId { get; init; }

    /// <summary>Train accuracy minus test accuracy (the overfitting measure), when the train accuracy is known.</summary>
    public double? OverfittingGap => TrainAccuracy is double train ? train - TestAccuracy : null;
}

/// <summary>How a comparison was run, so a reader can reproduce it.</summary>
public sealed record RunInfo
{
    /// <summary>The exact command line.</summary>
    public required string Command { get; init; }
    public string Profile { get; init; } = "";
    public int Seed { get; init; }

    /// <summary>Data file name → SHA-256.</summary>
    public IReadOnlyDictionary<string, string> DataChecksums { get; init; } = new Dictionary<string, string>();

    public required RunEnvironment Machine { get; init; }
    public DateTimeOffset StartedUtc { get; init; } = DateTimeOffset.UtcNow;
    public double TotalSeconds { get; init; }

    /// <summary>The experiment store the runs are recorded in.</summary>
    public string? Store { get; init; }
    public Guid? RunId { get; init; }
}

/// <summary>A model that was asked for but not run, and why.</summary>
public sealed record SkippedModel(string Name, string Reason);

/// <summary>The input of the report writer: results of several models plus how they were obtained.</summary>
public sealed record ComparisonReport
{
    public string Title { get; init; } = "Fashion-MNIST model comparison";
    public required IReadOnlyList<ModelResult> Models { get; init; }
    public required RunInfo Run { get; init; }
    public IReadOnlyList<SkippedModel> Skipped { get; init; } = [];

    /// <summary>Remarks shown at the top (e.g. "quick profile: subsets of the training data").</summary>
    public IReadOnlyList<string> Notes { get; init; } = [];

    /// <summary>Models best first: test accuracy, then macro F1, then name.</summary>
    public IReadOnlyList<ModelResult> Leaderboard =>
        Models.OrderByDescending(m => m.TestAccuracy).ThenByDescending(m => m.MacroF1).ThenBy(m => m.Name, StringComparer.Ordinal).ToList();
}
