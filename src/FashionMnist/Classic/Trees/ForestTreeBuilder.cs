using System.Numerics;

namespace FashionMnist.Classic.Trees;

/// <summary>What a forest tree is grown from: the bins in both layouts, labels and the split rules.</summary>
internal sealed class ForestTrainingSet : TreeTrainingSet
{
    public required byte[] RowBins { get; init; }   // rows x features: one row's bins are contiguous
    public required byte[] Labels { get; init; }
    public required int FeaturesPerSplit { get; init; }
    public required SplitCriterion Criterion { get; init; }
    public required int MinSamplesSplit { get; init; }

    /// <summary>Fill one feature's histogram per pass even where two could share one (tests compare the two: same trees).</summary>
    public bool OneFeatureAtATime { get; init; }
}

/// <summary>
/// Grows one classification tree (CART: best split over a random subset of features per node) with exact
/// 256-bin class-count histograms. A worker owns one builder and reuses its buffers tree after tree.
/// <para>Why it is fast: near the root, a feature's histogram is built from its contiguous column (feature-major
/// storage) over the node's rows, which are one range of an index array partitioned in place (stably, so reads
/// go forward). Deep nodes hold few rows scattered over the data set, so there every read would miss the cache:
/// once a node has at most <see cref="_localRowLimit"/> rows, its rows are copied (row-major) into a small buffer
/// that stays in L2 while its whole subtree grows (depth-first order means one buffer is enough).
/// One feature's histogram (256 bins x 16 floats, twice) stays in L1; only bins that occur are scanned and
/// cleared; a bin's class counts are one Vector512, so the running left counts and both children's Gini terms
/// are a few SIMD operations.</para>
/// <para>Histogram subtraction does not pay here: each node draws its own random features, so a child rarely
/// needs the features its parent built.</para>
/// </summary>
internal sealed class ForestTreeBuilder
{
    private const int Lanes = 16;        // one histogram row: classes 0-9, lanes 10-15 stay zero
    private const int Classes = 10;
    private const int CopyOffset = FeatureBinner.MaxBins * Lanes;
    private const int LocalBufferBytes = 512 * 1024; // half of a Zen 4 core's L2

    private readonly ForestTrainingSet _set;
    // Two interleaved copies (even and odd rows of a node) of the weighted class counts and the row counts:
    // runs of rows in one bin and class (black pixels in a nearly pure node) would otherwise chain every
    // add through store-to-load forwarding.
    private readonly float[] _classCounts = new float[2 * FeatureBinner.MaxBins * Lanes];
    private readonly int[] _binRows = new int[2 * FeatureBinner.MaxBins];
    private readonly int[] _occupiedBins = new int[2 * FeatureBinner.MaxBins]; // one list per histogram region
    private readonly int[] _indices, _scratch, _pool;
    private readonly byte[] _nodeClass;
    private readonly float[] _nodeWeight;  // the node's weights in index order
    private readonly float[] _rowWeight;   // bootstrap weight of each row
    private readonly int _localRowLimit;
    private readonly byte[] _localRows;    // row-major bins of the current small subtree's rows
    private readonly byte[] _localClass;
    private readonly float[] _localWeight;
    private readonly double[] _xLogX;      // entropy: x ln x for whole weights 0..Rows
    private readonly int _maskWords;

    // Per-tree growth state, reused.
    private readonly List<TreeNode> _nodes = [];
    private readonly List<float> _leafValues = [];
    private readonly List<ulong> _constantSets = [];
    private readonly Stack<Pending> _stack = new();

    private struct Pending
    {
        public int Node, Start, End, Depth, ConstantSet;
        public bool Local; // indices are positions in the local buffer, not data-set rows
        public NodeTotals Totals;
    }

    /// <summary>Weighted class counts (lanes 0-9), total weight and distinct rows of a node.</summary>
    private readonly record struct NodeTotals(Vector512<float> Classes, float Weight, int Rows)
    {
        public static NodeTotals operator -(in NodeTotals a, in NodeTotals b) => new(a.Classes - b.Classes, a.Weight - b.Weight, a.Rows - b.Rows);
    }

