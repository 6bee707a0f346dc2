using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace FashionMnist.Classic.Trees;

/// <summary>What boosting trees are grown from (shared by all trees of a fit).</summary>
internal sealed class BoostingTrainingSet
{
    public required byte[] Columns { get; init; }  // features x rows
    public required int Rows { get; init; }
    public required int Features { get; init; }
    public required int[] BinCounts { get; init; } // bins each feature can take
    public required int MaxDepth { get; init; }
    public required int MaxLeaves { get; init; }
    public required float L2 { get; init; }
    public required float MinChildWeight { get; init; }
    public required int MinSamplesLeaf { get; init; }
    public required float MinSplitGain { get; init; }
}

/// <summary>
/// Grows one regression tree on second-order gradients (XGBoost's objective: leaf = -G/(H+λ), gain =
/// G_L²/(H_L+λ) + G_R²/(H_R+λ) - G²/(H+λ)) from exact 256-bin histograms.
/// <para>Each bin of a histogram is one Vector128 (gradient, hessian, rows, 0), so filling it is one vector add per
/// row and feature. Only the smaller child's histogram is built from rows; the larger one is the parent's minus it.
/// Growth is best-first (largest gain first): with a leaf limit that is LightGBM's leaf-wise growth, without one
/// it splits every splittable node down to max-depth, which is XGBoost's depth-wise tree. Nodes at max-depth never
/// need a histogram, so the last level costs nothing.</para>
/// </summary>
internal sealed class BoostingTreeBuilder
{
    private readonly BoostingTrainingSet _set;
    private readonly int[] _indices, _scratch;
    private readonly Vector128<float>[] _nodeStats;   // (g, h, 1, 0) of the node's rows in index order
    private readonly Vector128<float>[] _featureCopy;  // a second histogram copy for one feature (breaks add chains)
    private readonly Stack<Vector128<float>[]> _free = new();
    private int[] _features = [];

    private sealed class Leaf
    {
        public int Node, Start, End, Depth;
        public Vector128<float> Sum;
        public Vector128<float>[]? Histogram;
        public Split Best;
    }

    private struct Split
    {
        public float Gain;
        public int Feature, Threshold;
        public Vector128<float> Left;
    }

    public BoostingTreeBuilder(BoostingTrainingSet set)
    {
        _set = set;
        _indices = new int[set.Rows];
        _scratch = new int[set.Rows];
        _nodeStats = new Vector128<float>[set.Rows];
        _featureCopy = new Vector128<float>[FeatureBinner.MaxBins];
    }

    /// <summary>
    /// Grows a tree on <paramref name="rows"/> (ascending) using only <paramref name="features"/>; leaf values are
    /// multiplied by <paramref name="learningRate"/>.
    /// </summary>
    public DecisionTree Grow(ReadOnlySpan<float> gradients, ReadOnlySpan<float> hessians, ReadOnlySpan<int> rows, int[] features, float learningRate)
    {
        _features = features;
        rows.CopyTo(_indices);
        var nodes = new List<TreeNode> { default };
        var values = new List<float>();
        var sum = Vector128<float>.Zero;
        foreach (int row in rows) sum += Vector128.Create(gradients[row], hessians[row], 1f, 0f);
        var root = new Leaf { Node = 0, Start = 0, End = rows.Length, Depth = 0, Sum = sum };

        var open = new PriorityQueue<Leaf, (float, int)>();
        var finished = new List<Leaf>();
        int leaves = 1;
        if (CanSplit(root))
        {
            root.Histogram = Rent();
            BuildHistogram(root, gradients, hessians);
            FindSplit(root);
        }
        Queue(root, open, finished);

        while (open.Count > 0 && leaves < _set.MaxLeaves)
        {
            Leaf parent = open.Dequeue();
            Split split = parent.Best;
            int middle = Partition(split.Feature, split.Threshold, parent.Start, parent.End);
            int leftNode = nodes.Count;
            nodes.Add(default);
            nodes.Add(default);
            nodes[parent.Node] = new TreeNode { Feature = split.Feature, Threshold = split.Threshold, Left = leftNode, Right = leftNode + 1 };
            leaves++;
            var left = new Leaf { Node = leftNode, Start = parent.Start, End = middle, Depth = parent.Depth + 1, Sum = split.Left };
            var right = new Leaf { Node = leftNode + 1, Start = middle, End = parent.End, Depth = parent.Depth + 1, Sum = parent.Sum - split.Left };

            bool splitLeft = CanSplit(left), splitRight = CanSplit(right);
            if (splitLeft || splitRight)
            {
                // Build the smaller child from its rows; the larger is the parent's histogram minus the smaller.
                (Leaf small, Leaf large) = left.End - left.Start <= right.End - right.Start ? (left, right) : (right, left);
                small.Histogram = Rent();
                BuildHistogram(small, gradients, hessians);
                large.Histogram = parent.Histogram;
                Subtract(large.Histogram!, small.Histogram);
                parent.Histogram = null;
                if (splitLeft) FindSplit(left);
                if (splitRight) FindSplit(right);
            }
            else Return(parent);
            Queue(left, open, finished);
            Queue(right, open, finished);
        }
        foreach (Leaf leaf in open.UnorderedItems.Select(item => item.Element).Concat(finished).OrderBy(l => l.Node))
        {
            Return(leaf);
            float value = -leaf.Sum[0] / (leaf.Sum[1] + _set.L2) * learningRate;
            nodes[leaf.Node] = TreeNode.Leaf(values.Count);
            values.Add(value);
        }
        return new DecisionTree([.. nodes], [.. values], 1);
    }

