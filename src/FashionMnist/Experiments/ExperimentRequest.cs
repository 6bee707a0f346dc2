using FashionMnist.Data;
using FashionMnist.Models;

namespace FashionMnist.Experiments;

/// <summary>
/// One unit of experimental work for <see cref="ExperimentRunner"/>: which model (its whole options), on which data,
/// and where the result goes. `fmnist train`, the refit of `fmnist search`, every model of `fmnist compare` and every
/// refit unit of a distributed study are one request each.
/// </summary>
public sealed record ExperimentRequest
{
    /// <summary>The whole model: a catalog model's options record, preprocessing included.</summary>
    public required ModelOptions Options { get; init; }

    /// <summary>The model that takes <see cref="Options"/>; null finds it in the catalog by the options' type.</summary>
    public ModelDescriptor? Descriptor { get; init; }

    public required ImageSet Train { get; init; }

    /// <summary>Labelled images the fitted model is evaluated on.</summary>
    public required ImageSet Test { get; init; }

    /// <summary>Seed for every random choice of the fit.</summary>
    public int Seed { get; init; } = 42;

    /// <summary>The name a comparison shows ("knn+hog"); null means the catalog name.</summary>
    public string? Label { get; init; }

    /// <summary>Model file to write (atomically) after the evaluation; null saves nothing.</summary>
    public string? SavePath { get; init; }

    /// <summary>Checkpoint file for models that learn in epochs (<see cref="ICheckpointable"/>); null for none.</summary>
    public string? CheckpointPath { get; init; }

    /// <summary>Continue from <see cref="CheckpointPath"/> if it exists.</summary>
    public bool Resume { get; init; }

    /// <summary>Also measure accuracy on the first N training images (overfitting gap); 0 skips it.</summary>
    public int TrainAccuracySample { get; init; }

    /// <summary>How the run is recorded: "train" for a fit, "evaluate" for a saved model scored again.</summary>
    public string Kind { get; init; } = "train";

    /// <summary>The search, compare or study run this one belongs to.</summary>
    public Guid? ParentId { get; init; }

    /// <summary>The command line, for the record.</summary>
    public string Command { get; init; } = "";

    /// <summary>Extra facts for the model file's metadata and the run's notes (e.g. the search that chose the options).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; init; } = new Dictionary<string, string>();
}
