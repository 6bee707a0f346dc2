namespace FashionMnist.Numerics;

/// <summary>
/// A register-blocked micro-kernel: C[MR x NR] (=|+=) A-panel * B-panel over kc steps, where the A panel
/// holds MR values per step and the B panel NR values per step (both packed, zero-padded, contiguous).
/// The accumulators live in vector registers for the whole kc loop; C is touched once per tile.
/// </summary>
internal sealed unsafe class GemmKernel
{
    private GemmKernel(string name, int mr, int nr, bool accelerated,
        delegate*<int, float*, nint, float*, nint, float*, nint, nint, float, int, int, void> run)
    {
        (Name, MR, NR, IsAccelerated) = (name, mr, nr, accelerated);
        Run = run; // a function pointer cannot be a tuple element
    }

    public string Name { get; }
    public int MR { get; }
    public int NR { get; }

    /// <summary>True when the vector width it uses is done in hardware here (else it still runs, slowly).</summary>
    public bool IsAccelerated { get; }

    /// <summary>(kc, a, aStep, b, bStep, c, rowStrideC, colStrideC, beta, validRows, validCols): per k step the kernel reads
    /// MR values at a (then a += aStep) and NR values at b (then b += bStep). Packed panels have aStep = MR, bStep = NR;
    /// an operand already laid out that way in memory (rows of B, columns of a transposed A) is read in place.</summary>
    public delegate*<int, float*, nint, float*, nint, float*, nint, nint, float, int, int, void> Run { get; }

    public override string ToString() => Name;

    public static readonly GemmKernel Avx512 = new("avx512-8x32", 8, 32,
        Vector512.IsHardwareAccelerated && Avx512F.IsSupported, &GemmKernels.Kernel<Rows8, Avx512Vector, Vector512<float>>);

    public static readonly GemmKernel Avx512Tall = new("avx512-12x32", 12, 32,
        Vector512.IsHardwareAccelerated && Avx512F.IsSupported, &GemmKernels.Kernel<Rows12, Avx512Vector, Vector512<float>>);

    /// <summary>Narrow AVX-512 shapes for C of few rows (one to six images at inference): see <see cref="ForRows"/>.</summary>
    public static readonly GemmKernel Avx512Rows4 = new("avx512-4x32", 4, 32,
        Vector512.IsHardwareAccelerated && Avx512F.IsSupported, &GemmKernels.Kernel<Rows4, Avx512Vector, Vector512<float>>);

    public static readonly GemmKernel Avx512Rows6 = new("avx512-6x32", 6, 32,
        Vector512.IsHardwareAccelerated && Avx512F.IsSupported, &GemmKernels.Kernel<Rows6, Avx512Vector, Vector512<float>>);

    public static readonly GemmKernel Avx2 = new("avx2-6x16", 6, 16,
        Vector256.IsHardwareAccelerated && Fma.IsSupported, &GemmKernels.Kernel<Rows6, Avx2Vector, Vector256<float>>);

    /// <summary>Portable: Vector128 is SSE on x64 and AdvSimd on Arm64, software elsewhere.</summary>
    public static readonly GemmKernel Portable = new("vector128-4x8", 4, 8, true, &GemmKernels.Kernel<Rows4, PortableVector, Vector128<float>>);

    public static IReadOnlyList<GemmKernel> All { get; } = [Avx512, Avx512Tall, Avx512Rows4, Avx512Rows6, Avx2, Portable];

    /// <summary>
    /// The widest kernel this CPU runs in hardware. 12x32 (24 zmm accumulators, the BLIS SKX shape) and 8x32
    /// measured equal within noise here (docs/numerics.md); both keep every accumulator in registers.
    /// </summary>
    public static GemmKernel Best { get; } = Avx512Tall.IsAccelerated ? Avx512Tall : Avx2.IsAccelerated ? Avx2 : Portable;

