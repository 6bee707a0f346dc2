namespace FashionMnist.Classic.Trees;

/// <summary>
/// Maps every feature to at most 256 ordered bins so one byte-histogram split search serves all inputs.
/// Raw pixels are already bytes: the bin is the value itself, so splits on them are exact (no approximation).
/// Float features (HOG, PCA) are quantile-binned at fit time: each feature gets up to 255 cut points
/// (midpoints between neighbouring quantiles, or between all distinct values when there are at most 256),
/// and the cut points are saved with the model so prediction bins exactly as training did.
/// A value goes to bin <c>b</c> = the number of cut points strictly below it.
/// </summary>
internal sealed class FeatureBinner
{
    public const int MaxBins = 256;

    /// <summary>Rows used to place the cut points of one float feature (a seeded sample, as HistGradientBoosting does).</summary>
    private const int QuantileSampleRows = 20_000;

    // null: the input is bytes and a value is its own bin.
    private readonly float[][]? _cuts;

    private FeatureBinner(int features, float[][]? cuts)
    {
        Features = features;
        _cuts = cuts;
    }

    public int Features { get; }

    /// <summary>True when the model was fitted on raw byte features (bins are the values).</summary>
    public bool IsIdentity => _cuts is null;

    /// <summary>Number of bins feature <paramref name="feature"/> can take (256 for bytes).</summary>
    public int BinCount(int feature) => _cuts is null ? MaxBins : _cuts[feature].Length + 1;

    /// <summary>The cut points of a float feature (empty for byte features).</summary>
    public ReadOnlySpan<float> Cuts(int feature) => _cuts is null ? default : _cuts[feature];

    public static FeatureBinner Fit(FeatureMatrix features, int seed)
    {
        if (features.IsBytes) return new FeatureBinner(features.Columns, null);
        float[] values = features.Floats!;
        int rows = features.Rows, columns = features.Columns;
        int[] sample = SampleRows(rows, seed);
        var cuts = new float[columns][];
        int nanFeature = int.MaxValue, nanRow = 0;
        Parallel.For(0, columns, Numerics.ComputeThreads.ParallelOptions, () => new float[sample.Length], (f, _, column) =>
        {
            for (int k = 0; k < sample.Length; k++)
            {
                float v = values[(long)sample[k] * columns + f];
                if (float.IsNaN(v))
                {
                    lock (cuts) if (f < nanFeature) (nanFeature, nanRow) = (f, sample[k]);
                    return column;
                }
                column[k] = v;
            }
            cuts[f] = CutPoints(column);
            return column;
        }, _ => { });
        if (nanFeature != int.MaxValue)
            throw new FashionMnistException($"Feature {nanFeature} of row {nanRow} is NaN",
                "Trees need finite features; check the preprocessing steps.");
        return new FeatureBinner(columns, cuts);
    }

    /// <summary>Cut points for one feature's sampled values (sorted in place).</summary>
    internal static float[] CutPoints(Span<float> values)
    {
        values.Sort();
        // Distinct values first: with at most 256 of them every distinct value gets its own bin.
        var distinct = new List<float>();
        for (int i = 0; i < values.Length; i++)
            if (i == 0 || values[i] != values[i - 1]) distinct.Add(values[i]);
        var cuts = new List<float>(MaxBins - 1);
        if (distinct.Count <= MaxBins)
        {
            for (int i = 1; i < distinct.Count; i++) cuts.Add(Midpoint(distinct[i - 1], distinct[i]));
        }
        else
        {
            for (int q = 1; q < MaxBins; q++)
            {
                int rank = (int)((long)q * values.Length / MaxBins);
                float below = values[rank - 1], above = values[rank];
                if (below == above) continue; // a heavy value: keep it whole in one bin
                float cut = Midpoint(below, above);
                if (cuts.Count == 0 || cut > cuts[^1]) cuts.Add(cut);
            }
        }
        return cuts.ToArray();
    }

    private static float Midpoint(float a, float b)
    {
        float mid = a + (b - a) * 0.5f;
        return mid < b ? mid : a; // guard against rounding up onto b
    }

