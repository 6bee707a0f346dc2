using System.Data.Common;

namespace FashionMnist.Experiments.Storage;

/// <summary>
/// What differs between the store's two engines; everything else (tables, queries, transactions) is shared SQL.
/// Both engines take <c>@name</c> parameters, <c>INSERT … ON CONFLICT … DO UPDATE</c> and <c>UPDATE … RETURNING</c>.
/// </summary>
internal abstract class StoreBackend
{
    public static StoreBackend For(StoreLocation location) => location.Kind switch
    {
        StoreKind.Sqlite => new SqliteBackend(location),
        StoreKind.PostgreSql => new PostgresBackend(location),
        _ => throw new ArgumentOutOfRangeException(nameof(location)),
    };

    protected StoreBackend(StoreLocation location) => Location = location;

    public StoreLocation Location { get; }

    /// <summary>Opens a connection (creating the database file when allowed), retrying a server that does not answer yet.</summary>
    public abstract DbConnection Connect(bool readOnly);

    /// <summary>The schema's DDL with its type names for this engine (<c>{real}</c>: a 64-bit float; <c>{bigint}</c>: 64-bit integer).</summary>
    public abstract string Types(string ddl);

    /// <summary>The schema version stored in the database; 0 for a database fmnist has not written yet.</summary>
    public abstract int ReadVersion(DbConnection connection, DbTransaction? transaction);

    public abstract void WriteVersion(DbConnection connection, DbTransaction transaction, int version);

    /// <summary>Serialises schema creation between workers starting at the same moment.</summary>
    public abstract void LockSchema(DbConnection connection, DbTransaction transaction);

    /// <summary>SQL for the database's clock in Unix milliseconds: claims and heartbeats use one clock, whatever the workers' clocks say.</summary>
    public abstract string NowMilliseconds { get; }

    /// <summary>The claim query's row lock: PostgreSQL's <c>FOR UPDATE SKIP LOCKED</c>; nothing for SQLite, whose write transaction locks the file.</summary>
    public abstract string SkipLocked { get; }

    /// <summary>Whether the failure is a lost or busy connection worth reconnecting and retrying (never a bad query).</summary>
    public abstract bool IsTransient(Exception e);

    /// <summary>How many times to try opening a connection or redoing an interrupted transaction.</summary>
    public static int Tries =>
        int.TryParse(Environment.GetEnvironmentVariable("FMNIST_STORE_TRIES"), out int n) && n >= 1 ? n : 5;

    /// <summary>Wait before try <paramref name="attempt"/> (1-based, after the first failure): 0.5 s, 1 s, 2 s, ... at most 8 s.</summary>
    public static TimeSpan Backoff(int attempt) => TimeSpan.FromMilliseconds(Math.Min(8000, 500 * (1 << Math.Min(attempt - 1, 4))));
}
