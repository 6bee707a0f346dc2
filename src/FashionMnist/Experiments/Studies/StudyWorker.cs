using System.Text.Json;
using FashionMnist.Evaluation;
using FashionMnist.Evaluation.Reports;
using FashionMnist.Experiments.Comparison;

namespace FashionMnist.Experiments.Studies;

/// <summary>How a worker takes part in a study.</summary>
public sealed record StudyWorkerOptions
{
    /// <summary>A claim whose heartbeat is older than this is free again (its worker is presumed dead). Heartbeats go every quarter of it.</summary>
    public TimeSpan ClaimTimeout { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>How long to wait before looking again when every claimable unit is held by other workers.</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Static shard (i of n): only units with sequence number ≡ i - 1 (mod n); null claims any unit.</summary>
    public (int Number, int Count)? Shard { get; init; }

    /// <summary>Stop after this many units (tests, and "just a few units on this machine").</summary>
    public int? MaxUnits { get; init; }

    /// <summary>Lines about claims, waits and finished units.</summary>
    public Action<string>? Log { get; init; }
    /// <summary>Stops the worker between units and the running unit's fit.</summary>
    public CancellationToken Cancellation { get; init; }
}

/// <summary>What one worker did, and where the study stands after it.</summary>
/// <param name="Ran">Units this worker finished.</param>
/// <param name="Failed">Units that threw here (recorded as failed).</param>
/// <param name="Lost">Units whose claim another worker took over before this one finished (result discarded).</param>
/// <param name="Progress">The study's unit counts when the worker stopped.</param>
/// <param name="WaitingForOtherShards">A static shard stopped with units left that need other shards' units first.</param>
public sealed record WorkerSummary(int Ran, int Failed, int Lost, StudyProgress Progress, bool WaitingForOtherShards);

/// <summary>
/// A study worker: registers the plan in the store, then claims, runs and records units until the study is finished
/// (or, for a static shard, until its own share is), renewing a heartbeat while each unit runs. Rerunning the same
/// command continues the study: done units are never run again, units of dead workers are.
/// </summary>
internal sealed class StudyWorker(ExperimentStore store, StudyPlan plan, IUnitExecutor executor, StudyWorkerOptions options)
{
    private static readonly JsonSerializerOptions s_json = new() { WriteIndented = false };
    private readonly UnitQueue _queue = new(store, plan.Name);

    public WorkerIdentity Identity { get; } = WorkerIdentity.Current();

    /// <summary>The compare run that stands for the whole study in `fmnist runs list` (one id per study name, on every worker).</summary>
    public static Guid CompareRunId(string study) =>
        new(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes("fmnist-study:" + study)).AsSpan(0, 16));

    /// <summary>Registers the study (idempotent) with what the report needs to know about it.</summary>
    public void Register(IReadOnlyList<SkippedModel> skipped)
    {
        _queue.Register(plan, StudySpec.From(plan, skipped).ToJson());
        Guid id = CompareRunId(plan.Name);
        if (store.Retry("reading the study's run", () => store.TryGetStatus(id)) is null)
            store.Begin(new RunRecord
            {
                Id = id, Kind = "compare", Command = plan.Request.Command, Seed = plan.Request.Seed, Preprocessing = "per model",
                DataSlice = "study " + plan.Name,
                Options = new Dictionary<string, string> { ["profile"] = plan.Request.Profile.Name, ["study"] = plan.Name, ["models"] = string.Join(",", plan.Entries.Select(e => e.Name)) },
            });
    }

    public WorkerSummary Run()
    {
        int ran = 0, failed = 0, lost = 0;
        while (true)
        {
            options.Cancellation.ThrowIfCancellationRequested();
            if (options.MaxUnits is int max && ran + failed + lost >= max) return new WorkerSummary(ran, failed, lost, _queue.Progress(), false);
            var claim = _queue.Claim(Identity, options.ClaimTimeout, options.Shard);
            if (claim is null)
            {
                var progress = _queue.Progress();
                if (progress.Finished) return new WorkerSummary(ran, failed, lost, progress, false);
                if (progress.Claimed == 0)
                    // Nothing claimable for us and nobody at work: the rest needs units of other shards (or has failed).
                    return new WorkerSummary(ran, failed, lost, progress, options.Shard is { Count: > 1 });
                options.Log?.Invoke($"waiting: {progress.Claimed} unit(s) in progress elsewhere, {progress.Pending} waiting for them");
                if (options.Cancellation.WaitHandle.WaitOne(options.PollInterval)) options.Cancellation.ThrowIfCancellationRequested();
                continue;
            }
            switch (RunClaimed(claim))
            {
                case Outcome.Done: ran++; break;
                case Outcome.Failed: failed++; break;
                default: lost++; break;
            }
        }
    }

