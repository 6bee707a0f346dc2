using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

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
        Name = name;
        MR = mr;
        NR = nr;
        IsAccelerated = accelerated;
        Run = run;
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
        Vector512.IsHardwareAccelerated && Avx512F.IsSupported, &GemmKernels.Kernel8x32);

    public static readonly GemmKernel Avx512Tall = new("avx512-12x32", 12, 32,
        Vector512.IsHardwareAccelerated && Avx512F.IsSupported, &GemmKernels.Kernel12x32);

    public static readonly GemmKernel Avx2 = new("avx2-6x16", 6, 16,
        Vector256.IsHardwareAccelerated && Fma.IsSupported, &GemmKernels.Kernel6x16);

    /// <summary>Portable: Vector128 is SSE on x64 and AdvSimd on Arm64, software elsewhere.</summary>
    public static readonly GemmKernel Portable = new("vector128-4x8", 4, 8, true, &GemmKernels.Kernel4x8);

    public static IReadOnlyList<GemmKernel> All { get; } = [Avx512, Avx512Tall, Avx2, Portable];

    /// <summary>
    /// The widest kernel this CPU runs in hardware. 12x32 (24 zmm accumulators, the BLIS SKX shape) and 8x32
    /// measured equal within noise here (docs/numerics.md); both keep every accumulator in registers.
    /// </summary>
    public static GemmKernel Best { get; } = Avx512Tall.IsAccelerated ? Avx512Tall : Avx2.IsAccelerated ? Avx2 : Portable;

    /// <summary>
    /// The kernel for a C of <paramref name="m"/> rows: <see cref="Best"/>, or the 8x32 AVX-512 kernel when it wastes fewer
    /// padded rows (m = 64 or 128, the conv layers' filter counts, pad to 72 and 132 rows with MR = 12: 8-12 % of
    /// the multiply-adds thrown away; measured 4-14 % faster on those shapes). Each C element is summed in the same
    /// order by either kernel, so the choice never changes a result.
    /// </summary>
    public static GemmKernel ForRows(int m) =>
        ReferenceEquals(Best, Avx512Tall) && Avx512.IsAccelerated && RoundUp(m, Avx512.MR) < RoundUp(m, Avx512Tall.MR) ? Avx512 : Best;

    private static int RoundUp(int x, int multiple) => (x + multiple - 1) / multiple * multiple;
}

