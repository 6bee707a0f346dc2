using FashionMnist.Interop;
using FashionMnist.Numerics;

namespace FashionMnist.Tests.Numerics;

public class GemmTests
{
    /// <summary>One way to multiply: a backend, a kernel (managed) and a thread count.</summary>
    internal sealed record Implementation(string Name, GemmBackend Backend, GemmKernel? Kernel, int Threads)
    {
        public void Run(GemmCase g, float[] c) =>
            Run(g.TransA, g.TransB, g.M, g.N, g.K, g.Alpha, g.A, g.Lda, g.B, g.Ldb, g.Beta, c, g.Ldc);

        public void Run(bool transA, bool transB, int m, int n, int k, float alpha,
            float[] a, int lda, float[] b, int ldb, float beta, float[] c, int ldc)
        {
            if (Kernel is null)
            {
                Gemm.Multiply(Backend, Threads, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
                return;
            }
            Gemm.CheckShapes(transA, transB, m, n, k, a.Length, lda, b.Length, ldb, c.Length, ldc);
            ManagedGemm.Multiply(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, Threads, Kernel);
        }

        public override string ToString() => Name;
    }

    /// <summary>Every managed kernel this CPU runs in hardware, and OpenBLAS, each with 1 and 2 threads.</summary>
    internal static IReadOnlyList<Implementation> Implementations { get; } = BuildImplementations();

    private static List<Implementation> BuildImplementations()
    {
        var list = new List<Implementation>();
        foreach (var kernel in GemmKernel.All.Where(k => k.IsAccelerated))
            foreach (int threads in new[] { 1, 2 })
                list.Add(new($"managed {kernel.Name} x{threads}", GemmBackend.Managed, kernel, threads));
        if (NativeLibraries.IsAvailable(NativeLibraries.OpenBlas))
            foreach (int threads in new[] { 1, 2 })
                list.Add(new($"openblas x{threads}", GemmBackend.OpenBlas, null, threads));
        return list;
    }

    private static void CheckAll(GemmCase g)
    {
        foreach (var implementation in Implementations)
        {
            float[] c = g.FreshC();
            implementation.Run(g, c);
            g.Verify(c, implementation.Name);
        }
    }

    public static TheoryData<int, int, int, bool, bool> SmallShapes()
    {
        var data = new TheoryData<int, int, int, bool, bool>();
        int[][] shapes = [[1, 1, 1], [7, 13, 5], [13, 7, 5], [1, 100, 1], [100, 1, 3], [9, 33, 17], [17, 47, 390], [41, 70, 129]];
        foreach (var s in shapes)
            foreach (bool ta in new[] { false, true })
                foreach (bool tb in new[] { false, true })
                    data.Add(s[0], s[1], s[2], ta, tb);
        return data;
    }

    [Theory]
    [MemberData(nameof(SmallShapes))]
    public void Odd_shapes_match_the_double_precision_reference_for_every_transpose(int m, int n, int k, bool transA, bool transB) =>
        CheckAll(new GemmCase(m, n, k, transA, transB));

    [Theory]
    [InlineData(0.5f, -1.5f, 0)]
    [InlineData(1f, 1f, 3)]
    [InlineData(-2f, 0f, 5)]
    [InlineData(0f, 2f, 1)] // alpha = 0: only C = beta * C
    [InlineData(0.25f, 0.75f, 7)]
    public void Alpha_beta_and_strided_sub_matrix_views(float alpha, float beta, int pad)
    {
        foreach (bool ta in new[] { false, true })
            foreach (bool tb in new[] { false, true })
                CheckAll(new GemmCase(23, 37, 45, ta, tb, alpha, beta, pad, seed: pad + 10));
    }

    /// <summary>The first CNN layer's three products (batch 128, 28x28, 3x3 kernel, 32 filters): forward, weight and input gradient.</summary>
    [Theory]
    [InlineData(100352, 32, 9, false, false)]
    [InlineData(32, 9, 100352, true, false)]
    [InlineData(9, 32, 100352, true, false)]
    [InlineData(100352, 9, 32, false, true)]
    public void Conv1_im2col_shapes(int m, int n, int k, bool transA, bool transB) =>
        CheckAll(new GemmCase(m, n, k, transA, transB, seed: m + n));

