using System.Diagnostics;
using FashionMnist.Classic;
using FashionMnist.Data;
using FashionMnist.Models;

namespace FashionMnist.Bench.Classic;

/// <summary>
/// One timed operation of the classic models. <paramref name="WallSeconds"/> is what a user waits;
/// <paramref name="CpuSeconds"/> is the CPU time of the whole process over the same interval (all threads), so on a
/// shared machine <paramref name="QuietEstimateSeconds"/> = min(wall, CPU / threads) estimates the wall time on
/// idle cores (the work is parallel on all threads; other processes' load inflates wall time, not our CPU time).
/// </summary>
public sealed record ClassicBenchRecord(
    string What,
    string Model,
    string Settings,
    int TrainRows,
    int Rows,
    int Threads,
    double WallSeconds,
    double CpuSeconds,
    double QuietEstimateSeconds,
    double? Accuracy,
    double[]? LoadAverage,
    Dictionary<string, object>? Details = null);

/// <summary>
/// The issue-3 measurements: KNN (L1, L2) predicting the whole test set, random forest and gradient boosting fit and
/// predict, HOG extraction for all 70,000 images, and PCA fits (784 -> 50 with both eigen-solvers; 1,296 HOG
/// features -> 50). Each big operation runs once (they take seconds to minutes) after a small warm-up on a few
/// hundred rows (JIT). --quick uses slices (10,000 training rows, 2,000 test rows, fewer trees/rounds).
/// Reference figures (scikit-learn 1.2 / xgboost 1.7 on this machine) are in docs/classic.md and docs/trees.md.
/// </summary>
public sealed class ClassicSuite : IBenchSuite
{
    public string Name => "classic";

    public string Description => "KNN L1/L2 test-set prediction, forest and boosting fit/predict, HOG of 70k images, PCA fits";

    public IReadOnlyList<object> Run(BenchContext context)
    {
        var data = FashionMnistData.Load();
        bool quick = context.Quick;
        ImageSet train = quick ? data.Train.Take(10_000) : data.Train;
        ImageSet test = quick ? data.Test.Take(2_000) : data.Test;
        var records = new List<object>();
        void Add(ClassicBenchRecord record)
        {
            records.Add(record);
            context.Log.WriteLine($"  {record.What,-16} {record.Model,-18} wall {record.WallSeconds,8:F2} s  cpu {record.CpuSeconds,8:F2} s  " +
                $"quiet~{record.QuietEstimateSeconds,7:F2} s" + (record.Accuracy is double a ? $"  accuracy {a:F4}" : ""));
        }

        foreach (string metric in new[] { "l1", "l2" })
            Add(Knn(metric, train, test, context.Threads));
        Add(Forest(train, test, quick ? 20 : 100, context.Threads, out var forestPredict));
        Add(forestPredict);
        Add(Boosting(train, test, quick ? 20 : null, context.Threads, out var boostingPredict));
        Add(boostingPredict);
        Add(Hog(quick ? data.Train.Take(10_000) : Concat(data.Train, data.Test), context.Threads));
        foreach (EigenSolver solver in new[] { EigenSolver.Lapack, EigenSolver.MathNet })
            Add(Pca(FeatureMatrix.FromImages(train), "pixels", solver, context.Threads));
        var hogFeatures = new HogTransform([4]).Transform(FeatureMatrix.FromImages(train));
        foreach (EigenSolver solver in quick ? new[] { EigenSolver.Lapack } : [EigenSolver.Lapack, EigenSolver.MathNet])
            Add(Pca(hogFeatures, "hog-cell-4", solver, context.Threads));
        return records;
    }

    private static ClassicBenchRecord Knn(string metric, ImageSet train, ImageSet test, int threads)
    {
        var settings = new Dictionary<string, string> { ["metric"] = metric };
        var model = ModelCatalog.Create("knn", settings);
        model.Fit(train, FitContext.Default);
        model.PredictProbabilities(test.Take(256)); // warm-up (JIT)
        var (accuracy, timing) = Timed(() => model.Score(test), threads);
        return Record("knn-predict", "knn", $"k=5 weights=distance metric={metric}", train.Count, test.Count, threads, timing, accuracy);
    }

    private static ClassicBenchRecord Forest(ImageSet train, ImageSet test, int trees, int threads, out ClassicBenchRecord predict)
    {
        var settings = new Dictionary<string, string> { ["trees"] = trees.ToString(System.Globalization.CultureInfo.InvariantCulture) };
        ModelCatalog.Create("random-forest", new Dictionary<string, string> { ["trees"] = "2" }).Fit(train.Take(500), FitContext.Default);
        var model = ModelCatalog.Create("random-forest", settings);
        var (_, fit) = Timed(() => { model.Fit(train, FitContext.Default); return 0.0; }, threads);
        var forest = (RandomForest)((Pipeline)model).Estimator;
        var (accuracy, timing) = Timed(() => model.Score(test), threads);
        var details = new Dictionary<string, object> { ["oob_score"] = forest.OobScore ?? double.NaN };
        predict = Record("forest-predict", "random-forest", $"trees={trees}", train.Count, test.Count, threads, timing, accuracy);
        return Record("forest-fit", "random-forest", $"trees={trees} (defaults otherwise: gini, sqrt, bootstrap, oob)", train.Count, train.Count,
            threads, fit, accuracy, details);
    }

