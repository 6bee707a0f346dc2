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
    /// <summary>The entry's name in the comparison (a catalog name, or a profile label such as "svm+hog").</summary>
    public required string Name { get; init; }

    /// <summary>"classic" or "neural".</summary>
    public required string Family { get; init; }

    /// <summary>One line on what the model is, from the catalog.</summary>
    public string Summary { get; init; } = "";

    /// <summary>The catalog model behind the name (e.g. "knn" for "knn+hog"); the name itself when they agree.</summary>
    public string? CatalogModel { get; init; }

    /// <summary>Preprocessing steps and the estimator, e.g. "hog(cells=4,7,...) → knn"; null when there is no preprocessing.</summary>
    public string? Pipeline { get; init; }

    /// <summary>The options it was trained with, as "name=value" text.</summary>
    public IReadOnlyDictionary<string, string> Parameters { get; init; } = new Dictionary<string, string>();

    /// <summary>Share of test images classified correctly.</summary>
    public required double TestAccuracy { get; init; }
    /// <summary>F1 averaged over the ten classes with equal weight.</summary>
    public required double MacroF1 { get; init; }
    /// <summary>Share of test images whose class is among the model's two most probable.</summary>
    public double? TopTwoAccuracy { get; init; }
    /// <summary>Mean negative log probability of the true class (lower is better).</summary>
    public double? LogLoss { get; init; }
    /// <summary>Expected calibration error over confidence bins (0 is perfectly calibrated).</summary>
    public double? ExpectedCalibrationError { get; init; }

    /// <summary>Wall seconds of the fit.</summary>
    public required double TrainSeconds { get; init; }

    /// <summary>Seconds to predict 10,000 images (scaled from the test set's size).</summary>
    [System.Text.Json.Serialization.JsonPropertyName("predict_seconds_per_10k")]
    public required double PredictSecondsPer10k { get; init; }

    /// <summary>CPU seconds of the whole process during the fit (all threads); on a busy machine a fairer cost than wall time.</summary>
    public double? TrainCpuSeconds { get; init; }

    /// <summary>The search that chose the options, when the profile tuned them.</summary>
    public SearchSummary? Search { get; init; }

    /// <summary>Size of the saved model file (or state), in bytes.</summary>
    public long ModelSizeBytes { get; init; }

    /// <summary>Precision, recall and F1 of each class on the test set.</summary>
    public IReadOnlyList<ClassMetrics> PerClass { get; init; } = [];

    /// <summary>Test confusion counts, rows = true class.</summary>
    public int[][]? Confusion { get; init; }

    /// <summary>Per-epoch curves, for iterative models.</summary>
    public IReadOnlyList<EpochMetrics> Epochs { get; init; } = [];

    /// <summary>Accuracy on (a sample of at most 5,000 of) the training images it was fitted on.</summary>
    public double? TrainAccuracy { get; init; }
    /// <summary>Accuracy on the held-out validation images, for models that keep some.</summary>
    public double? ValidationAccuracy { get; init; }

    /// <summary>Cumulative explained variance ratio per principal component, if the model uses PCA.</summary>
    public IReadOnlyList<double>? ExplainedVariance { get; init; }

    /// <summary>Components the model's PCA kept.</summary>
    public int? PcaComponents { get; init; }

    /// <summary>What the PCA was fitted on ("pixels" or "HOG features").</summary>
    public string? PcaInput { get; init; }

    /// <summary>784 pixel importances (e.g. a random forest's), if the model has them.</summary>
    public IReadOnlyList<double>? FeatureImportances { get; init; }

    /// <summary>A few test images the model got wrong, most confident first.</summary>
    public IReadOnlyList<MisclassifiedExample> Misclassified { get; init; } = [];

    /// <summary>Training images the model was fitted on.</summary>
    public int TrainImages { get; init; }
    /// <summary>Test images it was evaluated on.</summary>
    public int TestImages { get; init; }

    /// <summary>Remarks for the reader, e.g. "trained on a 10,000-image subset".</summary>
    public string? Note { get; init; }

    /// <summary>The experiment-store run this result came from.</summary>
    public Guid? RunId { get; init; }

    /// <summary>The process that ran this fit and test evaluation (host, pid, Slurm or Kubernetes index); null before studies recorded it.</summary>
    public WorkerIdentity? Worker { get; init; }

    /// <summary>Train accuracy minus test accuracy (the overfitting measure), when the train accuracy is known.</summary>
    public double? OverfittingGap => TrainAccuracy is double train ? train - TestAccuracy : null;
}

/// <summary>A cross-validated search that chose a model's options in a comparison.</summary>
/// <param name="Grid">The space searched, "k=1,3,5;weights=uniform,distance".</param>
/// <param name="Candidates">Candidates scored.</param>
/// <param name="Folds">Cross-validation folds.</param>
/// <param name="TrainImages">Images the search cross-validated on.</param>
/// <param name="Best">The winning candidate's settings.</param>
/// <param name="MeanAccuracy">Its mean accuracy over the folds.</param>
/// <param name="StdAccuracy">Its standard deviation over the folds.</param>
/// <param name="Seconds">Wall time of the search.</param>
/// <param name="RunId">The search run in the experiment store.</param>
public sealed record SearchSummary(string Grid, int Candidates, int Folds, int TrainImages, IReadOnlyDictionary<string, string> Best,
    double MeanAccuracy, double StdAccuracy, double Seconds, Guid? RunId = null)
{
    /// <summary>Every candidate's cross-validation score, in grid order (empty in reports written before studies).</summary>
    public IReadOnlyList<CandidateScore> Results { get; init; } = [];
}