    /// <summary>Sizes that cross the cache blocks (MC, KC, NC) and every way of splitting work over threads.</summary>
    [Theory]
    [InlineData(300, 200, 800, false, false, 0)] // several M and K blocks; threads split M
    [InlineData(20, 700, 200, false, true, 2)]   // threads split N
    [InlineData(9, 32, 8000, true, false, 0)]    // tiny output, long K: threads split K
    [InlineData(9, 4200, 400, false, true, 1)]   // more columns than one N block
    public void Cache_blocks_and_thread_splits(int m, int n, int k, bool transA, bool transB, int pad) =>
        CheckAll(new GemmCase(m, n, k, transA, transB, 0.5f, 0.5f, pad, seed: 3));

    [Fact]
    public void Managed_and_OpenBlas_agree_with_each_other()
    {
        // setup/setup.sh installs OpenBLAS, so it must be here.
        var g = new GemmCase(123, 77, 555, false, true, 1.5f, 0.5f, pad: 1, seed: 7);
        float[] managed = g.FreshC(), openBlas = g.FreshC();
        Gemm.Multiply(GemmBackend.Managed, 2, g.TransA, g.TransB, g.M, g.N, g.K, g.Alpha, g.A, g.Lda, g.B, g.Ldb, g.Beta, managed, g.Ldc);
        Gemm.Multiply(GemmBackend.OpenBlas, 2, g.TransA, g.TransB, g.M, g.N, g.K, g.Alpha, g.A, g.Lda, g.B, g.Ldb, g.Beta, openBlas, g.Ldc);
        for (int i = 0; i < g.M; i++)
            for (int j = 0; j < g.N; j++)
            {
                float x = managed[i * g.Ldc + j], y = openBlas[i * g.Ldc + j];
                Assert.True(Math.Abs(x - y) <= 1e-4f * (1 + Math.Abs(y)), $"C[{i},{j}]: managed {x}, OpenBLAS {y}");
            }
        Assert.NotEqual(g.C0, managed); // it did compute something
    }

    [Theory]
    [InlineData(64, 605, 288, false, false)]  // cnn3 conv2 forward (5 images side by side)
    [InlineData(64, 288, 605, false, true)]   // its weight gradient
    [InlineData(128, 9, 576, false, false)]   // conv3 forward, one image
    [InlineData(8, 40, 7, true, false)]
    [InlineData(16, 33, 300, false, true)]
    public void The_kernel_picked_by_row_count_gives_the_same_bits_as_the_wide_kernel(int m, int n, int k, bool transA, bool transB)
    {
        if (!GemmKernel.Avx512Tall.IsAccelerated) return; // the choice only exists between the two AVX-512 kernels
        Assert.Same(GemmKernel.Avx512, GemmKernel.ForRows(m)); // multiples of 8 but not of 12 pad less with MR = 8
        AssertPickedKernelHasWideKernelBits(m, n, k, transA, transB, "ForRows");
    }

    /// <summary>The kernel ManagedGemm picks for <paramref name="m"/> rows is right and sums in the 12-row kernel's order (beta 0 and 1).</summary>
    private static void AssertPickedKernelHasWideKernelBits(int m, int n, int k, bool transA, bool transB, string what)
    {
        foreach (float beta in new[] { 0f, 1f })
        {
            var g = new GemmCase(m, n, k, transA, transB, beta: beta, seed: m + n);
            float[] chosen = g.FreshC(), wide = g.FreshC();
            ManagedGemm.Multiply(transA, transB, m, n, k, 1f, g.A, g.Lda, g.B, g.Ldb, beta, chosen, g.Ldc, 1);
            ManagedGemm.Multiply(transA, transB, m, n, k, 1f, g.A, g.Lda, g.B, g.Ldb, beta, wide, g.Ldc, 1, GemmKernel.Avx512Tall);
            g.Verify(chosen, what);
            Assert.Equal(wide.Select(BitConverter.SingleToInt32Bits), chosen.Select(BitConverter.SingleToInt32Bits));
        }
    }

