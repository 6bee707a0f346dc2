using FashionMnist.Numerics;

namespace FashionMnist.Neural.Layers;

/// <summary>
/// The forward pass of stride-1 'valid' convolutions without a row-major im2col matrix: the unfolded images are
/// written straight into the GEMM's B panels (NR columns x K rows each, <see cref="ManagedGemm.MultiplyPrepackedB"/>),
/// which the GEMM would otherwise copy them into. Each panel's NR columns are a few runs of output pixels (an output
/// row of one image is one run of an input row), so for every kernel tap (c, ki, kj) the panel row is those runs
/// copied from the input shifted by (c, ki, kj): writes are sequential, reads hit the L1-resident images. One pass
/// over the unfolded operand instead of three (im2col write, packing read and write); the products and their order
/// are the same, so the output is bit-identical to the im2col path (tested).
/// 'Same' padding: the group's images are first copied into zero-bordered planes (outH + kh - 1 by outW + kw - 1), and
/// the valid convolution of those is the padded one: the zeros sit where im2col puts its zeros, so the sums are again
/// the im2col path's, bit for bit. The copy is ~1/300 of the multiply-adds for cnn-deep's 3x3 convs.
/// </summary>
internal sealed partial class Conv2D
{
    private float[]?[] _packed = [], _paddedGroup = [];
    private int[]?[] _runs = [];

    /// <summary>Tests switch the packed path off to compare it with im2col + GEMM.</summary>
    internal bool PackedAllowed { get; init; } = true;

    private bool UsePacked => PackedAllowed && Stride == 1 && NeuralGemm.Backend == GemmBackend.Managed;

    /// <summary>The input plane the packed path reads: the input itself, or (padding) the zero-bordered copy.</summary>
    private (int Height, int Width) PackedPlane => (_outHeight + KernelHeight - 1, _outWidth + KernelWidth - 1);

    private bool PadsForPacking => PackedPlane != (InputShape.Height, InputShape.Width);

    // Inference: the pass's weights (SelectWeights) packed once into GEMM panels both ways, rows of filters as A panels
    // and taps x filters as B panels (for Cᵀ), kept until WeightsChanged or the pass switches between folded and plain
    // weights, as the broadcast path keeps its transposed weights. Training passes pack per multiply (the weights change
    // every step).
    private float[]? _weightRowPanels, _weightColumnPanels, _panelsFrom;
    private bool _panelsInPass;

    /// <summary>Tests and the bench switch the kept weight panels off (the weights packed in every multiply, as training does) to compare.</summary>
    internal bool WeightPanelsAllowed { get; set; } = true;

    /// <summary>Before a pass's slices run: whether it multiplies with the kept panels (an inference pass on the packed path), packing them if the weights are new.</summary>
    private void PrepareWeightPanels(bool inferenceOnPackedPath)
    {
        _panelsInPass = inferenceOnPackedPath && WeightPanelsAllowed && UsePacked;
        if (!_panelsInPass || ReferenceEquals(_panelsFrom, _forwardWeights)) return;
        int k = _kernelSize, rows = RoundUp(Filters, ManagedGemm.PackedPanelHeight(Filters)), columns = RoundUp(Filters, ManagedGemm.PackedPanelWidth);
        ManagedGemm.PackRowPanels(Filters, k, _forwardWeights, k, Ensure(ref _weightRowPanels, (long)rows * k));
        ManagedGemm.PackPanels(true, k, Filters, _forwardWeights, k, Ensure(ref _weightColumnPanels, (long)columns * k));
        _panelsFrom = _forwardWeights;
    }

    /// <summary>
    /// y[first .. first + g) = conv of images x[first ..] (g images side by side, as the im2col path groups them); returns
    /// the GEMM output (Filters x g*outPixels). With the kept weight panels and few pixels (cnn3's conv3 on one image: 9
    /// pixels against 128 filters) it computes Cᵀ, pixels x filters, into the same layout: 9 pixels filled 9 of a B
    /// panel's 32 lanes (2.4M multiply-adds for 0.66M), as Cᵀ's A panels 9 of 12 rows (0.88M). The same products
    /// summed in the same order either way (<see cref="ManagedGemm.MultiplyPrepacked"/>), so the same bits.
    /// </summary>
    private void ForwardPacked(float[] x, int s, int first, int g, float[] gathered)
    {
        int width = g * _outPixels;
        bool transposed = _panelsInPass && ManagedGemm.PaddedTileArea(width, Filters) * 5 < ManagedGemm.PaddedTileArea(Filters, width) * 4;
        int nr = transposed ? ManagedGemm.PackedPanelHeight(width) : ManagedGemm.PackedPanelWidth, panels = (width + nr - 1) / nr;
        float[] packed = Ensure(ref _packed[s], (long)panels * nr * _kernelSize + 4); // + 4: a short run's vector may end past the last row
        int[] runs = Ensure(ref _runs[s], (long)panels * MaxRunsPerPanel(nr) * 3 + panels + 1);
        var (height, inWidth) = PackedPlane;
        float[] source = x;
        int sourceFirst = first;
        if (PadsForPacking)
        {
            int paddedSize = _inChannels * height * inWidth;
            source = Ensure(ref _paddedGroup[s], (long)g * paddedSize);
            for (int j = 0; j < g; j++)
                PadForPacking(x.AsSpan((first + j) * InputShape.Size, InputShape.Size), source.AsSpan(j * paddedSize, paddedSize), height, inWidth);
            sourceFirst = 0;
        }
        PlanRuns(sourceFirst, g, nr, panels, runs, height, inWidth);
        PackColumns(source, packed, runs, panels, nr, width, height, inWidth);
        if (transposed) ManagedGemm.MultiplyPrepacked(width, Filters, _kernelSize, packed, _weightColumnPanels, 0f, gathered, 1, width);
        else if (_panelsInPass) ManagedGemm.MultiplyPrepacked(Filters, width, _kernelSize, _weightRowPanels, packed, 0f, gathered, width, 1);
        else ManagedGemm.MultiplyPrepackedB(Filters, width, _kernelSize, _forwardWeights, _kernelSize, packed, 0f, gathered, width);
    }

