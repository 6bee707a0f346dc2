namespace FashionMnist.Evaluation;

/// <summary>
/// Counts of (true class, predicted class) pairs: row = true class, column = predicted class,
/// as in scikit-learn's confusion_matrix.
/// </summary>
public sealed class ConfusionMatrix
{
    private readonly int[] _counts;

    /// <summary>An empty matrix for <paramref name="classes"/> classes.</summary>
    public ConfusionMatrix(int classes)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(classes, 1);
        Classes = classes;
        _counts = new int[classes * classes];
    }

    /// <summary>Number of classes (rows and columns).</summary>
    public int Classes { get; }

    /// <summary>How many samples of class <paramref name="actual"/> were predicted as <paramref name="predicted"/>.</summary>
    public int this[int actual, int predicted] => _counts[actual * Classes + predicted];

    /// <summary>Number of samples counted.</summary>
    public int Total { get; private set; }

    /// <summary>Counts the (true, predicted) pairs of two equally long label lists, labels 0 to <paramref name="classes"/> - 1.</summary>
    public static ConfusionMatrix From(ReadOnlySpan<byte> actual, ReadOnlySpan<byte> predicted, int classes)
    {
        if (actual.Length != predicted.Length)
            throw new ArgumentException($"{actual.Length} true labels but {predicted.Length} predictions.", nameof(predicted));
        var matrix = new ConfusionMatrix(classes);
        for (int i = 0; i < actual.Length; i++)
        {
            if (actual[i] >= classes || predicted[i] >= classes)
                throw new ArgumentException($"Label at index {i} is outside 0..{classes - 1}.");
            matrix._counts[actual[i] * classes + predicted[i]]++;
        }
        matrix.Total = actual.Length;
        return matrix;
    }

    /// <summary>Rebuilds a matrix from its rows (e.g. read back from the experiment store).</summary>
    public static ConfusionMatrix FromRows(IReadOnlyList<IReadOnlyList<int>> rows)
    {
        var matrix = new ConfusionMatrix(rows.Count);
        for (int r = 0; r < rows.Count; r++)
        {
            if (rows[r].Count != rows.Count) throw new ArgumentException("A confusion matrix must be square.", nameof(rows));
            for (int c = 0; c < rows.Count; c++)
            {
                if (rows[r][c] < 0) throw new ArgumentException("Counts cannot be negative.", nameof(rows));
                matrix._counts[r * rows.Count + c] = rows[r][c];
                matrix.Total += rows[r][c];
            }
        }
        return matrix;
    }

    /// <summary>How many samples truly belong to <paramref name="actual"/> (its support).</summary>
    public int RowTotal(int actual)
    {
        int sum = 0;
        for (int c = 0; c < Classes; c++) sum += this[actual, c];
        return sum;
    }

    /// <summary>How many samples were predicted as <paramref name="predicted"/>.</summary>
    public int ColumnTotal(int predicted)
    {
        int sum = 0;
        for (int r = 0; r < Classes; r++) sum += this[r, predicted];
        return sum;
    }

    /// <summary>Number of samples on the diagonal (predicted right).</summary>
    public int Correct
    {
        get
        {
            int sum = 0;
            for (int c = 0; c < Classes; c++) sum += this[c, c];
            return sum;
        }
    }

    /// <summary>The counts as rows (true class) of columns (predicted class).</summary>
    public int[][] ToRows()
    {
        var rows = new int[Classes][];
        for (int r = 0; r < Classes; r++) rows[r] = _counts.AsSpan(r * Classes, Classes).ToArray();
        return rows;
    }

    /// <summary>Each row divided by its total, so cell (i, j) is the share of class i predicted as j; empty rows stay 0.</summary>
    public double[][] RowNormalized()
    {
        var rows = new double[Classes][];
        for (int r = 0; r < Classes; r++)
        {
            rows[r] = new double[Classes];
            int total = RowTotal(r);
            if (total == 0) continue;
            for (int c = 0; c < Classes; c++) rows[r][c] = (double)this[r, c] / total;
        }
        return rows;
    }

    /// <summary>
    /// The off-diagonal cells with the most samples, largest first (ties: lower true class, then lower predicted class).
    /// </summary>
    public IReadOnlyList<ConfusedPair> MostConfusedPairs(int count)
    {
        var pairs = new List<ConfusedPair>();
        for (int r = 0; r < Classes; r++)
        {
            int support = RowTotal(r);
            for (int c = 0; c < Classes; c++)
                if (r != c && this[r, c] > 0)
                    pairs.Add(new ConfusedPair(r, c, this[r, c], (double)this[r, c] / support));
        }
        return pairs.OrderByDescending(p => p.Count).ThenBy(p => p.Actual).ThenBy(p => p.Predicted).Take(count).ToList();
    }
}

/// <summary>
/// <paramref name="Count"/> samples of class <paramref name="Actual"/> were predicted as <paramref name="Predicted"/>;
/// <paramref name="ShareOfActual"/> is that count over the class's support.
/// </summary>
public sealed record ConfusedPair(int Actual, int Predicted, int Count, double ShareOfActual);
