using System.Data.Common;
using System.Text.Json;
using FashionMnist.Data;
using FashionMnist.Evaluation;
using FashionMnist.Experiments.Storage;
using FashionMnist.Models;

namespace FashionMnist.Experiments;

/// <summary>
/// Every run (and every study's units of work), recorded in one database: an embedded SQLite file by default
/// (<see cref="DefaultPath"/>), or a PostgreSQL server that many workers share (<see cref="StoreLocation"/>).
/// A run is written twice: <see cref="Begin"/> inserts it as 'running' the moment it starts, and
/// <see cref="Complete"/> or <see cref="Fail"/> writes its results and final status in one transaction, so a process
/// killed at any point leaves a valid database; its run keeps status 'running' and is reported as
/// <see cref="RunStatus.Incomplete"/> once its process is gone. A transaction cut off by a lost connection is
/// redone on a new connection (bounded); every write is keyed, so redoing one never adds a row twice.
/// </summary>
public sealed partial class ExperimentStore : IDisposable
{
    /// <summary>The store `fmnist` uses when none is given: runs/fmnist.db under the working folder.</summary>
    public const string DefaultPath = "runs/fmnist.db";

    private static readonly JsonSerializerOptions s_json = new() { WriteIndented = false };
    private readonly StoreBackend _backend;
    private readonly bool _readOnly;
    private DbConnection _connection;

    private ExperimentStore(StoreBackend backend, DbConnection connection, bool readOnly, int schemaVersion)
    {
        (_backend, _connection, _readOnly, SchemaVersion) = (backend, connection, readOnly, schemaVersion);
    }

    /// <summary>The schema version of the database as opened (an old store opened read-only keeps its own).</summary>
    public int SchemaVersion { get; }

    /// <summary>Where the store is: the database file's full path, or the PostgreSQL URL without its password.</summary>
    public string Path => Location.Display;

    /// <summary>Where the store is, as parsed.</summary>
    public StoreLocation Location => _backend.Location;

    internal StoreBackend Backend => _backend;

    /// <summary>Opens (creating if needed: the SQLite file with its folder, or the tables in PostgreSQL) the store <paramref name="location"/>.</summary>
    public static ExperimentStore Open(string location, bool readOnly = false) => Open(StoreLocation.Parse(location), readOnly);

