namespace FashionMnist.Classic.Trees;

/// <summary>
/// One node of a binary tree over binned features. A split sends a row left when its bin of
/// <see cref="Feature"/> is at most <see cref="Threshold"/>. A leaf has <see cref="Feature"/> = -1 and
/// <see cref="Left"/> = the index of its values in the tree's leaf-value table.
/// </summary>
[StructLayout(LayoutKind.Sequential)]
internal struct TreeNode
{
    public int Feature;
    public int Threshold;
    public int Left;
    public int Right;

    public readonly bool IsLeaf => Feature < 0;

    public static TreeNode Leaf(int valueIndex) => new() { Feature = -1, Left = valueIndex, Right = -1 };
}

/// <summary>
/// A fitted tree: nodes in a flat array (root at 0) and each leaf's values (<see cref="ValuesPerLeaf"/> floats:
/// 10 class probabilities for a forest, one raw score for a boosting tree).
/// </summary>
internal sealed class DecisionTree
{
    public DecisionTree(TreeNode[] nodes, float[] leafValues, int valuesPerLeaf)
    {
        Nodes = nodes;
        LeafValues = leafValues;
        ValuesPerLeaf = valuesPerLeaf;
    }

    public TreeNode[] Nodes { get; }
    public float[] LeafValues { get; }
    public int ValuesPerLeaf { get; }
    public int LeafCount => LeafValues.Length / ValuesPerLeaf;

    /// <summary>Offset in <see cref="LeafValues"/> of the leaf a row (its bins, row-major) falls in.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int LeafOffset(ReadOnlySpan<byte> rowBins)
    {
        ref TreeNode root = ref MemoryMarshal.GetArrayDataReference(Nodes);
        ref TreeNode node = ref root;
        while (node.Feature >= 0)
            node = ref Unsafe.Add(ref root, rowBins[node.Feature] <= node.Threshold ? node.Left : node.Right);
        return node.Left * ValuesPerLeaf;
    }

    /// <summary>
    /// <see cref="LeafOffset"/> for many rows (<paramref name="rows"/>: indices into the row-major
    /// <paramref name="rowBins"/> with <paramref name="featureCount"/> bins per row). Four walks run interleaved:
    /// one walk is a chain of dependent loads (node, then the row's bin, then the next node), so on deep forest
    /// trees a single walk mostly waits for memory; four independent chains overlap those waits.
    /// </summary>
    public void LeafOffsets(ReadOnlySpan<byte> rowBins, int featureCount, ReadOnlySpan<int> rows, Span<int> offsets)
    {
        if (offsets.Length < rows.Length) throw new ArgumentException("Need one offset per row.", nameof(offsets));
        ref TreeNode root = ref MemoryMarshal.GetArrayDataReference(Nodes);
        ref byte bins = ref MemoryMarshal.GetReference(rowBins);
        int i = 0;
        for (; i + 4 <= rows.Length; i += 4)
        {
            ref byte r0 = ref Unsafe.Add(ref bins, (nint)rows[i] * featureCount);
            ref byte r1 = ref Unsafe.Add(ref bins, (nint)rows[i + 1] * featureCount);
            ref byte r2 = ref Unsafe.Add(ref bins, (nint)rows[i + 2] * featureCount);
            ref byte r3 = ref Unsafe.Add(ref bins, (nint)rows[i + 3] * featureCount);
            int n0 = 0, n1 = 0, n2 = 0, n3 = 0;
            while (true)
            {
                ref TreeNode a = ref Unsafe.Add(ref root, n0);
                ref TreeNode b = ref Unsafe.Add(ref root, n1);
                ref TreeNode c = ref Unsafe.Add(ref root, n2);
                ref TreeNode d = ref Unsafe.Add(ref root, n3);
                if ((a.Feature & b.Feature & c.Feature & d.Feature) < 0) // all four at leaves (sign bit set in each)
                {
                    offsets[i] = a.Left * ValuesPerLeaf;
                    offsets[i + 1] = b.Left * ValuesPerLeaf;
                    offsets[i + 2] = c.Left * ValuesPerLeaf;
                    offsets[i + 3] = d.Left * ValuesPerLeaf;
                    break;
                }
                if (a.Feature >= 0) n0 = Unsafe.Add(ref r0, a.Feature) <= a.Threshold ? a.Left : a.Right;
                if (b.Feature >= 0) n1 = Unsafe.Add(ref r1, b.Feature) <= b.Threshold ? b.Left : b.Right;
                if (c.Feature >= 0) n2 = Unsafe.Add(ref r2, c.Feature) <= c.Threshold ? c.Left : c.Right;
                if (d.Feature >= 0) n3 = Unsafe.Add(ref r3, d.Feature) <= d.Threshold ? d.Left : d.Right;
            }
        }
        for (; i < rows.Length; i++) offsets[i] = LeafOffset(rowBins.Slice(rows[i] * featureCount, featureCount));
    }

