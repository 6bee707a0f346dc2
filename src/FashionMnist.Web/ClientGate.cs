namespace FashionMnist.Web;

/// <summary>
/// Admits photos to decoding and classification: at most <c>slots</c> at once in all, at most <c>perClient</c> of one
/// client (remote address) at once, and at most <c>queuedPerClient</c> of one client waiting; more is refused (429).
/// A freed slot goes to the waiting client with the fewest photos in progress (the longest-waiting among equals), so
/// one client sending many photos cannot starve another that sends one. A lone client can use every slot.
/// </summary>
internal sealed class ClientGate(int slots, int perClient, int queuedPerClient)
{
    private sealed class Client
    {
        public int Active;
        public readonly Queue<TaskCompletionSource> Waiting = new();
    }

    private readonly Lock _lock = new();
    private readonly Dictionary<string, Client> _clients = [];
    private int _active;
    private long _turn;
    private readonly Dictionary<TaskCompletionSource, long> _arrival = [];

    /// <summary>A held slot (dispose to release), or null when the client already has too many waiting.</summary>
    public async Task<IDisposable?> EnterAsync(string client, CancellationToken cancellation)
    {
        TaskCompletionSource waiter;
        lock (_lock)
        {
            Client c = Get(client);
            if (c.Waiting.Count == 0 && c.Active < perClient && _active < slots)
            {
                c.Active++;
                _active++;
                return new Lease(this, client);
            }
            if (c.Waiting.Count >= queuedPerClient) { Forget(client, c); return null; }
            waiter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            c.Waiting.Enqueue(waiter);
            _arrival[waiter] = _turn++;
        }
        using (cancellation.Register(() => Cancel(client, waiter)))
            await waiter.Task; // throws OperationCanceledException when cancelled
        return new Lease(this, client);
    }

    private void Cancel(string client, TaskCompletionSource waiter)
    {
        lock (_lock)
        {
            if (!_clients.TryGetValue(client, out Client? c) || !c.Waiting.Contains(waiter)) return; // already admitted
            var rest = c.Waiting.Where(w => w != waiter).ToList();
            c.Waiting.Clear();
            foreach (var w in rest) c.Waiting.Enqueue(w);
            _arrival.Remove(waiter);
            Forget(client, c);
        }
        waiter.TrySetCanceled();
    }

    private void Release(string client)
    {
        TaskCompletionSource? next = null;
        lock (_lock)
        {
            Client c = _clients[client];
            c.Active--;
            _active--;
            Forget(client, c);
            // The waiting client with the fewest in progress, then the earliest arrival.
            Client? best = null;
            long bestArrival = long.MaxValue;
            foreach (Client candidate in _clients.Values)
            {
                if (candidate.Waiting.Count == 0 || candidate.Active >= perClient) continue;
                long arrival = _arrival[candidate.Waiting.Peek()];
                if (best is null || candidate.Active < best.Active || (candidate.Active == best.Active && arrival < bestArrival))
                {
                    best = candidate;
                    bestArrival = arrival;
                }
            }
            if (best is not null)
            {
                next = best.Waiting.Dequeue();
                _arrival.Remove(next);
                best.Active++;
                _active++;
            }
        }
        next?.TrySetResult();
    }

    private Client Get(string client)
    {
        if (!_clients.TryGetValue(client, out Client? c)) _clients[client] = c = new Client();
        return c;
    }

    private void Forget(string client, Client c)
    {
        if (c.Active == 0 && c.Waiting.Count == 0) _clients.Remove(client);
    }

    private sealed class Lease(ClientGate gate, string client) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0) gate.Release(client);
        }
    }
}