    private struct SplitChoice
    {
        public float Score;
        public int Feature, Threshold;
        public NodeTotals Left;
    }

    /// <summary>Where a node's bins are: value(row, feature) = Base[row x RowStride + feature x FeatureStride].</summary>
    private readonly ref struct BinSource(ReadOnlySpan<byte> bins, int rowStride, int featureStride)
    {
        public readonly ref byte Base = ref MemoryMarshal.GetReference(bins);
        public readonly int RowStride = rowStride;
        public readonly int FeatureStride = featureStride;
    }

    public ForestTreeBuilder(ForestTrainingSet set)
    {
        _set = set;
        _indices = new int[set.Rows];
        _scratch = new int[set.Rows];
        _pool = new int[set.Features];
        _nodeClass = new byte[set.Rows];
        _nodeWeight = new float[set.Rows];
        _rowWeight = new float[set.Rows];
        _localRowLimit = Math.Max(64, LocalBufferBytes / set.Features);
        _localRows = new byte[_localRowLimit * set.Features];
        _localClass = new byte[_localRowLimit];
        _localWeight = new float[_localRowLimit];
        _maskWords = (set.Features + 63) / 64;
        _xLogX = set.Criterion == SplitCriterion.Entropy ? new double[set.Rows + 1] : []; // a node's weights sum to at most Rows
        for (int i = 1; i < _xLogX.Length; i++) _xLogX[i] = i * Math.Log(i);
    }

    /// <summary>
    /// Grows a tree on rows weighted by <paramref name="weights"/> (bootstrap counts; 0 = out of bag) and adds each
    /// split's weighted impurity decrease to <paramref name="importances"/> (per feature).
    /// </summary>
    public DecisionTree Grow(ReadOnlySpan<int> weights, Random random, double[] importances)
    {
        _nodes.Clear();
        _leafValues.Clear();
        _constantSets.Clear();
        _stack.Clear();

        int count = 0;
        Span<float> classes = stackalloc float[Lanes];
        classes.Clear();
        float weight = 0;
        for (int i = 0; i < _set.Rows; i++)
        {
            _rowWeight[i] = weights[i];
            if (weights[i] == 0) continue;
            _indices[count++] = i;
            classes[_set.Labels[i]] += weights[i];
            weight += weights[i];
        }

        for (int w = 0; w < _maskWords; w++) _constantSets.Add(0);
        _nodes.Add(default);
        _stack.Push(new Pending { Node = 0, Start = 0, End = count, Depth = 0, ConstantSet = 0,
            Totals = new NodeTotals(Vector512.Create((ReadOnlySpan<float>)classes), weight, count) });
        while (_stack.Count > 0)
        {
            Pending node = _stack.Pop();
            if (!TrySplit(ref node, random, importances)) MakeLeaf(node);
        }
        return new DecisionTree([.. _nodes], [.. _leafValues], Classes);
    }

    private void MakeLeaf(in Pending node)
    {
        int leaf = _leafValues.Count / Classes;
        float weight = node.Totals.Weight;
        for (int c = 0; c < Classes; c++) _leafValues.Add(node.Totals.Classes[c] / weight);
        _nodes[node.Node] = TreeNode.Leaf(leaf);
    }

