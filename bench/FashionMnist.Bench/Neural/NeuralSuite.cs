namespace FashionMnist.Bench.Neural;

/// <summary>The runner's view of <see cref="NeuralBenchSuite"/>: epoch time and inference speed of the zoo models.</summary>
public sealed class NeuralSuite : IBenchSuite
{
    public string Name => "neural";

    public string Description => "Zoo models (mlp, cnn1, cnn3, cnn4, cnn-deep): seconds per 60k-image epoch (wall and CPU) and inference img/s at batch 1000.";

    public IReadOnlyList<object> Run(BenchContext context)
    {
        // FMNIST_NEURAL_MODELS=mlp,cnn3 narrows the run (same variable as neural-profile).
        string? only = Environment.GetEnvironmentVariable("FMNIST_NEURAL_MODELS");
        var models = !string.IsNullOrWhiteSpace(only) ? only.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            : context.Quick ? new[] { "mlp", "cnn1" } : NeuralBenchSuite.DefaultModels;
        return NeuralBenchSuite.Run(models, context.Quick ? 2_560 : 12_800, context.Log.WriteLine).Cast<object>().ToList();
    }
}
