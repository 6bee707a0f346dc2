using System.Collections.Concurrent;
using System.Runtime.ExceptionServices;

namespace FashionMnist.Interop;

/// <summary>
/// LIBSVM's multi-class C-SVC training with its k(k-1)/2 one-vs-one problems solved on several threads at once.
/// <para>
/// svm_train solves the pairs one after another, and each is independent of the others: for slots i &lt; j it trains
/// on class i's rows (y = +1) followed by class j's rows (y = -1), in the order LIBSVM grouped them, with the same
/// parameters. Here each pair is that same sub-problem handed to svm_train on its own (row pointers into the one
/// shared node block: no node is copied), on up to <c>threads</c> threads taking pairs from a queue, largest first.
/// svm_train of a two-class problem whose +1 rows come first keeps the rows in order and solves it with the same
/// solver call, so each pair's coefficients and rho are bit for bit the ones the sequential run computes. The kernel
/// cache (split between the threads) only decides what is recomputed, never a value.
/// </para>
/// <para>
/// The pairs are then assembled into one <c>svm_model</c> laid out exactly as svm_train builds it (support vectors
/// in grouped row order, sv_coef, rho, nSV, label, sv_indices), in one native block we own, so prediction, saving and
/// loading treat it like any trained model.
/// </para>
/// <para>
/// With probability=1, each pair's Platt scaling (5-fold cross-validation, then a sigmoid fit) runs in
/// <see cref="LibSvmProbability"/> before the pair is trained, as in svm_train. Its shuffle draws from a
/// <see cref="GlibcRandom"/> seeded with the fit's seed and advanced past the draws of the pairs before it (one per
/// row), so every pair sees exactly the numbers svm_train would have drawn from rand() after srand(seed), on any
/// number of threads and whatever else in the process calls rand().
/// </para>
/// </summary>
internal static unsafe class LibSvmOneVsOne
{
    /// <summary>
    /// Trains <paramref name="problem"/> as svm_train would, the pairs on up to <paramref name="threads"/> threads.
    /// <paramref name="pairTrained"/> is called after each pair, one call at a time. Cancellation is checked
    /// between pairs (a pair in LIBSVM cannot be interrupted). <paramref name="seed"/> seeds the shuffles of probability
    /// training (what srand(seed) before svm_train would give).
    /// </summary>
    public static LibSvmModel Train(LibSvmProblem problem, LibSvmParameters parameters, int threads,
        CancellationToken cancellation = default, Action<LibSvmPairTrained>? pairTrained = null, int seed = 0)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        LibSvm.EnsureReady();
        return problem.Use(pointer =>
        {
            var full = (SvmProblem*)pointer;
            SvmParameter native = parameters.ToNative();
            LibSvmModel.CheckParameters(full, &native);
            var groups = LibSvmClassGroups.Of(new ReadOnlySpan<double>(full->Labels, full->Count));
            // No pair: nothing to split, and nothing drawn from rand() either.
            if (groups.ClassCount < 2) return LibSvmModel.TrainWhole(problem, parameters);
            PairSolution[] solutions = SolvePairs(pointer, groups, native, threads, cancellation, pairTrained, unchecked((uint)seed));
            return Assemble(full, groups, solutions, native);
        });
    }

    /// <summary>
    /// Pair <paramref name="Index"/> (svm_train's order) of slots <paramref name="I"/> &lt; <paramref name="J"/>;
    /// <paramref name="DrawsBefore"/>: rand() draws svm_train's probability training takes before this pair's shuffle.
    /// </summary>
    private readonly record struct Pair(int Index, int I, int J, int Rows, long DrawsBefore);

    /// <summary>One pair's result: grouped positions of its support vectors, their y·alpha, rho, and its sigmoid (probability fits).</summary>
    private sealed record PairSolution(int[] Positions, double[] Coefficients, double Rho, double ProbA, double ProbB);

    private static PairSolution[] SolvePairs(nint full, LibSvmClassGroups groups, SvmParameter parameter, int threads,
        CancellationToken cancellation, Action<LibSvmPairTrained>? pairTrained, uint seed)
    {
        int k = groups.ClassCount;
        var pairs = new List<Pair>(k * (k - 1) / 2);
        long draws = 0;
        for (int i = 0; i < k; i++)
            for (int j = i + 1; j < k; j++)
            {
                int rows = groups.Count[i] + groups.Count[j];
                pairs.Add(new Pair(pairs.Count, i, j, rows, draws));
                draws += rows; // svm_binary_svc_probability: one rand() per row of the pair
            }
        // Largest first, so the last pairs to finish are small ones and no thread idles long at the end.
        Pair[] queue = [.. pairs.OrderByDescending(p => p.Rows).ThenBy(p => p.Index)];
        int workers = Math.Min(threads, queue.Length);
        // The same memory as one sequential fit: each concurrent solver gets its share of the cache.
        parameter.CacheSizeMb /= workers;

        var solutions = new PairSolution[queue.Length];
        var errors = new ConcurrentQueue<Exception>();
        var reportLock = new object();
        int next = -1, done = 0, stop = 0, failed = 0;

        void Work(int worker)
        {
            try
            {
                while (Volatile.Read(ref stop) == 0 && !cancellation.IsCancellationRequested)
                {
                    int n = Interlocked.Increment(ref next);
                    if (n >= queue.Length) return;
                    Pair pair = queue[n];
                    long started = Stopwatch.GetTimestamp();
                    double cpuStarted = CpuClock.ThreadSeconds();
                    solutions[pair.Index] = SolvePair((SvmProblem*)full, groups, pair, parameter, seed);
                    double seconds = Stopwatch.GetElapsedTime(started).TotalSeconds, cpu = CpuClock.ThreadSeconds() - cpuStarted;
                    lock (reportLock)
                    {
                        // After a failure (here or in the observer) nothing more is reported: the fit is over, and a
                        // second observer call racing the first failure would turn one error into two.
                        if (Volatile.Read(ref failed) != 0) return;
                        try
                        {
                            pairTrained?.Invoke(new LibSvmPairTrained(++done, queue.Length, pair.I, pair.J, pair.Rows, seconds, cpu, worker));
                        }
                        catch
                        {
                            Volatile.Write(ref failed, 1); // before the lock is released
                            throw;
                        }
                    }
                }
            }
            catch (Exception e)
            {
                errors.Enqueue(e);
                Volatile.Write(ref failed, 1);
                Volatile.Write(ref stop, 1);
            }
        }

        // Dedicated threads, not the thread pool: each runs for minutes inside LIBSVM, and a starved pool could
        // leave one worker to drain the whole queue alone (trap 4).
        var helpers = new List<Thread>(workers - 1);
        try
        {
            for (int t = 1; t < workers; t++)
            {
                int worker = t;
                var thread = new Thread(() => Work(worker)) { IsBackground = true, Name = $"LIBSVM pairs {t}" };
                thread.Start();
                helpers.Add(thread);
            }
            Work(0);
        }
        finally
        {
            // Never return (and let the caller free the node memory) while a solver may still read it.
            Volatile.Write(ref stop, 1);
            foreach (Thread thread in helpers) thread.Join();
        }
        if (errors.TryDequeue(out Exception? first))
        {
            if (errors.IsEmpty) ExceptionDispatchInfo.Capture(first).Throw();
            throw new AggregateException([first, .. errors]);
        }
        cancellation.ThrowIfCancellationRequested();
        return solutions;
    }

    /// <summary>
    /// svm_train on the sub-problem of one pair exactly as svm_train's own loop builds it: class i's rows with y = +1,
    /// then class j's rows with y = -1, each in grouped order. With probability=1, first the pair's sigmoid as
    /// svm_train fits it, from the draws <paramref name="seed"/> gives at this pair; the pair itself is then trained
    /// without (svm_train would run its own cross-validation on libc's rand()).
    /// </summary>
    private static PairSolution SolvePair(SvmProblem* full, LibSvmClassGroups groups, Pair pair, SvmParameter parameter, uint seed)
    {
        int ci = groups.Count[pair.I], cj = groups.Count[pair.J], si = groups.Start[pair.I], sj = groups.Start[pair.J];
        var rows = new nint[pair.Rows];
        var y = new double[pair.Rows];
        for (int r = 0; r < ci; r++)
        {
            rows[r] = (nint)full->Rows[groups.Permutation[si + r]];
            y[r] = +1;
        }
        for (int r = 0; r < cj; r++)
        {
            rows[ci + r] = (nint)full->Rows[groups.Permutation[sj + r]];
            y[ci + r] = -1;
        }
        double probA = 0, probB = 0;
        if (parameter.Probability != 0)
        {
            var random = new GlibcRandom(seed);
            random.Skip(pair.DrawsBefore);
            // No class weights here: svm_train's weighted_C is C for both classes.
            (probA, probB) = LibSvmProbability.Fit(rows, y, parameter, parameter.C, parameter.C, random);
            parameter.Probability = 0;
        }
        SvmModelStruct* model;
        fixed (nint* x = rows)
        fixed (double* labels = y)
        {
            var sub = new SvmProblem { Count = pair.Rows, Labels = labels, Rows = (SvmNode**)x };
            model = LibSvmNative.Train(&sub, &parameter);
        }
        if (model == null) throw new InvalidOperationException("svm_train returned no model.");
        try
        {
            // +1 appears first, so it is slot 0 and LIBSVM's grouping keeps the rows as given: sv_indices number them
            // in our order and sv_coef[0] is y·alpha of this pair. Check rather than trust.
            if (model->ClassCount != 2 || model->Labels[0] != 1)
                throw new InvalidOperationException("svm_train did not keep the +1 class first in a pair's model.");
            int count = model->SupportVectorCount;
            var positions = new int[count];
            var coefficients = new double[count];
            for (int s = 0; s < count; s++)
            {
                int row = model->SupportVectorIndices[s] - 1;
                if ((uint)row >= (uint)pair.Rows || model->SupportVectors[s] != (SvmNode*)rows[row])
                    throw new InvalidOperationException("A pair model's support vector does not match its sv_indices.");
                positions[s] = row < ci ? si + row : sj + row - ci;
                coefficients[s] = model->SupportVectorCoefficients[0][s];
            }
            return new PairSolution(positions, coefficients, model->Rho[0], probA, probB);
        }
        finally
        {
            // free_sv is 0: LIBSVM frees its arrays, not our nodes.
            LibSvmNative.FreeAndDestroyModel(&model);
        }
    }

    /// <summary>
    /// Builds the multi-class model as svm_train's "build output" part does: a row is a support vector if any pair
    /// gave it a non-zero alpha; support vectors in grouped order; the coefficients of pair (i, j) for class i's
    /// support vectors in sv_coef[j-1], for class j's in sv_coef[i]. Everything lives in one native block.
    /// </summary>
    private static LibSvmModel Assemble(SvmProblem* full, LibSvmClassGroups groups, PairSolution[] solutions, SvmParameter parameter)
    {
        int k = groups.ClassCount, l = full->Count;
        var isSupportVector = new bool[l];
        foreach (PairSolution solution in solutions)
            foreach (int position in solution.Positions) isSupportVector[position] = true;
        // Support vector number of each grouped position (-1: none); classes are contiguous, in slot order.
        var vectorOf = new int[l];
        var perClass = new int[k];
        var firstOfClass = new int[k];
        int total = 0;
        long nodeCount = 0;
        for (int c = 0; c < k; c++)
        {
            firstOfClass[c] = total;
            for (int position = groups.Start[c]; position < groups.Start[c] + groups.Count[c]; position++)
            {
                vectorOf[position] = isSupportVector[position] ? total++ : -1;
                if (vectorOf[position] < 0) continue;
                perClass[c]++;
                nodeCount += LibSvmModel.RowLength(full->Rows[groups.Permutation[position]]);
            }
        }

        long size = 0;
        long Reserve(long bytes)
        {
            long at = size;
            size += (bytes + 15) & ~15L;
            return at;
        }
        long modelAt = Reserve(sizeof(SvmModelStruct)), vectorsAt = Reserve((long)total * sizeof(SvmNode*));
        long rowsAt = Reserve((long)(k - 1) * sizeof(double*)), coefficientsAt = Reserve((long)(k - 1) * total * sizeof(double));
        long rhoAt = Reserve((long)solutions.Length * sizeof(double)), labelsAt = Reserve(k * sizeof(int));
        bool probability = parameter.Probability != 0;
        long probAAt = probability ? Reserve((long)solutions.Length * sizeof(double)) : -1;
        long probBAt = probability ? Reserve((long)solutions.Length * sizeof(double)) : -1;
        long perClassAt = Reserve(k * sizeof(int)), indicesAt = Reserve((long)total * sizeof(int));
        long nodesAt = Reserve(nodeCount * sizeof(SvmNode));

        var block = new NativeBlock((nuint)size);
        try
        {
            byte* b = (byte*)block.Pointer;
            var vectors = (SvmNode**)(b + vectorsAt);
            var indices = (int*)(b + indicesAt);
            var next = (SvmNode*)(b + nodesAt);
            for (int position = 0; position < l; position++)
            {
                int s = vectorOf[position];
                if (s < 0) continue;
                int row = groups.Permutation[position];
                SvmNode* source = full->Rows[row];
                int length = LibSvmModel.RowLength(source);
                Buffer.MemoryCopy(source, next, (long)length * sizeof(SvmNode), (long)length * sizeof(SvmNode));
                vectors[s] = next;
                indices[s] = row + 1; // LIBSVM's sv_indices are 1-based rows of the caller's problem
                next += length;
            }

            var coefficientRows = (double**)(b + rowsAt);
            var coefficients = (double*)(b + coefficientsAt);
            for (int q = 0; q < k - 1; q++) coefficientRows[q] = coefficients + (long)q * total;
            new Span<double>(coefficients, (k - 1) * total).Clear();
            var rho = (double*)(b + rhoAt);
            double* probA = probability ? (double*)(b + probAAt) : null, probB = probability ? (double*)(b + probBAt) : null;
            int p = 0;
            for (int i = 0; i < k; i++)
                for (int j = i + 1; j < k; j++, p++)
                {
                    // LIBSVM stores y·alpha for every support vector of both classes, also those with alpha 0 in this
                    // pair: alpha = +0 times y = -1 makes class j's zeros -0.0 (it shows as "-0" in its model files).
                    new Span<double>(coefficientRows[i] + firstOfClass[j], perClass[j]).Fill(-0.0);
                    PairSolution solution = solutions[p];
                    for (int s = 0; s < solution.Positions.Length; s++)
                    {
                        int position = solution.Positions[s];
                        bool inClassI = (uint)(position - groups.Start[i]) < (uint)groups.Count[i];
                        coefficientRows[inClassI ? j - 1 : i][vectorOf[position]] = solution.Coefficients[s];
                    }
                    rho[p] = solution.Rho;
                    if (probability)
                    {
                        probA[p] = solution.ProbA;
                        probB[p] = solution.ProbB;
                    }
                }

            var labels = (int*)(b + labelsAt);
            var counts = (int*)(b + perClassAt);
            for (int c = 0; c < k; c++)
            {
                labels[c] = groups.Labels[c];
                counts[c] = perClass[c];
            }
            *(SvmModelStruct*)(b + modelAt) = new SvmModelStruct
            {
                Parameter = parameter,
                ClassCount = k,
                SupportVectorCount = total,
                SupportVectors = vectors,
                SupportVectorCoefficients = coefficientRows,
                Rho = rho,
                ProbA = probA,
                ProbB = probB,
                SupportVectorIndices = indices,
                Labels = labels,
                SupportVectorsPerClass = counts,
                FreeSupportVectors = 0,
            };
            return new LibSvmModel(SvmModelHandle.OwnAssembled(block));
        }
        catch
        {
            block.Dispose();
            throw;
        }
    }
}

