using System.Diagnostics;
using System.Globalization;
using FashionMnist.Data;
using FashionMnist.Interop;
using FashionMnist.Models;
using FashionMnist.Neural;
using FashionMnist.Numerics;

namespace FashionMnist.Bench.Neural;

/// <summary>One timed training run, scaled to a 60,000-image epoch.</summary>
/// <param name="Method">"full-epoch": the trainer over all 60,000 images; "slice-extrapolated": the old <c>neural</c>
/// suite's method (a warm-up fit on 1,280 images, then a fit on 12,800, times 60,000 / 12,800).</param>
/// <param name="FloorSeconds">The epoch's FLOPs at the measured FMA peak of <paramref name="Threads"/> cores.</param>
public sealed record EpochRunRecord(string Model, string Method, int Threads, int Repetition, int Images,
    double WallSeconds, double CpuSeconds, double EpochWallSeconds, double EpochCpuSeconds, double FloorSeconds);

/// <summary>Where a full epoch's time went, per step (batch 128), averaged over the full-epoch repetitions.</summary>
/// <param name="Phase">A loop phase (shuffle, data, loss, optimizer, progress, other) or "LAYER forward|backward".</param>
/// <param name="WallMsPerStep">Wall milliseconds per training step.</param>
/// <param name="CpuMsPerStep">Process CPU milliseconds (all threads) per step.</param>
/// <param name="FloorMsPerStep">The phase's multiply-adds at the measured FMA peak on <paramref name="Threads"/> cores (0: no multiply-adds).</param>
/// <param name="Share">Fraction of the epoch's wall time.</param>
public sealed record EpochPhaseRecord(string Model, int Threads, string Phase, double WallMsPerStep, double CpuMsPerStep,
    double FloorMsPerStep, double GflopsPerSecond, double Share);

/// <summary>The machine's FP32 FMA peak and the network's FLOPs that the floors above come from.</summary>
public sealed record FlopFloorRecord(string Model, double PeakGflopsPerCore, double TrainingFlopsPerImage, double EpochTeraflops,
    double InferenceFlopsPerImage);

/// <summary>
/// Explains what a training epoch costs (issue 14): real 60,000-image epochs through the trainer with a per-phase,
/// per-layer profile (<see cref="TrainingProfile"/>), beside the old suite's 12,800-image extrapolation, interleaved
/// repetition by repetition, on 1 thread and on all. The networks are the custom specs in bench/specs (equal to the
/// zoo's and to the PyTorch peers'), trained as the peers are: batch 128, Adam 1e-3, no augmentation, no validation.
/// FMNIST_NEURAL_MODELS (default cnn3) and FMNIST_EPOCH_THREADS (default "1,N") narrow it.
/// </summary>
public sealed class NeuralEpochSuite : IBenchSuite
{
    public string Name => "neural-epoch";

    public string Description => "Full 60k-image training epochs (custom specs = zoo nets, batch 128, Adam) with a per-layer/phase profile vs the FLOP floor, beside the 12,800-image extrapolation.";

    public IReadOnlyList<object> Run(BenchContext context)
    {
        string[] models = List("FMNIST_NEURAL_MODELS", ["cnn3"]);
        int[] threads = List("FMNIST_EPOCH_THREADS", context.Threads == 1 ? ["1"] : ["1", context.Threads.ToString(CultureInfo.InvariantCulture)])
            .Select(t => int.Parse(t, CultureInfo.InvariantCulture)).ToArray();
        int repetitions = context.Quick ? 1 : 2;
        var data = FashionMnistData.Load();
        ImageSet train = context.Quick ? data.Train.Take(12_800) : data.Train;
        double peak = NetworkFlops.MeasurePeakGflopsPerCore();
        context.Log.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  FP32 FMA peak: {peak:F1} GFLOP/s per core (thread CPU time)"));
        var records = new List<object>();
        int saved = ComputeThreads.Count;
        try
        {
            foreach (string model in models)
            {
                string spec = SpecPath(model);
                Sequential probe = ArchitectureSpec.Load(spec).Build(1);
                double trainFlops = NetworkFlops.TrainingPerImage(probe);
                records.Add(new FlopFloorRecord(model, Measure.Round(peak, 1), trainFlops, Measure.Round(trainFlops * 60_000 / 1e12),
                    NetworkFlops.InferencePerImage(probe)));
                foreach (int t in threads)
                {
                    ComputeThreads.Count = t;
                    double floor = trainFlops * 60_000 / (peak * 1e9 * t);
                    var profiles = new List<TrainingProfile>();
                    for (int rep = 1; rep <= repetitions; rep++)
                    {
                        records.Add(Slice(model, spec, data.Train, t, rep, floor, context.Log));
                        var (record, profile) = Full(model, spec, train, t, rep, floor, context.Log);
                        records.Add(record);
                        profiles.Add(profile);
                    }
                    records.AddRange(Phases(model, t, probe, profiles, peak, context.Log));
                }
            }
        }
        finally
        {
            ComputeThreads.Count = saved;
        }
        return records;
    }

