using System.Diagnostics;
using FashionMnist.Data;

namespace FashionMnist.Bench.Suites;

/// <summary>Loading all 70,000 images (train + test) from the Debian .gz files into memory.</summary>
public sealed class DataSuite : IBenchSuite
{
    public string Name => "data";

    public string Description => "Load all 70,000 Fashion-MNIST images from the .gz idx files (FashionMnistData.Load).";

    public sealed record LoadResult(string What, string Directory, int Images, double? FirstLoadMs, double MedianMs, double MinMs, double MaxMs, int Runs);

    public IReadOnlyList<object> Run(BenchContext context)
    {
        // The first load in the process includes JIT and first-touch costs: report it apart from the median.
        // Each later load is "cold-ish": fresh arrays, files in the OS page cache.
        var watch = Stopwatch.StartNew();
        FashionMnistData first = FashionMnistData.Load();
        double firstMs = watch.Elapsed.TotalMilliseconds;
        int images = first.Train.Count + first.Test.Count;
        first = null!;

        var samples = new double[context.Runs];
        for (int r = 0; r < samples.Length; r++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
            watch.Restart();
            FashionMnistData data = FashionMnistData.Load();
            samples[r] = watch.Elapsed.TotalMilliseconds;
            if (data.Train.Count + data.Test.Count != images) throw new InvalidOperationException("Image count changed between loads.");
        }
        Array.Sort(samples);
        context.Log.WriteLine($"  data: {images} images, first {firstMs:F0} ms, median {Measure.Median(samples):F0} ms");
        var load = new LoadResult("load", FashionMnistData.Load().Directory, images, Measure.Round(firstMs, 1),
            Measure.Round(Measure.Median(samples), 1), Measure.Round(samples[0], 1), Measure.Round(samples[^1], 1), samples.Length);

        // Also what most models need: the training set as floats in [0, 1] (allocation-heavy: 188 MB).
        var toFloats = Measure.Time(() => FashionMnistData.Load().Train.ToFloats(), context.Runs, minRunMs: 0, warmups: 1);
        context.Log.WriteLine($"  data: load + train ToFloats median {toFloats.MedianMs:F0} ms");
        var floats = new LoadResult("load+train-to-floats", load.Directory, images, null,
            Measure.Round(toFloats.MedianMs, 1), Measure.Round(toFloats.MinMs, 1), Measure.Round(toFloats.MaxMs, 1), toFloats.Runs);
        return [load, floats];
    }
}
