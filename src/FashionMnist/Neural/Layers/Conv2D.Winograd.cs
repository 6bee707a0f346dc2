namespace FashionMnist.Neural.Layers;

/// <summary>
/// Inference passes of stride-1 3x3 convolutions by Winograd F(2x2, 3x3) (Lavin and Gray 2015): each 2x2 output tile is
/// A^T [(G g G^T) ⊙ (B^T d B)] A of its 4x4 input patch d, so the 36 multiply-adds per output pixel and input channel
/// become 16 per tile (2.25x fewer), plus transforms that are additions only. The transformed weights (16 matrices of
/// input x output channels) are made once per weight version, like the broadcast kernel's transpose. Per group of
/// images, the input transform writes V[ξ] (channels x tiles) vectorised over a row of tiles (16 lanes), the 16
/// products M[ξ] = U[ξ]^T V[ξ] run on <see cref="BroadcastBlock"/> (8 filters x 48 tiles, K = input channels), and
/// the output transform adds bias, then either takes the 2x2 maximum (a 2x2/2 max-pool after the conv: one tile is
/// one pooling window, so a pooled conv needs only floor(out/2)^2 tiles) or writes the four pixels, then the ReLU.
/// cnn3's second conv (13x13x32 -> 11x11x64, pooled to 5x5) needs 25 tiles: 1.6 MFLOP per image instead of 4.5.
/// Training never comes here (its forward stays the GEMM's sums, bit for bit): the rounding differs from the direct
/// sums by a few units in the last place of the inputs' magnitude (tests: within 1e-5 of the direct path in
/// probabilities). Each tile's arithmetic depends only on that tile, so the bits are the same for any slicing and
/// thread count.
/// </summary>
internal sealed partial class Conv2D
{
    /// <summary>Fewer input channels than this keep the direct kernels: transforms would cost more than the products save.</summary>
    private const int MinWinogradChannels = 8;

    /// <summary>Tiles per group aimed at: enough 48-tile blocks to keep the kernel busy, V and M within L2.</summary>
    private const int WinogradTargetTiles = 144;

    /// <summary>Cap on a group's transformed input (floats): 576 KB, within the 1 MB L2 beside the input and 8 filters' products.</summary>
    private const int WinogradMaxFloats = 144 * 1024;

    private float[]? _winogradWeights, _winogradFrom;
    private int[]? _winogradOffsets;
    private float[]?[] _winogradImage = [], _winogradV = [], _winogradM = [];
    private int _winogradGroup, _winogradStride, _winogradPlaneV, _winogradPlaneM;

    /// <summary>Tests switch Winograd off to compare it with the direct paths.</summary>
    internal bool WinogradAllowed { get; init; } = true;

    /// <summary>Groups of under 48 tiles in a 16- or 32-tile block (<see cref="WinogradBlockAt"/>); tests and the bench switch it off to compare.</summary>
    internal bool NarrowWinogradBlocksAllowed { get; set; } = true;

    /// <summary>
    /// Whether an inference pass (pooled into a 2x2/2 max-pool when <paramref name="pooled"/>) runs by Winograd: 3x3,
    /// stride 1, filters in blocks of 8, enough input channels, whole tiles (even output unless pooled, which drops an
    /// odd last row and column anyway) and at most 15 tiles per row (one row of tiles is one 16-lane vector).
    /// </summary>
    internal bool UseWinograd(bool pooled) => WinogradAllowed && KernelHeight == 3 && KernelWidth == 3 && Stride == 1
        && Filters % 8 == 0 && _inChannels >= MinWinogradChannels && Avx512F.IsSupported
        && _outHeight >= 2 && _outWidth >= 2 && _outWidth / 2 <= 15
        && (pooled || (_outHeight % 2 == 0 && _outWidth % 2 == 0));

    private int TilesDown => _outHeight / 2;
    private int TilesAcross => _outWidth / 2;

