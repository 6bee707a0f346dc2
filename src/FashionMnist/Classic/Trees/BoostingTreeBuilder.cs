namespace FashionMnist.Classic.Trees;

/// <summary>What boosting trees are grown from (shared by all trees of a fit).</summary>
internal sealed class BoostingTrainingSet : TreeTrainingSet
{
    public required int[] BinCounts { get; init; } // bins each feature can take
    public required int MaxLeaves { get; init; }
    public required float L2 { get; init; }
    public required float MinChildWeight { get; init; }
    public required float MinSplitGain { get; init; }

    /// <summary>Use the scalar split scan even where the Vector512 one runs (tests compare the two).</summary>
    public bool ScalarSplitScan { get; init; }
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
    private readonly Vector128<float>[] _featureCopy;  // second histogram copies for four features (break add chains)
    private readonly Stack<Vector128<float>[]> _free = new();
    private int[] _features = [];

    private sealed class Leaf
    {
        public int Node, Start, End, Depth;
        public Vector128<float> Sum;
        public Vector128<float>[]? Histogram;
        public Split Best = new() { Feature = -1 }; // a leaf that cannot split must never be queued as if it had a split
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
        _featureCopy = new Vector128<float>[4 * FeatureBinner.MaxBins];
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

    /// <summary>
    /// Histograms of the leaf's rows for every tree feature; the i-th tree feature's 256 bins sit at slot i x 256.
    /// Features are filled four at a time: the row index and its (g, h, 1) are loaded once for four columns, and
    /// eight independent accumulators (four features x two interleaved copies) keep runs of rows that fall in the
    /// same bin (black pixels) from chaining every add through store-to-load forwarding.
    /// </summary>
    private void BuildHistogram(Leaf leaf, ReadOnlySpan<float> gradients, ReadOnlySpan<float> hessians)
    {
        int start = leaf.Start, n = leaf.End - leaf.Start;
        for (int k = 0; k < n; k++)
        {
            int row = _indices[start + k];
            _nodeStats[k] = Vector128.Create(gradients[row], hessians[row], 1f, 0f);
        }
        Vector128<float>[] histogram = leaf.Histogram!;
        int[] features = _features;
        int slot = 0;
        for (; slot + 4 <= features.Length; slot += 4) FillFour(histogram, slot, start, n);
        for (; slot < features.Length; slot++) FillOne(histogram, slot, start, n);
    }

    private const int Bins = FeatureBinner.MaxBins;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void FillFour(Vector128<float>[] histogram, int slot, int start, int n)
    {
        int[] features = _features;
        long rows = _set.Rows;
        ref byte c0 = ref _set.Columns[features[slot] * rows];
        ref byte c1 = ref _set.Columns[features[slot + 1] * rows];
        ref byte c2 = ref _set.Columns[features[slot + 2] * rows];
        ref byte c3 = ref _set.Columns[features[slot + 3] * rows];
        ref Vector128<float> bins = ref histogram[slot * Bins];
        ref Vector128<float> copy = ref MemoryMarshal.GetArrayDataReference(_featureCopy);
        histogram.AsSpan(slot * Bins, 4 * Bins).Clear();
        _featureCopy.AsSpan().Clear();
        ref Vector128<float> stats = ref MemoryMarshal.GetArrayDataReference(_nodeStats);
        ref int indices = ref _indices[start];
        int k = 0;
        for (; k + 1 < n; k += 2)
        {
            nint r0 = Unsafe.Add(ref indices, k), r1 = Unsafe.Add(ref indices, k + 1);
            Vector128<float> s0 = Unsafe.Add(ref stats, k), s1 = Unsafe.Add(ref stats, k + 1);
            Unsafe.Add(ref bins, Unsafe.Add(ref c0, r0)) += s0;
            Unsafe.Add(ref bins, Bins + Unsafe.Add(ref c1, r0)) += s0;
            Unsafe.Add(ref bins, 2 * Bins + Unsafe.Add(ref c2, r0)) += s0;
            Unsafe.Add(ref bins, 3 * Bins + Unsafe.Add(ref c3, r0)) += s0;
            Unsafe.Add(ref copy, Unsafe.Add(ref c0, r1)) += s1;
            Unsafe.Add(ref copy, Bins + Unsafe.Add(ref c1, r1)) += s1;
            Unsafe.Add(ref copy, 2 * Bins + Unsafe.Add(ref c2, r1)) += s1;
            Unsafe.Add(ref copy, 3 * Bins + Unsafe.Add(ref c3, r1)) += s1;
        }
        if (k < n)
        {
            nint r0 = Unsafe.Add(ref indices, k);
            Vector128<float> s0 = Unsafe.Add(ref stats, k);
            Unsafe.Add(ref bins, Unsafe.Add(ref c0, r0)) += s0;
            Unsafe.Add(ref bins, Bins + Unsafe.Add(ref c1, r0)) += s0;
            Unsafe.Add(ref bins, 2 * Bins + Unsafe.Add(ref c2, r0)) += s0;
            Unsafe.Add(ref bins, 3 * Bins + Unsafe.Add(ref c3, r0)) += s0;
        }
        for (int b = 0; b < 4 * Bins; b++) Unsafe.Add(ref bins, b) += Unsafe.Add(ref copy, b);
    }