    /// <summary>Depth of the deepest leaf (the root alone has depth 0).</summary>
    public int Depth()
    {
        int deepest = 0;
        var stack = new Stack<(int Node, int Depth)>();
        stack.Push((0, 0));
        while (stack.Count > 0)
        {
            var (index, depth) = stack.Pop();
            ref readonly TreeNode node = ref Nodes[index];
            if (node.IsLeaf) { deepest = Math.Max(deepest, depth); continue; }
            stack.Push((node.Left, depth + 1));
            stack.Push((node.Right, depth + 1));
        }
        return deepest;
    }

    public void Write(BinaryWriter writer)
    {
        writer.Write(Nodes.Length);
        foreach (var node in Nodes)
        {
            writer.Write(node.Feature);
            writer.Write(node.Threshold);
            writer.Write(node.Left);
            writer.Write(node.Right);
        }
        writer.Write(ValuesPerLeaf);
        writer.Write(LeafValues.Length);
        foreach (float value in LeafValues) writer.Write(value);
    }

    /// <summary>Reads a tree and checks it is well formed (indices in range, children after parents, bins in range).</summary>
    public static DecisionTree Read(BinaryReader reader, int features, int expectedValuesPerLeaf)
    {
        int count = reader.ReadInt32();
        if (count is < 1 or > 50_000_000) throw new InvalidDataException($"Implausible tree node count {count}.");
        var nodes = new TreeNode[count];
        for (int i = 0; i < count; i++)
            nodes[i] = new TreeNode { Feature = reader.ReadInt32(), Threshold = reader.ReadInt32(), Left = reader.ReadInt32(), Right = reader.ReadInt32() };
        int valuesPerLeaf = reader.ReadInt32();
        if (valuesPerLeaf != expectedValuesPerLeaf) throw new InvalidDataException($"Tree leaves hold {valuesPerLeaf} values, expected {expectedValuesPerLeaf}.");
        int valueCount = reader.ReadInt32();
        if (valueCount < 0 || valueCount % valuesPerLeaf != 0 || valueCount > 100_000_000) throw new InvalidDataException($"Implausible leaf value count {valueCount}.");
        var values = new float[valueCount];
        for (int i = 0; i < valueCount; i++) values[i] = reader.ReadSingle();
        int leaves = valueCount / valuesPerLeaf;
        for (int i = 0; i < count; i++)
        {
            var node = nodes[i];
            bool ok = node.IsLeaf
                ? node.Feature == -1 && (uint)node.Left < (uint)leaves
                : node.Feature < features && (uint)node.Threshold < FeatureBinner.MaxBins
                  && node.Left > i && node.Left < count && node.Right > i && node.Right < count;
            if (!ok) throw new InvalidDataException($"Tree node {i} is malformed.");
        }
        return new DecisionTree(nodes, values, valuesPerLeaf);
    }
}

/// <summary>Per-tree random seeds derived from the fit seed and the tree's index, so results do not depend on thread count.</summary>
internal static class TreeSeeds
{
    public static int Derive(int seed, int index, int stream = 0)
    {
        // SplitMix64 finaliser over (seed, index, stream): neighbouring trees get unrelated generators.
        ulong z = (ulong)(uint)seed * 0x9E3779B97F4A7C15UL ^ (ulong)(uint)index * 0xBF58476D1CE4E5B9UL ^ (ulong)(uint)stream * 0x94D049BB133111EBUL;
        return (int)(SplitMix64.Finalize(z) & 0x7FFFFFFF);
    }
}