    internal static string SpecPath(string model)
    {
        string path = Path.Combine("bench", "specs", model + ".yaml");
        if (!File.Exists(path))
            throw new FashionMnistException($"No spec file {path} for '{model}'", "Run from the repository root (bench/run.sh does) with mlp, cnn1 or cnn3.");
        return path;
    }

    internal static IClassifier Create(string spec) => ModelCatalog.Create("custom", new Dictionary<string, string>
    {
        ["spec"] = spec, ["epochs"] = "1", ["batch-size"] = "128", ["optimizer"] = "adam", ["learning-rate"] = "0.001",
        ["validation-fraction"] = "0", ["augment"] = "false",
    });

    private static EpochRunRecord Slice(string model, string spec, ImageSet train, int threads, int rep, double floor, TextWriter log)
    {
        Create(spec).Fit(train.Take(1_280), new FitContext { Seed = 1 });
        ImageSet slice = train.Take(12_800);
        var (wall, cpu) = Timed(() => Create(spec).Fit(slice, new FitContext { Seed = 1 }));
        return Report(new EpochRunRecord(model, "slice-extrapolated", threads, rep, slice.Count, wall, cpu,
            wall * 60_000 / slice.Count, cpu * 60_000 / slice.Count, floor), log);
    }

    private static (EpochRunRecord, TrainingProfile) Full(string model, string spec, ImageSet train, int threads, int rep, double floor, TextWriter log)
    {
        var profile = new TrainingProfile();
        NeuralTrainer.Profile = profile;
        try
        {
            var (wall, cpu) = Timed(() => Create(spec).Fit(train, new FitContext { Seed = 1 }));
            return (Report(new EpochRunRecord(model, "full-epoch", threads, rep, train.Count, wall, cpu,
                wall * 60_000 / train.Count, cpu * 60_000 / train.Count, floor), log), profile);
        }
        finally
        {
            NeuralTrainer.Profile = null;
        }
    }

    private static (double Wall, double Cpu) Timed(Action action)
    {
        GC.Collect();
        double cpu = CpuClock.ProcessMs();
        var clock = Stopwatch.StartNew();
        action();
        return (Measure.Round(clock.Elapsed.TotalSeconds), Measure.Round((CpuClock.ProcessMs() - cpu) / 1000));
    }

    private static EpochRunRecord Report(EpochRunRecord r, TextWriter log)
    {
        log.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  {r.Model} {r.Method,-18} threads {r.Threads} rep {r.Repetition}: {r.Images} images in {r.WallSeconds:F2} s ({r.CpuSeconds:F2} CPU-s) = epoch {r.EpochWallSeconds:F2} s ({r.EpochCpuSeconds:F2} CPU-s), floor {r.FloorSeconds:F2} s"));
        return r;
    }

    private static IEnumerable<EpochPhaseRecord> Phases(string model, int threads, Sequential probe, List<TrainingProfile> profiles, double peak, TextWriter log)
    {
        long steps = profiles.Sum(p => p.Steps);
        long images = profiles.Sum(p => p.Images);
        var sums = new Dictionary<string, (double Wall, double Cpu)>();
        var order = new List<string>();
        foreach (var profile in profiles)
            foreach (var (name, wall, cpu, _) in profile.Entries())
            {
                if (!sums.ContainsKey(name)) order.Add(name);
                sums[name] = sums.TryGetValue(name, out var s) ? (s.Wall + wall, s.Cpu + cpu) : (wall, cpu);
            }
        double total = sums.Values.Sum(v => v.Wall);
        double imagesPerStep = (double)images / steps;
        log.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {model}, {threads} thread(s), per step of {imagesPerStep:F0} images (wall ms / CPU ms / floor ms / GFLOP/s):"));
        foreach (string name in order)
        {
            var (wall, cpu) = sums[name];
            double flops = 0;
            if (char.IsDigit(name[0]))
            {
                int layer = int.Parse(name[..name.IndexOf(' ')], CultureInfo.InvariantCulture);
                var f = NetworkFlops.PerImage(probe, layer);
                flops = (name.EndsWith("forward", StringComparison.Ordinal) ? f.Forward : f.Backward) * imagesPerStep;
            }
            double wallPerStep = wall / steps;
            double floorMs = flops / (peak * 1e9 * threads) * 1e3;
            var record = new EpochPhaseRecord(model, threads, name, Measure.Round(wallPerStep), Measure.Round(cpu / steps),
                Measure.Round(floorMs), flops == 0 ? 0 : Measure.Round(flops / (wallPerStep * 1e6), 1), Measure.Round(wall / total));
            log.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"    {Short(name),-44} {record.WallMsPerStep,8:F3} {record.CpuMsPerStep,8:F3} {record.FloorMsPerStep,8:F3} {record.GflopsPerSecond,7:F1}  {record.Share,6:P1}"));
            yield return record;
        }
    }

    private static string Short(string name) => name.Length <= 44 ? name : name[..20] + "…" + name[^23..];

    private static string[] List(string variable, string[] fallback)
    {
        string? value = Environment.GetEnvironmentVariable(variable);
        return string.IsNullOrWhiteSpace(value) ? fallback : value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
    }
}
