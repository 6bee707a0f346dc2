using System.Buffers;
using System.Numerics.Tensors;
using FashionMnist.Numerics;

namespace FashionMnist.Classic.Knn;

/// <summary>
/// Exact brute-force nearest-neighbour search over a training matrix, without ever holding the full
/// query x train distance matrix: queries go in blocks, each block streams the training rows in chunks
/// and keeps a per-query top-k (<see cref="NeighbourList"/>), so memory stays a few MB whatever the sizes.
/// <list type="bullet">
/// <item>L1 on bytes (raw pixels): <see cref="DistanceKernels.Bytes"/> (vpsadbw), parallel over query blocks.</item>
/// <item>L1 on floats (after scaling/HOG/PCA): <see cref="DistanceKernels.Floats"/>, parallel over query blocks.</item>
/// <item>L2 on bytes where AVX-VNNI exists: |t|^2 - 2 q.t in exact int32 from <see cref="DistanceKernels.Dots"/>
/// (vpdpbusd does 4x the multiply-adds per instruction of a float FMA), parallel over query blocks.</item>
/// <item>L2 otherwise: |t|^2 - 2 q.t through <see cref="Gemm"/> (|q|^2 is the same for every candidate of a query), then the
/// best k + <see cref="RerankMargin"/> candidates are re-ranked by the exact distance, so float rounding in the
/// GEMM form cannot reorder near ties.</item>
/// </list>
/// Ties in distance go to the lower training index, as a stable sort would.
/// </summary>
internal sealed unsafe class NeighbourIndex
{
    private const int L1QueryBlock = 128;   // queries per task: 128 x 832 B = 104 KB, stays in L2
    private const int L1TrainChunk = 32;    // training rows per pass: 32 x 832 B = 26 KB, stays in L1
    private const int L2QueryBlock = 512;
    private const int L2TrainChunk = 16384; // GEMM output 512 x 16384 floats = 32 MB per step
    public const int RerankMargin = 8;

    private readonly FeatureMatrix _train;
    private byte[]? _paddedBytes;   // L1 on bytes: rows padded with zeros to a multiple of 64 bytes
    private sbyte[]? _paddedSigned; // L2 on bytes (VNNI): pixel - 128, padded
    private int[]? _byteNorms;      // L2 on bytes (VNNI): |t|^2 per training row, exact
    private float[]? _paddedFloats; // L1 on floats: rows padded to a multiple of 16 floats
    private float[]? _trainFloats;  // L2: the training rows as floats
    private float[]? _trainNorms;   // L2: |t|^2 per training row
    private readonly int _stride;

    public NeighbourIndex(FeatureMatrix train, KnnMetric metric)
    {
        _train = train;
        Metric = metric;
        int columns = train.Columns;
        if (metric == KnnMetric.L1 && train.IsBytes)
        {
            _stride = RoundUp(columns, DistanceKernels.ByteStrideMultiple);
            _paddedBytes = Pad(train.Bytes!, train.Rows, columns, _stride);
        }
        else if (metric == KnnMetric.L2 && train.IsBytes && DistanceKernels.HasByteDot)
        {
            _stride = RoundUp(columns, DistanceKernels.ByteStrideMultiple);
            byte[] source = train.Bytes!;
            var signed = new sbyte[(long)train.Rows * _stride];
            var norms = new int[train.Rows];
            int stride = _stride;
            Parallel.For(0, train.Rows, ComputeThreads.ParallelOptions, r =>
            {
                int norm = 0;
                for (int c = 0; c < columns; c++)
                {
                    int p = source[r * columns + c];
                    signed[(long)r * stride + c] = (sbyte)(p - 128);
                    norm += p * p;
                }
                norms[r] = norm;
            });
            _paddedSigned = signed;
            _byteNorms = norms;
        }
        else if (metric == KnnMetric.L1)
        {
            _stride = RoundUp(columns, DistanceKernels.FloatStrideMultiple);
            _paddedFloats = Pad(train.Floats!, train.Rows, columns, _stride);
        }
        else
        {
            _stride = columns;
            _trainFloats = train.ToFloats();
            _trainNorms = new float[train.Rows];
            float[] floats = _trainFloats, norms = _trainNorms;
            Parallel.For(0, train.Rows, ComputeThreads.ParallelOptions, r =>
            {
                ReadOnlySpan<float> row = floats.AsSpan(r * columns, columns);
                norms[r] = TensorPrimitives.Dot(row, row);
            });
        }
    }

    public KnnMetric Metric { get; }
    public FeatureMatrix Train => _train;

