namespace FashionMnist.Data;

/// <summary>Seeded shuffles, stratified train/validation splits and stratified k-fold, over labels 0-9.</summary>
public static class Splits
{
    /// <summary>0..count-1 in a random order fixed by <paramref name="seed"/> (Fisher-Yates).</summary>
    public static int[] Permutation(int count, int seed)
    {
        var order = new int[count];
        for (int i = 0; i < count; i++) order[i] = i;
        Shuffle(order, new Random(seed));
        return order;
    }

    /// <summary>Shuffles <paramref name="items"/> in place (Fisher-Yates) with <paramref name="random"/>.</summary>
    public static void Shuffle(Span<int> items, Random random)
    {
        for (int i = items.Length - 1; i > 0; i--)
        {
            int j = random.Next(i + 1);
            (items[i], items[j]) = (items[j], items[i]);
        }
    }

    /// <summary>
    /// Splits indices so each class keeps its share in both parts: of each class's (shuffled) indices,
    /// round(n_c x fraction) go to validation. Both index lists come back sorted.
    /// </summary>
    public static (int[] Train, int[] Validation) Stratified(ReadOnlySpan<byte> labels, double validationFraction, int seed)
    {
        if (validationFraction is <= 0 or >= 1)
            throw new ArgumentOutOfRangeException(nameof(validationFraction), validationFraction, "Must be strictly between 0 and 1.");
        var byClass = IndicesByClass(labels, seed);
        var train = new List<int>(labels.Length);
        var validation = new List<int>((int)(labels.Length * validationFraction) + FashionMnistClasses.Count);
        foreach (var members in byClass)
        {
            int take = (int)Math.Round(members.Count * validationFraction, MidpointRounding.AwayFromZero);
            validation.AddRange(members.Take(take));
            train.AddRange(members.Skip(take));
        }
        train.Sort();
        validation.Sort();
        return (train.ToArray(), validation.ToArray());
    }

    /// <summary>Splits an image set into stratified train and validation parts.</summary>
    public static (ImageSet Train, ImageSet Validation) Stratified(ImageSet images, double validationFraction, int seed)
    {
        var (train, validation) = Stratified(images.Labels, validationFraction, seed);
        return (images.Subset(train), images.Subset(validation));
    }

    /// <summary>
    /// Stratified k-fold: every class's shuffled indices are dealt round-robin to the k folds, so each fold
    /// has each class in proportion (sizes differ by at most one per class). Returns (train, test) index
    /// lists per fold, each sorted.
    /// </summary>
    public static IReadOnlyList<(int[] Train, int[] Test)> StratifiedKFold(ReadOnlySpan<byte> labels, int folds, int seed)
    {
        if (folds < 2) throw new FashionMnistException($"Cross-validation needs at least 2 folds, got {folds}", "Pass --cv 2 or more.");
        var groups = new int[labels.Length];
        for (int i = 0; i < labels.Length; i++) groups[i] = labels[i];
        int[] foldOf = StratifiedFoldOf(groups, folds, seed);
        var result = new List<(int[], int[])>(folds);
        for (int f = 0; f < folds; f++)
        {
            var test = new List<int>();
            var train = new List<int>();
            for (int i = 0; i < labels.Length; i++) (foldOf[i] == f ? test : train).Add(i);
            if (test.Count == 0) throw new FashionMnistException($"{labels.Length} samples are too few for {folds} folds", "Use fewer folds or more data.");
            result.Add((train.ToArray(), test.ToArray()));
        }
        return result;
    }

    /// <summary>
    /// The fold (0..<paramref name="folds"/>-1) of every sample, stratified by <paramref name="groups"/> (a class label, a
    /// photo's source class): groups in ascending order, each group's indices shuffled by one <see cref="Random"/> seeded
    /// with <paramref name="seed"/> and dealt to the folds in turn, the rotation continuing across groups so fold sizes
    /// stay even. Every stratified k-fold of the library (model CV, stacking, photo calibration) is this one.
    /// </summary>
    public static int[] StratifiedFoldOf(IReadOnlyList<int> groups, int folds, int seed)
    {
        ArgumentNullException.ThrowIfNull(groups);
        ArgumentOutOfRangeException.ThrowIfLessThan(folds, 2);
        var foldOf = new int[groups.Count];
        var random = new Random(seed);
        int next = 0;
        foreach (var group in Enumerable.Range(0, groups.Count).GroupBy(i => groups[i]).OrderBy(g => g.Key))
        {
            int[] members = group.ToArray();
            Shuffle(members, random);
            foreach (int index in members) foldOf[index] = next++ % folds;
        }
        return foldOf;
    }

    private static List<int>[] IndicesByClass(ReadOnlySpan<byte> labels, int seed)
    {
        var byClass = new List<int>[FashionMnistClasses.Count];
        for (int c = 0; c < byClass.Length; c++) byClass[c] = [];
        for (int i = 0; i < labels.Length; i++) byClass[labels[i]].Add(i);
        var random = new Random(seed);
        foreach (var members in byClass)
        {
            var span = System.Runtime.InteropServices.CollectionsMarshal.AsSpan(members);
            Shuffle(span, random);
        }
        return byClass;
    }
}
