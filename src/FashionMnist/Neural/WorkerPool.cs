using System.Runtime.ExceptionServices;

namespace FashionMnist.Neural;

/// <summary>
/// Persistent worker threads for the engine's batch slices. A training step opens a dozen or more short
/// parallel regions (one per layer and pass, 0.1-5 ms each); Parallel.For costs several microseconds and
/// allocations per region and sometimes runs both halves on one core (native-facts trap 4). Here the calling
/// thread and parked workers claim slice numbers from a shared counter: whoever is awake works, nobody
/// waits for a thread the scheduler has not run yet, and which thread runs a slice never changes a result
/// (every slice writes only its own outputs). Idle workers spin briefly, then block.
/// One region runs at a time; a second caller (another model training concurrently) or a nested region
/// runs its slices inline on its own thread.
/// </summary>
internal static class WorkerPool
{
    private static readonly Lock s_gate = new();
    private static readonly List<Worker> s_workers = [];
    [ThreadStatic] private static bool t_inRegion;

    /// <summary>Runs body(slice) for slice = 0..slices-1, on up to <paramref name="slices"/> threads; returns when all are done.</summary>
    public static void Run(int slices, Action<int> body)
    {
        if (slices <= 1 || t_inRegion || !s_gate.TryEnter())
        {
            for (int s = 0; s < slices; s++) body(s);
            return;
        }
        try
        {
            t_inRegion = true;
            var job = new Job(body, slices);
            int helpers = slices - 1;
            while (s_workers.Count < helpers) s_workers.Add(new Worker(s_workers.Count));
            for (int w = 0; w < helpers; w++) s_workers[w].Post(job);
            job.Work();
            job.WaitDone();
            job.Error?.Throw();
        }
        finally
        {
            t_inRegion = false;
            s_gate.Exit();
        }
    }

    private sealed class Job(Action<int> body, int slices)
    {
        private int _next = -1, _done;
        private readonly ManualResetEventSlim _finished = new(false, spinCount: 200);
        public ExceptionDispatchInfo? Error;

        /// <summary>Claims and runs slices until none are left.</summary>
        public void Work()
        {
            int s;
            while ((s = Interlocked.Increment(ref _next)) < slices)
            {
                try
                {
                    body(s);
                }
                catch (Exception e)
                {
                    Interlocked.CompareExchange(ref Error, ExceptionDispatchInfo.Capture(e), null);
                }
                if (Interlocked.Increment(ref _done) == slices) _finished.Set();
            }
        }

        // Not disposed: the thread that set it may still be inside Set() when the waiter returns (it holds no kernel handle).
        public void WaitDone() => _finished.Wait();
    }

    private sealed class Worker
    {
        private readonly ManualResetEventSlim _wake = new(false, spinCount: 200);
        private Job? _job;

        public Worker(int index)
        {
            var thread = new Thread(Loop) { IsBackground = true, Name = $"fmnist-neural-{index + 1}" };
            thread.Start();
        }

        public void Post(Job job)
        {
            Volatile.Write(ref _job, job);
            _wake.Set();
        }

        private void Loop()
        {
            t_inRegion = true; // regions opened from inside a slice run inline
            while (true)
            {
                _wake.Wait();
                _wake.Reset();
                // A late wake-up may see a newer job than the one it was woken for: it simply helps with that one.
                Volatile.Read(ref _job)?.Work();
            }
        }
    }
}
