using System.Buffers;

namespace FashionMnist.Imaging;

/// <summary>
/// The 4-connected components of a mask's set (or unset) pixels, found from runs: each row is cut into runs of equal
/// pixels (a vector search finds where a run ends), a run is joined (union-find) to every run of the row above whose
/// columns it shares, and each component's area and border contact are summed per run. A component is the same set of
/// pixels a pixel-by-pixel flood fill finds, so hole filling and keeping the largest components give the same masks,
/// with work per run instead of per pixel (a garment mask of 256 x 192 has a few hundred runs, not 49,152 pixels).
/// Pooled buffers: dispose to return them.
/// </summary>
internal sealed class MaskRuns : IDisposable
{
    private readonly int[] _start, _end, _row, _parent;

    /// <summary>The runs of pixels that are <paramref name="set"/> (non-zero) or not (zero), labelled into components.</summary>
    public MaskRuns(ReadOnlySpan<byte> bits, int width, int height, bool set)
    {
        int n = width * height;
        if (bits.Length < n) throw new ArgumentException($"A {width}x{height} mask needs {n} bits.", nameof(bits));
        Width = width;
        Height = height;
        int capacity = height * ((width + 1) / 2); // runs of one kind are separated by at least one other pixel
        _start = ArrayPool<int>.Shared.Rent(capacity);
        _end = ArrayPool<int>.Shared.Rent(capacity);
        _row = ArrayPool<int>.Shared.Rent(capacity);
        _parent = ArrayPool<int>.Shared.Rent(capacity);
        int count = 0, above = 0, aboveEnd = 0;
        for (int y = 0; y < height; y++)
        {
            ReadOnlySpan<byte> line = bits.Slice(y * width, width);
            int first = count, x = 0;
            while (x < width)
            {
                int s = set ? line[x..].IndexOfAnyExcept((byte)0) : line[x..].IndexOf((byte)0);
                if (s < 0) break;
                s += x;
                int length = set ? line[s..].IndexOf((byte)0) : line[s..].IndexOfAnyExcept((byte)0);
                int e = length < 0 ? width : s + length;
                _start[count] = s;
                _end[count] = e;
                _row[count] = y;
                _parent[count] = count;
                // Runs of the row above sharing a column: they start before e and end after s. Both rows are in
                // column order, so runs ending at or before s are done with for this row too.
                while (above < aboveEnd && _end[above] <= s) above++;
                for (int a = above; a < aboveEnd && _start[a] < e; a++) Union(a, count);
                count++;
                x = e;
            }
            above = first;
            aboveEnd = count;
        }
        Count = count;
    }

    public int Width { get; }
    public int Height { get; }

    /// <summary>Runs found.</summary>
    public int Count { get; }

    public int Start(int run) => _start[run];
    public int End(int run) => _end[run];
    public int Row(int run) => _row[run];

    /// <summary>The component of <paramref name="run"/>: the lowest-numbered run in it.</summary>
    public int Component(int run)
    {
        int root = run;
        while (_parent[root] != root) root = _parent[root];
        while (_parent[run] != root) (run, _parent[run]) = (_parent[run], root);
        return root;
    }

    /// <summary>Pixels of <paramref name="run"/> on the image's outermost ring (each pixel once).</summary>
    public int RingPixels(int run)
    {
        int s = _start[run], e = _end[run];
        if (_row[run] == 0 || _row[run] == Height - 1) return e - s;
        // A middle row's ring pixels are its first and last column (one pixel when the image is one column wide).
        return (s == 0 ? 1 : 0) + (e == Width && Width > 1 ? 1 : 0);
    }

    /// <summary>Whether <paramref name="run"/> touches the image's border.</summary>
    public bool TouchesBorder(int run) => _row[run] == 0 || _row[run] == Height - 1 || _start[run] == 0 || _end[run] == Width;

    /// <summary>Sets <paramref name="value"/> over <paramref name="run"/>'s pixels.</summary>
    public void Fill(Span<byte> bits, int run, byte value) =>
        bits.Slice(_row[run] * Width + _start[run], _end[run] - _start[run]).Fill(value);

    private void Union(int a, int b)
    {
        a = Component(a);
        b = Component(b);
        if (a < b) _parent[b] = a;
        else if (b < a) _parent[a] = b;
    }

    public void Dispose()
    {
        ArrayPool<int>.Shared.Return(_start);
        ArrayPool<int>.Shared.Return(_end);
        ArrayPool<int>.Shared.Return(_row);
        ArrayPool<int>.Shared.Return(_parent);
    }
}
