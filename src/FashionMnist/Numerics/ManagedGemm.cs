using System.Buffers;

namespace FashionMnist.Numerics;

/// <summary>
/// The managed SGEMM: GotoBLAS/BLIS structure in C#. Loops, outermost first:
/// N in blocks of <see cref="NcMax"/> columns (B block stays in L3), K in equal blocks of at most
/// <see cref="KcMax"/> (B is packed once per block), M in blocks of MC rows (packed A block stays in L2),
/// then NR-column B panels (one stays in L1) and MR-row A panels, each a register-blocked micro-kernel call.
/// Threads take large contiguous chunks of M, N or (for tiny outputs) K, never short loops.
/// See docs/numerics.md for the measured effect of each choice.
/// </summary>
internal static unsafe class ManagedGemm
{
    /// <summary>K block: the B micro-panel (KcMax x NR floats) must stay in L1 while A panels stream by.</summary>
    internal const int KcMax = 384;

    /// <summary>N block: the packed B block (KcMax x NcMax) lives in L3.</summary>
    internal const int NcMax = 4096;

    /// <summary>Below this many multiply-adds per thread a parallel split costs more than it saves.</summary>
    internal const long MinParallelMacsPerThread = 1L << 20;

    private const int AlignFloats = 16; // 64 bytes: packed panels start on a cache line

    public static void Multiply(bool transA, bool transB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, float beta, Span<float> c, int ldc,
        int threads, GemmKernel? kernel = null)
    {
        if (m == 0 || n == 0) return;
        fixed (float* pa = a)
        fixed (float* pb = b)
        fixed (float* pc = c)
        {
            var am = transA ? new StridedMatrix(pa, 1, lda) : new StridedMatrix(pa, lda, 1);
            var bm = transB ? new StridedMatrix(pb, 1, ldb) : new StridedMatrix(pb, ldb, 1);
            var cm = new StridedMatrix(pc, ldc, 1);
            Run(kernel ?? GemmKernel.ForRows(m), m, n, k, alpha, am, bm, beta, cm, threads);
        }
    }

    /// <summary>The width of the B panels <see cref="MultiplyPrepackedB"/> reads (the kernels' NR).</summary>
    public static int PackedPanelWidth => GemmKernel.Best.NR;

    /// <summary>
    /// Packs op(B) (k x n; <paramref name="transB"/>: B is stored n x k) into the panels <see cref="MultiplyPrepackedB"/>
    /// reads, once, for a B used by many multiplies (a dense layer's weights over all inference chunks and threads):
    /// the ordinary multiply packs B again in every call, for every K block.
    /// </summary>
    public static void PackPanels(bool transB, int k, int n, ReadOnlySpan<float> b, int ldb, Span<float> packed)
    {
        int nr = PackedPanelWidth;
        if (packed.Length < (long)(n + nr - 1) / nr * nr * k || b.Length < (transB ? (long)(n - 1) * ldb + k : (long)(k - 1) * ldb + n))
            throw new ArgumentException("an operand is smaller than its shape");
        if (k == 0 || n == 0) return;
        fixed (float* pb = b)
        fixed (float* pp = packed)
        {
            var bm = transB ? new StridedMatrix(pb, 1, ldb) : new StridedMatrix(pb, ldb, 1);
            GemmPacking.PackB(bm, k, n, nr, pp);
        }
    }