    private void FillOne(Vector128<float>[] histogram, int slot, int start, int n)
    {
        ref byte column = ref _set.Columns[(long)_features[slot] * _set.Rows];
        ref Vector128<float> bins = ref histogram[slot * Bins];
        ref Vector128<float> copy = ref MemoryMarshal.GetArrayDataReference(_featureCopy);
        histogram.AsSpan(slot * Bins, Bins).Clear();
        _featureCopy.AsSpan(0, Bins).Clear();
        ref Vector128<float> stats = ref MemoryMarshal.GetArrayDataReference(_nodeStats);
        ref int indices = ref _indices[start];
        int k = 0;
        for (; k + 1 < n; k += 2)
        {
            Unsafe.Add(ref bins, Unsafe.Add(ref column, Unsafe.Add(ref indices, k))) += Unsafe.Add(ref stats, k);
            Unsafe.Add(ref copy, Unsafe.Add(ref column, Unsafe.Add(ref indices, k + 1))) += Unsafe.Add(ref stats, k + 1);
        }
        if (k < n) Unsafe.Add(ref bins, Unsafe.Add(ref column, Unsafe.Add(ref indices, k))) += Unsafe.Add(ref stats, k);
        for (int b = 0; b < Bins; b++) Unsafe.Add(ref bins, b) += Unsafe.Add(ref copy, b);
    }

    private void Subtract(Vector128<float>[] from, Vector128<float>[] part)
    {
        int length = _features.Length * Bins;
        ref Vector128<float> target = ref MemoryMarshal.GetArrayDataReference(from);
        ref Vector128<float> source = ref MemoryMarshal.GetArrayDataReference(part);
        for (int i = 0; i < length; i++) Unsafe.Add(ref target, i) -= Unsafe.Add(ref source, i);
    }

    /// <summary>The best threshold over the tree's features (first wins ties: deterministic).</summary>
    private void FindSplit(Leaf leaf)
    {
        if (!_set.ScalarSplitScan && Avx512F.IsSupported && Vector512.IsHardwareAccelerated) FindSplitVector512(leaf);
        else FindSplitScalar(leaf);
    }

