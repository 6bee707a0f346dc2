using System.Text.Json;
using FashionMnist.Evaluation;
using FashionMnist.Experiments;
using FashionMnist.Experiments.Studies;

namespace FashionMnist.Tests.Experiments;

/// <summary>
/// The claim protocol and study semantics, checked on one store (a SQLite file or a PostgreSQL database):
/// the same checks run on both engines (<see cref="SqliteStudyTests"/>, <see cref="PostgresStudyTests"/>).
/// </summary>
internal static class StudyContract
{
    private static readonly StudyWorkerOptions Quick = new() { ClaimTimeout = TimeSpan.FromSeconds(30), PollInterval = TimeSpan.FromMilliseconds(50) };

    /// <summary>A worker runs the plan to the end; the report holds each entry once with the hand-computed search.</summary>
    public static void A_study_runs_every_unit_once_and_reports_each_entry_once(string location)
    {
        var plan = StudyFixtures.Plan();
        Assert.Equal(3 * 2 + 1 + 1, plan.Units.Count);
        var executor = new FakeExecutor();
        using var store = ExperimentStore.Open(location);
        var worker = new StudyWorker(store, plan, executor, Quick);
        worker.Register([]);
        var summary = worker.Run();
        Assert.Equal((8, 0, 0), (summary.Ran, summary.Failed, summary.Lost));
        Assert.True(summary.Progress.Finished);
        Assert.Equal(plan.Units.Select(u => u.Key).Order(), executor.Ran.Order());
        // The refit of "tuned" ran after all its folds, with the winner a=2 (mean 0.91, population std 0.01).
        var order = executor.Ran.Reverse().ToList();
        Assert.True(order.IndexOf("tuned/refit") > order.FindLastIndex(k => k.StartsWith("tuned/cv/", StringComparison.Ordinal)));

        var report = StudyReport.Build(store, plan.Name);
        Assert.Equal(["plain", "tuned"], report.Models.Select(m => m.Name).Order());
        var tuned = report.Models.Single(m => m.Name == "tuned");
        Assert.Equal("2", tuned.Parameters["a"]);
        Assert.Equal("7", tuned.Parameters["b"]);
        Assert.Equal(0.91, tuned.Search!.MeanAccuracy, 12);
        Assert.Equal(0.01, tuned.Search.StdAccuracy, 12);
        Assert.Equal(3, tuned.Search.Results.Count);
        Assert.Equal([0.90, 0.92], tuned.Search.Results[1].FoldAccuracies);
        Assert.Equal(Environment.ProcessId, tuned.Worker!.ProcessId);
        Assert.Equal(plan.Name, report.Run.Study);

        // Runs: one train run per entry, one search run, all children of the study's compare run; nothing counted twice.
        var runs = store.List();
        Assert.Equal(2, runs.Count(r => r.Kind == "train"));
        Assert.Single(runs, r => r.Kind == "search");
        Assert.All(runs.Where(r => r.Kind != "compare"), r => Assert.Equal(StudyWorker.CompareRunId(plan.Name), r.ParentId));
        var searchRun = store.Get(runs.Single(r => r.Kind == "search").Id.ToString());
        Assert.Equal([0.90, 0.92], searchRun.FoldScores);

        // Rerunning the same command continues: nothing left, nothing runs again.
        var again = new FakeExecutor();
        var second = new StudyWorker(store, StudyFixtures.Plan(), again, Quick);
        second.Register([]);
        Assert.Equal(0, second.Run().Ran);
        Assert.Empty(again.Ran);
    }

    /// <summary>A stopped worker leaves done units done; the next one runs only the rest.</summary>
    public static void A_rerun_continues_where_the_last_worker_stopped(string location)
    {
        var plan = StudyFixtures.Plan();
        using var store = ExperimentStore.Open(location);
        var first = new FakeExecutor();
        var worker = new StudyWorker(store, plan, first, Quick with { MaxUnits = 3 });
        worker.Register([]);
        Assert.Equal(3, worker.Run().Ran);
        var second = new FakeExecutor();
        var rest = new StudyWorker(store, plan, second, Quick).Run();
        Assert.Equal(5, rest.Ran);
        Assert.Empty(first.Ran.Intersect(second.Ran));
        Assert.Equal(plan.Units.Count, first.Ran.Count + second.Ran.Count);
    }

