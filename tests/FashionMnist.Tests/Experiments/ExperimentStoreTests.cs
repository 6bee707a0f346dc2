using FashionMnist.Experiments;
using FashionMnist.Evaluation;
using FashionMnist.Models;
using Microsoft.Data.Sqlite;

namespace FashionMnist.Tests.Evaluation;

public sealed class ExperimentStoreTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("fmnist-store-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private string DbPath(string name = "fmnist.db") => Path.Combine(_folder, "runs", name);

    private static RunRecord SampleRun(string model = "nearest-centroid") => new()
    {
        Kind = "train",
        Model = model,
        Command = "fmnist train nearest-centroid --seed 7",
        Options = new Dictionary<string, string> { ["shrink"] = "0.5" },
        Preprocessing = "unit-range",
        DataSlice = "train[0:1000] test[0:500]",
        Seed = 7,
    };

    private static RunRecord Finished(RunRecord run) => run with
    {
        FitSeconds = 1.25,
        PredictSeconds = 0.5,
        Metrics = new Dictionary<string, double> { ["accuracy"] = 0.75, ["macro_f1"] = 0.7, ["log_loss"] = double.NaN },
        FoldScores = [0.7, 0.8, 0.75],
        PerClass = [new ClassMetrics(0, "cat", 0.5, 0.5, 0.5, 2), new ClassMetrics(1, "dog", 1, 2.0 / 3, 0.8, 3)],
        Confusion = [[1, 1], [1, 2]],
        Epochs = [new EpochMetrics(1, 0.9, 0.6, 0.95, 0.58, 2.5, 0.01), new EpochMetrics(2, 0.5, 0.8, null, null, 2.4)],
        Notes = new Dictionary<string, string> { ["report"] = "report/" },
    };

    [Fact]
    public void A_run_round_trips_with_everything_it_recorded()
    {
        using var store = ExperimentStore.Open(DbPath());
        var started = store.Begin(SampleRun());
        Assert.Equal(RunStatus.Running, store.Get(started.Id.ToString()).Status);
        store.Complete(Finished(started));

        var back = store.Get(started.Id.ToString()[..8]);
        Assert.Equal(RunStatus.Complete, back.Status);
        Assert.Equal("nearest-centroid", back.Model);
        Assert.Equal("0.5", back.Options["shrink"]);
        Assert.Equal(7, back.Seed);
        Assert.Equal(1.25, back.FitSeconds);
        Assert.Equal(0.75, back.Metrics["accuracy"]);
        Assert.True(double.IsNaN(back.Metrics["log_loss"]));
        Assert.Equal([0.7, 0.8, 0.75], back.FoldScores);
        Assert.Equal(2.0 / 3, back.PerClass[1].Recall, 15);
        Assert.Equal([[1, 1], [1, 2]], back.Confusion);
        Assert.Equal(2, back.Epochs.Count);
        Assert.Null(back.Epochs[1].ValidationAccuracy);
        Assert.Equal(0.58, back.Epochs[0].ValidationAccuracy);
        Assert.Equal(Environment.ProcessId, back.Environment.ProcessId);
        Assert.False(string.IsNullOrEmpty(back.Environment.CpuModel));
        Assert.NotNull(back.FinishedUtc);
        Assert.Equal("report/", back.Notes["report"]);
    }

    [Fact]
    public void The_database_is_in_wal_mode()
    {
        using (ExperimentStore.Open(DbPath())) { }
        using var connection = new SqliteConnection($"Data Source={DbPath()};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA journal_mode";
        Assert.Equal("wal", command.ExecuteScalar());
    }

    [Fact]
    public void A_running_row_whose_process_is_gone_reads_as_incomplete_and_the_database_stays_valid()
    {
        using var store = ExperimentStore.Open(DbPath());
        // Begun by a process that no longer exists (a pid far above Linux's pid_max), then never finished: as after a kill.
        var dead = RunEnvironment.Current() with { ProcessId = 0x3FFFFFFF };
        var orphan = store.Begin(SampleRun() with { Environment = dead });
        var alive = store.Begin(SampleRun("other"));

        Assert.Equal(RunStatus.Incomplete, store.Get(orphan.Id.ToString()).Status);
        Assert.Equal(RunStatus.Running, store.Get(alive.Id.ToString()).Status);

        using var connection = new SqliteConnection($"Data Source={DbPath()};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA integrity_check";
        Assert.Equal("ok", command.ExecuteScalar());
    }

    [Fact]
    public void A_failed_run_keeps_its_reason()
    {
        using var store = ExperimentStore.Open(DbPath());
        var run = store.Begin(SampleRun());
        store.Fail(run, "out of memory");
        var back = store.Get(run.Id.ToString());
        Assert.Equal(RunStatus.Failed, back.Status);
        Assert.Equal("out of memory", back.Error);
    }

    [Fact]
    public void List_is_newest_first_with_metrics()
    {
        using var store = ExperimentStore.Open(DbPath());
        var first = store.Complete(Finished(SampleRun("a") with { StartedUtc = DateTimeOffset.UtcNow.AddMinutes(-5) }));
        var second = store.Complete(Finished(SampleRun("b")));
        var list = store.List();
        Assert.Equal([second.Id, first.Id], list.Select(r => r.Id));
        Assert.Equal(0.75, list[0].Metric("accuracy"));
        Assert.Single(store.List(limit: 1));
    }

    [Fact]
    public void Merging_shards_is_idempotent_and_prefers_finished_copies()
    {
        var shared = SampleRun("shared");
        string shardA = DbPath("a.db"), shardB = DbPath("b.db"), merged = DbPath("merged.db");
        Guid onlyA, onlyB;
        using (var a = ExperimentStore.Open(shardA))
        {
            onlyA = a.Complete(Finished(SampleRun("knn"))).Id;
            a.Begin(shared with { Environment = RunEnvironment.Current() with { ProcessId = 0x3FFFFFFF } }); // unfinished here
        }
        using (var b = ExperimentStore.Open(shardB))
        {
            onlyB = b.Complete(Finished(SampleRun("svm"))).Id;
            b.Complete(Finished(shared)); // finished there
        }

        var first = ExperimentStore.Merge(merged, [shardA, shardB]);
        Assert.Equal((3, 1, 0), (first.Added, first.Replaced, first.Unchanged));
        var again = ExperimentStore.Merge(merged, [shardA, shardB]);
        Assert.Equal((0, 0, 4), (again.Added, again.Replaced, again.Unchanged));

        using var store = ExperimentStore.Open(merged);
        Assert.Equal(3, store.List().Count);
        Assert.Equal(RunStatus.Complete, store.Get(shared.Id.ToString()).Status);
        Assert.Equal([0.7, 0.8, 0.75], store.Get(onlyA.ToString()).FoldScores);
        Assert.Equal(2, store.Get(onlyB.ToString()).Epochs.Count);
    }

    [Fact]
    public void A_file_that_is_not_a_database_gives_a_clear_error()
    {
        string path = Path.Combine(_folder, "notes.db");
        File.WriteAllText(path, "this is a text file, not a database, and it is long enough to have a header page");
        var error = Assert.Throws<FashionMnistException>(() => ExperimentStore.Open(path));
        Assert.Contains("not a SQLite database", error.Message);
        Assert.Equal(ExitCodes.BadInput, error.ExitCode);
    }

    [Fact]
    public void A_folder_or_missing_shard_or_unknown_id_gives_a_clear_error()
    {
        Assert.Contains("is a folder", Assert.Throws<FashionMnistException>(() => ExperimentStore.Open(_folder)).Message);
        Assert.Contains("does not exist", Assert.Throws<FashionMnistException>(() => ExperimentStore.Merge(DbPath("m.db"), [DbPath("nope.db")])).Message);
        using var store = ExperimentStore.Open(DbPath());
        Assert.Contains("No run with id", Assert.Throws<FashionMnistException>(() => store.Get("abcdef12")).Message);
        Assert.Contains("not a run id", Assert.Throws<FashionMnistException>(() => store.Get("x")).Message);
    }
}
