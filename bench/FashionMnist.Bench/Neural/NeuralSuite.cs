namespace FashionMnist.Bench.Neural;

/// <summary>The runner's view of <see cref="NeuralBenchSuite"/>: epoch time and inference speed of the zoo models.</summary>
public sealed class NeuralSuite : IBenchSuite
{
    public string Name => "neural";

    public string Description => "Zoo models (mlp, cnn1, cnn3, cnn4, cnn-deep): seconds per 60k-image epoch (wall and CPU) and inference img/s at batch 1000.";

    public IReadOnlyList<object> Run(BenchContext context)
    {
        var models = context.Quick ? new[] { "mlp", "cnn1" } : NeuralBenchSuite.DefaultModels;
        return NeuralBenchSuite.Run(models, context.Quick ? 2_560 : 12_800, context.Log.WriteLine).Cast<object>().ToList();
    }
}