    /// <summary>An output row crosses at most one panel boundary, so a panel holds at most NR / outWidth + 2 runs.</summary>
    private int MaxRunsPerPanel(int nr) => nr / _outWidth + 2;

    /// <summary>
    /// runs[p] .. runs[p + 1] (after the panels + 1 offsets) index triples (lane, count, source) for panel p: lanes
    /// [lane, lane + count) of every row of the panel come from input offset source + (c, ki, kj)'s shift.
    /// </summary>
    private void PlanRuns(int first, int g, int nr, int panels, int[] runs, int height, int width)
    {
        int inSize = _inChannels * height * width, outW = _outWidth;
        int at = panels + 1;
        int column = 0, total = g * _outPixels;
        for (int p = 0; p < panels; p++)
        {
            runs[p] = at;
            int end = Math.Min(total, (p + 1) * nr);
            while (column < end)
            {
                int image = column / _outPixels, pixel = column % _outPixels, oy = pixel / outW, ox = pixel % outW;
                int count = Math.Min(outW - ox, end - column);
                runs[at++] = column - p * nr;
                runs[at++] = count;
                runs[at++] = (first + image) * inSize + oy * width + ox;
                column += count;
            }
        }
        runs[panels] = at;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private unsafe void PackColumns(float[] x, float[] packed, int[] runs, int panels, int nr, int width, int height, int inWidth)
    {
        int kh = KernelHeight, kw = KernelWidth;
        fixed (float* source = x, target = packed)
        fixed (int* plan = runs)
        {
            float* sourceEnd = source + x.Length;
            for (int p = 0; p < panels; p++)
            {
                int from = plan[p], to = plan[p + 1];
                float* panel = target + (long)p * nr * _kernelSize;
                int valid = Math.Min(nr, width - p * nr);
                for (int c = 0, row = 0; c < _inChannels; c++)
                for (int ki = 0; ki < kh; ki++)
                for (int kj = 0; kj < kw; kj++, row++)
                {
                    float* dst = panel + (long)row * nr;
                    int shift = (c * height + ki) * inWidth + kj;
                    for (int r = from; r < to; r += 3)
                        CopyRun(source + plan[r + 2] + shift, dst + plan[r], plan[r + 1], sourceEnd);
                    // The last panel's columns beyond the output are computed but never stored: keep them finite.
                    for (int lane = valid; lane < nr; lane++) dst[lane] = 0f;
                }
            }
        }
    }

    /// <summary>Writes every float of the padded planes once: zero rows above and below, zeros left and right of each input row.</summary>
    private void PadForPacking(ReadOnlySpan<float> image, Span<float> padded, int height, int width)
    {
        int inHeight = InputShape.Height, inWidth = InputShape.Width, right = width - inWidth - _padLeft;
        for (int c = 0; c < _inChannels; c++)
        for (int r = 0; r < height; r++)
        {
            Span<float> row = padded.Slice((c * height + r) * width, width);
            int source = r - _padTop;
            if ((uint)source >= (uint)inHeight)
            {
                row.Clear();
                continue;
            }
            row[.._padLeft].Clear();
            image.Slice((c * inHeight + source) * inWidth, inWidth).CopyTo(row.Slice(_padLeft, inWidth));
            row[(width - right)..].Clear();
        }
    }

    /// <summary>
    /// Copies a run of 1..NR floats; runs of 4 or more with overlapping vectors instead of a scalar tail. A shorter run
    /// (conv3's 3-wide output rows: 11 runs per panel row) is copied as one 4-float vector when 4 floats can be read
    /// there: the extra float lands on a lane (or the next row's lane) that a later run or the zero fill writes again,
    /// since runs fill each panel row in lane order and rows in order.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void CopyRun(float* source, float* target, int count, float* sourceEnd)
    {
        if (count >= 4)
        {
            Copy(source, target, count);
            return;
        }
        if (source + 4 <= sourceEnd)
        {
            Vector128.Load(source).Store(target);
            return;
        }
        for (int i = 0; i < count; i++) target[i] = source[i];
    }
}