    private bool TrySplit(ref Pending node, Random random, double[] importances)
    {
        int rows = node.Totals.Rows;
        if (rows < _set.MinSamplesSplit || rows < 2 * _set.MinSamplesLeaf || node.Depth >= _set.MaxDepth) return false;
        int classesPresent = 0;
        for (int c = 0; c < Classes; c++) if (node.Totals.Classes[c] > 0) classesPresent++;
        if (classesPresent <= 1) return false;

        int start = node.Start, end = node.End, n = end - start;
        if (!node.Local && n <= _localRowLimit) MoveToLocal(start, n, ref node);
        var source = node.Local
            ? new BinSource(_localRows, _set.Features, 1)
            : new BinSource(_set.Columns, 1, _set.Rows);

        // Gather the node's classes and weights in index order, so each feature pass reads them sequentially.
        ReadOnlySpan<byte> rowClass = node.Local ? _localClass : _set.Labels;
        ReadOnlySpan<float> rowWeight = node.Local ? _localWeight : _rowWeight;
        for (int k = 0; k < n; k++)
        {
            int row = _indices[start + k];
            _nodeClass[k] = rowClass[row];
            _nodeWeight[k] = rowWeight[row];
        }

        // Candidate features: those not already known to be constant in this node (inherited from ancestors).
        int candidates = 0;
        int setOffset = node.ConstantSet * _maskWords;
        for (int w = 0; w < _maskWords; w++)
        {
            ulong free = ~_constantSets[setOffset + w];
            if (w == _maskWords - 1 && _set.Features % 64 != 0) free &= (1UL << (_set.Features % 64)) - 1;
            while (free != 0)
            {
                _pool[candidates++] = w * 64 + BitOperations.TrailingZeroCount(free);
                free &= free - 1;
            }
        }

        Span<ulong> newConstants = stackalloc ulong[_maskWords];
        newConstants.Clear();
        bool foundConstant = false;
        var best = new SplitChoice { Score = float.NegativeInfinity, Feature = -1 };
        int visited = 0;
        // Like scikit-learn: keep drawing until FeaturesPerSplit non-constant features were tried (or none are left).
        // While at least two more are needed, two features are drawn and filled in one pass over the rows (their
        // histograms in the two regions, one each): the same draws in the same order as one at a time, so the
        // same tree, with the row's index, class and weight loaded once for both.
        for (int drawn = 0; drawn < candidates && visited < _set.FeaturesPerSplit;)
        {
            int batch = Math.Min(Math.Min(_set.OneFeatureAtATime ? 1 : 2, _set.FeaturesPerSplit - visited), candidates - drawn);
            for (int j = 0; j < batch; j++)
            {
                int pick = drawn + j + random.Next(candidates - drawn - j);
                (_pool[drawn + j], _pool[pick]) = (_pool[pick], _pool[drawn + j]);
            }
            (int occupied0, int occupied1) = batch == 2
                ? BuildHistogramPair(source, _pool[drawn], _pool[drawn + 1], start, n)
                : (BuildHistogram(source, _pool[drawn], start, n), 0);
            for (int j = 0; j < batch; j++)
            {
                int feature = _pool[drawn + j];
                bool twoCopies = batch == 1; // one feature fills both regions (even and odd rows); a pair, one region each
                int occupied = j == 0 ? occupied0 : occupied1;
                if (occupied <= 1)
                {
                    newConstants[feature >> 6] |= 1UL << (feature & 63);
                    foundConstant = true;
                }
                else
                {
                    visited++;
                    ScanHistogram(feature, occupied, region: j, twoCopies, node.Totals, ref best);
                }
                ClearHistogram(occupied, region: j, twoCopies);
            }
            drawn += batch;
        }
        if (best.Feature < 0) return false;

        importances[best.Feature] += ImpurityDecrease(node.Totals, best.Left);

        int constantSet = node.ConstantSet;
        if (foundConstant)
        {
            constantSet = _constantSets.Count / _maskWords;
            for (int w = 0; w < _maskWords; w++) _constantSets.Add(_constantSets[setOffset + w] | newConstants[w]);
        }

        int middle = Partition(source, best.Feature, best.Threshold, start, end);
        int left = _nodes.Count, right = left + 1;
        _nodes.Add(default);
        _nodes.Add(default);
        _nodes[node.Node] = new TreeNode { Feature = best.Feature, Threshold = best.Threshold, Left = left, Right = right };
        _stack.Push(new Pending { Node = right, Start = middle, End = end, Depth = node.Depth + 1, ConstantSet = constantSet, Local = node.Local, Totals = node.Totals - best.Left });
        _stack.Push(new Pending { Node = left, Start = start, End = middle, Depth = node.Depth + 1, ConstantSet = constantSet, Local = node.Local, Totals = best.Left });
        return true;
    }