    /// <summary>Opens the store at <paramref name="location"/>, creating it if needed unless <paramref name="readOnly"/>; a store opened read-only is never written, not even upgraded.</summary>
    public static ExperimentStore Open(StoreLocation location, bool readOnly = false)
    {
        var backend = StoreBackend.For(location);
        var connection = backend.Connect(readOnly);
        try
        {
            int version = Prepare(backend, connection, readOnly);
            return new ExperimentStore(backend, connection, readOnly, version);
        }
        catch (Microsoft.Data.Sqlite.SqliteException e)
        {
            connection.Dispose();
            throw ((SqliteBackend)backend).Describe(e);
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    /// <summary>Checks the schema version and creates or upgrades the tables (all or nothing).</summary>
    private static int Prepare(StoreBackend backend, DbConnection connection, bool readOnly)
    {
        string shown = backend.Location.Kind == StoreKind.Sqlite ? backend.Location.Text : backend.Location.Display;
        int version = backend.ReadVersion(connection, null);
        CheckNotNewer(version, shown);
        if (readOnly)
        {
            if (version == 0)
                throw new FashionMnistException($"'{shown}' is not an fmnist experiment store (it has no runs table)", "Pass the store fmnist wrote (--store).");
            return version;
        }
        if (version == ExperimentStoreSchema.Version) return version;
        using var transaction = connection.BeginTransaction();
        backend.LockSchema(connection, transaction);
        version = backend.ReadVersion(connection, transaction); // another worker may have just done it
        CheckNotNewer(version, shown);
        if (version < ExperimentStoreSchema.Version)
        {
            Execute(connection, backend.Types(ExperimentStoreSchema.Create), transaction);
            backend.WriteVersion(connection, transaction, ExperimentStoreSchema.Version);
        }
        transaction.Commit();
        return ExperimentStoreSchema.Version;
    }

    private static void CheckNotNewer(int version, string shown)
    {
        if (version > ExperimentStoreSchema.Version)
            throw new FashionMnistException($"The experiment store '{shown}' has schema version {version}; this fmnist knows version {ExperimentStoreSchema.Version}",
                "It was written by a newer fmnist: use that version, or pass --store with another store.");
    }

    /// <summary>Records that a run has started (status running, with this process's environment unless given).</summary>
    public RunRecord Begin(RunRecord run)
    {
        var started = run with
        {
            Status = RunStatus.Running,
            Environment = run.Environment == RunEnvironment.Empty ? RunEnvironment.Current() : run.Environment,
        };
        InTransaction("recording a run's start", transaction => InsertRun(started, transaction));
        return started;
    }

    /// <summary>Writes a run's results and marks it complete, all or nothing.</summary>
    public RunRecord Complete(RunRecord run) => Finish(run with { Status = RunStatus.Complete, FinishedUtc = run.FinishedUtc ?? DateTimeOffset.UtcNow });

    /// <summary>Marks a run failed with the reason, keeping whatever results it carries.</summary>
    public RunRecord Fail(RunRecord run, string error) =>
        Finish(run with { Status = RunStatus.Failed, Error = error, FinishedUtc = run.FinishedUtc ?? DateTimeOffset.UtcNow });

    private RunRecord Finish(RunRecord run)
    {
        if (run.Environment == RunEnvironment.Empty) run = run with { Environment = RunEnvironment.Current() };
        InTransaction("recording a run's results", transaction => WriteRun(run, transaction));
        return run;
    }

    /// <summary>A run with all its details, replacing any earlier copy with the same id (inside the caller's transaction).</summary>
    internal void WriteRun(RunRecord run, DbTransaction transaction)
    {
        InsertRun(run, transaction);
        InsertDetails(run, transaction);
    }

    /// <summary>All runs, newest first, with their scalar metrics (not per-class details).</summary>
    public IReadOnlyList<RunRecord> List(int? limit = null) => Retry("listing runs", () =>
    {
        var runs = new List<RunRecord>();
        using (var command = Command("SELECT * FROM runs ORDER BY started_utc DESC, id" + (limit is int n ? $" LIMIT {n.ToString(CultureInfo.InvariantCulture)}" : "")))
        using (var reader = command.ExecuteReader())
            while (reader.Read()) runs.Add(ReadRun(reader));
        var metrics = new Dictionary<string, Dictionary<string, double>>();
        using (var command = Command("SELECT run_id, name, value FROM metrics"))
        using (var reader = command.ExecuteReader())
            while (reader.Read())
            {
                string id = reader.GetString(0);
                if (!metrics.TryGetValue(id, out var values)) metrics[id] = values = [];
                values[reader.GetString(1)] = reader.IsDBNull(2) ? double.NaN : reader.GetDouble(2);
            }
        return (IReadOnlyList<RunRecord>)runs.Select(r => metrics.TryGetValue(r.Id.ToString(), out var m) ? r with { Metrics = m } : r).ToList();
    });

    /// <summary>One run with everything recorded about it, by full id or a unique prefix of it.</summary>
    public RunRecord Get(string idOrPrefix)
    {
        string prefix = idOrPrefix.Trim().ToLowerInvariant();
        if (prefix.Length < 4 || prefix.Any(c => !(char.IsAsciiHexDigit(c) || c == '-')))
            throw new FashionMnistException($"'{idOrPrefix}' is not a run id", "Give the id (or its first 4+ characters) as `fmnist runs list` shows it.");
        var matches = Retry("reading a run", () =>
        {
            var found = new List<RunRecord>();
            using var command = Command("SELECT * FROM runs WHERE id LIKE @prefix || '%' LIMIT 2", null, ("@prefix", prefix));
            using var reader = command.ExecuteReader();
            while (reader.Read()) found.Add(ReadRun(reader));
            return found;
        });
        if (matches.Count == 0)
            throw new FashionMnistException($"No run with id '{idOrPrefix}' in '{Path}'", "See the ids with `fmnist runs list`.");
        if (matches.Count > 1)
            throw new FashionMnistException($"More than one run starts with '{idOrPrefix}'", "Give more characters of the id.");
        return Retry("reading a run", () => LoadDetails(matches[0]));
    }

    /// <summary>Closes the connection.</summary>
    public void Dispose() => _connection.Dispose();

    internal RunStatus? TryGetStatus(Guid id, DbTransaction? transaction = null)
    {
        using var command = Command("SELECT status FROM runs WHERE id = @id", transaction, ("@id", id.ToString()));
        return command.ExecuteScalar() is string status ? ParseStatus(status) : null;
    }

    private static readonly string[] s_runColumns =
    [
        "id", "kind", "model", "parent_id", "status", "command", "options_json", "preprocessing", "data_slice", "seed",
        "started_utc", "finished_utc", "fit_seconds", "predict_seconds", "environment_json", "host", "pid", "error", "notes_json",
    ];

    private static readonly string s_upsertRun =
        $"INSERT INTO runs ({string.Join(", ", s_runColumns)}) VALUES ({string.Join(", ", s_runColumns.Select(c => "@" + c))}) " +
        $"ON CONFLICT (id) DO UPDATE SET {string.Join(", ", s_runColumns.Skip(1).Select(c => $"{c} = excluded.{c}"))}";

    private void InsertRun(RunRecord run, DbTransaction transaction)
    {
        using var command = Command(s_upsertRun, transaction,
            ("@id", run.Id.ToString()), ("@kind", run.Kind), ("@model", run.Model), ("@parent_id", run.ParentId?.ToString()),
            ("@status", StatusText(run.Status)), ("@command", run.Command), ("@options_json", JsonSerializer.Serialize(run.Options, s_json)),
            ("@preprocessing", run.Preprocessing), ("@data_slice", run.DataSlice), ("@seed", run.Seed),
            ("@started_utc", run.StartedUtc.ToString("O", CultureInfo.InvariantCulture)),
            ("@finished_utc", run.FinishedUtc?.ToString("O", CultureInfo.InvariantCulture)),
            ("@fit_seconds", run.FitSeconds), ("@predict_seconds", run.PredictSeconds),
            ("@environment_json", JsonSerializer.Serialize(run.Environment, s_json)), ("@host", run.Environment.Host),
            ("@pid", run.Environment.ProcessId), ("@error", run.Error), ("@notes_json", JsonSerializer.Serialize(run.Notes, s_json)));
        command.ExecuteNonQuery();
    }

    private void InsertDetails(RunRecord run, DbTransaction transaction)
    {
        string id = run.Id.ToString();
        foreach (string table in new[] { "metrics", "fold_scores", "class_metrics", "confusion", "epochs" })
            using (var delete = Command($"DELETE FROM {table} WHERE run_id = @id", transaction, ("@id", id)))
                delete.ExecuteNonQuery();

        using (var command = Prepared(transaction, "INSERT INTO metrics (run_id, name, value) VALUES (@id, @a, @b)", id, 2))
            foreach (var (name, value) in run.Metrics) Run(command, name, double.IsFinite(value) ? value : null);
        using (var command = Prepared(transaction, "INSERT INTO fold_scores (run_id, fold, score) VALUES (@id, @a, @b)", id, 2))
            for (int f = 0; f < run.FoldScores.Count; f++) Run(command, f, run.FoldScores[f]);
        using (var command = Prepared(transaction, "INSERT INTO class_metrics (run_id, label, name, precision, recall, f1, support) VALUES (@id, @a, @b, @c, @d, @e, @f)", id, 6))
            foreach (var m in run.PerClass) Run(command, m.Label, m.Name, m.Precision, m.Recall, m.F1, m.Support);
        if (run.Confusion is int[][] confusion)
            using (var command = Prepared(transaction, "INSERT INTO confusion (run_id, actual, predicted, count) VALUES (@id, @a, @b, @c)", id, 3))
                for (int r = 0; r < confusion.Length; r++)
                    for (int c = 0; c < confusion[r].Length; c++) Run(command, r, c, confusion[r][c]);
        using (var command = Prepared(transaction, "INSERT INTO epochs (run_id, epoch, train_loss, train_accuracy, val_loss, val_accuracy, seconds, learning_rate) VALUES (@id, @a, @b, @c, @d, @e, @f, @g)", id, 7))
            foreach (var e in run.Epochs)
                Run(command, e.Epoch, Finite(e.TrainLoss), Finite(e.TrainAccuracy), e.ValidationLoss, e.ValidationAccuracy, Finite(e.Seconds), Finite(e.LearningRate));

        static double? Finite(double value) => double.IsFinite(value) ? value : null;
    }

    private DbCommand Prepared(DbTransaction transaction, string sql, string id, int parameters)
    {
        var command = Command(sql, transaction, ("@id", id));
        for (int i = 0; i < parameters; i++) Add(command, "@" + (char)('a' + i), null);
        return command;
    }

    private static void Run(DbCommand command, params object?[] values)
    {
        for (int i = 0; i < values.Length; i++) command.Parameters[i + 1].Value = values[i] ?? DBNull.Value;
        command.ExecuteNonQuery();
    }

    internal RunRecord LoadDetails(RunRecord run, DbTransaction? transaction = null)
    {
        string id = run.Id.ToString();
        var metrics = new Dictionary<string, double>();
        Query("SELECT name, value FROM metrics WHERE run_id = @id", id, transaction, r => metrics[r.GetString(0)] = r.IsDBNull(1) ? double.NaN : r.GetDouble(1));
        var folds = new List<double>();
        Query("SELECT score FROM fold_scores WHERE run_id = @id ORDER BY fold", id, transaction, r => folds.Add(r.GetDouble(0)));
        var perClass = new List<ClassMetrics>();
        Query("SELECT label, name, precision, recall, f1, support FROM class_metrics WHERE run_id = @id ORDER BY label", id, transaction,
            r => perClass.Add(new ClassMetrics(r.GetInt32(0), r.GetString(1), r.GetDouble(2), r.GetDouble(3), r.GetDouble(4), r.GetInt32(5))));
        var cells = new List<(int R, int C, int N)>();
        Query("SELECT actual, predicted, count FROM confusion WHERE run_id = @id", id, transaction, r => cells.Add((r.GetInt32(0), r.GetInt32(1), r.GetInt32(2))));
        int[][]? confusion = null;
        if (cells.Count > 0)
        {
            int size = cells.Max(c => Math.Max(c.R, c.C)) + 1;
            confusion = Enumerable.Range(0, size).Select(_ => new int[size]).ToArray();
            foreach (var (r, c, n) in cells) confusion[r][c] = n;
        }
        var epochs = new List<EpochMetrics>();
        Query("SELECT epoch, train_loss, train_accuracy, val_loss, val_accuracy, seconds, learning_rate FROM epochs WHERE run_id = @id ORDER BY epoch", id, transaction,
            r => epochs.Add(new EpochMetrics(r.GetInt32(0), Double(r, 1), Double(r, 2),
                r.IsDBNull(3) ? null : r.GetDouble(3), r.IsDBNull(4) ? null : r.GetDouble(4), Double(r, 5), Double(r, 6))));
        return run with { Metrics = metrics, FoldScores = folds, PerClass = perClass, Confusion = confusion, Epochs = epochs };

        static double Double(DbDataReader r, int i) => r.IsDBNull(i) ? double.NaN : r.GetDouble(i);
    }

    private void Query(string sql, string id, DbTransaction? transaction, Action<DbDataReader> row)
    {
        using var command = Command(sql, transaction, ("@id", id));
        using var reader = command.ExecuteReader();
        while (reader.Read()) row(reader);
    }

    internal static RunRecord ReadRun(DbDataReader r)
    {
        string Text(string column) => r.GetString(r.GetOrdinal(column));
        string? Optional(string column) => r.IsDBNull(r.GetOrdinal(column)) ? null : r.GetString(r.GetOrdinal(column));
        double? Number(string column) => r.IsDBNull(r.GetOrdinal(column)) ? null : r.GetDouble(r.GetOrdinal(column));
        var environment = JsonSerializer.Deserialize<RunEnvironment>(Text("environment_json"), s_json) ?? RunEnvironment.Empty;
        var status = ParseStatus(Text("status"));
        if (status == RunStatus.Running && environment.ProcessIsGone()) status = RunStatus.Incomplete;
        return new RunRecord
        {
            Id = Guid.Parse(Text("id")),
            Kind = Text("kind"),
            Model = Text("model"),
            ParentId = Optional("parent_id") is string parent ? Guid.Parse(parent) : null,
            Status = status,
            Command = Text("command"),
            Options = JsonSerializer.Deserialize<Dictionary<string, string>>(Text("options_json"), s_json) ?? [],
            Preprocessing = Text("preprocessing"),
            DataSlice = Text("data_slice"),
            Seed = Convert.ToInt32(r.GetValue(r.GetOrdinal("seed")), CultureInfo.InvariantCulture),
            StartedUtc = DateTimeOffset.Parse(Text("started_utc"), CultureInfo.InvariantCulture),
            FinishedUtc = Optional("finished_utc") is string finished ? DateTimeOffset.Parse(finished, CultureInfo.InvariantCulture) : null,
            FitSeconds = Number("fit_seconds"),
            PredictSeconds = Number("predict_seconds"),
            Environment = environment,
            Error = Optional("error"),
            Notes = JsonSerializer.Deserialize<Dictionary<string, string>>(Text("notes_json"), s_json) ?? [],
        };
    }

    internal static string StatusText(RunStatus status) => status switch
    {
        RunStatus.Running or RunStatus.Incomplete => "running",
        RunStatus.Complete => "complete",
        RunStatus.Failed => "failed",
        _ => throw new ArgumentOutOfRangeException(nameof(status)),
    };

    internal static RunStatus ParseStatus(string text) => text switch
    {
        "running" => RunStatus.Running,
        "complete" => RunStatus.Complete,
        "failed" => RunStatus.Failed,
        _ => RunStatus.Incomplete,
    };

    // ---- connection plumbing shared with the study queue ----

    /// <summary>A command on the current connection with <c>@name</c> parameters (null becomes SQL NULL).</summary>
    internal DbCommand Command(string sql, DbTransaction? transaction = null, params (string Name, object? Value)[] parameters)
    {
        var command = _connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        foreach (var (name, value) in parameters) Add(command, name, value);
        return command;
    }

    internal static void Add(DbCommand command, string name, object? value)
    {
        var parameter = command.CreateParameter();
        parameter.ParameterName = name;
        parameter.Value = value ?? DBNull.Value;
        command.Parameters.Add(parameter);
    }

    /// <summary>Runs <paramref name="work"/> in one transaction, redone from the start on a new connection if the connection is lost.</summary>
    internal T InTransaction<T>(string what, Func<DbTransaction, T> work) => Retry(what, () =>
    {
        using var transaction = _connection.BeginTransaction();
        T result = work(transaction);
        transaction.Commit();
        return result;
    });

    internal void InTransaction(string what, Action<DbTransaction> work) => InTransaction(what, t => { work(t); return true; });

    /// <summary>
    /// Runs <paramref name="operation"/>; when the engine reports a lost (or, for SQLite, busy) connection it reconnects
    /// and runs it again, at most <see cref="StoreBackend.Tries"/> times, then reports the loss. Only whole operations
    /// are redone: an interrupted transaction was rolled back by the server.
    /// </summary>
    internal T Retry<T>(string what, Func<T> operation)
    {
        int tries = StoreBackend.Tries;
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                return operation();
            }
            catch (Exception e) when (_backend.IsTransient(e))
            {
                if (attempt >= tries)
                    throw new FashionMnistException($"Lost the connection to the experiment store {Path} while {what} ({e.Message.TrimEnd('.')}; {tries} tries)",
                        "Check the database server; then rerun the same command: finished work is kept and only the unfinished is redone.", ExitCodes.Failure, e);
                Thread.Sleep(StoreBackend.Backoff(attempt));
                Reconnect();
            }
        }
    }