/// <summary>
/// One pair of class slots finished: <paramref name="Done"/> of <paramref name="Total"/>, after <paramref name="Seconds"/>
/// of wall time and <paramref name="CpuSeconds"/> of the solving thread's CPU time, on solver <paramref name="Worker"/> (0-based).
/// </summary>
internal readonly record struct LibSvmPairTrained(int Done, int Total, int SlotI, int SlotJ, int Rows, double Seconds, double CpuSeconds, int Worker);

/// <summary>
/// svm_group_classes: class slots in order of first appearance (a two-class -1/+1 problem is turned so +1 comes
/// first), each class's rows contiguous and in their original order.
/// </summary>
internal sealed class LibSvmClassGroups
{
    private LibSvmClassGroups(int[] labels, int[] start, int[] count, int[] permutation)
    {
        Labels = labels;
        Start = start;
        Count = count;
        Permutation = permutation;
    }

    /// <summary>The label of each slot.</summary>
    public int[] Labels { get; }

    /// <summary>First grouped position of each slot.</summary>
    public int[] Start { get; }

    public int[] Count { get; }

    /// <summary>Problem row at each grouped position.</summary>
    public int[] Permutation { get; }

    public int ClassCount => Labels.Length;

    public static LibSvmClassGroups Of(ReadOnlySpan<double> y)
    {
        var labels = new List<int>();
        var counts = new List<int>();
        var slotOf = new int[y.Length];
        for (int r = 0; r < y.Length; r++)
        {
            int label = (int)y[r]; // LIBSVM casts the same way
            int slot = labels.IndexOf(label);
            if (slot < 0)
            {
                slot = labels.Count;
                labels.Add(label);
                counts.Add(0);
            }
            counts[slot]++;
            slotOf[r] = slot;
        }
        if (labels.Count == 2 && labels[0] == -1 && labels[1] == 1)
        {
            (labels[0], labels[1]) = (labels[1], labels[0]);
            (counts[0], counts[1]) = (counts[1], counts[0]);
            for (int r = 0; r < slotOf.Length; r++) slotOf[r] = 1 - slotOf[r];
        }
        var start = new int[labels.Count];
        for (int c = 1; c < start.Length; c++) start[c] = start[c - 1] + counts[c - 1];
        var fill = (int[])start.Clone();
        var permutation = new int[y.Length];
        for (int r = 0; r < y.Length; r++) permutation[fill[slotOf[r]]++] = r;
        return new LibSvmClassGroups([.. labels], start, [.. counts], permutation);
    }
}