    /// <summary>
    /// The kernel for a C of <paramref name="m"/> rows: <see cref="Best"/>, or the AVX-512 kernel of the next MR up when it
    /// wastes fewer padded rows. m = 64 or 128 (the conv layers' filter counts) pad to 72 and 132 rows with MR = 12, 8-12 %
    /// of the multiply-adds thrown away: 8x32 measured 4-14 % faster there. Below 8 rows (a dense layer on one to six
    /// images at inference, or on half of them per thread) 8x32 computed up to 8x the useful work: m = 1 cost as much as m = 8.
    /// 4x32 and 6x32 still keep 8 and 12 independent accumulator chains, enough to cover the FMA latency. Each C element is
    /// summed in the same order by every kernel, so the choice never changes a result.
    /// </summary>
    public static GemmKernel ForRows(int m)
    {
        if (!ReferenceEquals(Best, Avx512Tall) || !Avx512.IsAccelerated) return Best;
        if (m <= Avx512Rows4.MR) return Avx512Rows4;
        if (m <= Avx512Rows6.MR) return Avx512Rows6;
        return RoundUp(m, Avx512.MR) < RoundUp(m, Avx512Tall.MR) ? Avx512 : Best;
    }

    private static int RoundUp(int x, int multiple) => (x + multiple - 1) / multiple * multiple;
}

/// <summary>
/// The vector width a micro-kernel works in, as inlined operations: NR = 2 vectors of <see cref="Width"/> floats.
/// <see cref="GemmKernels.Kernel{TRows, T, TVec}"/> is written once; each width and row count is a struct, so the JIT
/// compiles one specialised kernel per pair, folds the row guards away and keeps the 2 x MR accumulators in vector
/// registers, as the hand-written kernels it replaced did (compared instruction by instruction: docs/numerics.md).
/// </summary>
internal unsafe interface IKernelVector<TVec> where TVec : struct
{
    /// <summary>Floats per vector (NR is twice this).</summary>
    static abstract int Width { get; }

    /// <summary>Whether a full, unit-stride tile is written straight from the registers (else always through the spilled tile).</summary>
    static abstract bool StoresDirectly { get; }

    static abstract TVec Load(float* source);
    static abstract TVec Broadcast(float value);

    /// <summary>a * b + c: fused where the kernel requires FMA hardware.</summary>
    static abstract TVec MultiplyAdd(TVec a, TVec b, TVec c);

    static abstract TVec Add(TVec a, TVec b);
    static abstract void Store(TVec value, float* destination);
}

internal readonly unsafe struct Avx512Vector : IKernelVector<Vector512<float>>
{
    public static int Width => 16;
    public static bool StoresDirectly => true;
    public static Vector512<float> Load(float* source) => Vector512.Load(source);
    public static Vector512<float> Broadcast(float value) => Vector512.Create(value);
    public static Vector512<float> MultiplyAdd(Vector512<float> a, Vector512<float> b, Vector512<float> c) => Vector512.FusedMultiplyAdd(a, b, c);
    public static Vector512<float> Add(Vector512<float> a, Vector512<float> b) => a + b;
    public static void Store(Vector512<float> value, float* destination) => value.Store(destination);
}

internal readonly unsafe struct Avx2Vector : IKernelVector<Vector256<float>>
{
    public static int Width => 8;
    public static bool StoresDirectly => true;
    public static Vector256<float> Load(float* source) => Vector256.Load(source);
    public static Vector256<float> Broadcast(float value) => Vector256.Create(value);
    public static Vector256<float> MultiplyAdd(Vector256<float> a, Vector256<float> b, Vector256<float> c) => Vector256.FusedMultiplyAdd(a, b, c);
    public static Vector256<float> Add(Vector256<float> a, Vector256<float> b) => a + b;
    public static void Store(Vector256<float> value, float* destination) => value.Store(destination);
}

/// <summary>Portable: MultiplyAddEstimate (fused where the hardware has FMA), and every tile goes through the spill.</summary>
internal readonly unsafe struct PortableVector : IKernelVector<Vector128<float>>
{
    public static int Width => 4;
    public static bool StoresDirectly => false;
    public static Vector128<float> Load(float* source) => Vector128.Load(source);
    public static Vector128<float> Broadcast(float value) => Vector128.Create(value);
    public static Vector128<float> MultiplyAdd(Vector128<float> a, Vector128<float> b, Vector128<float> c) => Vector128.MultiplyAddEstimate(a, b, c);
    public static Vector128<float> Add(Vector128<float> a, Vector128<float> b) => a + b;
    public static void Store(Vector128<float> value, float* destination) => value.Store(destination);
}