    [Theory]
    [InlineData(1, 256, 784, 4)]  // the mlp's first layer on one image (inference)
    [InlineData(3, 128, 256, 4)]  // half of six images per thread
    [InlineData(6, 256, 784, 6)]  // one photo's six views
    [InlineData(5, 10, 128, 6)]
    public void Few_rows_pick_a_narrow_kernel_with_the_wide_kernels_bits(int m, int n, int k, int mr)
    {
        if (!GemmKernel.Avx512Tall.IsAccelerated) return; // the narrow AVX-512 kernels exist only beside it
        Assert.Equal(mr, GemmKernel.ForRows(m).MR);
        AssertPickedKernelHasWideKernelBits(m, n, k, false, true, "narrow kernel");
    }

    [Theory]
    [InlineData(1, 1, 1)]
    [InlineData(7, 33, 5)]
    [InlineData(64, 605, 288)]   // cnn3 conv2 forward
    [InlineData(13, 70, 777)]    // K in three blocks, a partial last panel, rows not a multiple of MR
    [InlineData(128, 32, 576)]
    public void Prepacked_B_matches_the_reference_and_the_ordinary_multiply(int m, int n, int k)
    {
        var g = new GemmCase(m, n, k, false, false, seed: m * 7 + n);
        int nr = ManagedGemm.PackedPanelWidth, panels = (n + nr - 1) / nr;
        // The layout MultiplyPrepackedB documents, written with plain loops: panel p, row kk, lane j = B[kk, p*NR + j].
        var packedB = new float[panels * nr * k];
        for (int p = 0; p < panels; p++)
            for (int kk = 0; kk < k; kk++)
                for (int j = 0; j < nr && p * nr + j < n; j++)
                    packedB[(p * k + kk) * nr + j] = g.B[kk * g.Ldb + p * nr + j];
        float[] packedHere = g.FreshC(), plain = g.FreshC();
        ManagedGemm.MultiplyPrepackedB(m, n, k, g.A, g.Lda, packedB, 0f, packedHere, g.Ldc);
        ManagedGemm.Multiply(false, false, m, n, k, 1f, g.A, g.Lda, g.B, g.Ldb, 0f, plain, g.Ldc, 1);
        g.Verify(packedHere, "prepacked B");
        Assert.Equal(plain, packedHere); // the same K blocks and order as the ordinary multiply
    }

    [Theory]
    [InlineData(1, 1, 1)]
    [InlineData(9, 128, 576)]    // cnn3 conv3 on one image as Cᵀ: 9 pixels x 128 filters, K in two blocks
    [InlineData(128, 54, 576)]   // the same conv on six images as C: filters x pixels
    [InlineData(5, 33, 777)]     // K in three blocks, a partial panel on both sides
    [InlineData(13, 70, 100)]
    public void Both_operands_prepacked_give_the_ordinary_multiplys_bits_for_C_and_for_C_transposed(int m, int n, int k)
    {
        var g = new GemmCase(m, n, k, false, false, seed: m * 5 + n);
        int nr = ManagedGemm.PackedPanelWidth;
        var packedA = new float[(m + 12) * k]; // MR is at most 12
        ManagedGemm.PackRowPanels(m, k, g.A, g.Lda, packedA);
        var packedB = new float[(n + nr - 1) / nr * nr * k];
        ManagedGemm.PackPanels(false, k, n, g.B, g.Ldb, packedB);
        float[] plain = g.FreshC();
        ManagedGemm.Multiply(false, false, m, n, k, 1f, g.A, g.Lda, g.B, g.Ldb, 0f, plain, g.Ldc, 1);
        float[] direct = g.FreshC();
        ManagedGemm.MultiplyPrepacked(m, n, k, packedA, packedB, 0f, direct, g.Ldc, 1);
        g.Verify(direct, "both prepacked");
        Assert.Equal(plain.Select(BitConverter.SingleToInt32Bits), direct.Select(BitConverter.SingleToInt32Bits));

        // Cᵀ = Bᵀ Aᵀ: B's columns as A panels, A's rows as B panels, written through the strides into C's layout.
        var bT = new float[n * k];
        for (int j = 0; j < n; j++)
            for (int p = 0; p < k; p++) bT[j * k + p] = g.B[p * g.Ldb + j];
        var packedBT = new float[(n + 12) * k];
        ManagedGemm.PackRowPanels(n, k, bT, k, packedBT);
        var packedAT = new float[(m + nr - 1) / nr * nr * k];
        ManagedGemm.PackPanels(true, k, m, g.A, g.Lda, packedAT);
        float[] transposed = g.FreshC();
        ManagedGemm.MultiplyPrepacked(n, m, k, packedBT, packedAT, 0f, transposed, 1, g.Ldc);
        Assert.Equal(plain.Select(BitConverter.SingleToInt32Bits), transposed.Select(BitConverter.SingleToInt32Bits));
    }

