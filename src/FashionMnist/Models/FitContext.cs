using FashionMnist.Data;

namespace FashionMnist.Models;

/// <summary>Everything a fit needs besides the training data and the options.</summary>
public sealed class FitContext
{
    /// <summary>Seed for every random choice of the fit (shuffles, bootstraps, initial weights).</summary>
    public int Seed { get; init; } = 42;

    /// <summary>Held-out images for early stopping and validation curves; null lets the model split its own if it needs one.</summary>
    public ImageSet? Validation { get; init; }

    /// <summary>Receives progress (batches, trees, rounds, candidates); the CLI draws it as a progress bar.</summary>
    public IProgress<FitProgress>? Progress { get; init; }

    /// <summary>One line of log per epoch or round (e.g. "round 10: valid mlogloss 0.31").</summary>
    public Action<string>? Log { get; init; }

    /// <summary>Cancels the fit: models check it between batches, trees or rounds and stop with <see cref="OperationCanceledException"/>.</summary>
    public CancellationToken Cancellation { get; init; }

    /// <summary>Where iterative models write a checkpoint after every epoch (atomically); null for none.</summary>
    public string? CheckpointPath { get; init; }

    /// <summary>Continue from <see cref="CheckpointPath"/> if it exists, ending as an uninterrupted run would.</summary>
    public bool Resume { get; init; }

    /// <summary>Seed 42, no validation set, no progress, no log, no checkpoint.</summary>
    public static FitContext Default { get; } = new();
}

/// <summary>A step of progress: <paramref name="Done"/> of <paramref name="Total"/> units of <paramref name="Stage"/>.</summary>
public readonly record struct FitProgress(string Stage, long Done, long Total, string? Detail = null);

/// <summary>Metrics after one epoch (neural) or round (boosting), kept for learning curves.</summary>
public sealed record EpochMetrics(
    int Epoch,
    double TrainLoss,
    double TrainAccuracy,
    double? ValidationLoss,
    double? ValidationAccuracy,
    double Seconds,
    double LearningRate = double.NaN);

/// <summary>The per-epoch curves of an iterative fit.</summary>
public sealed class TrainingHistory
{
    private readonly List<EpochMetrics> _epochs = [];

    /// <summary>One entry per epoch or round, in order.</summary>
    public IReadOnlyList<EpochMetrics> Epochs => _epochs;

    /// <summary>The epoch whose weights the model kept (best validation), or the last one.</summary>
    public int? BestEpoch { get; set; }

    /// <summary>Appends the metrics of the epoch or round just finished.</summary>
    public void Add(EpochMetrics metrics) => _epochs.Add(metrics);

    /// <summary>Forgets every epoch and the best one (a new fit starts).</summary>
    public void Clear()
    {
        _epochs.Clear();
        BestEpoch = null;
    }

    /// <summary>Writes the curves in the binary form <see cref="Read"/> reads (for a model's saved state).</summary>
    public void Write(BinaryWriter writer)
    {
        writer.Write(_epochs.Count);
        foreach (var e in _epochs)
        {
            writer.Write(e.Epoch);
            writer.Write(e.TrainLoss);
            writer.Write(e.TrainAccuracy);
            writer.Write(e.ValidationLoss ?? double.NaN);
            writer.Write(e.ValidationAccuracy ?? double.NaN);
            writer.Write(e.Seconds);
            writer.Write(e.LearningRate);
        }
        writer.Write(BestEpoch ?? -1);
    }

    /// <summary>Reads curves written by <see cref="Write"/>; throws <see cref="InvalidDataException"/> on implausible counts.</summary>
    public static TrainingHistory Read(BinaryReader reader)
    {
        var history = new TrainingHistory();
        int count = reader.ReadInt32();
        if (count < 0 || count > 1_000_000) throw new InvalidDataException($"Implausible epoch count {count}.");
        for (int i = 0; i < count; i++)
        {
            int epoch = reader.ReadInt32();
            double trainLoss = reader.ReadDouble(), trainAccuracy = reader.ReadDouble();
            double validationLoss = reader.ReadDouble(), validationAccuracy = reader.ReadDouble();
            double seconds = reader.ReadDouble(), learningRate = reader.ReadDouble();
            history.Add(new EpochMetrics(epoch, trainLoss, trainAccuracy,
                double.IsNaN(validationLoss) ? null : validationLoss,
                double.IsNaN(validationAccuracy) ? null : validationAccuracy,
                seconds, learningRate));
        }
        int best = reader.ReadInt32();
        history.BestEpoch = best < 0 ? null : best;
        return history;
    }
}