    /// <summary>
    /// The split scan on four bins per Vector512 (each 128-bit block is one bin's (g, h, rows, 0)): an in-register
    /// prefix sum (two shifted adds plus the carry of the previous four bins) gives the left sums, the right sums
    /// are the node's minus them, and the gain and the child limits are evaluated for the four thresholds at once.
    /// Only when some gain beats the best so far does a scalar look pick the first such bin, so ties still go to the
    /// lowest feature slot and bin. Same rules as <see cref="FindSplitScalar"/>; prefix sums are added in another
    /// order, so gains can differ in the last bits.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void FindSplitVector512(Leaf leaf)
    {
        float lambda = _set.L2;
        Vector128<float> total = leaf.Sum.WithElement(3, 0f);
        float parentScore = total[0] * total[0] / (total[1] + lambda);
        var totals = Repeat(total);
        // Lane 1 holds the hessian limit and lane 2 the row limit; lanes 0 and 3 always pass.
        var limits = Repeat(Vector128.Create(float.NegativeInfinity, _set.MinChildWeight, _set.MinSamplesLeaf, float.NegativeInfinity));
        var lambdas = Vector512.Create(lambda);
        var parent = Vector512.Create(parentScore);
        var lane0 = Repeat(Vector128.Create(-1, 0, 0, 0).AsSingle());
        var minusInfinity = Vector512.Create(float.NegativeInfinity);
        var best = new Split { Gain = _set.MinSplitGain, Feature = -1 };
        var bestGain = Vector512.Create(best.Gain);
        Vector128<float>[] histogram = leaf.Histogram!;
        ref float bins = ref Unsafe.As<Vector128<float>, float>(ref MemoryMarshal.GetArrayDataReference(histogram));
        for (int slot = 0; slot < _features.Length; slot++)
        {
            var carry = Vector512<float>.Zero;
            for (int b = 0; b < Bins; b += 4)
            {
                var v = Vector512.LoadUnsafe(ref bins, (nuint)((slot * Bins + b) * 4));
                var t = v + Avx512F.AlignRight32(v.AsInt32(), Vector512<int>.Zero, 12).AsSingle();
                t += Avx512F.AlignRight32(t.AsInt32(), Vector512<int>.Zero, 8).AsSingle();
                var left = carry + t;
                carry = Avx512F.Shuffle4x128(left, left, 0xFF);
                var right = totals - left;
                // gain in lane 0: gl²/(hl+λ) + gr²/(hr+λ) - G²/(H+λ)
                var hLeft = Avx512F.Permute4x32(left, 0b_11_10_01_01);
                var hRight = Avx512F.Permute4x32(right, 0b_11_10_01_01);
                var gain = left * left / (hLeft + lambdas) + right * right / (hRight + lambdas) - parent;
                // limits in lanes 1 (hessian) and 2 (rows) of each side, and the bin itself must hold rows (lane 2)
                var ok = Vector512.GreaterThanOrEqual(left, limits) & Vector512.GreaterThanOrEqual(right, limits);
                var okRows = Avx512F.Permute4x32(ok & ~Vector512.Equals(v, Vector512<float>.Zero), 0b_11_10_01_10);
                var okHessian = Avx512F.Permute4x32(ok, 0b_11_10_01_01);
                var candidate = Vector512.ConditionalSelect(okRows & okHessian & lane0, gain, minusInfinity);
                if (!Vector512.GreaterThanAny(candidate, bestGain)) continue;
                for (int block = 0; block < 4; block++)
                {
                    float g = candidate[block * 4];
                    if (g > best.Gain)
                    {
                        best.Gain = g;
                        best.Feature = _features[slot];
                        best.Threshold = b + block;
                        best.Left = Vector128.Create(left[block * 4], left[block * 4 + 1], left[block * 4 + 2], 0f);
                    }
                }
                bestGain = Vector512.Create(best.Gain);
            }
        }
        leaf.Best = best;
    }

    private static Vector512<float> Repeat(Vector128<float> block)
    {
        var half = Vector256.Create(block, block);
        return Vector512.Create(half, half);
    }

    private void FindSplitScalar(Leaf leaf)
    {
        float lambda = _set.L2, minWeight = _set.MinChildWeight;
        int minRows = _set.MinSamplesLeaf;
        float totalG = leaf.Sum[0], totalH = leaf.Sum[1], totalN = leaf.Sum[2];
        float parentScore = totalG * totalG / (totalH + lambda);
        var best = new Split { Gain = _set.MinSplitGain, Feature = -1 };
        Vector128<float>[] histogram = leaf.Histogram!;
        for (int slot = 0; slot < _features.Length; slot++)
        {
            int feature = _features[slot];
            int offset = slot * Bins, binCount = _set.BinCounts[feature];
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