    /// <summary>
    /// C = A * B + beta * C, single-threaded, where B (k x n) arrives already packed by the caller: ceil(n / NR) panels
    /// (NR = <see cref="PackedPanelWidth"/>), panel p holding columns [p * NR, p * NR + NR) as k rows of NR floats.
    /// A layer that builds its B itself (the convolution's unfolded image) writes these panels directly instead of a
    /// row-major matrix that would be copied into the same panels here, saving a pass over the operand. Columns of
    /// the last panel beyond n are read but never stored. The sums are formed exactly as by <see cref="Multiply"/>.
    /// </summary>
    public static void MultiplyPrepackedB(int m, int n, int k, ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> packedB,
        float beta, Span<float> c, int ldc)
    {
        if (m == 0 || n == 0) return;
        GemmKernel kernel = GemmKernel.ForRows(m);
        int nr = PackedPanelWidth;
        if (kernel.NR != nr) throw new InvalidOperationException("pre-packed B panels need a kernel of the same NR");
        if (a.Length < (long)(m - 1) * lda + k || packedB.Length < (long)(n + nr - 1) / nr * nr * k || c.Length < (long)(m - 1) * ldc + n)
            throw new ArgumentException("an operand is smaller than its shape");
        fixed (float* pa = a)
        fixed (float* pb = packedB)
        fixed (float* cp = c)
        {
            var am = new StridedMatrix(pa, lda, 1);
            var cm = new StridedMatrix(cp, ldc, 1);
            if (k == 0)
            {
                Scale(cm, m, n, beta);
                return;
            }
            int mr = kernel.MR;
            int kBlocks = DivUp(k, KcMax);
            int kcStep = DivUp(k, kBlocks); // the same K blocks as Sequential: the same sums
            int mcStep = Math.Min(McFor(kernel), RoundUp(m, mr));
            float[] aBuffer = ArrayPool<float>.Shared.Rent(mcStep * kcStep + AlignFloats);
            try
            {
                fixed (float* aRaw = aBuffer)
                {
                    float* ap = Align(aRaw);
                    for (int jc = 0; jc < n; jc += NcMax)
                    {
                        int nc = Math.Min(NcMax, n - jc);
                        for (int pc = 0; pc < k; pc += kcStep)
                        {
                            int kc = Math.Min(kcStep, k - pc);
                            float betaNow = pc == 0 ? beta : 1f;
                            for (int ic = 0; ic < m; ic += mcStep)
                            {
                                int mc = Math.Min(mcStep, m - ic);
                                GemmPacking.PackA(am.At(ic, pc), mc, kc, mr, 1f, ap);
                                var panels = new Panels(ap, pb + (long)jc * k + pc * nr, 0, 0, am.At(ic, pc), default, 1f, bPanelStride: k);
                                MacroKernel(kernel, mc, nc, kc, panels, cm.At(ic, jc), betaNow);
                            }
                        }
                    }
                }
            }
            finally
            {
                ArrayPool<float>.Shared.Return(aBuffer);
            }
        }
    }

    /// <summary>The height of the A panels <see cref="MultiplyPrepacked"/> reads for an m-row product (the MR of the kernel it picks for m).</summary>
    public static int PackedPanelHeight(int m) => GemmKernel.ForRows(m).MR;

    /// <summary>
    /// The multiply-adds the register tiles of an m x n product compute, padding included (<see cref="MultiplyPrepacked"/>'s
    /// kernel for m rows, NR-wide panels), per unit of K: a caller free to compute C or Cᵀ picks the smaller.
    /// </summary>
    public static long PaddedTileArea(int m, int n) => (long)RoundUp(m, PackedPanelHeight(m)) * RoundUp(n, PackedPanelWidth);

    /// <summary>
    /// Packs A (m x k, each row contiguous along k, <paramref name="lda"/> apart) into the A panels
    /// <see cref="MultiplyPrepacked"/> reads: ceil(m / MR) panels (MR = <see cref="PackedPanelHeight"/>(m)), panel p
    /// holding rows [p * MR, p * MR + MR) as k rows of MR floats, rows beyond m zero. A copy: the values are A's.
    /// </summary>
    public static void PackRowPanels(int m, int k, ReadOnlySpan<float> a, int lda, Span<float> packed)
    {
        int mr = PackedPanelHeight(m);
        if (packed.Length < (long)(m + mr - 1) / mr * mr * k || a.Length < (long)(m - 1) * lda + k)
            throw new ArgumentException("an operand is smaller than its shape");
        if (k == 0 || m == 0) return;
        fixed (float* pa = a)
        fixed (float* pp = packed)
            GemmPacking.PackA(new StridedMatrix(pa, lda, 1), m, k, mr, 1f, pp);
    }

