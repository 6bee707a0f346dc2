using FashionMnist.Evaluation;
using System.Globalization;
using System.Text.Json;
using FashionMnist.Data;
using FashionMnist.Interop;
using FashionMnist.Models;
using Microsoft.Data.Sqlite;

namespace FashionMnist.Experiments;

/// <summary>
/// Every run, recorded in one embedded SQLite database (default <see cref="DefaultPath"/>).
/// A run is written twice: <see cref="Begin"/> inserts it as 'running' the moment it starts, and
/// <see cref="Complete"/> or <see cref="Fail"/> writes its results and final status in one transaction.
/// The database runs in WAL mode, so a process killed at any point leaves a valid database; its run
/// keeps status 'running' and is reported as <see cref="RunStatus.Incomplete"/> once its process is gone.
/// </summary>
public sealed class ExperimentStore : IDisposable
{
    public const string DefaultPath = "runs/fmnist.db";

    private static readonly JsonSerializerOptions s_json = new() { WriteIndented = false };
    private readonly SqliteConnection _connection;

    private ExperimentStore(SqliteConnection connection, string path)
    {
        _connection = connection;
        Path = path;
    }

    /// <summary>The database file.</summary>
    public string Path { get; }

    /// <summary>Opens (creating if needed, with its folder) the store at <paramref name="path"/>.</summary>
    public static ExperimentStore Open(string path, bool readOnly = false)
    {
        SqliteProvider.EnsureInitialized();
        string fullPath = System.IO.Path.GetFullPath(path);
        if (Directory.Exists(fullPath))
            throw new FashionMnistException($"The experiment store '{path}' is a folder", "Pass a database file path to --store, e.g. runs/fmnist.db.");
        if (readOnly && !File.Exists(fullPath))
            throw new FashionMnistException($"The experiment store '{path}' does not exist", "Check the path, or run a train or compare command first to create it.");
        if (!readOnly)
        {
            try { Directory.CreateDirectory(System.IO.Path.GetDirectoryName(fullPath)!); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new FashionMnistException($"Cannot create the folder for the experiment store '{path}': {e.Message}",
                    "Pass --store with a path in a folder you can write to.", ExitCodes.BadInput, e);
            }
        }
        var builder = new SqliteConnectionStringBuilder
        {
            DataSource = fullPath,
            Mode = readOnly ? SqliteOpenMode.ReadOnly : SqliteOpenMode.ReadWriteCreate,
            Pooling = false, // close the file when the store is disposed (tests, merges)
            DefaultTimeout = 30,
        };
        var connection = new SqliteConnection(builder.ToString());
        try
        {
            connection.Open();
            // WAL: a crash mid-write rolls back to the last commit; readers never block the writer.
            if (!readOnly) Execute(connection, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;");
            Execute(connection, "PRAGMA busy_timeout=10000; PRAGMA foreign_keys=ON;");
            int version = Convert.ToInt32(Scalar(connection, "PRAGMA user_version;"), CultureInfo.InvariantCulture);
            if (version > ExperimentStoreSchema.Version)
                throw new FashionMnistException($"The experiment store '{path}' has schema version {version}; this fmnist knows version {ExperimentStoreSchema.Version}",
                    "Use a newer fmnist, or pass --store with another file.");
            if (!readOnly && version < ExperimentStoreSchema.Version)
            {
                using var transaction = connection.BeginTransaction();
                Execute(connection, ExperimentStoreSchema.Create, transaction);
                Execute(connection, $"PRAGMA user_version={ExperimentStoreSchema.Version};", transaction);
                transaction.Commit();
            }
            else if (readOnly && version == 0)
                throw new FashionMnistException($"'{path}' is not an fmnist experiment store (it has no runs table)", "Pass the path of a database written by fmnist.");
            return new ExperimentStore(connection, fullPath);
        }
        catch (SqliteException e)
        {
            connection.Dispose();
            throw new FashionMnistException($"Cannot open the experiment store '{path}': {e.Message.TrimEnd('.')}",
                e.SqliteErrorCode == 26 /* SQLITE_NOTADB */
                    ? "The file is not a SQLite database; pass --store with another path."
                    : "Check that the file is a database fmnist wrote and that its folder is writable.", ExitCodes.BadInput, e);
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    /// <summary>Records that a run has started (status running, with this process's environment unless given).</summary>
    public RunRecord Begin(RunRecord run)
    {
        var started = run with
        {
            Status = RunStatus.Running,
            Environment = run.Environment == RunEnvironment.Empty ? RunEnvironment.Current() : run.Environment,
        };
        using var transaction = _connection.BeginTransaction();
        InsertRun(started, transaction, replace: false);
        transaction.Commit();
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
        using var transaction = _connection.BeginTransaction();
        InsertRun(run, transaction, replace: true);
        InsertDetails(run, transaction);
        transaction.Commit();
        return run;
    }

    /// <summary>All runs, newest first, with their scalar metrics (not per-class details).</summary>
    public IReadOnlyList<RunRecord> List(int? limit = null)
    {
        var runs = new List<RunRecord>();
        using (var command = _connection.CreateCommand())
        {
            command.CommandText = "SELECT * FROM runs ORDER BY started_utc DESC, id" + (limit is int n ? $" LIMIT {n}" : "");
            using var reader = command.ExecuteReader();
            while (reader.Read()) runs.Add(ReadRun(reader));
        }
        var metrics = new Dictionary<string, Dictionary<string, double>>();
        using (var command = _connection.CreateCommand())
        {
            command.CommandText = "SELECT run_id, name, value FROM metrics";
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                string id = reader.GetString(0);
                if (!metrics.TryGetValue(id, out var values)) metrics[id] = values = [];
                values[reader.GetString(1)] = reader.IsDBNull(2) ? double.NaN : reader.GetDouble(2);
            }
        }
        return runs.Select(r => metrics.TryGetValue(r.Id.ToString(), out var m) ? r with { Metrics = m } : r).ToList();
    }

    /// <summary>One run with everything recorded about it, by full id or a unique prefix of it.</summary>
    public RunRecord Get(string idOrPrefix)
    {
        string prefix = idOrPrefix.Trim().ToLowerInvariant();
        if (prefix.Length < 4 || prefix.Any(c => !(char.IsAsciiHexDigit(c) || c == '-')))
            throw new FashionMnistException($"'{idOrPrefix}' is not a run id", "Give the id (or its first 4+ characters) as `fmnist runs list` shows it.");
        var matches = new List<RunRecord>();
        using (var command = _connection.CreateCommand())
        {
            command.CommandText = "SELECT * FROM runs WHERE id LIKE $prefix || '%' LIMIT 2";
            command.Parameters.AddWithValue("$prefix", prefix);
            using var reader = command.ExecuteReader();
            while (reader.Read()) matches.Add(ReadRun(reader));
        }
        if (matches.Count == 0)
            throw new FashionMnistException($"No run with id '{idOrPrefix}' in '{Path}'", "See the ids with `fmnist runs list`.");
        if (matches.Count > 1)
            throw new FashionMnistException($"More than one run starts with '{idOrPrefix}'", "Give more characters of the id.");
        return LoadDetails(matches[0]);
    }

    /// <summary>
    /// Copies every run of the <paramref name="inputs"/> into <paramref name="output"/> (created if missing).
    /// Runs are matched by id, so merging the same shard twice adds nothing; a run already stored as complete
    /// is kept, one stored as running or failed is replaced by a finished copy from a shard.
    /// </summary>
    public static MergeResult Merge(string output, IEnumerable<string> inputs)
    {
        var inputList = inputs.ToList();
        if (inputList.Count == 0) throw new FashionMnistException("No input databases to merge", "Name one or more shard databases after the output file.");
        string outputFull = System.IO.Path.GetFullPath(output);
        foreach (string input in inputList)
        {
            if (!File.Exists(input)) throw new FashionMnistException($"Shard database '{input}' does not exist", "Check the path.");
            if (System.IO.Path.GetFullPath(input) == outputFull)
                throw new FashionMnistException($"'{input}' is both an input and the output", "Write the merge to a new file.");
        }
        using var target = Open(output);
        int added = 0, replaced = 0, unchanged = 0;
        foreach (string input in inputList)
        {
            using var source = Open(input, readOnly: true);
            foreach (var summary in source.List())
            {
                var existing = target.TryGetStatus(summary.Id);
                bool take = existing is null
                    || (existing is not RunStatus.Complete && summary.Status is RunStatus.Complete)
                    || (existing is RunStatus.Running && summary.Status is RunStatus.Failed);
                if (!take)
                {
                    unchanged++;
                    continue;
                }
                RunRecord run = source.LoadDetails(summary);
                // Keep the stored status ('running' stays running; a reader resolves staleness itself).
                run = run with { Status = summary.Status == RunStatus.Incomplete ? RunStatus.Running : summary.Status };
                using var transaction = target._connection.BeginTransaction();
                target.InsertRun(run, transaction, replace: true);
                target.InsertDetails(run, transaction);
                transaction.Commit();
                if (existing is null) added++; else replaced++;
            }
        }
        return new MergeResult(outputFull, inputList.Count, added, replaced, unchanged);
    }

    public void Dispose() => _connection.Dispose();

    private RunStatus? TryGetStatus(Guid id)
    {
        using var command = _connection.CreateCommand();
        command.CommandText = "SELECT status FROM runs WHERE id = $id";
        command.Parameters.AddWithValue("$id", id.ToString());
        return command.ExecuteScalar() is string status ? ParseStatus(status) : null;
    }

    private void InsertRun(RunRecord run, SqliteTransaction transaction, bool replace)
    {
        using var command = _connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = (replace ? "INSERT OR REPLACE" : "INSERT") + """
             INTO runs (id, kind, model, parent_id, status, command, options_json, preprocessing, data_slice, seed,
                started_utc, finished_utc, fit_seconds, predict_seconds, environment_json, host, pid, error, notes_json)
            VALUES ($id, $kind, $model, $parent, $status, $command, $options, $preprocessing, $slice, $seed,
                $started, $finished, $fit, $predict, $environment, $host, $pid, $error, $notes)
            """;
        var p = command.Parameters;
        p.AddWithValue("$id", run.Id.ToString());
        p.AddWithValue("$kind", run.Kind);
        p.AddWithValue("$model", run.Model);
        p.AddWithValue("$parent", (object?)run.ParentId?.ToString() ?? DBNull.Value);
        p.AddWithValue("$status", StatusText(run.Status));
        p.AddWithValue("$command", run.Command);
        p.AddWithValue("$options", JsonSerializer.Serialize(run.Options, s_json));
        p.AddWithValue("$preprocessing", run.Preprocessing);
        p.AddWithValue("$slice", run.DataSlice);
        p.AddWithValue("$seed", run.Seed);
        p.AddWithValue("$started", run.StartedUtc.ToString("O", CultureInfo.InvariantCulture));
        p.AddWithValue("$finished", (object?)run.FinishedUtc?.ToString("O", CultureInfo.InvariantCulture) ?? DBNull.Value);
        p.AddWithValue("$fit", (object?)run.FitSeconds ?? DBNull.Value);
        p.AddWithValue("$predict", (object?)run.PredictSeconds ?? DBNull.Value);
        p.AddWithValue("$environment", JsonSerializer.Serialize(run.Environment, s_json));
        p.AddWithValue("$host", run.Environment.Host);
        p.AddWithValue("$pid", run.Environment.ProcessId);
        p.AddWithValue("$error", (object?)run.Error ?? DBNull.Value);
        p.AddWithValue("$notes", JsonSerializer.Serialize(run.Notes, s_json));
        command.ExecuteNonQuery();
    }

    private void InsertDetails(RunRecord run, SqliteTransaction transaction)
    {
        string id = run.Id.ToString();
        foreach (string table in new[] { "metrics", "fold_scores", "class_metrics", "confusion", "epochs" })
            Execute(_connection, $"DELETE FROM {table} WHERE run_id = '{id}'", transaction);

        using (var command = Prepared(transaction, "INSERT INTO metrics (run_id, name, value) VALUES ($id, $a, $b)", id, 2))
            foreach (var (name, value) in run.Metrics) Run(command, name, double.IsFinite(value) ? value : DBNull.Value);
        using (var command = Prepared(transaction, "INSERT INTO fold_scores (run_id, fold, score) VALUES ($id, $a, $b)", id, 2))
            for (int f = 0; f < run.FoldScores.Count; f++) Run(command, f, run.FoldScores[f]);
        using (var command = Prepared(transaction, "INSERT INTO class_metrics (run_id, label, name, precision, recall, f1, support) VALUES ($id, $a, $b, $c, $d, $e, $f)", id, 6))
            foreach (var m in run.PerClass) Run(command, m.Label, m.Name, m.Precision, m.Recall, m.F1, m.Support);
        if (run.Confusion is int[][] confusion)
            using (var command = Prepared(transaction, "INSERT INTO confusion (run_id, actual, predicted, count) VALUES ($id, $a, $b, $c)", id, 3))
                for (int r = 0; r < confusion.Length; r++)
                    for (int c = 0; c < confusion[r].Length; c++) Run(command, r, c, confusion[r][c]);
        using (var command = Prepared(transaction, "INSERT INTO epochs (run_id, epoch, train_loss, train_accuracy, val_loss, val_accuracy, seconds, learning_rate) VALUES ($id, $a, $b, $c, $d, $e, $f, $g)", id, 7))
            foreach (var e in run.Epochs)
                Run(command, e.Epoch, e.TrainLoss, e.TrainAccuracy, (object?)e.ValidationLoss ?? DBNull.Value,
                    (object?)e.ValidationAccuracy ?? DBNull.Value, e.Seconds, double.IsFinite(e.LearningRate) ? e.LearningRate : DBNull.Value);
    }

    private SqliteCommand Prepared(SqliteTransaction transaction, string sql, string id, int parameters)
    {
        var command = _connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        command.Parameters.AddWithValue("$id", id);
        for (int i = 0; i < parameters; i++) command.Parameters.Add(new SqliteParameter("$" + (char)('a' + i), null));
        return command;
    }

    private static void Run(SqliteCommand command, params object[] values)
    {
        for (int i = 0; i < values.Length; i++) command.Parameters[i + 1].Value = values[i];
        command.ExecuteNonQuery();
    }

    private RunRecord LoadDetails(RunRecord run)
    {
        string id = run.Id.ToString();
        var metrics = new Dictionary<string, double>();
        Query("SELECT name, value FROM metrics WHERE run_id = $id", id, r => metrics[r.GetString(0)] = r.IsDBNull(1) ? double.NaN : r.GetDouble(1));
        var folds = new List<double>();
        Query("SELECT score FROM fold_scores WHERE run_id = $id ORDER BY fold", id, r => folds.Add(r.GetDouble(0)));
        var perClass = new List<ClassMetrics>();
        Query("SELECT label, name, precision, recall, f1, support FROM class_metrics WHERE run_id = $id ORDER BY label", id,
            r => perClass.Add(new ClassMetrics(r.GetInt32(0), r.GetString(1), r.GetDouble(2), r.GetDouble(3), r.GetDouble(4), r.GetInt32(5))));
        var cells = new List<(int R, int C, int N)>();
        Query("SELECT actual, predicted, count FROM confusion WHERE run_id = $id", id, r => cells.Add((r.GetInt32(0), r.GetInt32(1), r.GetInt32(2))));
        int[][]? confusion = null;
        if (cells.Count > 0)
        {
            int size = cells.Max(c => Math.Max(c.R, c.C)) + 1;
            confusion = Enumerable.Range(0, size).Select(_ => new int[size]).ToArray();
            foreach (var (r, c, n) in cells) confusion[r][c] = n;
        }
        var epochs = new List<EpochMetrics>();
        Query("SELECT epoch, train_loss, train_accuracy, val_loss, val_accuracy, seconds, learning_rate FROM epochs WHERE run_id = $id ORDER BY epoch", id,
            r => epochs.Add(new EpochMetrics(r.GetInt32(0), Double(r, 1), Double(r, 2),
                r.IsDBNull(3) ? null : r.GetDouble(3), r.IsDBNull(4) ? null : r.GetDouble(4), Double(r, 5), Double(r, 6))));
        return run with { Metrics = metrics, FoldScores = folds, PerClass = perClass, Confusion = confusion, Epochs = epochs };

        static double Double(SqliteDataReader r, int i) => r.IsDBNull(i) ? double.NaN : r.GetDouble(i);
    }

    private void Query(string sql, string id, Action<SqliteDataReader> row)
    {
        using var command = _connection.CreateCommand();
        command.CommandText = sql;
        command.Parameters.AddWithValue("$id", id);
        using var reader = command.ExecuteReader();
        while (reader.Read()) row(reader);
    }

    private static RunRecord ReadRun(SqliteDataReader r)
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
            Seed = r.GetInt32(r.GetOrdinal("seed")),
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

    private static RunStatus ParseStatus(string text) => text switch
    {
        "running" => RunStatus.Running,
        "complete" => RunStatus.Complete,
        "failed" => RunStatus.Failed,
        _ => RunStatus.Incomplete,
    };

    private static void Execute(SqliteConnection connection, string sql, SqliteTransaction? transaction = null)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    private static object? Scalar(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return command.ExecuteScalar();
    }
}

/// <summary>What a merge did: runs added, replaced (an unfinished copy by a finished one) and already present.</summary>
public sealed record MergeResult(string Output, int Inputs, int Added, int Replaced, int Unchanged);

/// <summary>Helpers to fill a <see cref="RunRecord"/> from an evaluation.</summary>
public static class RunRecordExtensions
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