    /// <summary>
    /// For each query row, its <paramref name="k"/> nearest training rows: <paramref name="indices"/> and
    /// <paramref name="distances"/> (L1 sum, or Euclidean distance), both queries.Rows x k, nearest first.
    /// </summary>
    public void Search(FeatureMatrix queries, int k, int[] indices, float[] distances, CancellationToken cancellation = default)
    {
        if (queries.Columns != _train.Columns)
            throw new FashionMnistException($"The model was trained on {_train.Columns} features but got {queries.Columns}",
                "Use the same preprocessing for prediction as for training.");
        if (k > _train.Rows)
            throw new FashionMnistException($"k={k} neighbours were asked for but the model holds only {_train.Rows} training samples",
                "Use a smaller k or train on more images.");
        if (indices.Length < queries.Rows * k || distances.Length < queries.Rows * k)
            throw new ArgumentException("Output arrays are too short for queries.Rows x k.");
        if (queries.Rows == 0) return;
        if ((_paddedBytes ?? (object?)_paddedSigned) is not null)
        {
            if (!queries.IsBytes) throw new ArgumentException("Byte training features need byte queries.");
            SearchBytes(queries, k, indices, distances, cancellation);
        }
        else if (Metric == KnnMetric.L2) SearchL2(queries, k, indices, distances, cancellation);
        else SearchL1Floats(queries.ToFloats(), queries.Rows, k, indices, distances, cancellation);
    }

    /// <summary>L1 (sum of absolute differences) or exact integer L2 (|t|^2 - 2 q.t by VNNI) on byte rows.</summary>
    private void SearchBytes(FeatureMatrix queries, int k, int[] indices, float[] distances, CancellationToken cancellation)
    {
        int columns = _train.Columns, stride = _stride, trainRows = _train.Rows;
        byte[] source = queries.Bytes!;
        bool l2 = _paddedSigned is not null;
        int[] norms = _byteNorms ?? [];
        int blocks = (queries.Rows + L1QueryBlock - 1) / L1QueryBlock;
        Parallel.For(0, blocks, new ParallelOptions { MaxDegreeOfParallelism = ComputeThreads.Count, CancellationToken = cancellation }, block =>
        {
            int first = block * L1QueryBlock, count = Math.Min(L1QueryBlock, queries.Rows - first);
            byte[] padded = ArrayPool<byte>.Shared.Rent(L1QueryBlock * stride);
            int[] chunk = ArrayPool<int>.Shared.Rent(L1QueryBlock * L1TrainChunk);
            int[] best = ArrayPool<int>.Shared.Rent(L1QueryBlock * k);
            try
            {
                PadRows(source.AsSpan(first * columns, count * columns), columns, padded.AsSpan(0, count * stride));
                NeighbourList.Reset(best.AsSpan(0, count * k), indices.AsSpan(first * k, count * k), int.MaxValue);
                // L2 ranks by |t|^2 - 2 q.t; q.t = VNNI(q, t - 128) + 128 sum(q). |q|^2 is added back at the end.
                Span<int> querySums = stackalloc int[L1QueryBlock];
                Span<int> queryNorms = stackalloc int[L1QueryBlock];
                for (int q = 0; q < count && l2; q++)
                {
                    int sum = 0, norm = 0;
                    foreach (byte p in source.AsSpan((first + q) * columns, columns))
                    {
                        sum += p;
                        norm += p * p;
                    }
                    querySums[q] = 128 * sum;
                    queryNorms[q] = norm;
                }
                fixed (byte* queryPointer = padded)
                fixed (byte* trainBytes = _paddedBytes)
                fixed (sbyte* trainSigned = _paddedSigned)
                fixed (int* chunkPointer = chunk)
                {
                    for (int start = 0; start < trainRows; start += L1TrainChunk)
                    {
                        int rows = Math.Min(L1TrainChunk, trainRows - start);
                        if (l2) DistanceKernels.Dots(queryPointer, count, trainSigned + (long)start * stride, rows, stride, chunkPointer);
                        else DistanceKernels.Bytes(queryPointer, count, trainBytes + (long)start * stride, rows, stride, chunkPointer);
                        for (int q = 0; q < count; q++)
                        {
                            Span<int> bestDistances = best.AsSpan(q * k, k);
                            Span<int> bestIndices = indices.AsSpan((first + q) * k, k);
                            int threshold = bestDistances[k - 1];
                            int* row = chunkPointer + q * rows;
                            if (l2)
                            {
                                int shift = querySums[q];
                                for (int j = 0; j < rows; j++) row[j] = norms[start + j] - 2 * (row[j] + shift);
                            }
                            for (int j = 0; j < rows; j++)
                                if (row[j] < threshold) threshold = NeighbourList.Offer(bestDistances, bestIndices, row[j], start + j);
                        }
                    }
                }
                for (int q = 0; q < count; q++)
                    for (int i = 0; i < k; i++)
                        distances[(first + q) * k + i] = l2 ? (float)Math.Sqrt((double)best[q * k + i] + queryNorms[q]) : best[q * k + i];
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(padded);
                ArrayPool<int>.Shared.Return(chunk);
                ArrayPool<int>.Shared.Return(best);
            }
        });
    }