/// <summary>One search candidate's cross-validation result.</summary>
/// <param name="Index">Its index in the grid.</param>
/// <param name="Settings">Its settings.</param>
/// <param name="MeanAccuracy">Mean accuracy over the folds it finished.</param>
/// <param name="StdAccuracy">Population standard deviation over those folds.</param>
/// <param name="Folds">Folds finished (fewer than planned when one failed for good).</param>
/// <param name="Seconds">Wall time of its folds, summed.</param>
public sealed record CandidateScore(int Index, IReadOnlyDictionary<string, string> Settings, double MeanAccuracy, double StdAccuracy, int Folds, double Seconds)
{
    /// <summary>Its accuracy on each held-out fold, in fold order.</summary>
    public IReadOnlyList<double> FoldAccuracies { get; init; } = [];
}

/// <summary>How a comparison was run, so a reader can reproduce it.</summary>
public sealed record RunInfo
{
    /// <summary>The exact command line.</summary>
    public required string Command { get; init; }
    /// <summary>The comparison profile ("quick", "full" or a custom one).</summary>
    public string Profile { get; init; } = "";
    /// <summary>The seed every model was fitted with.</summary>
    public int Seed { get; init; }

    /// <summary>Data file name → checksums and verification, e.g. "MD5 … (matches Zalando's published MD5) · SHA-256 …".</summary>
    public IReadOnlyDictionary<string, string> DataChecksums { get; init; } = new Dictionary<string, string>();

    /// <summary>Where the data came from, e.g. "/usr/share/datasets/fashion-mnist (the Debian package dataset-fashion-mnist)".</summary>
    public string? DataSource { get; init; }

    /// <summary>The machine, runtime and native libraries the comparison ran with.</summary>
    public required RunEnvironment Machine { get; init; }
    /// <summary>When the comparison started.</summary>
    public DateTimeOffset StartedUtc { get; init; } = DateTimeOffset.UtcNow;
    /// <summary>Wall seconds of the whole comparison (when one process ran it all).</summary>
    public double TotalSeconds { get; init; }

    /// <summary>CPU seconds the comparison used (all threads): the machine-independent part of its cost.</summary>
    public double? CpuSeconds { get; init; }

    /// <summary>The machine's 15-minute load average when the comparison ended (Linux), to judge the wall times.</summary>
    public double? LoadAverage { get; init; }

    /// <summary>
    /// Cores that other processes (and the hypervisor's steal) kept busy on average while the comparison ran (Linux):
    /// the machine's CPU time minus ours, per second of wall time. Above about half a core, wall times are inflated.
    /// </summary>
    public double? OtherCoresBusy { get; init; }

    /// <summary>The experiment store the runs are recorded in.</summary>
    public string? Store { get; init; }
    /// <summary>The compare run standing for the whole study in the store.</summary>
    public Guid? RunId { get; init; }

    /// <summary>The study the report was built from (its units in <see cref="Store"/>).</summary>
    public string? Study { get; init; }

    /// <summary>The processes that ran the study's units, with how many each ran.</summary>
    public IReadOnlyList<WorkerShare> Workers { get; init; } = [];

    /// <summary>Wall seconds of all units added up (over all workers): what the study cost.</summary>
    public double? UnitSeconds { get; init; }
}

/// <summary>One worker of a study and the units it finished.</summary>
public sealed record WorkerShare(string Worker, int Units, double Seconds);

/// <summary>A model that was asked for but not run, and why.</summary>
public sealed record SkippedModel(string Name, string Reason);

/// <summary>The input of the report writer: results of several models plus how they were obtained.</summary>
public sealed record ComparisonReport
{
    /// <summary>The report's heading.</summary>
    public string Title { get; init; } = "Fashion-MNIST model comparison";
    /// <summary>Every model that ran, in the profile's order (<see cref="Leaderboard"/> sorts them).</summary>
    public required IReadOnlyList<ModelResult> Models { get; init; }
    /// <summary>How the comparison was run.</summary>
    public required RunInfo Run { get; init; }
    /// <summary>Models asked for but not run, with why.</summary>
    public IReadOnlyList<SkippedModel> Skipped { get; init; } = [];

    /// <summary>Remarks shown at the top (e.g. "quick profile: subsets of the training data").</summary>
    public IReadOnlyList<string> Notes { get; init; } = [];

    /// <summary>Models best first: test accuracy, then macro F1, then name.</summary>
    public IReadOnlyList<ModelResult> Leaderboard =>
        Models.OrderByDescending(m => m.TestAccuracy).ThenByDescending(m => m.MacroF1).ThenBy(m => m.Name, StringComparer.Ordinal).ToList();
}