    /// <summary>Copies a small node's rows into the local buffer and renumbers its indices 0..n-1 (its subtree then reads only there).</summary>
    private void MoveToLocal(int start, int n, ref Pending node)
    {
        int features = _set.Features;
        for (int k = 0; k < n; k++)
        {
            int row = _indices[start + k];
            _set.RowBins.AsSpan(row * features, features).CopyTo(_localRows.AsSpan(k * features, features));
            _localClass[k] = _set.Labels[row];
            _localWeight[k] = _rowWeight[row];
            _indices[start + k] = k;
        }
        node.Local = true;
    }

    /// <summary>Fills the histogram of one feature over the node's rows; returns how many distinct bins occur (listed in _occupiedBins, ascending).</summary>
    private int BuildHistogram(in BinSource source, int feature, int start, int n)
    {
        ref byte column = ref Unsafe.Add(ref source.Base, (nint)feature * source.FeatureStride);
        nint stride = source.RowStride;
        ref float counts = ref MemoryMarshal.GetArrayDataReference(_classCounts);
        ref float counts2 = ref Unsafe.Add(ref counts, CopyOffset);
        ref int binRows = ref MemoryMarshal.GetArrayDataReference(_binRows);
        ref int binRows2 = ref Unsafe.Add(ref binRows, FeatureBinner.MaxBins);
        ref int indices = ref _indices[start];
        ref byte nodeClass = ref MemoryMarshal.GetArrayDataReference(_nodeClass);
        ref float nodeWeight = ref MemoryMarshal.GetArrayDataReference(_nodeWeight);
        int k = 0;
        for (; k + 1 < n; k += 2)
        {
            int bin0 = Unsafe.Add(ref column, Unsafe.Add(ref indices, k) * stride);
            int bin1 = Unsafe.Add(ref column, Unsafe.Add(ref indices, k + 1) * stride);
            Unsafe.Add(ref counts, bin0 * Lanes + Unsafe.Add(ref nodeClass, k)) += Unsafe.Add(ref nodeWeight, k);
            Unsafe.Add(ref counts2, bin1 * Lanes + Unsafe.Add(ref nodeClass, k + 1)) += Unsafe.Add(ref nodeWeight, k + 1);
            Unsafe.Add(ref binRows, bin0)++;
            Unsafe.Add(ref binRows2, bin1)++;
        }
        if (k < n)
        {
            int bin = Unsafe.Add(ref column, Unsafe.Add(ref indices, k) * stride);
            Unsafe.Add(ref counts, bin * Lanes + Unsafe.Add(ref nodeClass, k)) += Unsafe.Add(ref nodeWeight, k);
            Unsafe.Add(ref binRows, bin)++;
        }
        // Merge the row counts and list the occupied bins, 16 at a time: no data-dependent branch in the loop above.
        return ListOccupied(ref binRows, 0, mergeSecondCopy: true);
    }

