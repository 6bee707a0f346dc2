using FashionMnist.Numerics;

namespace FashionMnist.Neural;

/// <summary>
/// How the engine uses threads: a batch (or a list of channels) is cut into <see cref="Slices"/> contiguous
/// parts, one per thread, with boundaries that depend only on the item count and
/// <see cref="ComputeThreads.Count"/>. Every slice writes its own outputs or its own partial sums, and partial
/// sums are added afterwards in slice order, so results never depend on thread timing.
/// </summary>
internal static class BatchParallel
{
    /// <summary>
    /// Below this much work (floats touched, or multiply-adds for GEMM layers) a pass runs its slices on the calling
    /// thread (same slices, same results): ~50 µs of element-wise work, less than a wake-up of a descheduled worker on a
    /// busy machine. 32K before; the mlp's dropout and small dense passes were parallel regions of a few microseconds.
    /// </summary>
    public const long MinParallelWork = 1 << 18;

    public static int Slices(int items) => Math.Max(1, Math.Min(ComputeThreads.Count, items));

    /// <summary>The fixed range of slice <paramref name="slice"/> out of <paramref name="slices"/> over <paramref name="items"/>.</summary>
    public static (int Start, int Count) Range(int items, int slices, int slice)
    {
        int size = items / slices, extra = items % slices;
        return (slice * size + Math.Min(slice, extra), size + (slice < extra ? 1 : 0));
    }

    /// <summary>Runs body(slice, start, count) for each slice, in parallel when the work is big enough.</summary>
    public static void For(int items, long work, Action<int, int, int> body) => For(items, Slices(items), work, body);

    /// <summary>Runs body(slice) for slice 0..slices-1 (the body computes its own ranges), in parallel when the work is big enough.</summary>
    public static void ForSlices(int slices, long work, Action<int> body)
    {
        if (slices == 1 || work < MinParallelWork)
        {
            for (int s = 0; s < slices; s++) body(s);
            return;
        }
        WorkerPool.Run(slices, body);
    }

    public static void For(int items, int slices, long work, Action<int, int, int> body)
    {
        if (items == 0) return;
        if (slices == 1 || work < MinParallelWork)
        {
            for (int s = 0; s < slices; s++)
            {
                var (start, count) = Range(items, slices, s);
                if (count > 0) body(s, start, count);
            }
            return;
        }
        WorkerPool.Run(slices, s =>
        {
            var (start, count) = Range(items, slices, s);
            if (count > 0) body(s, start, count);
        });
    }
}