    /// <summary>The transformed weights (U[ξ] as input channels x filters) and the per-slice buffers, before the slices run.</summary>
    private void PrepareWinograd()
    {
        int tiles = TilesDown * TilesAcross, cin = _inChannels, cout = Filters;
        if (_winogradGroup == 0)
        {
            _winogradGroup = ChooseWinogradGroup(tiles, cin);
            // Slack: a row of tiles stores 16 lanes; a group of fewer than 48 tiles is computed as one 48-tile block.
            _winogradStride = RoundUp(Math.Max(_winogradGroup * tiles, BroadcastPixels), 16) + 16;
            _winogradPlaneV = OddLines(cin * _winogradStride);
            _winogradPlaneM = OddLines(8 * _winogradStride);
        }
        float[] weights = _forwardWeights;
        if (!ReferenceEquals(_winogradFrom, weights))
        {
            float[] u = Ensure(ref _winogradWeights, 16L * cin * cout);
            Span<double> gg = stackalloc double[12];
            for (int co = 0; co < cout; co++)
            for (int ci = 0; ci < cin; ci++)
            {
                int at = (co * cin + ci) * 9;
                // G g (4x3) with G = [1 0 0; 1/2 1/2 1/2; 1/2 -1/2 1/2; 0 0 1], then (G g) G^T (4x4), in double.
                for (int k = 0; k < 3; k++)
                {
                    double g0 = weights[at + k], g1 = weights[at + 3 + k], g2 = weights[at + 6 + k];
                    gg[k] = g0;
                    gg[3 + k] = 0.5 * (g0 + g1 + g2);
                    gg[6 + k] = 0.5 * (g0 - g1 + g2);
                    gg[9 + k] = g2;
                }
                for (int i = 0; i < 4; i++)
                {
                    double a = gg[3 * i], b = gg[3 * i + 1], c = gg[3 * i + 2];
                    u[((i * 4 + 0) * cin + ci) * cout + co] = (float)a;
                    u[((i * 4 + 1) * cin + ci) * cout + co] = (float)(0.5 * (a + b + c));
                    u[((i * 4 + 2) * cin + ci) * cout + co] = (float)(0.5 * (a - b + c));
                    u[((i * 4 + 3) * cin + ci) * cout + co] = (float)c;
                }
            }
            int[] offsets = Ensure(ref _winogradOffsets, cin);
            for (int ci = 0; ci < cin; ci++) offsets[ci] = ci * _winogradStride;
            _winogradFrom = weights;
        }
        int slices = _columns.Length;
        if (_winogradV.Length < slices)
        {
            Array.Resize(ref _winogradImage, slices);
            Array.Resize(ref _winogradV, slices);
            Array.Resize(ref _winogradM, slices);
        }
    }

    /// <summary>
    /// Floats between two ξ planes: at least <paramref name="floats"/>, an odd number of 64-byte lines. The transforms
    /// touch all 16 planes at once; planes a multiple of 4 KB apart (cnn-deep's 28x28 conv: 7 x 4 KB) fall into one L1
    /// set, 16 lines in 12 ways, and the input transform ran 5x slower than its instructions.
    /// </summary>
    private static int OddLines(int floats)
    {
        int lines = (floats + 15) / 16;
        return (lines | 1) * 16;
    }

    /// <summary>
    /// Images per group: of the counts whose V (16 x channels x tiles) stays within <see cref="WinogradMaxFloats"/>,
    /// the one whose tile blocks (<see cref="WinogradBlockAt"/>) waste the least.
    /// </summary>
    private static int ChooseWinogradGroup(int tilesPerImage, int channels)
    {
        int best = 1;
        double bestWaste = double.MaxValue;
        for (int g = 1; g == 1 || (g * tilesPerImage <= 2 * WinogradTargetTiles && 16L * channels * (g * tilesPerImage + 32) <= WinogradMaxFloats); g++)
        {
            int tiles = g * tilesPerImage;
            int computed = WinogradComputedTiles(tiles);
            double waste = (double)computed / tiles + (tiles < WinogradTargetTiles / 2 ? 0.5 : 0); // small groups: per-block overheads
            if (waste < bestWaste - 1e-9) (best, bestWaste) = (g, waste);
        }
        return best;
    }