    private void Reconnect()
    {
        try { _connection.Dispose(); } catch (Exception e) when (e is System.Data.Common.DbException or InvalidOperationException or IOException) { }
        _connection = _backend.Connect(_readOnly);
    }

    private static void Execute(DbConnection connection, string sql, DbTransaction? transaction = null)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }
}

/// <summary>What a merge did: runs added, replaced (an unfinished copy by a finished one) and already present; study units taken over.</summary>
public sealed record MergeResult(string Output, int Inputs, int Added, int Replaced, int Unchanged, int UnitsAdded = 0);

/// <summary>Helpers to fill a <see cref="RunRecord"/> from an evaluation.</summary>
internal static class RunRecordExtensions
{
    /// <summary>The run with the evaluation's metrics, per-class table and confusion matrix (metrics merged over existing ones).</summary>
    public static RunRecord WithEvaluation(this RunRecord run, ModelEvaluation evaluation)
    {
        var metrics = new Dictionary<string, double>(run.Metrics);
        foreach (var (name, value) in evaluation.Scalars) metrics[name] = value;
        return run with
        {
            Metrics = metrics,
            PerClass = evaluation.Metrics.PerClass,
            Confusion = evaluation.Metrics.Confusion.ToRows(),
        };
    }

    /// <summary>A short description of the data used, e.g. "train[0:5000] test[0:10000]".</summary>
    public static string DescribeSlice(ImageSet train, ImageSet test) => $"train[0:{train.Count}] test[0:{test.Count}]";
}
