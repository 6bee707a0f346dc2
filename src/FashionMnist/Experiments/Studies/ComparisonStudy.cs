using FashionMnist.Data;
using FashionMnist.Evaluation;
using FashionMnist.Evaluation.Reports;
using FashionMnist.Experiments.Comparison;
using FashionMnist.Models;

namespace FashionMnist.Experiments.Studies;

/// <summary>What one worker's part of a comparison study came to.</summary>
public sealed record ComparisonOutcome
{
    internal ComparisonOutcome(StudyPlan plan, WorkerSummary summary, ComparisonReport? report) => (Plan, Summary, Report) = (plan, summary, report);

    /// <summary>The study (its name, units and entries).</summary>
    internal StudyPlan Plan { get; }

    /// <summary>The study's name in the store ("quick-3f2a…" unless <see cref="ComparisonStudy.Name"/> chose one).</summary>
    public string Study => Plan.Name;

    /// <summary>What this worker ran, and how far the whole study is.</summary>
    public WorkerSummary Summary { get; }

    /// <summary>The report, when the study is finished; null while other workers or shards still have units. <see cref="ReportWriter.Write"/> writes it out.</summary>
    public ComparisonReport? Report { get; }
}

/// <summary>
/// A comparison, run the one way fmnist runs comparisons: as a study of resumable units in an experiment store (one
/// unit per search candidate and fold, one refit per entry, each refit one <see cref="ExperimentRunner"/> unit). This
/// worker claims units until none is left for it; when the study is finished, the report is built from the store.
/// Run it again to continue a study; run it on several machines against one store to share one.
/// </summary>
public sealed class ComparisonStudy
{
    /// <summary>Where the units and runs are recorded (SQLite or PostgreSQL).</summary>
    public required ExperimentStore Store { get; init; }

    /// <summary>The study's name; null derives it from the request (so two different studies never mix).</summary>
    public string? Name { get; init; }

    /// <summary>Finds a model by name: the catalog by default; replaceable so a test can bring models that stay out of it.</summary>
    public Func<string, ModelDescriptor?> Resolve { get; init; } = name => ModelCatalog.TryGet(name, out var d) ? d : null;

    /// <summary>Claim timeout, polling, a static shard, a unit budget.</summary>
    public StudyWorkerOptions Worker { get; init; } = new();

    /// <summary>What each entry is doing ("training on 60,000 images", ...).</summary>
    public IProgress<CompareProgress>? Progress { get; init; }

    /// <summary>Per-epoch and per-round lines of the fits.</summary>
    public Action<string>? Log { get; init; }

    /// <summary>Stops the fits and the worker; finished units stay recorded, so running the study again continues it.</summary>
    public CancellationToken Cancellation { get; init; }

    /// <summary>Plans the study, registers it, runs this worker's units, and builds the report when the study is finished.</summary>
    public ComparisonOutcome Run(ComparisonRequest request, ImageSet train, ImageSet test)
    {
        var entries = request.Entries();
        if (entries.Count == 0) throw new FashionMnistException("No models to compare", "Pass --models a,b,c or use a profile that lists models.");
        var (runnable, skipped) = new ComparisonRunner { Resolve = Resolve }.Partition(entries);
        var plan = StudyPlan.Create(request, runnable.Select(r => r.Entry).ToList(), Name);

        var clock = Stopwatch.StartNew();
        double cpuAtStart = ProcessCpuSeconds();
        double? machineAtStart = MachineLoad.BusySeconds();
        var executor = new ComparisonUnitExecutor(train, test) { Resolve = Resolve, Log = Log, Progress = Progress };
        var worker = new StudyWorker(Store, plan, executor, Worker with { Cancellation = Cancellation });
        worker.Register(skipped);
        Worker.Log?.Invoke($"{plan} in {Store.Path}" + (Worker.Shard is { } shard ? $", shard {shard.Number}/{shard.Count}" : "") + $"; this worker: {worker.Identity.Describe()}");
        var summary = worker.Run();
        if (!summary.Progress.Finished) return new ComparisonOutcome(plan, summary, null);

        var report = StudyReport.Build(Store, plan.Name, () => test);
        // One process that ran the whole study measured its own wall time, CPU time and the machine's other load: keep them.
        if (summary.Ran == summary.Progress.Total)
        {
            double ownCpu = ProcessCpuSeconds() - cpuAtStart;
            report = report with
            {
                Run = report.Run with
                {
                    TotalSeconds = clock.Elapsed.TotalSeconds, CpuSeconds = ownCpu, LoadAverage = MachineLoad.LoadAverage(),
                    OtherCoresBusy = MachineLoad.OtherCoresBusy(machineAtStart, MachineLoad.BusySeconds(), ownCpu, clock.Elapsed.TotalSeconds),
                },
            };
        }
        Store.Complete(Store.Get(StudyWorker.CompareRunId(plan.Name).ToString()) with
        {
            Metrics = report.Models.ToDictionary(r => r.Name + ".accuracy", r => r.TestAccuracy),
            FitSeconds = report.Run.TotalSeconds,
            Notes = new Dictionary<string, string> { ["study"] = plan.Name, ["skipped"] = string.Join("; ", report.Skipped.Select(s => $"{s.Name}: {s.Reason}")) },
        });
        return new ComparisonOutcome(plan, summary, report);
    }

    private static double ProcessCpuSeconds()
    {
        using var self = Process.GetCurrentProcess();
        return self.TotalProcessorTime.TotalSeconds;
    }
}
