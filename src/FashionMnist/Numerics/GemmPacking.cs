using System.Runtime.CompilerServices;

namespace FashionMnist.Numerics;

/// <summary>
/// A matrix view by raw pointer and strides: element (i, j) is at <c>P[i * RowStride + j * ColStride]</c>.
/// A transposed operand is the same memory with the strides swapped, so every transpose combination
/// reaches the kernel as one layout and is handled only here and in the packing.
/// </summary>
internal readonly unsafe struct StridedMatrix(float* p, nint rowStride, nint colStride)
{
    public readonly nint Address = (nint)p;
    public readonly nint RowStride = rowStride;
    public readonly nint ColStride = colStride;

    public float* P => (float*)Address;

    public StridedMatrix At(int row, int col) => new(P + row * RowStride + col * ColStride, RowStride, ColStride);

    public StridedMatrix Transposed => new(P, ColStride, RowStride);
}

/// <summary>
/// Copies blocks of A and B into the layouts the micro-kernel streams: A as panels of MR rows
/// (for each k step, MR consecutive values), B as panels of NR columns (for each k step, NR values).
/// Partial panels are zero-padded so the kernel never branches on edges. A is scaled by alpha here.
/// </summary>
internal static unsafe class GemmPacking
{
    /// <summary>Packs rows [0, mc) x k-range [0, kc) of <paramref name="a"/> into ceil(mc/mr) panels.</summary>
    public static void PackA(StridedMatrix a, int mc, int kc, int mr, float alpha, float* dst)
    {
        for (int i0 = 0; i0 < mc; i0 += mr)
        {
            int rows = Math.Min(mr, mc - i0);
            float* src = a.P + i0 * a.RowStride;
            if (a.ColStride == 1)
            {
                // Rows are contiguous along k: read each row once, write with stride mr.
                for (int r = 0; r < rows; r++)
                {
                    float* s = src + r * a.RowStride;
                    float* d = dst + r;
                    for (int p = 0; p < kc; p++) d[p * mr] = alpha * s[p];
                }
                for (int r = rows; r < mr; r++)
                    for (int p = 0; p < kc; p++) dst[p * mr + r] = 0f;
            }
            else
            {
                // Columns are contiguous (A transposed): each k step is mr consecutive values.
                for (int p = 0; p < kc; p++)
                {
                    float* s = src + p * a.ColStride;
                    float* d = dst + p * mr;
                    int r = 0;
                    for (; r < rows; r++) d[r] = alpha * s[r * a.RowStride];
                    for (; r < mr; r++) d[r] = 0f;
                }
            }
            dst += mr * kc;
        }
    }

    /// <summary>Packs k-range [0, kc) x columns [0, nc) of <paramref name="b"/> into ceil(nc/nr) panels.</summary>
    public static void PackB(StridedMatrix b, int kc, int nc, int nr, float* dst)
    {
        for (int j0 = 0; j0 < nc; j0 += nr)
        {
            int cols = Math.Min(nr, nc - j0);
            float* src = b.P + j0 * b.ColStride;
            if (b.ColStride == 1)
            {
                // Rows are contiguous: each k step copies cols consecutive values.
                for (int p = 0; p < kc; p++)
                {
                    float* s = src + p * b.RowStride;
                    float* d = dst + p * nr;
                    if (cols == nr)
                        Copy(s, d, nr);
                    else
                    {
                        int j = 0;
                        for (; j < cols; j++) d[j] = s[j];
                        for (; j < nr; j++) d[j] = 0f;
                    }
                }
            }
            else
            {
                // B transposed: each column is contiguous along k; read it once, write with stride nr.
                for (int j = 0; j < cols; j++)
                {
                    float* s = src + j * b.ColStride;
                    float* d = dst + j;
                    for (int p = 0; p < kc; p++) d[p * nr] = s[p * b.RowStride];
                }
                for (int j = cols; j < nr; j++)
                    for (int p = 0; p < kc; p++) dst[p * nr + j] = 0f;
            }
            dst += nr * kc;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Copy(float* s, float* d, int count) =>
        new ReadOnlySpan<float>(s, count).CopyTo(new Span<float>(d, count));
}
