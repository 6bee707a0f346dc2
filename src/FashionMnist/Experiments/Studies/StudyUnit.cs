using System.Text.Json.Serialization;
using FashionMnist.Evaluation;
using FashionMnist.Evaluation.Reports;

namespace FashionMnist.Experiments.Studies;

/// <summary>What a unit of work does.</summary>
public enum UnitKind
{
    /// <summary>Fit one search candidate on k-1 folds and score it on the held-out fold.</summary>
    Cv,

    /// <summary>Fit the entry (with its best candidate, if searched) on its training data and evaluate it on the test set.</summary>
    Refit,
}

/// <summary>Where a unit is in its life.</summary>
public enum UnitStatus { Pending, Claimed, Done, Failed }

/// <summary>
/// One unit of a study: (entry, candidate, fold) for cross-validation, or an entry's refit and test evaluation.
/// <see cref="Key"/> names it uniquely within its study ("knn+pca/cv/3/2", "knn+pca/refit").
/// </summary>
public sealed record StudyUnit(string Key, int Seq, string Entry, UnitKind Kind, int? Candidate, int? Fold,
    IReadOnlyDictionary<string, string> Settings)
{
    public static string CvKey(string entry, int candidate, int fold) => $"{entry}/cv/{candidate}/{fold}";

    public static string RefitKey(string entry) => $"{entry}/refit";
}

/// <summary>A unit this worker holds: only the holder of <see cref="Token"/> may finish it.</summary>
public sealed record UnitClaim(StudyUnit Unit, string Token, int Attempt);

/// <summary>The scores of one candidate on one held-out fold.</summary>
public sealed record FoldScore(double Accuracy, double MacroF1, double FitSeconds, int TrainImages, int TestImages);

/// <summary>What running a unit produced: a fold score (cv) or the evaluated model (refit).</summary>
public sealed record UnitResult
{
    public FoldScore? Fold { get; init; }
    public ModelResult? Model { get; init; }

    /// <summary>A refit's test-set probabilities, kept when the entry is a member of the profile's ensemble row.</summary>
    public float[]? TestProbabilities { get; init; }
}

/// <summary>A unit as the store holds it, with its state and (when done) its result.</summary>
public sealed record UnitState(StudyUnit Unit, UnitStatus Status, int Attempts, WorkerIdentity? Worker, double? Seconds,
    string? Error, DateTimeOffset? FinishedUtc, [property: JsonIgnore] string? ResultJson, Guid? RunId);

/// <summary>Counts of a study's units by status.</summary>
public sealed record StudyProgress(int Total, int Done, int Claimed, int Pending, int Failed, int FailedForGood)
{
    /// <summary>No unit can run any more: each is done or has failed as often as allowed.</summary>
    public bool Finished => Done + FailedForGood == Total;

    public override string ToString() =>
        string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{Done} of {Total} units done, {Claimed} in progress, {Pending} pending, {Failed} failed");
}