    /// <summary>
    /// C = A * B + beta * C, single-threaded, with both operands packed over the whole K by the caller: A as
    /// <see cref="PackRowPanels"/> lays it out (MR = <see cref="PackedPanelHeight"/>(m)), B as <see cref="PackPanels"/>
    /// does. For a constant operand used in every call (a convolution's weights at inference) packed once, beside an
    /// operand the caller writes straight into panels (its unfolded images). C is written through
    /// <paramref name="rowStride"/> and <paramref name="colStride"/>, so a caller may compute Cᵀ into C's layout.
    /// The K blocks are <see cref="Multiply"/>'s and every kernel sums a C element along K in order, so each element
    /// gets the same bits as from <see cref="Multiply"/> or <see cref="MultiplyPrepackedB"/>, whichever operand is A.
    /// </summary>
    public static void MultiplyPrepacked(int m, int n, int k, ReadOnlySpan<float> packedA, ReadOnlySpan<float> packedB,
        float beta, Span<float> c, int rowStride, int colStride)
    {
        if (m == 0 || n == 0) return;
        GemmKernel kernel = GemmKernel.ForRows(m);
        int mr = kernel.MR, nr = PackedPanelWidth;
        if (kernel.NR != nr) throw new InvalidOperationException("pre-packed B panels need a kernel of the same NR");
        if (rowStride < 1 || colStride < 1 || packedA.Length < (long)RoundUp(m, mr) * k || packedB.Length < (long)RoundUp(n, nr) * k
            || c.Length <= (long)(m - 1) * rowStride + (long)(n - 1) * colStride)
            throw new ArgumentException("an operand is smaller than its shape");
        fixed (float* pa = packedA)
        fixed (float* pb = packedB)
        fixed (float* cp = c)
        {
            var cm = new StridedMatrix(cp, rowStride, colStride);
            if (k == 0)
            {
                Scale(cm, m, n, beta);
                return;
            }
            int kBlocks = DivUp(k, KcMax);
            int kcStep = DivUp(k, kBlocks); // the same K blocks as Sequential: the same sums
            for (int pc = 0; pc < k; pc += kcStep)
            {
                int kc = Math.Min(kcStep, k - pc);
                var panels = new Panels(pa + pc * mr, pb + pc * nr, 0, 0, default, default, 1f, bPanelStride: k, aPanelStride: k);
                MacroKernel(kernel, m, n, kc, panels, cm, pc == 0 ? beta : 1f); // later K blocks accumulate
            }
        }
    }

    private static void Run(GemmKernel kernel, int m, int n, int k, float alpha,
        StridedMatrix a, StridedMatrix b, float beta, StridedMatrix c, int threads)
    {
        if (k == 0 || alpha == 0f)
        {
            Scale(c, m, n, beta);
            return;
        }
        // C^T = B^T A^T: when n is small and m is not (e.g. 32x9 weight gradients), swapping the roles
        // wastes less of the NR-wide register tile on zero padding.
        if (PaddedArea(n, m, kernel) * 5 < PaddedArea(m, n, kernel) * 4)
        {
            (m, n) = (n, m);
            (a, b) = (b.Transposed, a.Transposed);
            c = c.Transposed;
        }

        long macs = (long)m * n * k;
        threads = (int)Math.Clamp(macs / MinParallelMacsPerThread, 1, Math.Max(1, threads));
        if (threads == 1)
        {
            Sequential(kernel, m, n, k, alpha, a, b, beta, c);
            return;
        }
        // Large contiguous chunks, one per thread (short Parallel.For regions run badly: native-facts trap 4).
        if (m >= n && m >= threads * kernel.MR * 4)
        {
            int chunk = RoundUp(DivUp(m, threads), kernel.MR);
            ParallelChunks(DivUp(m, chunk), t =>
            {
                int i0 = t * chunk, rows = Math.Min(chunk, m - i0);
                Sequential(kernel, rows, n, k, alpha, a.At(i0, 0), b, beta, c.At(i0, 0));
            });
        }
        else if (n >= threads * kernel.NR * 2)
        {
            int chunk = RoundUp(DivUp(n, threads), kernel.NR);
            ParallelChunks(DivUp(n, chunk), t =>
            {
                int j0 = t * chunk, cols = Math.Min(chunk, n - j0);
                Sequential(kernel, m, cols, k, alpha, a, b.At(0, j0), beta, c.At(0, j0));
            });
        }
        else if (k >= threads * KcMax)
            SplitK(kernel, m, n, k, alpha, a, b, beta, c, threads);
        else
            Sequential(kernel, m, n, k, alpha, a, b, beta, c);
    }