    /// <summary>
    /// Conv + bias of images start .. start + count by Winograd into y: pooled (2x2 max) when <paramref name="pooled"/>,
    /// then the ReLU when <paramref name="relu"/>. Per group: V of all its tiles, then per block of 8 filters the 16
    /// products (8 x tiles each, within L2) and straight away their output transform, so the products of all filters
    /// (16 x filters x tiles: 850 KB for cnn3's conv2 in groups of 7 images) never leave the core's caches.
    /// Only filters <paramref name="filterStart"/> .. <paramref name="filterEnd"/> (whole blocks of 8) are computed:
    /// a thread's share of one image (Conv2D.FilterSplit.cs); each block's arithmetic is the same whatever the range.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private unsafe void ForwardWinograd(float[] x, int s, int start, int count, float[] y, bool pooled, bool relu, int filterStart, int filterEnd)
    {
        int cin = _inChannels, cout = Filters, tiles = TilesDown * TilesAcross;
        var (height, width) = PackedPlane;
        int planeFloats = cin * height * width;
        float[] image = Ensure(ref _winogradImage[s], planeFloats + 32L); // + 32: a row of tiles loads 32 floats
        float[] v = Ensure(ref _winogradV[s], 16L * _winogradPlaneV);
        float[] m = Ensure(ref _winogradM[s], 16L * _winogradPlaneM);
        int outSize = pooled ? cout * tiles : OutputShape.Size;
        fixed (float* px = x, pImage = image, pv = v, pm = m, pu = _winogradWeights, py = y)
        fixed (int* pOffsets = _winogradOffsets)
        {
            for (int first = start; first < start + count; first += _winogradGroup)
            {
                int g = Math.Min(_winogradGroup, start + count - first), total = g * tiles;
                for (int j = 0; j < g; j++)
                {
                    CopyForWinograd(px + (long)(first + j) * InputShape.Size, pImage, height, width);
                    WinogradInput(pImage, pv, j * tiles, height, width);
                }
                for (int f0 = filterStart; f0 < filterEnd; f0 += 8)
                {
                    WinogradProducts(pv, pm, pu + f0, pOffsets, total);
                    for (int j = 0; j < g; j++)
                    {
                        float* target = py + (long)(first + j) * outSize;
                        if (pooled) WinogradOutputPooled(pm, j * tiles, target, f0, relu);
                        else WinogradOutput(pm, j * tiles, target, f0, relu);
                    }
                }
            }
        }
    }

    /// <summary>
    /// One image into the plane the tiles read (<see cref="PackedPlane"/>): as it is for 'valid', else into the interior
    /// of the zero-bordered plane, whose border was zeroed when the buffer was made and is never written. Vector
    /// copies with a masked tail (a call per 28-float row cost a third of the input transform).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private unsafe void CopyForWinograd(float* image, float* plane, int height, int width)
    {
        int inHeight = InputShape.Height, inWidth = InputShape.Width;
        if (!PadsForPacking)
        {
            Buffer.MemoryCopy(image, plane, (long)InputShape.Size * sizeof(float), (long)InputShape.Size * sizeof(float));
            return;
        }
        int tail = inWidth % 16, whole = inWidth - tail;
        Vector512<float> mask = FirstLanes(tail);
        for (int c = 0; c < _inChannels; c++)
            for (int r = 0; r < inHeight; r++)
            {
                float* from = image + ((long)c * inHeight + r) * inWidth, to = plane + ((long)c * height + r + _padTop) * width + _padLeft;
                for (int i = 0; i < whole; i += 16) Vector512.Load(from + i).Store(to + i);
                if (tail > 0) Avx512F.MaskStore(to + whole, mask, Avx512F.MaskLoad(from + whole, mask, Vector512<float>.Zero));
            }
    }