    private static int[] SampleRows(int rows, int seed)
    {
        if (rows <= QuantileSampleRows)
        {
            var all = new int[rows];
            for (int i = 0; i < rows; i++) all[i] = i;
            return all;
        }
        int[] order = Data.Splits.Permutation(rows, seed);
        int[] chosen = order[..QuantileSampleRows];
        Array.Sort(chosen); // sequential reads
        return chosen;
    }

    /// <summary>The bins of every value, row-major (rows x features). For byte input this is the input array itself.</summary>
    public byte[] BinRows(FeatureMatrix features)
    {
        if (features.Columns != Features)
            throw new FashionMnistException($"The model was fitted on {Features} features but got {features.Columns}",
                "Use the same preprocessing steps for prediction as for training.");
        if (_cuts is null)
            return features.Bytes ?? throw new FashionMnistException("The model was fitted on raw pixels but got computed float features",
                "Use the same preprocessing steps for prediction as for training.");
        if (features.Floats is null)
            throw new FashionMnistException("The model was fitted on computed float features but got raw pixels",
                "Use the same preprocessing steps for prediction as for training.");
        float[] values = features.Floats;
        int columns = Features;
        var bins = new byte[values.Length];
        Parallel.For(0, features.Rows, Numerics.ComputeThreads.ParallelOptions, r =>
        {
            int offset = r * columns;
            for (int f = 0; f < columns; f++) bins[offset + f] = Bin(_cuts[f], values[offset + f]);
        });
        return bins;
    }

    /// <summary>Number of cut points strictly below <paramref name="value"/> (binary search).</summary>
    internal static byte Bin(float[] cuts, float value)
    {
        int lo = 0, hi = cuts.Length;
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            if (cuts[mid] < value) lo = mid + 1; else hi = mid;
        }
        return (byte)lo;
    }

    /// <summary>Rows x columns bytes to columns x rows (feature-major), so one feature's bins are contiguous.</summary>
    public static byte[] Transpose(byte[] rowMajor, int rows, int columns)
    {
        var result = new byte[rowMajor.Length];
        const int Block = 64;
        int rowBlocks = (rows + Block - 1) / Block;
        Parallel.For(0, rowBlocks, Numerics.ComputeThreads.ParallelOptions, rb =>
        {
            int r0 = rb * Block, r1 = Math.Min(rows, r0 + Block);
            for (int c0 = 0; c0 < columns; c0 += Block)
            {
                int c1 = Math.Min(columns, c0 + Block);
                for (int r = r0; r < r1; r++)
                {
                    int source = r * columns;
                    for (int c = c0; c < c1; c++) result[(long)c * rows + r] = rowMajor[source + c];
                }
            }
        });
        return result;
    }

    public void Write(BinaryWriter writer)
    {
        writer.Write(Features);
        writer.Write(_cuts is not null);
        if (_cuts is null) return;
        foreach (float[] cuts in _cuts)
        {
            writer.Write(cuts.Length);
            foreach (float cut in cuts) writer.Write(cut);
        }
    }

    public static FeatureBinner Read(BinaryReader reader)
    {
        int features = reader.ReadInt32();
        if (features is < 1 or > 10_000_000) throw new InvalidDataException($"Implausible feature count {features}.");
        if (!reader.ReadBoolean()) return new FeatureBinner(features, null);
        var all = new float[features][];
        for (int f = 0; f < features; f++)
        {
            int count = reader.ReadInt32();
            if (count is < 0 or >= MaxBins) throw new InvalidDataException($"Feature {f} has {count} cut points; at most {MaxBins - 1} are possible.");
            var cuts = new float[count];
            for (int i = 0; i < count; i++)
            {
                cuts[i] = reader.ReadSingle();
                if (i > 0 && !(cuts[i] > cuts[i - 1])) throw new InvalidDataException($"Cut points of feature {f} are not increasing.");
            }
            all[f] = cuts;
        }
        return new FeatureBinner(features, all);
    }
}
