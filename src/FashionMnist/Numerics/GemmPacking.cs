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
            if (a.ColStride == 1 && rows >= 4 && Sse.IsSupported)
            {
                // Rows contiguous along k: transpose 4x4 blocks in SSE registers, then the last rows (6-row panels, a
                // partial last panel) one value at a time, then zeros.
                int blocked = rows / 4 * 4;
                TransposePanel(src, a.RowStride, kc, blocked, mr, alpha, dst);
                for (int r = blocked; r < rows; r++)
                {
                    float* s = src + r * a.RowStride;
                    for (int p = 0; p < kc; p++) dst[p * mr + r] = alpha * s[p];
                }
                for (int r = rows; r < mr; r++)
                    for (int p = 0; p < kc; p++) dst[p * mr + r] = 0f;
            }
            else if (a.ColStride == 1)
            {
                // Rows are contiguous along k: read each row once, write with stride mr.
                for (int r = 0; r < rows; r++)
                {
                    float* s = src + r * a.RowStride, end = s + kc;
                    float* d = dst + r;
                    if (alpha == 1f)
                        for (; s < end; s++, d += mr) *d = *s;
                    else
                        for (; s < end; s++, d += mr) *d = alpha * *s;
                }
                for (int r = rows; r < mr; r++)
                    for (int p = 0; p < kc; p++) dst[p * mr + r] = 0f;
            }
            else if (a.RowStride == 1 && (mr == 8 || mr == 12) && Avx.IsSupported)
            {
                // A transposed: each k step is up to mr consecutive values. Masked loads copy a partial panel
                // (e.g. 9 of 12 rows) without reading past the operand and give the zero padding for free.
                CopyColumnsMasked(src, a.ColStride, rows, kc, mr, alpha, dst);
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
            else if (b.RowStride == 1 && cols == nr && nr % 4 == 0 && Sse.IsSupported)
            {
                // B transposed, full panel: the same 4x4 register transposes as for A.
                TransposePanel(src, b.ColStride, kc, nr, nr, 1f, dst);
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

    /// <summary>dst[p * mr + r] = alpha * src[r * rowStride + p] for r &lt; rows (a multiple of 4, at most mr), p &lt; kc.</summary>
    private static void TransposePanel(float* src, nint rowStride, int kc, int rows, int mr, float alpha, float* dst)
    {
        var scale = Vector128.Create(alpha);
        for (int r0 = 0; r0 < rows; r0 += 4)
        {
            float* s0 = src + r0 * rowStride, s1 = s0 + rowStride, s2 = s1 + rowStride, s3 = s2 + rowStride;
            float* d = dst + r0;
            int p = 0;
            for (; p + 4 <= kc; p += 4, d += 4 * mr)
            {
                Vector128<float> x0 = Vector128.Load(s0 + p), x1 = Vector128.Load(s1 + p);
                Vector128<float> x2 = Vector128.Load(s2 + p), x3 = Vector128.Load(s3 + p);
                if (alpha != 1f) (x0, x1, x2, x3) = (x0 * scale, x1 * scale, x2 * scale, x3 * scale);
                Vector128<float> t0 = Sse.UnpackLow(x0, x1), t1 = Sse.UnpackLow(x2, x3);
                Vector128<float> t2 = Sse.UnpackHigh(x0, x1), t3 = Sse.UnpackHigh(x2, x3);
                Sse.MoveLowToHigh(t0, t1).Store(d);          // column p:   s0[p] s1[p] s2[p] s3[p]
                Sse.MoveHighToLow(t1, t0).Store(d + mr);     // column p+1
                Sse.MoveLowToHigh(t2, t3).Store(d + 2 * mr); // column p+2
                Sse.MoveHighToLow(t3, t2).Store(d + 3 * mr); // column p+3
            }
            for (; p < kc; p++, d += mr)
            {
                d[0] = alpha * s0[p];
                d[1] = alpha * s1[p];
                d[2] = alpha * s2[p];
                d[3] = alpha * s3[p];
            }
        }
    }

    /// <summary>dst[p * mr + r] = alpha * src[p * colStride + r] for r &lt; rows, 0 for rows &lt;= r &lt; mr (mr = 8 or 12).</summary>
    private static void CopyColumnsMasked(float* src, nint colStride, int rows, int kc, int mr, float alpha, float* dst)
    {
        Vector256<float> mask0 = Vector256.LessThan(Vector256.Create(0, 1, 2, 3, 4, 5, 6, 7), Vector256.Create(rows)).AsSingle();
        Vector128<float> mask1 = Vector128.LessThan(Vector128.Create(8, 9, 10, 11), Vector128.Create(rows)).AsSingle();
        var scale = Vector256.Create(alpha);
        for (int p = 0; p < kc; p++, src += colStride, dst += mr)
        {
            (Avx.MaskLoad(src, mask0) * scale).Store(dst);
            if (mr == 12) (Avx.MaskLoad(src + 8, mask1) * scale.GetLower()).Store(dst + 8);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Copy(float* s, float* d, int count) =>
        new ReadOnlySpan<float>(s, count).CopyTo(new Span<float>(d, count));
}
