namespace FashionMnist.Selection;

/// <summary>
/// What a search found, in the words a user needs: the winning settings with their cross-validated accuracy, and how
/// many other candidates score within one standard deviation of it — the ones the folds cannot tell apart from the
/// winner (the idea behind the "one standard error" rule of model selection: among those, the simplest is as good a
/// choice). Only candidates scored on as many images as the winner count (halving's early rounds used fewer).
/// </summary>
/// <param name="Best">The winner's settings, as the search tried them.</param>
/// <param name="BestCandidate">Its index in the grid.</param>
/// <param name="MeanAccuracy">Its mean accuracy over the folds.</param>
/// <param name="StdAccuracy">The (population) standard deviation of its fold accuracies.</param>
/// <param name="Candidates">How many candidates the results hold.</param>
/// <param name="WithinOneStd">How many other candidates have a mean accuracy of at least <c>MeanAccuracy - StdAccuracy</c>.</param>
internal sealed record SearchWinner(IReadOnlyDictionary<string, string> Best, int BestCandidate, double MeanAccuracy, double StdAccuracy,
    int Candidates, int WithinOneStd)
{
    /// <summary>The summary of a search's result lines (any order), or null for none.</summary>
    public static SearchWinner? Of(IReadOnlyList<SearchResultLine> lines)
    {
        if (lines.Count == 0) return null;
        var best = lines.OrderByDescending(l => l.Metrics[Scores.Accuracy].Mean).ThenBy(l => l.Candidate).First();
        var accuracy = best.Metrics[Scores.Accuracy];
        int close = lines.Count(l => !ReferenceEquals(l, best) && l.TrainCount == best.TrainCount && l.Metrics[Scores.Accuracy].Mean >= accuracy.Mean - accuracy.Std);
        return new SearchWinner(best.Settings, best.Candidate, accuracy.Mean, accuracy.Std, lines.Count, close);
    }

    /// <summary>"k=3 weights=distance".</summary>
    public string Settings => string.Join(" ", Best.Select(kv => $"{kv.Key}={kv.Value}"));

    /// <summary>"Best: k=3 weights=distance — CV 0.8010 ± 0.0078".</summary>
    public string Headline => string.Create(CultureInfo.InvariantCulture, $"Best: {Settings} — CV {MeanAccuracy:F4} ± {StdAccuracy:F4}");

    /// <summary>How close the field is, in one sentence.</summary>
    public string Closeness
    {
        get
        {
            string std = StdAccuracy.ToString("F4", CultureInfo.InvariantCulture);
            return Candidates == 1 ? "One candidate only: nothing to compare it with."
                : WithinOneStd == 0 ? $"No other candidate comes within one standard deviation ({std}) of it."
                : WithinOneStd == 1 ? $"1 other candidate scores within one standard deviation ({std}) of it: the folds cannot tell the two apart."
                : $"{WithinOneStd} other candidates score within one standard deviation ({std}) of it: the folds cannot tell them apart.";
        }
    }
}