    /// <summary>Claims in parallel from separate connections: every unit is handed out exactly once; refits wait for their folds.</summary>
    public static void Concurrent_claimers_never_take_the_same_unit(string location)
    {
        var plan = StudyFixtures.Plan(name: "concurrent");
        using (var store = ExperimentStore.Open(location)) new UnitQueue(store, plan.Name).Register(plan, "{}");
        var claimed = new System.Collections.Concurrent.ConcurrentBag<string>();
        Parallel.For(0, 4, new ParallelOptions { MaxDegreeOfParallelism = 4 }, i =>
        {
            using var store = ExperimentStore.Open(location);
            var queue = new UnitQueue(store, plan.Name);
            var me = WorkerIdentity.Current() with { KubernetesIndex = i };
            while (true)
            {
                var claim = queue.Claim(me, TimeSpan.FromMinutes(1));
                if (claim is null)
                {
                    if (queue.Progress().Finished) return;
                    Thread.Sleep(5);
                    continue;
                }
                if (claim.Unit.Kind == UnitKind.Refit && claim.Unit.Entry == "tuned")
                    Assert.Equal(6, queue.Units().Count(u => u.Unit.Entry == "tuned" && u.Status == UnitStatus.Done));
                claimed.Add(claim.Unit.Key);
                Assert.True(queue.Complete(claim, me, "{}", 0.01, null));
            }
        });
        Assert.Equal(plan.Units.Select(u => u.Key).Order(), claimed.Order());
    }

    /// <summary>
    /// A claim whose heartbeat is older than the timeout is free again; the worker that held it can neither renew nor
    /// finish it afterwards, so the unit is counted once, by the worker that took it over.
    /// </summary>
    public static void A_stale_claim_is_taken_over_and_its_first_holder_cannot_finish_it(string location)
    {
        var plan = StudyFixtures.Plan(name: "stale");
        using var store = ExperimentStore.Open(location);
        var queue = new UnitQueue(store, plan.Name);
        queue.Register(plan, "{}");
        var slow = WorkerIdentity.Current() with { Host = "other-host-a" };
        var fast = WorkerIdentity.Current() with { Host = "other-host-b" };
        var timeout = TimeSpan.FromMilliseconds(600);
        var first = queue.Claim(slow, timeout)!;
        Assert.True(queue.Heartbeat(first));
        var second = queue.Claim(fast, timeout)!;
        Assert.NotEqual(first.Unit.Key, second.Unit.Key); // a live claim is not handed out again
        Thread.Sleep(1000); // no heartbeats: both claims are now stale
        var takeover = queue.Claim(fast, timeout)!;
        Assert.Equal(first.Unit.Key, takeover.Unit.Key);
        Assert.Equal(2, takeover.Attempt);
        Assert.False(queue.Heartbeat(first));
        Assert.False(queue.Complete(first, slow, "{\"accuracy\":1}", 1, null, t => store.WriteRun(new RunRecord { Kind = "train", Model = "ghost" }, t)));
        Assert.DoesNotContain(store.List(), r => r.Model == "ghost"); // the refused completion wrote nothing at all
        Assert.True(queue.Complete(takeover, fast, "{}", 1, null));
        var state = queue.Units().Single(u => u.Unit.Key == first.Unit.Key);
        Assert.Equal((UnitStatus.Done, "other-host-b"), (state.Status, state.Worker!.Host));
    }

