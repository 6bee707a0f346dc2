namespace FashionMnist;

/// <summary>
/// "Did you mean ...?" for names a user typed: model names, option names, enum values, command-line flags and
/// commands. Names are compared ignoring case, dashes and underscores (so <c>n_neighbors</c> meets <c>n-neighbors</c>),
/// by prefix (<c>random</c> finds <c>random-forest</c>) and by the optimal-string-alignment edit distance (insertions,
/// deletions, substitutions and swaps of neighbours each count 1).
/// </summary>
public static class Spelling
{
    /// <summary>
    /// The known names closest to <paramref name="typed"/>: the names it begins (if at least 2 letters were typed:
    /// "cnn" → cnn1, cnn3, cnn4, cnn-deep), else all names at the smallest edit distance if that is small for the
    /// word's length (1 for words of up to 4 letters, 2 up to 8, else 3). Empty when nothing is close; at most 4 names.
    /// </summary>
    public static IReadOnlyList<string> Closest(string typed, IEnumerable<string> known)
    {
        const int most = 4;
        string wanted = Normalize(typed);
        if (wanted.Length == 0) return [];
        var names = known.Distinct(StringComparer.OrdinalIgnoreCase).ToList();
        if (wanted.Length >= 2 && names.Where(n => Normalize(n).StartsWith(wanted, StringComparison.Ordinal)).Take(most).ToList() is { Count: > 0 } started)
            return started;
        int limit = wanted.Length <= 4 ? 1 : wanted.Length <= 8 ? 2 : 3;
        var scored = names.Select(n => (Name: n, Distance: Distance(wanted, Normalize(n)))).Where(s => s.Distance <= limit).ToList();
        if (scored.Count == 0) return [];
        int best = scored.Min(s => s.Distance);
        return scored.Where(s => s.Distance == best).Select(s => s.Name).Take(most).ToList();
    }

    /// <summary>
    /// "Did you mean knn?" (or "Did you mean cnn1, cnn3 or cnn4?"), with each name formatted by
    /// <paramref name="quote"/>; empty when no known name is close.
    /// </summary>
    public static string DidYouMean(string typed, IEnumerable<string> known, Func<string, string>? quote = null)
    {
        var closest = Closest(typed, known);
        return closest.Count == 0 ? "" : Question(closest.Select(quote ?? (n => n)).ToList());
    }

    /// <summary>"Did you mean a?", "Did you mean a or b?", "Did you mean a, b or c?"; empty for no names.</summary>
    public static string Question(IReadOnlyList<string> names) =>
        names.Count == 0 ? ""
        : names.Count == 1 ? $"Did you mean {names[0]}?"
        : $"Did you mean {string.Join(", ", names.Take(names.Count - 1))} or {names[^1]}?";

    /// <summary>Optimal string alignment distance between two strings, compared as given (ordinal).</summary>
    public static int Distance(string a, string b)
    {
        // Three rows of the dynamic programme: the row before last (for swaps), the last, the current.
        var before = new int[b.Length + 1];
        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        for (int j = 0; j <= b.Length; j++) previous[j] = j;
        for (int i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (int j = 1; j <= b.Length; j++)
            {
                int cost = a[i - 1] == b[j - 1] ? 0 : 1;
                int value = Math.Min(Math.Min(previous[j] + 1, current[j - 1] + 1), previous[j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) value = Math.Min(value, before[j - 2] + 1);
                current[j] = value;
            }
            (before, previous, current) = (previous, current, before);
        }
        return previous[b.Length];
    }

    private static string Normalize(string name) =>
        new(name.Trim().TrimStart('-').Where(c => c is not ('-' or '_')).Select(char.ToLowerInvariant).ToArray());
}