    private static readonly Vector512<int> s_even = Vector512.Create(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
    private static readonly Vector512<int> s_odd = Vector512.Create(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
    // Lane 15 of the next even/odd columns would be float 32/33: it wraps to 0/1 (only lanes < 15 are tiles).
    private static readonly Vector512<int> s_evenNext = Vector512.Create(2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30, 0);
    private static readonly Vector512<int> s_oddNext = Vector512.Create(3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31, 1);
    private static readonly Vector512<int> s_interleaveLow = Vector512.Create(0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
    private static readonly Vector512<int> s_interleaveHigh = Vector512.Create(8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
    private static readonly Vector512<int> s_lanes = Vector512.Create(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);

    /// <summary>Lanes below <paramref name="count"/> set (a MaskStore mask).</summary>
    private static Vector512<float> FirstLanes(int count) => Vector512.LessThan(s_lanes, Vector512.Create(count)).AsSingle();

    /// <summary>
    /// B^T d B of every tile of one (padded) image into V[ξ][c][column ..]: per channel and row of tiles, each of the
    /// 4 input rows is split into even and odd columns (tile tx starts at column 2tx), transformed across, then the 4
    /// rows are combined. Each store writes 16 lanes; lanes past the row of tiles are overwritten by the next row
    /// (or land in the slack after the group).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private unsafe void WinogradInput(float* image, float* v, int column, int height, int width)
    {
        int cin = _inChannels, across = TilesAcross, down = TilesDown;
        long plane = _winogradPlaneV;
        for (int c = 0; c < cin; c++)
        {
            float* channel = image + (long)c * height * width;
            float* target = v + (long)c * _winogradStride + column;
            for (int ty = 0; ty < down; ty++, target += across)
            {
                float* row = channel + 2 * ty * width;
                RowTransform(row, out var a0, out var a1, out var a2, out var a3);
                RowTransform(row + width, out var b0, out var b1, out var b2, out var b3);
                RowTransform(row + 2 * width, out var c0, out var c1, out var c2, out var c3);
                RowTransform(row + 3 * width, out var d0, out var d1, out var d2, out var d3);
                (a0 - c0).Store(target);
                (a1 - c1).Store(target + plane);
                (a2 - c2).Store(target + 2 * plane);
                (a3 - c3).Store(target + 3 * plane);
                (b0 + c0).Store(target + 4 * plane);
                (b1 + c1).Store(target + 5 * plane);
                (b2 + c2).Store(target + 6 * plane);
                (b3 + c3).Store(target + 7 * plane);
                (c0 - b0).Store(target + 8 * plane);
                (c1 - b1).Store(target + 9 * plane);
                (c2 - b2).Store(target + 10 * plane);
                (c3 - b3).Store(target + 11 * plane);
                (b0 - d0).Store(target + 12 * plane);
                (b1 - d1).Store(target + 13 * plane);
                (b2 - d2).Store(target + 14 * plane);
                (b3 - d3).Store(target + 15 * plane);
            }
        }
    }

    /// <summary>d B along one input row for 16 tiles at once: (d0 - d2, d1 + d2, d2 - d1, d1 - d3) of each tile's 4 floats.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void RowTransform(float* row, out Vector512<float> t0, out Vector512<float> t1, out Vector512<float> t2, out Vector512<float> t3)
    {
        Vector512<float> low = Vector512.Load(row), high = Vector512.Load(row + 16);
        Vector512<float> e0 = Avx512F.PermuteVar16x32x2(low, s_even, high), o0 = Avx512F.PermuteVar16x32x2(low, s_odd, high);
        Vector512<float> e1 = Avx512F.PermuteVar16x32x2(low, s_evenNext, high), o1 = Avx512F.PermuteVar16x32x2(low, s_oddNext, high);
        t0 = e0 - e1;
        t1 = o0 + e1;
        t2 = e1 - o0;
        t3 = o0 - o1;
    }

    /// <summary>
    /// M[ξ] (8 filters x tiles, rows <see cref="_winogradStride"/> apart, ξ planes 8 rows apart) = U[ξ]^T V[ξ] for the
    /// 8 filters whose weights start at <paramref name="u"/>: 48-tile blocks (the last one overlapping), K blocks as the
    /// broadcast path.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private unsafe void WinogradProducts(float* v, float* m, float* u, int* offsets, int total)
    {
        int cin = _inChannels, cout = Filters, stride = _winogradStride;
        int kBlocks = (cin + Numerics.ManagedGemm.KcMax - 1) / Numerics.ManagedGemm.KcMax, kStep = (cin + kBlocks - 1) / kBlocks;
        for (int q0 = 0; q0 < Math.Max(total, 1); q0 += BroadcastPixels)
        {
            var (q, width) = WinogradBlockAt(q0, total, NarrowWinogradBlocksAllowed);
            for (int xi = 0; xi < 16; xi++)
            {
                float* vx = v + (long)xi * _winogradPlaneV + q, mx = m + (long)xi * _winogradPlaneM + q, ux = u + (long)xi * cin * cout;
                for (int k0 = 0; k0 < cin; k0 += kStep)
                {
                    int taps = Math.Min(kStep, cin - k0);
                    float* w = ux + (long)k0 * cout;
                    if (width == 16) BroadcastBlock8x16(vx, offsets + k0, taps, w, cout, mx, stride, accumulate: k0 > 0);
                    else if (width == 32) BroadcastBlock8x32(vx, offsets + k0, taps, w, cout, mx, stride, accumulate: k0 > 0);
                    else BroadcastBlock(vx, offsets + k0, taps, w, cout, mx, stride, accumulate: k0 > 0);
                }
            }
        }
    }

    /// <summary>
    /// The tile block of the 48-tile step at <paramref name="q0"/>: whole 48-tile blocks, then a last block of 16, 32
    /// or 48 ending at the last tile (overlapping the one before; overlapping tiles are computed again, the same way).
    /// cnn-deep's 28x28 conv has 196 tiles: 4 x 48 + 16 computed instead of 4 x 48 + 32. Fewer than 48 tiles in all
    /// take one block over the buffer's slack: with <paramref name="narrow"/> the narrowest of 16, 32, 48 that holds
    /// them (cnn-deep's last conv on one image: 9 tiles, 16 computed instead of 48; that block was 73-77 of the
    /// image's 265-273 µs of thread CPU), else 48. Every tile's sums are the same chain of FMAs whatever the block's width, so the same bits.
    /// </summary>
    private static (int Q, int Width) WinogradBlockAt(int q0, int total, bool narrow = false)
    {
        int left = total - q0;
        if (total < BroadcastPixels) return (0, !narrow || total > 32 ? BroadcastPixels : total > 16 ? 32 : 16);
        if (left >= BroadcastPixels) return (q0, BroadcastPixels);
        int width = left <= 16 ? 16 : left <= 32 ? 32 : BroadcastPixels;
        return (total - width, width);
    }

    /// <summary>Tiles the blocks of <see cref="WinogradBlockAt"/> compute for a group of <paramref name="total"/> tiles.</summary>
    private static int WinogradComputedTiles(int total)
    {
        int computed = 0;
        for (int q0 = 0; q0 < Math.Max(total, 1); q0 += BroadcastPixels) computed += WinogradBlockAt(q0, total).Width;
        return computed;
    }

    /// <summary><see cref="BroadcastBlock"/> for 8 filters x 16 tiles (a group's last few tiles).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void BroadcastBlock8x16(float* x, int* offsets, int taps, float* w, int filters, float* y, int yRow, bool accumulate)
    {
        Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default, a6 = default, a7 = default;
        for (int t = 0; t < taps; t++, w += filters)
        {
            Vector512<float> x0 = Vector512.Load(x + offsets[t]);
            a0 = Avx512F.FusedMultiplyAdd(Vector512.Create(w[0]), x0, a0);
            a1 = Avx512F.FusedMultiplyAdd(Vector512.Create(w[1]), x0, a1);
            a2 = Avx512F.FusedMultiplyAdd(Vector512.Create(w[2]), x0, a2);
            a3 = Avx512F.FusedMultiplyAdd(Vector512.Create(w[3]), x0, a3);
            a4 = Avx512F.FusedMultiplyAdd(Vector512.Create(w[4]), x0, a4);
            a5 = Avx512F.FusedMultiplyAdd(Vector512.Create(w[5]), x0, a5);
            a6 = Avx512F.FusedMultiplyAdd(Vector512.Create(w[6]), x0, a6);
            a7 = Avx512F.FusedMultiplyAdd(Vector512.Create(w[7]), x0, a7);
        }
        Put(y, a0, accumulate);
        Put(y + yRow, a1, accumulate);
        Put(y + 2 * (long)yRow, a2, accumulate);
        Put(y + 3 * (long)yRow, a3, accumulate);
        Put(y + 4 * (long)yRow, a4, accumulate);
        Put(y + 5 * (long)yRow, a5, accumulate);
        Put(y + 6 * (long)yRow, a6, accumulate);
        Put(y + 7 * (long)yRow, a7, accumulate);
    }

    /// <summary>A^T m A of 16 tiles: the four output pixels (row a, column b) of each.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void OutputTransform(float* m, long plane, out Vector512<float> y00, out Vector512<float> y01, out Vector512<float> y10, out Vector512<float> y11)
    {
        Vector512<float> m0 = Vector512.Load(m), m1 = Vector512.Load(m + plane), m2 = Vector512.Load(m + 2 * plane), m3 = Vector512.Load(m + 3 * plane);
        Vector512<float> m4 = Vector512.Load(m + 4 * plane), m5 = Vector512.Load(m + 5 * plane), m6 = Vector512.Load(m + 6 * plane), m7 = Vector512.Load(m + 7 * plane);
        Vector512<float> m8 = Vector512.Load(m + 8 * plane), m9 = Vector512.Load(m + 9 * plane), m10 = Vector512.Load(m + 10 * plane), m11 = Vector512.Load(m + 11 * plane);
        Vector512<float> m12 = Vector512.Load(m + 12 * plane), m13 = Vector512.Load(m + 13 * plane), m14 = Vector512.Load(m + 14 * plane), m15 = Vector512.Load(m + 15 * plane);
        // Rows: u0 = m0 + m1 + m2, u1 = m1 - m2 - m3 (per column j of the 4x4 product).
        Vector512<float> u00 = m0 + m4 + m8, u01 = m1 + m5 + m9, u02 = m2 + m6 + m10, u03 = m3 + m7 + m11;
        Vector512<float> u10 = m4 - m8 - m12, u11 = m5 - m9 - m13, u12 = m6 - m10 - m14, u13 = m7 - m11 - m15;
        y00 = u00 + u01 + u02;
        y01 = u01 - u02 - u03;
        y10 = u10 + u11 + u12;
        y11 = u11 - u12 - u13;
    }

    /// <summary>Pooled output of one image for filters f0 .. f0 + 8: max of each tile's four pixels + bias (+ ReLU), 16 tiles (= pooled pixels) per vector.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private unsafe void WinogradOutputPooled(float* m, int column, float* target, int f0, bool relu)
    {
        int tiles = TilesDown * TilesAcross, stride = _winogradStride;
        long plane = _winogradPlaneM;
        for (int co = f0; co < f0 + 8; co++)
        {
            var bias = Vector512.Create(ForwardBias(co));
            float* source = m + (long)(co - f0) * stride + column, output = target + (long)co * tiles;
            for (int t = 0; t < tiles; t += 16)
            {
                OutputTransform(source + t, plane, out var y00, out var y01, out var y10, out var y11);
                var value = Avx512F.Max(Avx512F.Max(y00, y01), Avx512F.Max(y10, y11)) + bias;
                if (relu) value = Avx512F.Max(value, Vector512<float>.Zero);
                if (t + 16 <= tiles) value.Store(output + t);
                else Avx512F.MaskStore(output + t, FirstLanes(tiles - t), value);
            }
        }
    }

    /// <summary>Full output of one image for filters f0 .. f0 + 8 (even height and width): each row of tiles gives two output rows of 2 x tiles across.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private unsafe void WinogradOutput(float* m, int column, float* target, int f0, bool relu)
    {
        int across = TilesAcross, width = _outWidth, stride = _winogradStride;
        long plane = _winogradPlaneM;
        Vector512<float> lowMask = FirstLanes(Math.Min(width, 16)), highMask = FirstLanes(width - 16);
        for (int co = f0; co < f0 + 8; co++)
        {
            var bias = Vector512.Create(ForwardBias(co));
            float* source = m + (long)(co - f0) * stride + column, output = target + (long)co * _outPixels;
            for (int ty = 0; ty < TilesDown; ty++)
            {
                OutputTransform(source + ty * across, plane, out var y00, out var y01, out var y10, out var y11);
                y00 += bias; y01 += bias; y10 += bias; y11 += bias;
                if (relu)
                {
                    y00 = Avx512F.Max(y00, Vector512<float>.Zero);
                    y01 = Avx512F.Max(y01, Vector512<float>.Zero);
                    y10 = Avx512F.Max(y10, Vector512<float>.Zero);
                    y11 = Avx512F.Max(y11, Vector512<float>.Zero);
                }
                float* top = output + 2 * ty * width, bottom = top + width;
                Avx512F.MaskStore(top, lowMask, Avx512F.PermuteVar16x32x2(y00, s_interleaveLow, y01));
                Avx512F.MaskStore(bottom, lowMask, Avx512F.PermuteVar16x32x2(y10, s_interleaveLow, y11));
                if (width > 16)
                {
                    Avx512F.MaskStore(top + 16, highMask, Avx512F.PermuteVar16x32x2(y00, s_interleaveHigh, y01));
                    Avx512F.MaskStore(bottom + 16, highMask, Avx512F.PermuteVar16x32x2(y10, s_interleaveHigh, y11));
                }
            }
        }
    }
}
