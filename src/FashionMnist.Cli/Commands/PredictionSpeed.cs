using System.Diagnostics;

namespace FashionMnist.Cli.Commands;

/// <summary>Times repeated prediction passes over a set of images (evaluate --repeat).</summary>
internal static class PredictionSpeed
{
    /// <summary>Median wall seconds of <paramref name="passes"/> passes of <paramref name="model"/> over <paramref name="images"/>, writing into <paramref name="probabilities"/>.</summary>
    public static double MedianSeconds(IClassifier model, ImageSet images, float[] probabilities, int passes)
    {
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