    private void SearchL1Floats(float[] source, int queryRows, int k, int[] indices, float[] distances, CancellationToken cancellation)
    {
        int columns = _train.Columns, stride = _stride, trainRows = _train.Rows;
        float[] train = _paddedFloats!;
        int blocks = (queryRows + L1QueryBlock - 1) / L1QueryBlock;
        int trainChunk = Math.Max(2, L1TrainChunk * 832 / (stride * sizeof(float))); // keep a chunk near 26 KB
        Parallel.For(0, blocks, new ParallelOptions { MaxDegreeOfParallelism = ComputeThreads.Count, CancellationToken = cancellation }, block =>
        {
            int first = block * L1QueryBlock, count = Math.Min(L1QueryBlock, queryRows - first);
            float[] padded = ArrayPool<float>.Shared.Rent(L1QueryBlock * stride);
            float[] chunk = ArrayPool<float>.Shared.Rent(L1QueryBlock * trainChunk);
            try
            {
                PadRows(source.AsSpan(first * columns, count * columns), columns, padded.AsSpan(0, count * stride));
                NeighbourList.Reset(distances.AsSpan(first * k, count * k), indices.AsSpan(first * k, count * k), float.PositiveInfinity);
                fixed (float* queryPointer = padded)
                fixed (float* trainPointer = train)
                fixed (float* chunkPointer = chunk)
                {
                    for (int start = 0; start < trainRows; start += trainChunk)
                    {
                        int rows = Math.Min(trainChunk, trainRows - start);
                        DistanceKernels.Floats(queryPointer, count, trainPointer + (long)start * stride, rows, stride, chunkPointer);
                        for (int q = 0; q < count; q++)
                        {
                            Span<float> bestDistances = distances.AsSpan((first + q) * k, k);
                            Span<int> bestIndices = indices.AsSpan((first + q) * k, k);
                            float threshold = bestDistances[k - 1];
                            float* row = chunkPointer + q * rows;
                            for (int j = 0; j < rows; j++)
                                if (row[j] < threshold) threshold = NeighbourList.Offer(bestDistances, bestIndices, row[j], start + j);
                        }
                    }
                }
            }
            finally
            {
                ArrayPool<float>.Shared.Return(padded);
                ArrayPool<float>.Shared.Return(chunk);
            }
        });
    }