    /// <summary>
    /// Fills two features' histograms in one pass over the node's rows: <paramref name="first"/> in region 0,
    /// <paramref name="second"/> in region 1 (one copy each: the two features' adds are the independent chains).
    /// Returns how many distinct bins each has (listed in _occupiedBins at 0 and at 256).
    /// </summary>
    private (int First, int Second) BuildHistogramPair(in BinSource source, int first, int second, int start, int n)
    {
        ref byte column0 = ref Unsafe.Add(ref source.Base, (nint)first * source.FeatureStride);
        ref byte column1 = ref Unsafe.Add(ref source.Base, (nint)second * source.FeatureStride);
        nint stride = source.RowStride;
        ref float counts0 = ref MemoryMarshal.GetArrayDataReference(_classCounts);
        ref float counts1 = ref Unsafe.Add(ref counts0, CopyOffset);
        ref int binRows0 = ref MemoryMarshal.GetArrayDataReference(_binRows);
        ref int binRows1 = ref Unsafe.Add(ref binRows0, FeatureBinner.MaxBins);
        ref int indices = ref _indices[start];
        ref byte nodeClass = ref MemoryMarshal.GetArrayDataReference(_nodeClass);
        ref float nodeWeight = ref MemoryMarshal.GetArrayDataReference(_nodeWeight);
        for (int k = 0; k < n; k++)
        {
            nint offset = Unsafe.Add(ref indices, k) * stride;
            int bin0 = Unsafe.Add(ref column0, offset), bin1 = Unsafe.Add(ref column1, offset);
            int rowClass = Unsafe.Add(ref nodeClass, k);
            float weight = Unsafe.Add(ref nodeWeight, k);
            Unsafe.Add(ref counts0, bin0 * Lanes + rowClass) += weight;
            Unsafe.Add(ref counts1, bin1 * Lanes + rowClass) += weight;
            Unsafe.Add(ref binRows0, bin0)++;
            Unsafe.Add(ref binRows1, bin1)++;
        }
        return (ListOccupied(ref binRows0, 0, mergeSecondCopy: false), ListOccupied(ref binRows1, FeatureBinner.MaxBins, mergeSecondCopy: false));
    }

    /// <summary>
    /// Lists the bins with rows (ascending) at _occupiedBins[listOffset..]; returns how many. With
    /// <paramref name="mergeSecondCopy"/> the row counts of the second copy (the next 256 ints) are first added in and cleared.
    /// </summary>
    private int ListOccupied(ref int binRows, int listOffset, bool mergeSecondCopy)
    {
        int occupied = 0;
        for (int b = 0; b < FeatureBinner.MaxBins; b += 16)
        {
            Vector512<int> rows = Vector512.LoadUnsafe(ref binRows, (nuint)b);
            if (mergeSecondCopy)
            {
                rows += Vector512.LoadUnsafe(ref binRows, (nuint)(FeatureBinner.MaxBins + b));
                rows.StoreUnsafe(ref binRows, (nuint)b);
                Vector512<int>.Zero.StoreUnsafe(ref binRows, (nuint)(FeatureBinner.MaxBins + b));
            }
            ulong bits = Vector512.GreaterThan(rows, Vector512<int>.Zero).ExtractMostSignificantBits();
            while (bits != 0)
            {
                _occupiedBins[listOffset + occupied++] = b + BitOperations.TrailingZeroCount(bits);
                bits &= bits - 1;
            }
        }
        return occupied;
    }

    /// <summary>Zeroes the occupied bins of a region (both regions when one feature used two copies) and their row counts.</summary>
    private void ClearHistogram(int occupied, int region, bool twoCopies)
    {
        ref float counts = ref MemoryMarshal.GetArrayDataReference(_classCounts);
        int listOffset = region * FeatureBinner.MaxBins;
        for (int i = 0; i < occupied; i++)
        {
            int bin = _occupiedBins[listOffset + i];
            Vector512<float>.Zero.StoreUnsafe(ref counts, (nuint)(region * CopyOffset + bin * Lanes));
            if (twoCopies) Vector512<float>.Zero.StoreUnsafe(ref counts, (nuint)(CopyOffset + bin * Lanes));
            _binRows[listOffset + bin] = 0;
        }
    }

