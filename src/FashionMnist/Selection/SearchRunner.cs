using FashionMnist.Data;
using FashionMnist.Models;

namespace FashionMnist.Selection;

/// <summary>What to search: the space, how candidates are drawn, how they are scored.</summary>
public sealed record SearchPlan
{
    public required ModelRecipe Recipe { get; init; }
    public required ParameterSpace Space { get; init; }
    public int Folds { get; init; } = 5;
    public int Seed { get; init; } = 42;

    /// <summary>Sample this many candidates from the grid instead of trying all (random search).</summary>
    public int? Random { get; init; }

    /// <summary>Successive halving: score all candidates on a small share of the data, keep the best 1/<see cref="HalvingFactor"/>, repeat with more data.</summary>
    public bool Halving { get; init; }

    public int HalvingFactor { get; init; } = 3;
    public Shard Shard { get; init; } = Shard.Whole;

    /// <summary>The candidates this plan (and shard) runs, before any halving.</summary>
    public IReadOnlyList<Candidate> Candidates()
    {
        var drawn = Random is int n ? Space.Sample(n, Seed) : Space.All().ToList();
        return drawn.Where(c => Shard.Includes(c.Index)).ToList();
    }
}

/// <summary>The outcome of a search: every scored candidate (best first) and the halving rounds if any.</summary>
public sealed record SearchOutcome(IReadOnlyList<CandidateResult> Results, IReadOnlyList<HalvingRound> Rounds)
{
    public CandidateResult? Best => Results.Count == 0 ? null : Results[0];
}

/// <summary>One round of successive halving: how many candidates were scored on how many images.</summary>
public sealed record HalvingRound(int Round, int Candidates, int TrainCount);

/// <summary>Runs grid, random or successive-halving search with stratified k-fold cross-validation.</summary>
public static class SearchRunner
{
    /// <summary>
    /// Scores the plan's candidates. Progress counts candidate-folds (<c>Done</c> of <c>Total</c>), with the
    /// current candidate as detail. Results are sorted by mean accuracy, best first (ties: lower index first).
    /// </summary>
    public static SearchOutcome Run(SearchPlan plan, ImageSet train, IProgress<FitProgress>? progress = null,
        CancellationToken cancellation = default)
    {
        var candidates = plan.Candidates();
        foreach (var candidate in candidates) plan.Recipe.Check(candidate); // bad names fail before hours of fitting
        if (!plan.Halving)
        {
            var results = Score(plan, candidates, train, progress, 0, candidates.Count * plan.Folds, cancellation);
            return new SearchOutcome(Rank(results), []);
        }
        if (plan.Shard.Count > 1)
            throw new FashionMnistException("Successive halving cannot be sharded (each round needs every candidate's score)",
                "Drop --shard, or drop --halving and merge the shards' full results.");
        return RunHalving(plan, candidates, train, progress, cancellation);
    }

    private static SearchOutcome RunHalving(SearchPlan plan, IReadOnlyList<Candidate> candidates, ImageSet train,
        IProgress<FitProgress>? progress, CancellationToken cancellation)
    {
        int factor = plan.HalvingFactor;
        if (factor < 2) throw new FashionMnistException($"The halving factor must be at least 2, got {factor}", "Use 2 or 3.");
        // Rounds so that the last one keeps at most `factor` candidates and uses all the data.
        int rounds = 1;
        for (long alive = candidates.Count; alive > factor; alive = (alive + factor - 1) / factor) rounds++;
        int minimum = plan.Folds * FashionMnistClasses.Count * 2;
        var plannedSizes = Enumerable.Range(0, rounds)
            .Select(r => (int)Math.Max(minimum, Math.Min(train.Count, train.Count / Math.Pow(factor, rounds - 1 - r)))).ToArray();
        long total = 0;
        for (int r = 0, alive = candidates.Count; r < rounds; r++, alive = (alive + factor - 1) / factor) total += (long)alive * plan.Folds;

        var alivelist = candidates.ToList();
        var history = new List<HalvingRound>();
        var final = new List<CandidateResult>();
        long done = 0;
        for (int r = 0; r < rounds; r++)
        {
            ImageSet subset = plannedSizes[r] >= train.Count ? train
                : train.Subset(Splits.Stratified(train.Labels, (double)plannedSizes[r] / train.Count, plan.Seed + r).Validation);
            var results = Rank(Score(plan, alivelist, subset, progress, done, total, cancellation));
            done += (long)alivelist.Count * plan.Folds;
            history.Add(new HalvingRound(r + 1, alivelist.Count, subset.Count));
            if (r == rounds - 1)
            {
                final.InsertRange(0, results);
                break;
            }
            int keep = (alivelist.Count + factor - 1) / factor;
            final.InsertRange(0, results.Skip(keep)); // eliminated candidates rank after survivors, by their last score
            alivelist = results.Take(keep).Select(x => x.Candidate).ToList();
        }
        return new SearchOutcome(final, history);
    }

    private static List<CandidateResult> Score(SearchPlan plan, IReadOnlyList<Candidate> candidates, ImageSet train,
        IProgress<FitProgress>? progress, long doneBefore, long total, CancellationToken cancellation)
    {
        var folds = Splits.StratifiedKFold(train.Labels, plan.Folds, plan.Seed);
        var results = new List<CandidateResult>(candidates.Count);
        long done = doneBefore;
        foreach (var candidate in candidates)
        {
            progress?.Report(new FitProgress("search", done, total, candidate.Describe()));
            results.Add(CrossValidation.Evaluate(plan.Recipe, candidate, train, folds, plan.Seed, cancellation,
                () => progress?.Report(new FitProgress("search", ++done, total, candidate.Describe()))));
        }
        return results;
    }

    /// <summary>Best mean accuracy first; ties go to the lower candidate index (so ranking is deterministic).</summary>
    public static List<CandidateResult> Rank(IEnumerable<CandidateResult> results) =>
        results.OrderByDescending(r => r.MeanAccuracy).ThenBy(r => r.Candidate.Index).ToList();
}