    private enum Outcome { Done, Failed, Lost }

    private Outcome RunClaimed(UnitClaim claim)
    {
        var unit = claim.Unit;
        var entry = plan.Entry(unit.Entry);
        options.Log?.Invoke($"{unit.Key}: claimed (try {claim.Attempt.ToString(CultureInfo.InvariantCulture)})");
        using var heartbeat = new Heartbeat(store.Location, plan.Name, claim, options.ClaimTimeout / 4, options.Cancellation);
        var clock = Stopwatch.StartNew();
        try
        {
            SearchSummary? search = null;
            if (unit.Kind == UnitKind.Refit && entry.Search is not null)
                search = StudyResults.Search(entry, _queue.Units())
                         ?? throw new FashionMnistException($"No candidate of {entry.Name}'s search finished all its folds", "See the failed units' errors (fmnist report lists them).");
            var result = executor.Run(unit, new UnitInputs(entry, plan.Request, search), heartbeat.Token);
            double seconds = clock.Elapsed.TotalSeconds;
            bool recorded = unit.Kind == UnitKind.Cv
                ? _queue.Complete(claim, Identity, StudyResults.ToJson(result.Fold ?? throw new InvalidOperationException("a cross-validation unit returned no fold score")), seconds, null)
                : CompleteRefit(claim, entry, result.Model ?? throw new InvalidOperationException("a refit unit returned no model result"), search, seconds, result.TestProbabilities);
            if (!recorded)
            {
                options.Log?.Invoke($"{unit.Key}: another worker took this unit over (this one's heartbeat was late): result discarded");
                return Outcome.Lost;
            }
            options.Log?.Invoke($"{unit.Key}: done in {seconds.ToString("0.0", CultureInfo.InvariantCulture)} s" +
                                (result.Fold is FoldScore f ? $", fold accuracy {f.Accuracy.ToString("0.0000", CultureInfo.InvariantCulture)}" : ""));
            return Outcome.Done;
        }
        catch (OperationCanceledException) when (heartbeat.Lost && !options.Cancellation.IsCancellationRequested)
        {
            options.Log?.Invoke($"{unit.Key}: another worker took this unit over: stopped it here");
            return Outcome.Lost;
        }
        catch (OperationCanceledException)
        {
            _queue.Release(claim);
            throw;
        }
        catch (FashionMnistException e) when (e.InnerException is not null && store.Backend.IsTransient(e.InnerException))
        {
            throw; // the store is gone for good: the claim's heartbeat will stop and another worker (or a rerun) takes the unit
        }
        catch (Exception e)
        {
            string reason = e is FashionMnistException known ? known.Message : $"{e.GetType().Name}: {e.Message}";
            _queue.Fail(claim, reason, clock.Elapsed.TotalSeconds);
            options.Log?.Invoke($"{unit.Key}: failed: {reason}");
            return Outcome.Failed;
        }
    }