    /// <summary>Tries every threshold between occurring bins; keeps the best by the criterion's proxy (higher is better; first wins ties).</summary>
    private void ScanHistogram(int feature, int occupied, int region, bool twoCopies, in NodeTotals totals, ref SplitChoice best)
    {
        ref float counts = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_classCounts), region * CopyOffset);
        // With one copy, the "second copy" read is the first again and is not added (a select, not a branch in the loop).
        nuint second = twoCopies ? (nuint)CopyOffset : 0;
        float secondScale = twoCopies ? 1f : 0f;
        int listOffset = region * FeatureBinner.MaxBins;
        int minLeaf = _set.MinSamplesLeaf;
        int totalRows = totals.Rows;
        float totalWeight = totals.Weight;
        Vector512<float> left = Vector512<float>.Zero, all = totals.Classes;
        float leftWeight = 0;
        int leftRows = 0;
        bool gini = _set.Criterion == SplitCriterion.Gini;
        for (int i = 0; i < occupied - 1; i++)
        {
            int bin = _occupiedBins[listOffset + i];
            Vector512<float> binCounts = Vector512.LoadUnsafe(ref counts, (nuint)(bin * Lanes))
                + Vector512.LoadUnsafe(ref counts, second + (nuint)(bin * Lanes)) * secondScale;
            left += binCounts;
            leftWeight += Vector512.Sum(binCounts);
            leftRows += _binRows[listOffset + bin];
            if (leftRows < minLeaf) continue;
            if (totalRows - leftRows < minLeaf) break;
            float score;
            Vector512<float> right = all - left;
            if (gini)
            {
                // Σ l_c²/w_l + Σ r_c²/w_r (higher = purer children) in one horizontal sum; lanes 10-15 are zero.
                var inverseLeft = Vector512.Create(1f / leftWeight);
                var inverseRight = Vector512.Create(1f / (totalWeight - leftWeight));
                score = Vector512.Sum(left * left * inverseLeft + right * right * inverseRight);
            }
            else score = (float)(EntropyProxy(left, leftWeight) + EntropyProxy(right, totalWeight - leftWeight));
            if (score > best.Score)
            {
                best.Score = score;
                best.Feature = feature;
                best.Threshold = bin;
                best.Left = new NodeTotals(left, leftWeight, leftRows);
            }
        }
    }

    /// <summary>-(weight x entropy) of a child = Σ n_c ln n_c - n ln n (whole-number weights, looked up).</summary>
    private double EntropyProxy(Vector512<float> classes, float weight)
    {
        double sum = -XLogX(weight);
        for (int c = 0; c < Classes; c++) sum += XLogX(classes[c]);
        return sum;
    }

    private double XLogX(float x)
    {
        int i = (int)x;
        return (uint)i < (uint)_xLogX.Length && i == x ? _xLogX[i] : x > 0 ? x * Math.Log(x) : 0;
    }

    /// <summary>Weighted impurity decrease of a split (node weight x impurity - children's), in double precision.</summary>
    private double ImpurityDecrease(in NodeTotals node, in NodeTotals left) =>
        WeightedImpurity(node) - WeightedImpurity(left) - WeightedImpurity(node - left);

    private double WeightedImpurity(in NodeTotals counts)
    {
        double weight = counts.Weight;
        if (weight <= 0) return 0;
        if (_set.Criterion == SplitCriterion.Gini)
        {
            double squares = 0;
            for (int c = 0; c < Classes; c++) squares += (double)counts.Classes[c] * counts.Classes[c];
            return weight - squares / weight;
        }
        double entropy = weight * Math.Log(weight);
        for (int c = 0; c < Classes; c++) if (counts.Classes[c] > 0) entropy -= counts.Classes[c] * Math.Log(counts.Classes[c]);
        return entropy;
    }

    /// <summary>Stable in-place partition of the node's rows: bins &lt;= threshold first. Returns the first right position.</summary>
    private int Partition(in BinSource source, int feature, int threshold, int start, int end)
    {
        ref byte column = ref Unsafe.Add(ref source.Base, (nint)feature * source.FeatureStride);
        nint stride = source.RowStride;
        int write = start, rights = 0;
        for (int k = start; k < end; k++)
        {
            int row = _indices[k];
            if (Unsafe.Add(ref column, row * stride) <= threshold) _indices[write++] = row;
            else _scratch[rights++] = row;
        }
        _scratch.AsSpan(0, rights).CopyTo(_indices.AsSpan(write));
        return write;
    }
}
