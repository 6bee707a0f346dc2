using FashionMnist.Evaluation;
using FashionMnist.Models;
using FashionMnist.Experiments;
using FashionMnist.Experiments.Studies;
using FashionMnist.Tests.Support;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace FashionMnist.Tests.Experiments;

/// <summary>The store's two engines: the upgrade of old SQLite stores, PostgreSQL round trips, merges across engines, and the errors.</summary>
public sealed class StoreBackendTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("fmnist-backend-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static string Fixture => Path.Combine(AppContext.BaseDirectory, "Fixtures", "stores", "v1-fmnist.db");

    private static RunRecord Sample() => new()
    {
        Kind = "train", Model = "knn", Command = "fmnist train knn", Seed = 3, DataSlice = "train[0:10] test[0:5]",
        Options = new Dictionary<string, string> { ["k"] = "5" }, FitSeconds = 0.1234567890123, PredictSeconds = 2,
        Metrics = new Dictionary<string, double> { ["accuracy"] = 0.8765432109876543, ["log_loss"] = double.NaN },
        FoldScores = [0.5, 0.25], PerClass = [new ClassMetrics(0, "T-shirt/top", 0.5, 0.25, 1.0 / 3, 4)], Confusion = [[1, 2], [3, 4]],
        Epochs = [new EpochMetrics(1, 0.5, 0.75, null, 0.7, 1.5, 0.01)],
    };

    [Fact]
    public void A_store_written_before_studies_existed_still_opens_and_is_upgraded_keeping_its_runs()
    {
        string path = Path.Combine(_folder, "old.db");
        File.Copy(Fixture, path);
        using (var readOnly = ExperimentStore.Open(path, readOnly: true)) // reading does not upgrade
        {
            Assert.Equal(1, readOnly.SchemaVersion);
            Assert.Equal(["compare", "train", "train"], readOnly.List().Select(r => r.Kind).Order());
        }
        using (var store = ExperimentStore.Open(path))
        {
            Assert.Equal(2, store.SchemaVersion);
            var runs = store.List();
            Assert.Equal(3, runs.Count);
            var knn = store.Get(runs.Single(r => r.Model == "knn").Id.ToString());
            Assert.Equal(RunStatus.Complete, knn.Status);
            Assert.InRange(knn.Metrics["accuracy"], 0.5, 1);
            Assert.Equal(10, knn.Confusion!.Length);
            var worker = new StudyWorker(store, StudyFixtures.Plan(), new FakeExecutor(), new StudyWorkerOptions());
            worker.Register([]);
            Assert.Equal(8, worker.Run().Ran); // the new tables work in the upgraded file
        }
        using var raw = new SqliteConnection($"Data Source={path};Pooling=False");
        raw.Open();
        using var version = raw.CreateCommand();
        version.CommandText = "PRAGMA user_version";
        Assert.Equal(2L, version.ExecuteScalar());
    }

    [Fact]
    public void A_sqlite_store_from_a_newer_fmnist_is_refused_with_exit_2()
    {
        string path = Path.Combine(_folder, "newer.db");
        using (var store = ExperimentStore.Open(path)) { }
        using (var raw = new SqliteConnection($"Data Source={path};Pooling=False"))
        {
            raw.Open();
            using var bump = raw.CreateCommand();
            bump.CommandText = "PRAGMA user_version = 99";
            bump.ExecuteNonQuery();
        }
        var e = Assert.Throws<FashionMnistException>(() => ExperimentStore.Open(path));
        Assert.Equal(ExitCodes.BadInput, e.ExitCode);
        Assert.Contains("schema version 99", e.Message);
        Assert.Contains("newer fmnist", e.Message);
    }

    [Fact]
    public void A_server_that_does_not_answer_is_named_with_host_and_port_after_bounded_tries()
    {
        Environment.SetEnvironmentVariable("FMNIST_STORE_TRIES", "2");
        try
        {
            var clock = System.Diagnostics.Stopwatch.StartNew();
            var e = Assert.Throws<FashionMnistException>(() => ExperimentStore.Open("postgresql://nobody@127.0.0.1:9/fmnist"));
            Assert.Equal(ExitCodes.BadInput, e.ExitCode);
            Assert.Contains("PostgreSQL server at 127.0.0.1:9 does not answer", e.Message);
            Assert.Contains("2 tries", e.Message);
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), clock.Elapsed.ToString());
        }
        finally { Environment.SetEnvironmentVariable("FMNIST_STORE_TRIES", null); }
    }

    [PostgresFact]
    public void A_run_round_trips_through_postgresql_with_full_precision()
    {
        using var database = new PostgresDatabase();
        using var store = ExperimentStore.Open(database.Url);
        var started = store.Begin(Sample());
        Assert.Equal(RunStatus.Running, store.Get(started.Id.ToString()[..8]).Status);
        store.Complete(started with { Metrics = Sample().Metrics });
        var back = store.Get(started.Id.ToString());
        Assert.Equal(RunStatus.Complete, back.Status);
        Assert.Equal(0.8765432109876543, back.Metrics["accuracy"]); // DOUBLE PRECISION, not REAL
        Assert.True(double.IsNaN(back.Metrics["log_loss"]));
        Assert.Equal(0.1234567890123, back.FitSeconds);
        Assert.Equal([0.5, 0.25], back.FoldScores);
        Assert.Equal([[1, 2], [3, 4]], back.Confusion);
        Assert.Equal(1.0 / 3, back.PerClass[0].F1, 15);
        Assert.Equal(0.7, back.Epochs[0].ValidationAccuracy);
        Assert.Null(back.Epochs[0].ValidationLoss);
        Assert.Equal("5", back.Options["k"]);
    }

    [PostgresFact]
    public void Stores_from_machines_that_never_shared_one_merge_into_postgresql_and_the_study_goes_on()
    {
        // Two static shards, each with its own SQLite store: each runs its share; the refit of "tuned" needs both shares.
        string a = Path.Combine(_folder, "a.db"), b = Path.Combine(_folder, "b.db");
        var plan = StudyFixtures.Plan();
        var ran = new List<string>();
        foreach (var (path, number) in new[] { (a, 1), (b, 2) })
        {
            using var store = ExperimentStore.Open(path);
            var executor = new FakeExecutor();
            var worker = new StudyWorker(store, plan, executor, new StudyWorkerOptions { Shard = (number, 2) });
            worker.Register([]);
            var summary = worker.Run();
            Assert.False(summary.Progress.Finished);
            Assert.True(summary.WaitingForOtherShards);
            ran.AddRange(executor.Ran);
        }
        using var database = new PostgresDatabase();
        var merged = ExperimentStore.Merge(database.Url, [a, b]);
        Assert.Equal(ran.Count, merged.UnitsAdded);
        Assert.Equal(0, ExperimentStore.Merge(database.Url, [a, b]).UnitsAdded); // merging twice adds nothing
        using var shared = ExperimentStore.Open(database.Url);
        var rest = new FakeExecutor();
        var last = new StudyWorker(shared, plan, rest, new StudyWorkerOptions());
        last.Register([]);
        Assert.True(last.Run().Progress.Finished);
        Assert.Empty(rest.Ran.Intersect(ran)); // only what no shard finished
        Assert.Equal(plan.Units.Count, ran.Count + rest.Ran.Count);
        Assert.Equal(2, StudyReport.Build(shared, plan.Name).Models.Count);
    }

    [PostgresFact]
    public void A_postgresql_store_from_a_newer_fmnist_is_refused_and_a_missing_database_is_named()
    {
        using var database = new PostgresDatabase();
        using (var store = ExperimentStore.Open(database.Url)) { }
        using (var raw = new NpgsqlConnection(FashionMnist.Experiments.Storage.StoreLocation.Parse(database.Url).Postgres!.ConnectionString))
        {
            raw.Open();
            using var bump = raw.CreateCommand();
            bump.CommandText = "UPDATE fmnist_schema SET version = 99";
            bump.ExecuteNonQuery();
        }
        var e = Assert.Throws<FashionMnistException>(() => ExperimentStore.Open(database.Url));
        Assert.Equal(ExitCodes.BadInput, e.ExitCode);
        Assert.Contains("schema version 99", e.Message);

        var missing = Assert.Throws<FashionMnistException>(() => ExperimentStore.Open(database.Url + "_missing"));
        Assert.Equal(ExitCodes.BadInput, missing.ExitCode);
        Assert.Contains("has no database", missing.Message);
    }

    [PostgresFact]
    public void A_connection_cut_mid_study_is_reconnected_and_the_unit_is_written_once()
    {
        using var database = new PostgresDatabase();
        using var store = ExperimentStore.Open(database.Url);
        var plan = StudyFixtures.Plan();
        var killer = new FakeExecutor();
        var executor = new CuttingExecutor(killer, database.Name, cutAt: 3);
        var worker = new StudyWorker(store, plan, executor, new StudyWorkerOptions());
        worker.Register([]);
        var summary = worker.Run();
        Assert.True(summary.Progress.Finished);
        Assert.Equal(plan.Units.Count, summary.Ran);
        Assert.True(executor.Cut);
        Assert.Equal(plan.Units.Count, killer.Ran.Distinct().Count());
        Assert.Equal(2, store.List().Count(r => r.Kind == "train"));
    }

    /// <summary>Terminates this database's other connections (the worker's) from outside while the third unit runs.</summary>
    private sealed class CuttingExecutor(FakeExecutor inner, string database, int cutAt) : IUnitExecutor
    {
        private int _count;
        public bool Cut { get; private set; }

        public UnitResult Run(StudyUnit unit, UnitInputs inputs, CancellationToken cancellation)
        {
            if (++_count == cutAt)
            {
                string url = Environment.GetEnvironmentVariable(PostgresDatabase.Variable)!;
                using var admin = new NpgsqlConnection(FashionMnist.Experiments.Storage.StoreLocation.Parse(url).Postgres!.ConnectionString);
                admin.Open();
                using var kill = admin.CreateCommand();
                kill.CommandText = $"SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = '{database}' AND pid <> pg_backend_pid()";
                Cut = Convert.ToInt64(kill.ExecuteScalar()) > 0;
            }
            return inner.Run(unit, inputs, cancellation);
        }
    }
}
