using FashionMnist.Evaluation.Reports;
using FashionMnist.Experiments.Comparison;

namespace FashionMnist.Experiments.Studies;

/// <summary>What a unit needs besides itself: its entry, the request, and (refit of a searched entry) the search's outcome.</summary>
public sealed record UnitInputs(ProfileEntry Entry, ComparisonRequest Request, SearchSummary? Search);

/// <summary>
/// Runs one unit of a study and returns its result. The study worker around it does the claiming, heartbeats, recording
/// and resuming; the executor only computes (fit, time, predict, evaluate). It must not record anything itself: the
/// worker writes the result in the same transaction that marks the unit done, so no unit is ever half written.
/// </summary>
public interface IUnitExecutor
{
    UnitResult Run(StudyUnit unit, UnitInputs inputs, CancellationToken cancellation);
}
