namespace FashionMnist.Selection;

/// <summary>
/// Shard <see cref="Number"/> of <see cref="Count"/> (1-based, written "i/n"): it runs the candidates whose grid index
/// satisfies <c>index % n == i - 1</c>, so n shards (a Slurm array, a Kubernetes indexed Job) cover every candidate exactly once.
/// </summary>
public readonly record struct Shard(int Number, int Count)
{
    /// <summary>The whole grid: shard 1 of 1.</summary>
    public static Shard Whole => new(1, 1);

    /// <summary>True when candidate <paramref name="candidateIndex"/> belongs to this shard.</summary>
    public bool Includes(int candidateIndex) => candidateIndex % Count == Number - 1;

    /// <summary>"i/n", as <see cref="Parse"/> reads it.</summary>
    public override string ToString() => $"{Number}/{Count}";

    /// <summary>Reads "i/n" with 1 ≤ i ≤ n; anything else is a <see cref="FashionMnistException"/> saying what --shard takes.</summary>
    public static Shard Parse(string text)
    {
        var parts = text.Split('/');
        if (parts.Length == 2
            && int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out int number)
            && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int count))
        {
            if (count >= 1 && number >= 1 && number <= count) return new Shard(number, count);
            throw new FashionMnistException($"Shard '{text}' is out of range: the shard number must be between 1 and the shard count ({count})",
                "Pass --shard i/n with 1 <= i <= n, e.g. --shard 1/4 ... --shard 4/4 (Slurm: --shard $((SLURM_ARRAY_TASK_ID+1))/N).");
        }
        throw new FashionMnistException($"Shard '{text}' is not of the form i/n", "Pass --shard i/n with 1 <= i <= n, e.g. --shard 2/4.");
    }
}