    private void SearchL2(FeatureMatrix queries, int k, int[] indices, float[] distances, CancellationToken cancellation)
    {
        int columns = _train.Columns, trainRows = _train.Rows, queryRows = queries.Rows;
        int candidates = Math.Min(trainRows, k + RerankMargin);
        float[] train = _trainFloats!, norms = _trainNorms!, queryFloats = queries.ToFloats();
        int trainChunk = Math.Min(L2TrainChunk, trainRows);
        float[] products = ArrayPool<float>.Shared.Rent(L2QueryBlock * trainChunk);
        float[] approxDistances = new float[L2QueryBlock * candidates];
        int[] approxIndices = new int[L2QueryBlock * candidates];
        int threads = ComputeThreads.Count;
        try
        {
            for (int first = 0; first < queryRows; first += L2QueryBlock)
            {
                int count = Math.Min(L2QueryBlock, queryRows - first);
                NeighbourList.Reset(approxDistances.AsSpan(0, count * candidates), approxIndices.AsSpan(0, count * candidates), float.PositiveInfinity);
                for (int start = 0; start < trainRows; start += trainChunk)
                {
                    cancellation.ThrowIfCancellationRequested();
                    int rows = Math.Min(trainChunk, trainRows - start);
                    // products = -2 Q Tᵀ; adding |t|^2 gives the distance minus the query's constant |q|^2.
                    Gemm.Multiply(false, true, count, rows, columns, -2f,
                        queryFloats.AsSpan(first * columns, count * columns), columns,
                        train.AsSpan(start * columns, rows * columns), columns,
                        0f, products.AsSpan(0, count * rows), rows);
                    // Few, large parallel regions: each worker takes a contiguous range of this block's queries.
                    int workers = Math.Min(threads, count);
                    Parallel.For(0, workers, ComputeThreads.ParallelOptions, worker =>
                    {
                        int from = count * worker / workers, to = count * (worker + 1) / workers;
                        for (int q = from; q < to; q++)
                            OfferRow(products.AsSpan(q * rows, rows), norms.AsSpan(start, rows), start,
                                approxDistances.AsSpan(q * candidates, candidates), approxIndices.AsSpan(q * candidates, candidates));
                    });
                }
                int blockFirst = first;
                Parallel.For(0, count, ComputeThreads.ParallelOptions, q =>
                    Rerank(queries, blockFirst + q, approxIndices.AsSpan(q * candidates, candidates), k,
                        indices.AsSpan((blockFirst + q) * k, k), distances.AsSpan((blockFirst + q) * k, k)));
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(products);
        }
    }

    /// <summary>Offers |t|^2 - 2 q.t for one query against a chunk; lanes that cannot beat the threshold are skipped 16 at a time.</summary>
    private static void OfferRow(Span<float> products, ReadOnlySpan<float> norms, int start, Span<float> bestDistances, Span<int> bestIndices)
    {
        int last = bestDistances.Length - 1;
        float threshold = bestDistances[last];
        int j = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; j <= products.Length - 16; j += 16)
            {
                var values = Vector512.Create(products.Slice(j, 16)) + Vector512.Create(norms.Slice(j, 16));
                if (Vector512.LessThanAny(values, Vector512.Create(threshold)))
                    for (int lane = 0; lane < 16; lane++)
                        if (values[lane] < threshold) threshold = NeighbourList.Offer(bestDistances, bestIndices, values[lane], start + j + lane);
            }
        }
        for (; j < products.Length; j++)
        {
            float value = products[j] + norms[j];
            if (value < threshold) threshold = NeighbourList.Offer(bestDistances, bestIndices, value, start + j);
        }
    }

    /// <summary>Exact Euclidean distances of the GEMM candidates, best k kept by (distance, index).</summary>
    private void Rerank(FeatureMatrix queries, int query, ReadOnlySpan<int> candidates, int k, Span<int> indices, Span<float> distances)
    {
        int columns = _train.Columns;
        Span<double> exact = stackalloc double[k];
        NeighbourList.Reset(exact, indices, double.PositiveInfinity);
        foreach (int candidate in candidates)
        {
            if (candidate < 0) continue;
            double squared;
            if (queries.IsBytes && _train.IsBytes)
            {
                ReadOnlySpan<byte> a = queries.Bytes.AsSpan(query * columns, columns), b = _train.Bytes.AsSpan(candidate * columns, columns);
                long sum = 0;
                for (int i = 0; i < columns; i++)
                {
                    int d = a[i] - b[i];
                    sum += d * d;
                }
                squared = sum;
            }
            else
            {
                ReadOnlySpan<float> a = queries.Floats.AsSpan(query * columns, columns), b = _trainFloats.AsSpan(candidate * columns, columns);
                double sum = 0;
                for (int i = 0; i < columns; i++)
                {
                    double d = (double)a[i] - b[i];
                    sum += d * d;
                }
                squared = sum;
            }
            NeighbourList.OfferOrdered(exact, indices, squared, candidate);
        }
        for (int i = 0; i < k; i++) distances[i] = (float)Math.Sqrt(exact[i]);
    }

    private static int RoundUp(int value, int multiple) => (value + multiple - 1) / multiple * multiple;

    private static T[] Pad<T>(T[] source, int rows, int columns, int stride) where T : struct
    {
        if (stride == columns) return source;
        var padded = new T[(long)rows * stride];
        PadRows<T>(source, columns, padded);
        return padded;
    }

    /// <summary>Copies rows of <paramref name="columns"/> values into the longer rows of <paramref name="padded"/> (as many rows), zeroing the padding of each.</summary>
    private static void PadRows<T>(ReadOnlySpan<T> source, int columns, Span<T> padded) where T : struct
    {
        if (source.IsEmpty) return;
        int rows = source.Length / columns, stride = padded.Length / rows;
        for (int r = 0; r < rows; r++)
        {
            source.Slice(r * columns, columns).CopyTo(padded.Slice(r * stride));
            padded.Slice(r * stride + columns, stride - columns).Clear();
        }
    }
}