    /// <summary>A unit that runs longer than the claim timeout keeps its claim while its worker's heartbeat goes on.</summary>
    public static void A_live_heartbeat_keeps_a_unit_that_runs_longer_than_the_timeout(string location)
    {
        var plan = StudyFixtures.Plan(name: "heartbeat");
        using var store = ExperimentStore.Open(location);
        // Margins for a loaded CI machine (a beat every timeout/4 = 375 ms; starved threads can lag by a second): the
        // clock starts only once the worker holds its claim, since a busy thread pool may start it late.
        var timeout = TimeSpan.FromMilliseconds(1500);
        var slow = new StudyWorker(store, plan, new FakeExecutor { Delay = TimeSpan.FromMilliseconds(4500) },
            new StudyWorkerOptions { ClaimTimeout = timeout, MaxUnits = 1 });
        slow.Register([]);
        using var other = ExperimentStore.Open(location);
        var queue = new UnitQueue(other, plan.Name);
        var running = Task.Run(slow.Run);
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (queue.Units().Single(u => u.Unit.Key == plan.Units[0].Key).Status != UnitStatus.Claimed)
        {
            Assert.True(waited.Elapsed < TimeSpan.FromSeconds(30), "the worker never claimed its first unit");
            Thread.Sleep(20);
        }
        Thread.Sleep(3000); // twice the timeout: without heartbeats the unit would be free again
        var claim = queue.Claim(WorkerIdentity.Current() with { Host = "elsewhere" }, timeout)!;
        Assert.NotEqual(plan.Units[0].Key, claim.Unit.Key);
        var summary = running.Result;
        Assert.Equal((1, 0), (summary.Ran, summary.Lost));
        Assert.Equal(UnitStatus.Done, queue.Units().Single(u => u.Unit.Key == plan.Units[0].Key).Status);
    }

    /// <summary>A unit held by a process of this host that no longer exists is free at once, without waiting for the timeout.</summary>
    public static void A_dead_local_worker_frees_its_units_at_once(string location)
    {
        var plan = StudyFixtures.Plan(name: "dead");
        using var store = ExperimentStore.Open(location);
        var queue = new UnitQueue(store, plan.Name);
        queue.Register(plan, "{}");
        using var gone = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("true") { UseShellExecute = false })!;
        gone.WaitForExit();
        var dead = WorkerIdentity.Current() with { ProcessId = gone.Id, ProcessStartUtc = null }; // exited and reaped: no such process now
        var lost = queue.Claim(dead, TimeSpan.FromHours(1))!;
        var next = queue.Claim(WorkerIdentity.Current(), TimeSpan.FromHours(1))!;
        Assert.Equal(lost.Unit.Key, next.Unit.Key);
    }

    /// <summary>A unit that throws is recorded failed, tried once more, then left failed; the report says why.</summary>
    public static void A_failing_unit_is_retried_once_then_reported(string location)
    {
        var plan = StudyFixtures.Plan(name: "failing");
        using var store = ExperimentStore.Open(location);
        var executor = new FakeExecutor { FailWhen = u => u.Key == "plain/refit" };
        var worker = new StudyWorker(store, plan, executor, Quick);
        worker.Register([]);
        var summary = worker.Run();
        Assert.Equal((7, 2), (summary.Ran, summary.Failed));
        Assert.True(summary.Progress.Finished);
        Assert.Equal(2, executor.Ran.Count(k => k == "plain/refit"));
        var report = StudyReport.Build(store, plan.Name);
        Assert.Equal("tuned", Assert.Single(report.Models).Name);
        Assert.Contains("made to fail", report.Skipped.Single(s => s.Name == "plain").Reason);
    }

    /// <summary>The same name planned differently is refused; the default names of different plans differ.</summary>
    public static void A_study_name_means_one_plan(string location)
    {
        using var store = ExperimentStore.Open(location);
        new UnitQueue(store, "named").Register(StudyFixtures.Plan("named"), "{}");
        var other = StudyFixtures.Plan("named", seed: 7);
        var e = Assert.Throws<FashionMnistException>(() => new UnitQueue(store, "named").Register(other, "{}"));
        Assert.Contains("planned with other models, settings or limits", e.Message);
        Assert.NotEqual(StudyFixtures.Plan().Name, StudyFixtures.Plan(seed: 7).Name);
        Assert.Equal(StudyFixtures.Plan().Name, StudyFixtures.Plan().Name);
    }

    public static string Json(object value) => JsonSerializer.Serialize(value);
}