    /// <summary>The refit's result, its train run (and search run) and the unit's status, in one transaction.</summary>
    private bool CompleteRefit(UnitClaim claim, ProfileEntry entry, ModelResult model, SearchSummary? search, double seconds, float[]? probabilities)
    {
        Guid parent = CompareRunId(plan.Name);
        var environment = RunEnvironment.Current();
        var notes = new Dictionary<string, string> { ["label"] = entry.Name, ["study"] = plan.Name, ["unit"] = claim.Unit.Key, ["worker"] = Identity.Describe() };
        RunRecord? searchRun = search is null ? null : new RunRecord
        {
            Kind = "search", Model = model.CatalogModel ?? entry.Model, ParentId = parent, Command = plan.Request.Command, Seed = plan.Request.Seed,
            Status = RunStatus.Complete, Environment = environment, FinishedUtc = DateTimeOffset.UtcNow, FitSeconds = search.Seconds,
            FoldScores = search.Results.OrderByDescending(c => c.MeanAccuracy).ThenBy(c => c.Index).FirstOrDefault()?.FoldAccuracies ?? [],
            Options = new Dictionary<string, string>(entry.Settings) { ["grid"] = search.Grid, ["cv"] = search.Folds.ToString(CultureInfo.InvariantCulture) },
            DataSlice = $"train[0:{search.TrainImages}] ({search.Folds}-fold CV)", Preprocessing = model.Pipeline ?? "none",
            Metrics = new Dictionary<string, double> { ["cv_accuracy"] = search.MeanAccuracy, ["cv_accuracy_std"] = search.StdAccuracy, ["candidates"] = search.Candidates },
            Notes = new Dictionary<string, string>(notes) { ["best"] = string.Join(" ", search.Best.Select(kv => $"{kv.Key}={kv.Value}")) },
        };
        model = model with { Search = search is null ? null : search with { RunId = searchRun!.Id }, Worker = Identity };
        var metrics = new Dictionary<string, double>
        {
            ["accuracy"] = model.TestAccuracy, ["macro_f1"] = model.MacroF1, ["model_size_bytes"] = model.ModelSizeBytes,
            ["predict_seconds_per_10k"] = model.PredictSecondsPer10k,
        };
        void Put(string name, double? value) { if (value is double v) metrics[name] = v; }
        Put("top2_accuracy", model.TopTwoAccuracy);
        Put("log_loss", model.LogLoss);
        Put("ece", model.ExpectedCalibrationError);
        Put("train_accuracy", model.TrainAccuracy);
        Put("overfitting_gap", model.OverfittingGap);
        Put("validation_accuracy", model.ValidationAccuracy);
        Put("fit_cpu_seconds", model.TrainCpuSeconds);
        var run = new RunRecord
        {
            Kind = "train", Model = model.CatalogModel ?? entry.Model, ParentId = parent, Command = plan.Request.Command, Seed = plan.Request.Seed,
            Status = RunStatus.Complete, Options = model.Parameters, Preprocessing = model.Pipeline ?? "none",
            DataSlice = $"train[0:{model.TrainImages}] test[0:{model.TestImages}]", FinishedUtc = DateTimeOffset.UtcNow,
            StartedUtc = DateTimeOffset.UtcNow - TimeSpan.FromSeconds(seconds), FitSeconds = model.TrainSeconds,
            PredictSeconds = model.PredictSecondsPer10k * model.TestImages / 10_000, Metrics = metrics, PerClass = model.PerClass,
            Confusion = model.Confusion, Epochs = model.Epochs, Environment = environment, Notes = notes,
        };
        model = model with { RunId = run.Id };
        string json = EnsembleRow.ToStoredJson(model, probabilities);
        return _queue.Complete(claim, Identity, json, seconds, run.Id, transaction =>
        {
            if (searchRun is not null) store.WriteRun(searchRun, transaction);
            store.WriteRun(run, transaction);
        });
    }

    /// <summary>
    /// Renews a claim's heartbeat on its own connection every <c>interval</c> while the unit runs; if the claim turns out
    /// to be someone else's, it cancels the unit (<see cref="Token"/>) so no more CPU goes into a result that would be discarded.
    /// A store that cannot be reached is tried again at the next beat: the claim may time out meanwhile, which is safe.
    /// </summary>
    private sealed class Heartbeat : IDisposable
    {
        private readonly CancellationTokenSource _stop;
        private readonly Thread _thread;
        private volatile bool _lost;

        public Heartbeat(Storage.StoreLocation location, string study, UnitClaim claim, TimeSpan interval, CancellationToken outer)
        {
            _stop = CancellationTokenSource.CreateLinkedTokenSource(outer);
            var stop = new CancellationTokenSource();
            _done = stop;
            _thread = new Thread(() =>
            {
                ExperimentStore? own = null;
                try
                {
                    while (!stop.Token.WaitHandle.WaitOne(interval))
                    {
                        try
                        {
                            own ??= ExperimentStore.Open(location);
                            if (!new UnitQueue(own, study).Heartbeat(claim))
                            {
                                _lost = true;
                                _stop.Cancel();
                                return;
                            }
                        }
                        catch (Exception e) when (e is FashionMnistException or System.Data.Common.DbException or InvalidOperationException or IOException)
                        {
                            // A store that cannot be reached now: try again at the next beat. An exception escaping this
                            // thread would end the process, and the claim timing out meanwhile is safe.
                            try { own?.Dispose(); } catch (Exception e2) when (e2 is System.Data.Common.DbException or InvalidOperationException or IOException) { }
                            own = null;
                        }
                    }
                }
                finally { own?.Dispose(); }
            }) { IsBackground = true, Name = "study heartbeat" };
            _thread.Start();
        }

        private readonly CancellationTokenSource _done;

        public CancellationToken Token => _stop.Token;
        public bool Lost => _lost;

        public void Dispose()
        {
            _done.Cancel();
            _thread.Join();
            _done.Dispose();
            _stop.Dispose();
        }
    }
}
