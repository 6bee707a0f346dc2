using System.Numerics;

namespace FashionMnist.Interop;

/// <summary>
/// The LIBSVM wrapper's entry point: loads the library once (a missing one names its Debian package) and
/// silences LIBSVM's progress printing to stdout, which would otherwise corrupt the CLI's --json output.
/// </summary>
internal static unsafe class LibSvm
{
    private static readonly Lazy<bool> s_ready = new(Initialize, LazyThreadSafetyMode.ExecutionAndPublication);

    public static void EnsureReady() => _ = s_ready.Value;

    private static bool Initialize()
    {
        NativeLibraries.Require(NativeLibraries.LibSvm);
        // LIBSVM prints "*", "." and "optimization finished, #iter = ..." for every pair of classes.
        // The print hook is process-wide, so it can't be routed to one fit's log; we report our own summary instead.
        LibSvmNative.SetPrintStringFunction(&IgnoreText);
        return true;
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static void IgnoreText(byte* text) { }

    /// <summary>
    /// Writes one row in LIBSVM's sparse format: (1-based index, value) for each kept feature, then index -1.
    /// Returns the number of nodes written including the terminator. <paramref name="dest"/> needs values.Length + 1.
    /// Generic over the feature type (bytes for raw pixels, floats after preprocessing); the JIT specialises it.
    /// </summary>
    public static int WriteRow<T>(ReadOnlySpan<T> values, double scale, bool keepZeros, Span<SvmNode> dest)
        where T : unmanaged, INumberBase<T>
    {
        int n = 0;
        for (int i = 0; i < values.Length; i++)
        {
            T v = values[i];
            if (!keepZeros && T.IsZero(v)) continue;
            dest[n].Index = i + 1;
            dest[n].Value = double.CreateTruncating(v) * scale;
            n++;
        }
        dest[n].Index = SvmNode.EndOfRow;
        dest[n].Value = 0;
        return n + 1;
    }

    /// <summary>Nodes a row needs including its terminator (zeros skipped unless kept; same test as <see cref="WriteRow{T}"/>).</summary>
    public static int NodeCount<T>(ReadOnlySpan<T> values, bool keepZeros) where T : unmanaged, INumberBase<T>
    {
        if (keepZeros) return values.Length + 1;
        int n = 0;
        foreach (T v in values) if (!T.IsZero(v)) n++;
        return n + 1;
    }
}

/// <summary>
/// A training problem in LIBSVM's format: all rows' nodes in one native block (terminated rows, back to back),
/// plus row pointers and labels. Rows are stored in the order given, so callers choose the class order.
/// </summary>
internal sealed unsafe class LibSvmProblem : IDisposable
{
    private readonly NativeBlock _nodes;
    private readonly NativeBlock _rows;
    private readonly NativeBlock _labels;

    private LibSvmProblem(int count, long nodeCount)
    {
        Count = count;
        NodeCount = nodeCount;
        _nodes = new NativeBlock((nuint)(nodeCount * sizeof(SvmNode)));
        _rows = new NativeBlock((nuint)(count * sizeof(SvmNode*)));
        _labels = new NativeBlock((nuint)(count * sizeof(double)));
    }

    public int Count { get; }

    /// <summary>Nodes stored, including one terminator per row.</summary>
    public long NodeCount { get; }

    internal SvmNode** Rows => (SvmNode**)_rows.Pointer;
    internal double* Labels => (double*)_labels.Pointer;

    /// <summary>
    /// Builds the problem from <paramref name="order"/>'s rows of a row-major matrix (bytes for raw pixels, floats
    /// after preprocessing), each value times <paramref name="scale"/>.
    /// </summary>
    public static LibSvmProblem From<T>(ReadOnlySpan<T> values, int columns, ReadOnlySpan<int> order,
        ReadOnlySpan<byte> labels, double scale, bool keepZeros) where T : unmanaged, INumberBase<T>
    {
        long total = 0;
        foreach (int row in order) total += LibSvm.NodeCount(values.Slice(row * columns, columns), keepZeros);
        var problem = new LibSvmProblem(order.Length, total);
        try
        {
            SvmNode* next = (SvmNode*)problem._nodes.Pointer;
            for (int i = 0; i < order.Length; i++)
            {
                int row = order[i];
                problem.Rows[i] = next;
                problem.Labels[i] = labels[row];
                next += LibSvm.WriteRow(values.Slice(row * columns, columns), scale, keepZeros, new Span<SvmNode>(next, columns + 1));
            }
            return problem;
        }
        catch
        {
            problem.Dispose();
            throw;
        }
    }

    /// <summary>Runs <paramref name="action"/> with the problem struct LIBSVM reads, keeping the memory alive throughout.</summary>
    internal T Use<T>(Func<nint, T> action)
    {
        bool nodesAdded = false, rowsAdded = false, labelsAdded = false;
        try
        {
            _nodes.DangerousAddRef(ref nodesAdded);
            _rows.DangerousAddRef(ref rowsAdded);
            _labels.DangerousAddRef(ref labelsAdded);
            var problem = new SvmProblem { Count = Count, Labels = Labels, Rows = Rows };
            return action((nint)(&problem));
        }
        finally
        {
            if (labelsAdded) _labels.DangerousRelease();
            if (rowsAdded) _rows.DangerousRelease();
            if (nodesAdded) _nodes.DangerousRelease();
        }
    }

    public void Dispose()
    {
        _nodes.Dispose();
        _rows.Dispose();
        _labels.Dispose();
    }
}