    /// <summary>Tiny output, long K: each thread sums its K range into a private buffer; then C = beta*C + sum.</summary>
    private static void SplitK(GemmKernel kernel, int m, int n, int k, float alpha,
        StridedMatrix a, StridedMatrix b, float beta, StridedMatrix c, int threads)
    {
        int chunk = DivUp(k, threads);
        int parts = DivUp(k, chunk);
        int size = m * n;
        float[] partials = ArrayPool<float>.Shared.Rent(size * parts);
        try
        {
            fixed (float* pp = partials)
            {
                var baseAddress = (nint)pp;
                ParallelChunks(parts, t =>
                {
                    int p0 = t * chunk, depth = Math.Min(chunk, k - p0);
                    var part = new StridedMatrix((float*)baseAddress + t * size, n, 1);
                    Sequential(kernel, m, n, depth, alpha, a.At(0, p0), b.At(p0, 0), 0f, part);
                });
                for (int i = 0; i < m; i++)
                    for (int j = 0; j < n; j++)
                    {
                        float sum = 0f;
                        for (int t = 0; t < parts; t++) sum += pp[t * size + i * n + j];
                        float* cij = c.P + i * c.RowStride + j * c.ColStride;
                        *cij = beta == 0f ? sum : beta * *cij + sum;
                    }
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(partials);
        }
    }

    /// <summary>One thread's whole problem: the five-loop blocked algorithm.</summary>
    private static void Sequential(GemmKernel kernel, int m, int n, int k, float alpha,
        StridedMatrix a, StridedMatrix b, float beta, StridedMatrix c)
    {
        int mr = kernel.MR, nr = kernel.NR;
        int kBlocks = DivUp(k, KcMax);
        int kcStep = DivUp(k, kBlocks); // equal K blocks: no short last block
        int mcStep = Math.Min(McFor(kernel), RoundUp(m, mr));
        int ncStep = Math.Min(NcMax, RoundUp(n, nr));

        float[] aBuffer = ArrayPool<float>.Shared.Rent(mcStep * kcStep + AlignFloats);
        float[] bBuffer = ArrayPool<float>.Shared.Rent(kcStep * ncStep + AlignFloats);
        try
        {
            fixed (float* aRaw = aBuffer)
            fixed (float* bRaw = bBuffer)
            {
                float* ap = Align(aRaw), bp = Align(bRaw);
                // Packing pays off when a panel is reused many times. With few panels on the other side
                // (e.g. a 9 x 32 weight gradient over K = 100352), operands already in the kernel's
                // layout are read in place and only a partial edge panel is packed.
                bool directA = a.RowStride == 1 && n <= 2 * nr;
                bool directB = b.ColStride == 1 && m <= 2 * mr;
                for (int jc = 0; jc < n; jc += ncStep)
                {
                    int nc = Math.Min(ncStep, n - jc);
                    for (int pc = 0; pc < k; pc += kcStep)
                    {
                        int kc = Math.Min(kcStep, k - pc);
                        int packedFromCol = directB ? nc / nr * nr : 0;
                        if (packedFromCol < nc)
                            GemmPacking.PackB(b.At(pc, jc + packedFromCol), kc, nc - packedFromCol, nr, bp + packedFromCol * kc);
                        float betaNow = pc == 0 ? beta : 1f; // later K blocks accumulate
                        for (int ic = 0; ic < m; ic += mcStep)
                        {
                            int mc = Math.Min(mcStep, m - ic);
                            int packedFromRow = directA ? mc / mr * mr : 0;
                            if (packedFromRow < mc)
                                GemmPacking.PackA(a.At(ic + packedFromRow, pc), mc - packedFromRow, kc, mr, alpha, ap + packedFromRow * kc);
                            var panels = new Panels(ap, bp, packedFromRow, packedFromCol,
                                a.At(ic, pc), b.At(pc, jc), alpha);
                            MacroKernel(kernel, mc, nc, kc, panels, c.At(ic, jc), betaNow);
                        }
                    }
                }
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(aBuffer);
            ArrayPool<float>.Shared.Return(bBuffer);
        }
    }

    /// <summary>Where the macro-kernel finds its panels: packed buffers, or (below the packed-from index) the operands in place.</summary>
    private readonly struct Panels(float* ap, float* bp, int packedFromRow, int packedFromCol, StridedMatrix a, StridedMatrix b, float alpha,
        int bPanelStride = 0, int aPanelStride = 0)
    {
        public readonly float* PackedA = ap, PackedB = bp;
        public readonly int PackedFromRow = packedFromRow, PackedFromCol = packedFromCol;
        /// <summary>Floats per packed B column (0: kc, the block packed here; k for panels pre-packed over the whole K).</summary>
        public readonly int BPanelStride = bPanelStride;
        /// <summary>Floats per packed A row, as <see cref="BPanelStride"/>.</summary>
        public readonly int APanelStride = aPanelStride;
        public readonly StridedMatrix A = a, B = b;
        public readonly float Alpha = alpha;
    }

    private static void MacroKernel(GemmKernel kernel, int mc, int nc, int kc, in Panels panels, StridedMatrix c, float beta)
    {
        int mr = kernel.MR, nr = kernel.NR;
        var run = kernel.Run;
        // An A panel read in place is not scaled by alpha (packing does that): RunScaled applies it at the store.
        for (int jr = 0; jr < nc; jr += nr)
        {
            bool bInPlace = jr < panels.PackedFromCol;
            float* bPanel = bInPlace ? panels.B.P + jr : panels.PackedB + (long)jr * (panels.BPanelStride == 0 ? kc : panels.BPanelStride);
            nint bStep = bInPlace ? panels.B.RowStride : nr;
            int cols = Math.Min(nr, nc - jr);
            for (int ir = 0; ir < mc; ir += mr)
            {
                bool aInPlace = ir < panels.PackedFromRow;
                float* aPanel = aInPlace ? panels.A.P + ir : panels.PackedA + (long)ir * (panels.APanelStride == 0 ? kc : panels.APanelStride);
                nint aStep = aInPlace ? panels.A.ColStride : mr;
                float* cTile = c.P + ir * c.RowStride + jr * c.ColStride;
                if (aInPlace && panels.Alpha != 1f)
                    RunScaled(kernel, kc, aPanel, aStep, bPanel, bStep, cTile, c.RowStride, c.ColStride, beta, Math.Min(mr, mc - ir), cols, panels.Alpha);
                else
                    run(kc, aPanel, aStep, bPanel, bStep, cTile, c.RowStride, c.ColStride, beta, Math.Min(mr, mc - ir), cols);
            }
        }
    }

    /// <summary>C = beta*C + alpha*(A*B) for an unscaled in-place A panel: compute into a scratch tile, then combine.</summary>
    private static void RunScaled(GemmKernel kernel, int kc, float* a, nint aStep, float* b, nint bStep, float* c,
        nint rsC, nint csC, float beta, int mr, int nr, float alpha)
    {
        float* tile = stackalloc float[kernel.MR * kernel.NR];
        kernel.Run(kc, a, aStep, b, bStep, tile, kernel.NR, 1, 0f, mr, nr);
        for (int r = 0; r < mr; r++)
            for (int j = 0; j < nr; j++)
            {
                float* cij = c + r * rsC + j * csC;
                *cij = beta == 0f ? alpha * tile[r * kernel.NR + j] : beta * *cij + alpha * tile[r * kernel.NR + j];
            }
    }

    private static void Scale(StridedMatrix c, int m, int n, float beta)
    {
        if (beta == 1f) return;
        for (int i = 0; i < m; i++)
        {
            float* row = c.P + i * c.RowStride;
            for (int j = 0; j < n; j++) row[j * c.ColStride] = beta == 0f ? 0f : beta * row[j * c.ColStride];
        }
    }

    private static void ParallelChunks(int count, Action<int> body)
    {
        if (count == 1)
            body(0);
        else
            Parallel.For(0, count, new ParallelOptions { MaxDegreeOfParallelism = count }, body);
    }

    /// <summary>M block: the packed A block (MC x KcMax) stays in L2.</summary>
    private static int McFor(GemmKernel kernel) => RoundUp(McTarget, kernel.MR);

    /// <summary>Target rows per M block (rounded up to a multiple of MR).</summary>
    internal const int McTarget = 128;

    private static long PaddedArea(int m, int n, GemmKernel kernel) => (long)RoundUp(m, kernel.MR) * RoundUp(n, kernel.NR);

    private static float* Align(float* p) => (float*)(((nint)p + 63) & ~(nint)63);

    private static int DivUp(int x, int y) => (x + y - 1) / y;

    private static int RoundUp(int x, int multiple) => DivUp(x, multiple) * multiple;
}
