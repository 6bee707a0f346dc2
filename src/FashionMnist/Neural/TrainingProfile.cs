using FashionMnist.Interop;

namespace FashionMnist.Neural;

/// <summary>
/// Where a training run's time goes: wall and process-CPU time per phase of the loop (shuffle, batch assembly,
/// each layer's forward and backward, loss, optimiser, progress, validation, checkpoint). A lap timer: each mark
/// charges the time since the previous mark to one slot, so the slots add up to the whole run. Switched on for
/// one training run by <see cref="NeuralTrainer.Profile"/> (the bench's <c>neural-epoch</c> suite); off, the
/// trainer pays one null check per phase.
/// </summary>
internal sealed class TrainingProfile : ILayerObserver
{
    public enum Phase { Shuffle, Data, Loss, Optimizer, Progress, Validation, Checkpoint, Other }

    private static readonly int PhaseCount = Enum.GetValues<Phase>().Length;
    private double[] _wall = [], _cpu = [];
    private long[] _calls = [];
    private long _lastTicks;
    private double _lastCpu;

    /// <summary>The network's layers as described when the run started (one forward and one backward slot each).</summary>
    public IReadOnlyList<string> Layers { get; private set; } = [];

    /// <summary>Training steps and images seen while the profile was on.</summary>
    public long Steps { get; internal set; }
    public long Images { get; internal set; }

    internal void Start(Sequential network)
    {
        Layers = network.Layers.Select(l => l.ToString()).ToArray();
        int slots = PhaseCount + 2 * Layers.Count;
        _wall = new double[slots];
        _cpu = new double[slots];
        _calls = new long[slots];
        network.Observer = this;
        Restart();
    }

    internal void Stop(Sequential network)
    {
        Mark(Phase.Other);
        if (ReferenceEquals(network.Observer, this)) network.Observer = null;
    }

    /// <summary>Starts a new lap without charging the time since the last mark to anything.</summary>
    internal void Restart()
    {
        _lastTicks = Stopwatch.GetTimestamp();
        _lastCpu = CpuClock.ProcessMs();
    }

    /// <summary>Charges the time since the last mark to <paramref name="phase"/>.</summary>
    internal void Mark(Phase phase) => Charge((int)phase);

    void ILayerObserver.Begin(int layer, bool backward) => Mark(Phase.Other);

    void ILayerObserver.End(int layer, bool backward) => Charge(PhaseCount + 2 * layer + (backward ? 1 : 0));

    private void Charge(int slot)
    {
        long ticks = Stopwatch.GetTimestamp();
        double cpu = CpuClock.ProcessMs();
        _wall[slot] += (ticks - _lastTicks) * 1000.0 / Stopwatch.Frequency;
        _cpu[slot] += cpu - _lastCpu;
        _calls[slot]++;
        _lastTicks = ticks;
        _lastCpu = cpu;
    }

    /// <summary>One line per phase and per layer pass that took any time: (name, wall ms, process-CPU ms, calls).</summary>
    public IReadOnlyList<(string Name, double WallMs, double CpuMs, long Calls)> Entries()
    {
        var entries = new List<(string, double, double, long)>();
        for (int p = 0; p < PhaseCount; p++)
            if (_calls[p] > 0) entries.Add((((Phase)p).ToString().ToLowerInvariant(), _wall[p], _cpu[p], _calls[p]));
        for (int i = 0; i < Layers.Count; i++)
            for (int pass = 0; pass < 2; pass++)
            {
                int slot = PhaseCount + 2 * i + pass;
                if (_calls[slot] > 0) entries.Add(($"{i} {Layers[i]} {(pass == 0 ? "forward" : "backward")}", _wall[slot], _cpu[slot], _calls[slot]));
            }
        return entries;
    }
}