    private static ClassicBenchRecord Boosting(ImageSet train, ImageSet test, int? rounds, int threads, out ClassicBenchRecord predict)
    {
        var settings = new Dictionary<string, string>();
        if (rounds is int r) settings["rounds"] = r.ToString(System.Globalization.CultureInfo.InvariantCulture);
        ModelCatalog.Create("gradient-boosting", new Dictionary<string, string> { ["rounds"] = "2" }).Fit(train.Take(500), FitContext.Default);
        var model = ModelCatalog.Create("gradient-boosting", settings);
        var (_, fit) = Timed(() => { model.Fit(train, FitContext.Default); return 0.0; }, threads);
        var boosting = (GradientBoosting)((Pipeline)model).Estimator;
        var (accuracy, timing) = Timed(() => model.Score(test), threads);
        string described = rounds is null ? "defaults (200 rounds, depth 6, lr 0.3, column-sample 0.5, no early stopping)" : $"rounds={rounds}";
        var details = new Dictionary<string, object>
        {
            ["rounds"] = boosting.RoundCount,
            ["train_accuracy_last_round"] = boosting.History.Epochs.Count > 0 ? boosting.History.Epochs[^1].TrainAccuracy : double.NaN,
        };
        predict = Record("boosting-predict", "gradient-boosting", described, train.Count, test.Count, threads, timing, accuracy);
        return Record("boosting-fit", "gradient-boosting", described, train.Count, train.Count, threads, fit, accuracy, details);
    }

    private static ClassicBenchRecord Hog(ImageSet images, int threads)
    {
        var hog = new HogTransform([4, 7]);
        hog.Transform(FeatureMatrix.FromImages(images.Take(512))); // warm-up
        var features = FeatureMatrix.FromImages(images);
        int columns = 0;
        var (_, timing) = Timed(() => { columns = hog.Transform(features).Columns; return 0.0; }, threads);
        return Record("hog", "hog", $"{hog.Describe()} -> {columns} features", 0, images.Count, threads, timing, null);
    }

    private static ClassicBenchRecord Pca(FeatureMatrix features, string input, EigenSolver solver, int threads)
    {
        new PcaTransform(components: 5) { Solver = solver }.FitTransform(FeatureMatrix.FromFloats(new float[64 * 16], 64, 16), FitContext.Default);
        var pca = new PcaTransform(components: 50) { Solver = solver };
        var (_, timing) = Timed(() => { pca.FitTransform(features, FitContext.Default); return 0.0; }, threads);
        var details = new Dictionary<string, object>
        {
            ["solver"] = solver.ToString().ToLowerInvariant(),
            ["input_columns"] = features.Columns,
            ["explained_variance_ratio_50"] = pca.ExplainedVarianceRatio.Take(50).Sum(),
        };
        return Record("pca-fit", "pca", $"{input} ({features.Columns}) -> 50, {solver}", features.Rows, features.Rows, threads, timing, null, details);
    }

    private static ImageSet Concat(ImageSet a, ImageSet b)
    {
        var pixels = new byte[a.Pixels.Length + b.Pixels.Length];
        a.Pixels.CopyTo(pixels, 0);
        b.Pixels.CopyTo(pixels, a.Pixels.Length);
        return ImageSet.Unlabeled(pixels);
    }

    private readonly record struct Timing(double Wall, double Cpu, double[]? Load);

    private static (double Result, Timing Timing) Timed(Func<double> action, int threads)
    {
        GC.Collect();
        double[]? load = MachineInfo.LoadAverage();
        var process = Process.GetCurrentProcess();
        TimeSpan cpuBefore = process.TotalProcessorTime;
        var clock = Stopwatch.StartNew();
        double result = action();
        double wall = clock.Elapsed.TotalSeconds;
        process.Refresh();
        return (result, new Timing(wall, (process.TotalProcessorTime - cpuBefore).TotalSeconds, load));
    }

    private static ClassicBenchRecord Record(string what, string model, string settings, int trainRows, int rows, int threads,
        Timing timing, double? accuracy, Dictionary<string, object>? details = null) =>
        new(what, model, settings, trainRows, rows, threads, Math.Round(timing.Wall, 3), Math.Round(timing.Cpu, 3),
            Math.Round(Math.Min(timing.Wall, timing.Cpu / threads), 3), accuracy is double a ? Math.Round(a, 4) : null, timing.Load, details);
}
