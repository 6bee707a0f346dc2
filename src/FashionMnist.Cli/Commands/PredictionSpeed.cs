using System.Diagnostics;

namespace FashionMnist.Cli.Commands;

/// <summary>Times repeated prediction passes over a set of images (evaluate --repeat).</summary>
internal static class PredictionSpeed
{
    /// <summary>Warm-up passes run for at least this long before the timed ones (see <see cref="MedianSeconds"/>).</summary>
    internal static readonly TimeSpan WarmUp = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Median wall seconds of <paramref name="passes"/> passes of <paramref name="model"/> over <paramref name="images"/>,
    /// writing into <paramref name="probabilities"/>, after warm-up passes that last at least <see cref="WarmUp"/> (and
    /// at least one pass). Why a time and not a count: .NET recompiles a method with its profile (tier 1, dynamic PGO)
    /// after 30 calls and a 100 ms quiet period, in the background, so a fast model (the mlp: 17-30 ms per 10,000 images)
    /// would otherwise time its first five passes partly in unoptimised code: `evaluate --repeat 5` gave 345-352k img/s
    /// on a quiet machine where the same code warm gave 610k. Native peers (ONNX Runtime) have no such start.
    /// </summary>
    public static double MedianSeconds(IClassifier model, ImageSet images, float[] probabilities, int passes)
    {
        long warmStart = Stopwatch.GetTimestamp();
        do model.PredictProbabilities(images, probabilities);
        while (Stopwatch.GetElapsedTime(warmStart) < WarmUp);
        var seconds = new double[passes];
        for (int i = 0; i < passes; i++)
        {
            long start = Stopwatch.GetTimestamp();
            model.PredictProbabilities(images, probabilities);
            seconds[i] = Stopwatch.GetElapsedTime(start).TotalSeconds;
        }
        Array.Sort(seconds);
        return passes % 2 == 1 ? seconds[passes / 2] : 0.5 * (seconds[passes / 2 - 1] + seconds[passes / 2]);
    }
}