    [Fact]
    public void Padded_tile_area_counts_the_picked_kernels_rows_and_whole_panels()
    {
        int nr = ManagedGemm.PackedPanelWidth;
        foreach (int m in new[] { 1, 9, 128 })
            Assert.Equal((long)RoundUp(m, ManagedGemm.PackedPanelHeight(m)) * RoundUp(128, nr), ManagedGemm.PaddedTileArea(m, 128));
        if (GemmKernel.Avx512Tall.IsAccelerated) // 9 pixels x 128 filters fill 12-row tiles; 128 x 9 pads 9 columns to a 32-lane panel
            Assert.True(ManagedGemm.PaddedTileArea(9, 128) * 2 < ManagedGemm.PaddedTileArea(128, 9));
    }

    private static int RoundUp(int x, int multiple) => (x + multiple - 1) / multiple * multiple;

    [Theory]
    [InlineData(12)]
    [InlineData(288)]
    [InlineData(10)]
    [InlineData(576)]
    public void Row_counts_that_the_wide_kernel_pads_no_worse_keep_the_best_kernel(int m) =>
        Assert.Same(GemmKernel.Best, GemmKernel.ForRows(m));

    [Fact]
    public void Beta_zero_ignores_NaN_in_C_like_BLAS()
    {
        float[] a = [1, 2, 3, 4], b = [5, 6, 7, 8];
        foreach (var implementation in Implementations)
        {
            float[] c = [float.NaN, float.NaN, float.NaN, float.NaN];
            implementation.Run(false, false, 2, 2, 2, 1f, a, 2, b, 2, 0f, c, 2);
            Assert.Equal([19f, 22f, 43f, 50f], c); // hand-computed [1 2; 3 4] * [5 6; 7 8]
        }
    }

    [Fact]
    public void Empty_dimensions()
    {
        foreach (var implementation in Implementations)
        {
            float[] c = [1, 2, 3, 4];
            implementation.Run(false, false, 0, 2, 3, 1f, [], 3, new float[6], 2, 0f, c, 2); // m = 0: nothing to do
            implementation.Run(false, false, 2, 0, 3, 1f, new float[6], 3, [], 1, 0f, c, 2); // n = 0: nothing to do
            Assert.Equal([1f, 2f, 3f, 4f], c);
            implementation.Run(false, false, 2, 2, 0, 1f, [], 1, [], 2, 3f, c, 2);           // k = 0: C = beta * C
            Assert.Equal([3f, 6f, 9f, 12f], c);
            implementation.Run(false, false, 2, 2, 0, 1f, [], 1, [], 2, 0f, c, 2);
            Assert.Equal([0f, 0f, 0f, 0f], c);
        }
    }

    [Fact]
    public void Dense_overload_multiplies_with_the_configured_backend()
    {
        float[] a = [1, 2, 3, 4, 5, 6], b = [7, 8, 9, 10, 11, 12], c = new float[4];
        Gemm.Multiply(a, b, c, 2, 2, 3);
        Assert.Equal([58f, 64f, 139f, 154f], c); // [1 2 3; 4 5 6] * [7 8; 9 10; 11 12]
    }

    [Fact]
    public void Wrong_shapes_are_rejected_before_any_native_call()
    {
        var a = new float[6];
        var b = new float[6];
        var c = new float[4];
        Assert.Contains("leading dimension of A", Assert.Throws<ArgumentException>(() =>
            Gemm.Multiply(false, false, 2, 2, 3, 1f, a, 2, b, 2, 0f, c, 2)).Message);
        Assert.Contains("B needs 9 elements", Assert.Throws<ArgumentException>(() =>
            Gemm.Multiply(false, true, 2, 3, 3, 1f, a, 3, b, 3, 0f, new float[6], 3)).Message);
        Assert.Contains("must not be negative", Assert.Throws<ArgumentException>(() =>
            Gemm.Multiply(false, false, -1, 2, 3, 1f, a, 3, b, 2, 0f, c, 2)).Message);
    }
}
