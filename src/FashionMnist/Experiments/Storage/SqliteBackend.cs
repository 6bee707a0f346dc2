using System.Data.Common;
using FashionMnist.Interop;
using Microsoft.Data.Sqlite;

namespace FashionMnist.Experiments.Storage;

/// <summary>
/// The embedded store: one SQLite file in WAL mode (a crash mid-write rolls back to the last commit; readers never
/// block the writer). The schema version lives in <c>PRAGMA user_version</c>, as it did before PostgreSQL existed.
/// Claims use <c>BEGIN IMMEDIATE</c> transactions, so two processes on the same file never take the same unit.
/// </summary>
internal sealed class SqliteBackend(StoreLocation location) : StoreBackend(location)
{
    public override DbConnection Connect(bool readOnly)
    {
        SqliteProvider.EnsureInitialized();
        string path = Location.SqlitePath!;
        string shown = Location.Text;
        if (Directory.Exists(path))
            throw new FashionMnistException($"The experiment store '{shown}' is a folder", "Pass a database file path to --store, e.g. runs/fmnist.db.");
        if (readOnly && !File.Exists(path))
            throw new FashionMnistException($"The experiment store '{shown}' does not exist", "Check the path, or run a train or compare command first to create it.");
        if (!readOnly)
        {
            try { Directory.CreateDirectory(Path.GetDirectoryName(path)!); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new FashionMnistException($"Cannot create the folder for the experiment store '{shown}': {e.Message}",
                    "Pass --store with a path in a folder you can write to.", ExitCodes.BadInput, e);
            }
        }
        var builder = new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = readOnly ? SqliteOpenMode.ReadOnly : SqliteOpenMode.ReadWriteCreate,
            Pooling = false, // close the file when the store is disposed (tests, merges)
            DefaultTimeout = 30,
        };
        var connection = new SqliteConnection(builder.ToString());
        try
        {
            connection.Open();
            Execute(connection, (readOnly ? "" : "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; ") + "PRAGMA busy_timeout=10000; PRAGMA foreign_keys=ON;");
            return connection;
        }
        catch (SqliteException e)
        {
            connection.Dispose();
            throw Describe(e);
        }
    }

    public FashionMnistException Describe(SqliteException e) =>
        new($"Cannot open the experiment store '{Location.Text}': {e.Message.TrimEnd('.')}",
            e.SqliteErrorCode == 26 /* SQLITE_NOTADB */
                ? "The file is not a SQLite database; pass --store with another path."
                : "Check that the file is a database fmnist wrote and that its folder is writable.", ExitCodes.BadInput, e);

    public override string Types(string ddl) => ddl.Replace("{real}", "REAL", StringComparison.Ordinal).Replace("{bigint}", "INTEGER", StringComparison.Ordinal);

    public override int ReadVersion(DbConnection connection, DbTransaction? transaction)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "PRAGMA user_version;";
        return Convert.ToInt32(command.ExecuteScalar(), CultureInfo.InvariantCulture);
    }

    public override void WriteVersion(DbConnection connection, DbTransaction transaction, int version)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = $"PRAGMA user_version={version.ToString(CultureInfo.InvariantCulture)};";
        command.ExecuteNonQuery();
    }

    // Microsoft.Data.Sqlite's BeginTransaction() is BEGIN IMMEDIATE: the write lock is already held.
    public override void LockSchema(DbConnection connection, DbTransaction transaction) { }

    public override string NowMilliseconds => "CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER)";

    public override string SkipLocked => "";

    public override bool IsTransient(Exception e) =>
        e is SqliteException { SqliteErrorCode: 5 /* SQLITE_BUSY */ or 6 /* SQLITE_LOCKED */ };

    private static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }
}