/// <summary>MR, the rows of C a micro-kernel keeps in registers: 4, 6, 8 or 12.</summary>
internal interface IKernelRows
{
    static abstract int Count { get; }
}

internal readonly struct Rows4 : IKernelRows { public static int Count => 4; }
internal readonly struct Rows6 : IKernelRows { public static int Count => 6; }
internal readonly struct Rows8 : IKernelRows { public static int Count => 8; }
internal readonly struct Rows12 : IKernelRows { public static int Count => 12; }

internal static unsafe class GemmKernels
{
    /// <summary>
    /// C[MR x NR] (=|+=) A-panel * B-panel for the shape <typeparamref name="T"/>: per k step one broadcast of each of
    /// the MR A values and two fused multiply-adds per row. Rows beyond TRows.Count are guarded by JIT-time constants, so
    /// they cost nothing in the smaller shapes.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Kernel<TRows, T, TVec>(int kc, float* a, nint aStep, float* b, nint bStep, float* c, nint rsC, nint csC, float beta, int mr, int nr)
        where TRows : struct, IKernelRows
        where T : struct, IKernelVector<TVec>
        where TVec : struct
    {
        TVec c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default, c30 = default, c31 = default;
        TVec c40 = default, c41 = default, c50 = default, c51 = default, c60 = default, c61 = default, c70 = default, c71 = default;
        TVec c80 = default, c81 = default, c90 = default, c91 = default, c100 = default, c101 = default, c110 = default, c111 = default;
        for (int p = 0; p < kc; p++)
        {
            TVec b0 = T.Load(b), b1 = T.Load(b + T.Width);
            TVec ai;
            ai = T.Broadcast(a[0]); c00 = T.MultiplyAdd(ai, b0, c00); c01 = T.MultiplyAdd(ai, b1, c01);
            ai = T.Broadcast(a[1]); c10 = T.MultiplyAdd(ai, b0, c10); c11 = T.MultiplyAdd(ai, b1, c11);
            ai = T.Broadcast(a[2]); c20 = T.MultiplyAdd(ai, b0, c20); c21 = T.MultiplyAdd(ai, b1, c21);
            ai = T.Broadcast(a[3]); c30 = T.MultiplyAdd(ai, b0, c30); c31 = T.MultiplyAdd(ai, b1, c31);
            if (TRows.Count > 4)
            {
                ai = T.Broadcast(a[4]); c40 = T.MultiplyAdd(ai, b0, c40); c41 = T.MultiplyAdd(ai, b1, c41);
                ai = T.Broadcast(a[5]); c50 = T.MultiplyAdd(ai, b0, c50); c51 = T.MultiplyAdd(ai, b1, c51);
            }
            if (TRows.Count > 6)
            {
                ai = T.Broadcast(a[6]); c60 = T.MultiplyAdd(ai, b0, c60); c61 = T.MultiplyAdd(ai, b1, c61);
                ai = T.Broadcast(a[7]); c70 = T.MultiplyAdd(ai, b0, c70); c71 = T.MultiplyAdd(ai, b1, c71);
            }
            if (TRows.Count > 8)
            {
                ai = T.Broadcast(a[8]); c80 = T.MultiplyAdd(ai, b0, c80); c81 = T.MultiplyAdd(ai, b1, c81);
                ai = T.Broadcast(a[9]); c90 = T.MultiplyAdd(ai, b0, c90); c91 = T.MultiplyAdd(ai, b1, c91);
                ai = T.Broadcast(a[10]); c100 = T.MultiplyAdd(ai, b0, c100); c101 = T.MultiplyAdd(ai, b1, c101);
                ai = T.Broadcast(a[11]); c110 = T.MultiplyAdd(ai, b0, c110); c111 = T.MultiplyAdd(ai, b1, c111);
            }
            a += aStep;
            b += bStep;
        }
        if (T.StoresDirectly && mr == TRows.Count && nr == 2 * T.Width && csC == 1)
        {
            Store<T, TVec>(c + 0 * rsC, c00, c01, beta);
            Store<T, TVec>(c + 1 * rsC, c10, c11, beta);
            Store<T, TVec>(c + 2 * rsC, c20, c21, beta);
            Store<T, TVec>(c + 3 * rsC, c30, c31, beta);
            if (TRows.Count > 4)
            {
                Store<T, TVec>(c + 4 * rsC, c40, c41, beta);
                Store<T, TVec>(c + 5 * rsC, c50, c51, beta);
            }
            if (TRows.Count > 6)
            {
                Store<T, TVec>(c + 6 * rsC, c60, c61, beta);
                Store<T, TVec>(c + 7 * rsC, c70, c71, beta);
            }
            if (TRows.Count > 8)
            {
                Store<T, TVec>(c + 8 * rsC, c80, c81, beta);
                Store<T, TVec>(c + 9 * rsC, c90, c91, beta);
                Store<T, TVec>(c + 10 * rsC, c100, c101, beta);
                Store<T, TVec>(c + 11 * rsC, c110, c111, beta);
            }
            return;
        }
        float* tile = stackalloc float[TRows.Count * 2 * T.Width];
        T.Store(c00, tile + 0 * 2 * T.Width); T.Store(c01, tile + (0 * 2 + 1) * T.Width);
        T.Store(c10, tile + 1 * 2 * T.Width); T.Store(c11, tile + (1 * 2 + 1) * T.Width);
        T.Store(c20, tile + 2 * 2 * T.Width); T.Store(c21, tile + (2 * 2 + 1) * T.Width);
        T.Store(c30, tile + 3 * 2 * T.Width); T.Store(c31, tile + (3 * 2 + 1) * T.Width);
        if (TRows.Count > 4)
        {
            T.Store(c40, tile + 4 * 2 * T.Width); T.Store(c41, tile + (4 * 2 + 1) * T.Width);
            T.Store(c50, tile + 5 * 2 * T.Width); T.Store(c51, tile + (5 * 2 + 1) * T.Width);
        }
        if (TRows.Count > 6)
        {
            T.Store(c60, tile + 6 * 2 * T.Width); T.Store(c61, tile + (6 * 2 + 1) * T.Width);
            T.Store(c70, tile + 7 * 2 * T.Width); T.Store(c71, tile + (7 * 2 + 1) * T.Width);
        }
        if (TRows.Count > 8)
        {
            T.Store(c80, tile + 8 * 2 * T.Width); T.Store(c81, tile + (8 * 2 + 1) * T.Width);
            T.Store(c90, tile + 9 * 2 * T.Width); T.Store(c91, tile + (9 * 2 + 1) * T.Width);
            T.Store(c100, tile + 10 * 2 * T.Width); T.Store(c101, tile + (10 * 2 + 1) * T.Width);
            T.Store(c110, tile + 11 * 2 * T.Width); T.Store(c111, tile + (11 * 2 + 1) * T.Width);
        }
        StoreTile(tile, 2 * T.Width, c, rsC, csC, beta, mr, nr);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store<T, TVec>(float* c, TVec v0, TVec v1, float beta)
        where T : struct, IKernelVector<TVec>
        where TVec : struct
    {
        if (beta == 0f)
        {
            T.Store(v0, c);
            T.Store(v1, c + T.Width);
        }
        else if (beta == 1f)
        {
            T.Store(T.Add(T.Load(c), v0), c);
            T.Store(T.Add(T.Load(c + T.Width), v1), c + T.Width);
        }
        else
        {
            TVec vb = T.Broadcast(beta);
            T.Store(T.MultiplyAdd(T.Load(c), vb, v0), c);
            T.Store(T.MultiplyAdd(T.Load(c + T.Width), vb, v1), c + T.Width);
        }
    }

    /// <summary>Edge or strided tiles: the accumulators were spilled to <paramref name="tile"/>; copy the valid part.</summary>
    private static void StoreTile(float* tile, int nrFull, float* c, nint rsC, nint csC, float beta, int mr, int nr)
    {
        for (int r = 0; r < mr; r++)
        {
            float* row = c + r * rsC;
            float* t = tile + r * nrFull;
            if (beta == 0f)
                for (int j = 0; j < nr; j++) row[j * csC] = t[j];
            else
                for (int j = 0; j < nr; j++) row[j * csC] = beta * row[j * csC] + t[j];
        }
    }
}
