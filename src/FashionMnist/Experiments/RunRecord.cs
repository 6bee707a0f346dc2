using FashionMnist.Evaluation;
using FashionMnist.Models;

namespace FashionMnist.Experiments;

/// <summary>Where a recorded run is in its life.</summary>
public enum RunStatus
{
    /// <summary>Started and (as far as the store knows) still going.</summary>
    Running,
    /// <summary>Finished, with its results recorded.</summary>
    Complete,
    /// <summary>Stopped by an error (see <see cref="RunRecord.Error"/>).</summary>
    Failed,
    /// <summary>Marked running, but the process that wrote it is gone: killed or crashed halfway.</summary>
    Incomplete,
}

/// <summary>
/// One train, search, evaluate or compare run as the experiment store keeps it. The <see cref="Id"/> is a
/// GUID, so runs from separate shard databases merge without clashes and merging twice changes nothing.
/// </summary>
public sealed record RunRecord
{
    /// <summary>The run's id: a GUID, unique across stores.</summary>
    public Guid Id { get; init; } = Guid.NewGuid();

    /// <summary>"train", "search", "evaluate" or "compare".</summary>
    public string Kind { get; init; } = "train";

    /// <summary>Catalog name of the model ("knn", "cnn3", ...); empty for a run about several models.</summary>
    public string Model { get; init; } = "";

    /// <summary>The compare (or search) run this one belongs to, if any.</summary>
    public Guid? ParentId { get; init; }

    /// <summary>Running, complete, failed, or incomplete.</summary>
    public RunStatus Status { get; init; } = RunStatus.Running;

    /// <summary>The exact command line, for reproducing the run.</summary>
    public string Command { get; init; } = "";

    /// <summary>The model's options as "name=value" text (<see cref="OptionBinder.ToSettings"/>).</summary>
    public IReadOnlyDictionary<string, string> Options { get; init; } = new Dictionary<string, string>();

    /// <summary>Preprocessing applied before the model (e.g. "unit-range", "pca:50", "hog").</summary>
    public string Preprocessing { get; init; } = "";

    /// <summary>Which data the run used, e.g. "train[0:10000] test[0:10000]".</summary>
    public string DataSlice { get; init; } = "";

    /// <summary>The seed of every random choice of the run.</summary>
    public int Seed { get; init; }

    /// <summary>When the run started (UTC).</summary>
    public DateTimeOffset StartedUtc { get; init; } = DateTimeOffset.UtcNow;
    /// <summary>When the run ended (UTC), or null while it runs.</summary>
    public DateTimeOffset? FinishedUtc { get; init; }

    /// <summary>Wall seconds of the fit.</summary>
    public double? FitSeconds { get; init; }

    /// <summary>Time to predict the evaluated set.</summary>
    public double? PredictSeconds { get; init; }

    /// <summary>Scalar metrics by name: accuracy, macro_f1, top2_accuracy, log_loss, ece, train_accuracy, ...</summary>
    public IReadOnlyDictionary<string, double> Metrics { get; init; } = new Dictionary<string, double>();

    /// <summary>Cross-validation fold scores (search runs).</summary>
    public IReadOnlyList<double> FoldScores { get; init; } = [];

    /// <summary>Precision, recall, F1 and support of each class on the evaluated set.</summary>
    public IReadOnlyList<ClassMetrics> PerClass { get; init; } = [];

    /// <summary>Confusion counts, rows = true class; null when the run did not evaluate.</summary>
    public int[][]? Confusion { get; init; }

    /// <summary>Per-epoch (or per-round) curves of iterative models.</summary>
    public IReadOnlyList<EpochMetrics> Epochs { get; init; } = [];

    /// <summary>The machine and software the run ran on.</summary>
    public RunEnvironment Environment { get; init; } = RunEnvironment.Empty;

    /// <summary>Why a failed run failed.</summary>
    public string? Error { get; init; }

    /// <summary>Free-form extras (e.g. a report folder, a model file path).</summary>
    public IReadOnlyDictionary<string, string> Notes { get; init; } = new Dictionary<string, string>();

    /// <summary>The metric called <paramref name="name"/> (see <see cref="Metrics"/>), or null when the run has none.</summary>
    public double? Metric(string name) => Metrics.TryGetValue(name, out double value) ? value : null;
}