internal static unsafe class GemmKernels
{
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Kernel8x32(int kc, float* a, nint aStep, float* b, nint bStep, float* c, nint rsC, nint csC, float beta, int mr, int nr)
    {
        Vector512<float> c00 = default, c01 = default, c10 = default, c11 = default;
        Vector512<float> c20 = default, c21 = default, c30 = default, c31 = default;
        Vector512<float> c40 = default, c41 = default, c50 = default, c51 = default;
        Vector512<float> c60 = default, c61 = default, c70 = default, c71 = default;
        for (int p = 0; p < kc; p++)
        {
            Vector512<float> b0 = Vector512.Load(b), b1 = Vector512.Load(b + 16);
            Vector512<float> ai = Vector512.Create(a[0]);
            c00 = Vector512.FusedMultiplyAdd(ai, b0, c00); c01 = Vector512.FusedMultiplyAdd(ai, b1, c01);
            ai = Vector512.Create(a[1]);
            c10 = Vector512.FusedMultiplyAdd(ai, b0, c10); c11 = Vector512.FusedMultiplyAdd(ai, b1, c11);
            ai = Vector512.Create(a[2]);
            c20 = Vector512.FusedMultiplyAdd(ai, b0, c20); c21 = Vector512.FusedMultiplyAdd(ai, b1, c21);
            ai = Vector512.Create(a[3]);
            c30 = Vector512.FusedMultiplyAdd(ai, b0, c30); c31 = Vector512.FusedMultiplyAdd(ai, b1, c31);
            ai = Vector512.Create(a[4]);
            c40 = Vector512.FusedMultiplyAdd(ai, b0, c40); c41 = Vector512.FusedMultiplyAdd(ai, b1, c41);
            ai = Vector512.Create(a[5]);
            c50 = Vector512.FusedMultiplyAdd(ai, b0, c50); c51 = Vector512.FusedMultiplyAdd(ai, b1, c51);
            ai = Vector512.Create(a[6]);
            c60 = Vector512.FusedMultiplyAdd(ai, b0, c60); c61 = Vector512.FusedMultiplyAdd(ai, b1, c61);
            ai = Vector512.Create(a[7]);
            c70 = Vector512.FusedMultiplyAdd(ai, b0, c70); c71 = Vector512.FusedMultiplyAdd(ai, b1, c71);
            a += aStep;
            b += bStep;
        }
        if (mr == 8 && nr == 32 && csC == 1)
        {
            Store(c, c00, c01, beta); Store(c + rsC, c10, c11, beta);
            Store(c + 2 * rsC, c20, c21, beta); Store(c + 3 * rsC, c30, c31, beta);
            Store(c + 4 * rsC, c40, c41, beta); Store(c + 5 * rsC, c50, c51, beta);
            Store(c + 6 * rsC, c60, c61, beta); Store(c + 7 * rsC, c70, c71, beta);
            return;
        }
        float* tile = stackalloc float[8 * 32];
        c00.Store(tile); c01.Store(tile + 16); c10.Store(tile + 32); c11.Store(tile + 48);
        c20.Store(tile + 64); c21.Store(tile + 80); c30.Store(tile + 96); c31.Store(tile + 112);
        c40.Store(tile + 128); c41.Store(tile + 144); c50.Store(tile + 160); c51.Store(tile + 176);
        c60.Store(tile + 192); c61.Store(tile + 208); c70.Store(tile + 224); c71.Store(tile + 240);
        StoreTile(tile, 32, c, rsC, csC, beta, mr, nr);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Kernel12x32(int kc, float* a, nint aStep, float* b, nint bStep, float* c, nint rsC, nint csC, float beta, int mr, int nr)
    {
        Vector512<float> c00 = default, c01 = default;
        Vector512<float> c10 = default, c11 = default;
        Vector512<float> c20 = default, c21 = default;
        Vector512<float> c30 = default, c31 = default;
        Vector512<float> c40 = default, c41 = default;
        Vector512<float> c50 = default, c51 = default;
        Vector512<float> c60 = default, c61 = default;
        Vector512<float> c70 = default, c71 = default;
        Vector512<float> c80 = default, c81 = default;
        Vector512<float> c90 = default, c91 = default;
        Vector512<float> c100 = default, c101 = default;
        Vector512<float> c110 = default, c111 = default;
        for (int p = 0; p < kc; p++)
        {
            Vector512<float> b0 = Vector512.Load(b), b1 = Vector512.Load(b + 16);
            Vector512<float> ai;
            ai = Vector512.Create(a[0]);
            c00 = Vector512.FusedMultiplyAdd(ai, b0, c00); c01 = Vector512.FusedMultiplyAdd(ai, b1, c01);
            ai = Vector512.Create(a[1]);
            c10 = Vector512.FusedMultiplyAdd(ai, b0, c10); c11 = Vector512.FusedMultiplyAdd(ai, b1, c11);
            ai = Vector512.Create(a[2]);
            c20 = Vector512.FusedMultiplyAdd(ai, b0, c20); c21 = Vector512.FusedMultiplyAdd(ai, b1, c21);
            ai = Vector512.Create(a[3]);
            c30 = Vector512.FusedMultiplyAdd(ai, b0, c30); c31 = Vector512.FusedMultiplyAdd(ai, b1, c31);
            ai = Vector512.Create(a[4]);
            c40 = Vector512.FusedMultiplyAdd(ai, b0, c40); c41 = Vector512.FusedMultiplyAdd(ai, b1, c41);
            ai = Vector512.Create(a[5]);
            c50 = Vector512.FusedMultiplyAdd(ai, b0, c50); c51 = Vector512.FusedMultiplyAdd(ai, b1, c51);
            ai = Vector512.Create(a[6]);
            c60 = Vector512.FusedMultiplyAdd(ai, b0, c60); c61 = Vector512.FusedMultiplyAdd(ai, b1, c61);
            ai = Vector512.Create(a[7]);
            c70 = Vector512.FusedMultiplyAdd(ai, b0, c70); c71 = Vector512.FusedMultiplyAdd(ai, b1, c71);
            ai = Vector512.Create(a[8]);
            c80 = Vector512.FusedMultiplyAdd(ai, b0, c80); c81 = Vector512.FusedMultiplyAdd(ai, b1, c81);
            ai = Vector512.Create(a[9]);
            c90 = Vector512.FusedMultiplyAdd(ai, b0, c90); c91 = Vector512.FusedMultiplyAdd(ai, b1, c91);
            ai = Vector512.Create(a[10]);
            c100 = Vector512.FusedMultiplyAdd(ai, b0, c100); c101 = Vector512.FusedMultiplyAdd(ai, b1, c101);
            ai = Vector512.Create(a[11]);
            c110 = Vector512.FusedMultiplyAdd(ai, b0, c110); c111 = Vector512.FusedMultiplyAdd(ai, b1, c111);
            a += aStep;
            b += bStep;
        }
        if (mr == 12 && nr == 32 && csC == 1)
        {
            Store(c + 0 * rsC, c00, c01, beta);
            Store(c + 1 * rsC, c10, c11, beta);
            Store(c + 2 * rsC, c20, c21, beta);
            Store(c + 3 * rsC, c30, c31, beta);
            Store(c + 4 * rsC, c40, c41, beta);
            Store(c + 5 * rsC, c50, c51, beta);
            Store(c + 6 * rsC, c60, c61, beta);
            Store(c + 7 * rsC, c70, c71, beta);
            Store(c + 8 * rsC, c80, c81, beta);
            Store(c + 9 * rsC, c90, c91, beta);
            Store(c + 10 * rsC, c100, c101, beta);
            Store(c + 11 * rsC, c110, c111, beta);
            return;
        }
        float* tile = stackalloc float[12 * 32];
        c00.Store(tile + 0); c01.Store(tile + 16);
        c10.Store(tile + 32); c11.Store(tile + 48);
        c20.Store(tile + 64); c21.Store(tile + 80);
        c30.Store(tile + 96); c31.Store(tile + 112);
        c40.Store(tile + 128); c41.Store(tile + 144);
        c50.Store(tile + 160); c51.Store(tile + 176);
        c60.Store(tile + 192); c61.Store(tile + 208);
        c70.Store(tile + 224); c71.Store(tile + 240);
        c80.Store(tile + 256); c81.Store(tile + 272);
        c90.Store(tile + 288); c91.Store(tile + 304);
        c100.Store(tile + 320); c101.Store(tile + 336);
        c110.Store(tile + 352); c111.Store(tile + 368);
        StoreTile(tile, 32, c, rsC, csC, beta, mr, nr);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(float* c, Vector512<float> v0, Vector512<float> v1, float beta)
    {
        if (beta == 0f)
        {
            v0.Store(c);
            v1.Store(c + 16);
        }
        else if (beta == 1f)
        {
            (Vector512.Load(c) + v0).Store(c);
            (Vector512.Load(c + 16) + v1).Store(c + 16);
        }
        else
        {
            var vb = Vector512.Create(beta);
            Vector512.FusedMultiplyAdd(Vector512.Load(c), vb, v0).Store(c);
            Vector512.FusedMultiplyAdd(Vector512.Load(c + 16), vb, v1).Store(c + 16);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Kernel6x16(int kc, float* a, nint aStep, float* b, nint bStep, float* c, nint rsC, nint csC, float beta, int mr, int nr)
    {
        Vector256<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        Vector256<float> c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        for (int p = 0; p < kc; p++)
        {
            Vector256<float> b0 = Vector256.Load(b), b1 = Vector256.Load(b + 8);
            Vector256<float> ai = Vector256.Create(a[0]);
            c00 = Vector256.FusedMultiplyAdd(ai, b0, c00); c01 = Vector256.FusedMultiplyAdd(ai, b1, c01);
            ai = Vector256.Create(a[1]);
            c10 = Vector256.FusedMultiplyAdd(ai, b0, c10); c11 = Vector256.FusedMultiplyAdd(ai, b1, c11);
            ai = Vector256.Create(a[2]);
            c20 = Vector256.FusedMultiplyAdd(ai, b0, c20); c21 = Vector256.FusedMultiplyAdd(ai, b1, c21);
            ai = Vector256.Create(a[3]);
            c30 = Vector256.FusedMultiplyAdd(ai, b0, c30); c31 = Vector256.FusedMultiplyAdd(ai, b1, c31);
            ai = Vector256.Create(a[4]);
            c40 = Vector256.FusedMultiplyAdd(ai, b0, c40); c41 = Vector256.FusedMultiplyAdd(ai, b1, c41);
            ai = Vector256.Create(a[5]);
            c50 = Vector256.FusedMultiplyAdd(ai, b0, c50); c51 = Vector256.FusedMultiplyAdd(ai, b1, c51);
            a += aStep;
            b += bStep;
        }
        if (mr == 6 && nr == 16 && csC == 1)
        {
            Store(c, c00, c01, beta); Store(c + rsC, c10, c11, beta); Store(c + 2 * rsC, c20, c21, beta);
            Store(c + 3 * rsC, c30, c31, beta); Store(c + 4 * rsC, c40, c41, beta); Store(c + 5 * rsC, c50, c51, beta);
            return;
        }
        float* tile = stackalloc float[6 * 16];
        c00.Store(tile); c01.Store(tile + 8); c10.Store(tile + 16); c11.Store(tile + 24);
        c20.Store(tile + 32); c21.Store(tile + 40); c30.Store(tile + 48); c31.Store(tile + 56);
        c40.Store(tile + 64); c41.Store(tile + 72); c50.Store(tile + 80); c51.Store(tile + 88);
        StoreTile(tile, 16, c, rsC, csC, beta, mr, nr);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(float* c, Vector256<float> v0, Vector256<float> v1, float beta)
    {
        if (beta == 0f)
        {
            v0.Store(c);
            v1.Store(c + 8);
        }
        else if (beta == 1f)
        {
            (Vector256.Load(c) + v0).Store(c);
            (Vector256.Load(c + 8) + v1).Store(c + 8);
        }
        else
        {
            var vb = Vector256.Create(beta);
            Vector256.FusedMultiplyAdd(Vector256.Load(c), vb, v0).Store(c);
            Vector256.FusedMultiplyAdd(Vector256.Load(c + 8), vb, v1).Store(c + 8);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Kernel4x8(int kc, float* a, nint aStep, float* b, nint bStep, float* c, nint rsC, nint csC, float beta, int mr, int nr)
    {
        Vector128<float> c00 = default, c01 = default, c10 = default, c11 = default;
        Vector128<float> c20 = default, c21 = default, c30 = default, c31 = default;
        for (int p = 0; p < kc; p++)
        {
            Vector128<float> b0 = Vector128.Load(b), b1 = Vector128.Load(b + 4);
            Vector128<float> ai = Vector128.Create(a[0]);
            c00 = Vector128.MultiplyAddEstimate(ai, b0, c00); c01 = Vector128.MultiplyAddEstimate(ai, b1, c01);
            ai = Vector128.Create(a[1]);
            c10 = Vector128.MultiplyAddEstimate(ai, b0, c10); c11 = Vector128.MultiplyAddEstimate(ai, b1, c11);
            ai = Vector128.Create(a[2]);
            c20 = Vector128.MultiplyAddEstimate(ai, b0, c20); c21 = Vector128.MultiplyAddEstimate(ai, b1, c21);
            ai = Vector128.Create(a[3]);
            c30 = Vector128.MultiplyAddEstimate(ai, b0, c30); c31 = Vector128.MultiplyAddEstimate(ai, b1, c31);
            a += aStep;
            b += bStep;
        }
        float* tile = stackalloc float[4 * 8];
        c00.Store(tile); c01.Store(tile + 4); c10.Store(tile + 8); c11.Store(tile + 12);
        c20.Store(tile + 16); c21.Store(tile + 20); c30.Store(tile + 24); c31.Store(tile + 28);
        StoreTile(tile, 8, c, rsC, csC, beta, mr, nr);
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