    private void Queue(Leaf leaf, PriorityQueue<Leaf, (float, int)> open, List<Leaf> finished)
    {
        if (leaf.Histogram is not null && leaf.Best.Feature >= 0) open.Enqueue(leaf, (-leaf.Best.Gain, leaf.Node));
        else
        {
            Return(leaf);
            finished.Add(leaf);
        }
    }

    private bool CanSplit(Leaf leaf) =>
        leaf.Depth < _set.MaxDepth && leaf.End - leaf.Start >= 2 * _set.MinSamplesLeaf && leaf.Sum[1] >= 2 * _set.MinChildWeight;

    private Vector128<float>[] Rent()
    {
        if (_free.TryPop(out var histogram)) return histogram;
        return new Vector128<float>[_set.Features * FeatureBinner.MaxBins];
    }

    private void Return(Leaf leaf)
    {
        if (leaf.Histogram is null) return;
        _free.Push(leaf.Histogram);
        leaf.Histogram = null;
    }

    /// <summary>Histograms of the leaf's rows for every tree feature (a feature's 256 bins at feature x 256).</summary>
    private void BuildHistogram(Leaf leaf, ReadOnlySpan<float> gradients, ReadOnlySpan<float> hessians)
    {
        int start = leaf.Start, n = leaf.End - leaf.Start;
        for (int k = 0; k < n; k++)
        {
            int row = _indices[start + k];
            _nodeStats[k] = Vector128.Create(gradients[row], hessians[row], 1f, 0f);
        }
        ref Vector128<float> stats = ref MemoryMarshal.GetArrayDataReference(_nodeStats);
        ref int indices = ref _indices[start];
        ref Vector128<float> copy = ref MemoryMarshal.GetArrayDataReference(_featureCopy);
        Vector128<float>[] histogram = leaf.Histogram!;
        foreach (int feature in _features)
        {
            ref byte column = ref _set.Columns[(long)feature * _set.Rows];
            ref Vector128<float> bins = ref histogram[feature * FeatureBinner.MaxBins];
            int binCount = _set.BinCounts[feature];
            for (int b = 0; b < binCount; b++) { Unsafe.Add(ref bins, b) = default; Unsafe.Add(ref copy, b) = default; }
            int k = 0;
            for (; k + 1 < n; k += 2)
            {
                Unsafe.Add(ref bins, Unsafe.Add(ref column, Unsafe.Add(ref indices, k))) += Unsafe.Add(ref stats, k);
                Unsafe.Add(ref copy, Unsafe.Add(ref column, Unsafe.Add(ref indices, k + 1))) += Unsafe.Add(ref stats, k + 1);
            }
            if (k < n) Unsafe.Add(ref bins, Unsafe.Add(ref column, Unsafe.Add(ref indices, k))) += Unsafe.Add(ref stats, k);
            for (int b = 0; b < binCount; b++) Unsafe.Add(ref bins, b) += Unsafe.Add(ref copy, b);
        }
    }

    private void Subtract(Vector128<float>[] from, Vector128<float>[] part)
    {
        foreach (int feature in _features)
        {
            int offset = feature * FeatureBinner.MaxBins, binCount = _set.BinCounts[feature];
            for (int b = 0; b < binCount; b++) from[offset + b] -= part[offset + b];
        }
    }

    /// <summary>The best threshold over the tree's features (first wins ties: deterministic).</summary>
    private void FindSplit(Leaf leaf)
    {
        float lambda = _set.L2, minWeight = _set.MinChildWeight;
        int minRows = _set.MinSamplesLeaf;
        float totalG = leaf.Sum[0], totalH = leaf.Sum[1], totalN = leaf.Sum[2];
        float parentScore = totalG * totalG / (totalH + lambda);
        var best = new Split { Gain = _set.MinSplitGain, Feature = -1 };
        Vector128<float>[] histogram = leaf.Histogram!;
        foreach (int feature in _features)
        {
            int offset = feature * FeatureBinner.MaxBins, binCount = _set.BinCounts[feature];
            var left = Vector128<float>.Zero;
            for (int b = 0; b < binCount - 1; b++)
            {
                Vector128<float> bin = histogram[offset + b];
                if (bin[2] == 0) continue; // no rows here: same split as the previous threshold
                left += bin;
                float gl = left[0], hl = left[1], nl = left[2];
                float gr = totalG - gl, hr = totalH - hl, nr = totalN - nl;
                if (nr < minRows) break;
                if (nl < minRows || hl < minWeight || hr < minWeight) continue;
                float gain = gl * gl / (hl + lambda) + gr * gr / (hr + lambda) - parentScore;
                if (gain > best.Gain)
                {
                    best.Gain = gain;
                    best.Feature = feature;
                    best.Threshold = b;
                    best.Left = left;
                }
            }
        }
        leaf.Best = best;
    }

    private int Partition(int feature, int threshold, int start, int end)
    {
        ref byte column = ref _set.Columns[(long)feature * _set.Rows];
        int write = start, rights = 0;
        for (int k = start; k < end; k++)
        {
            int row = _indices[k];
            if (Unsafe.Add(ref column, row) <= threshold) _indices[write++] = row;
            else _scratch[rights++] = row;
        }
        _scratch.AsSpan(0, rights).CopyTo(_indices.AsSpan(write));
        return write;
    }
}
