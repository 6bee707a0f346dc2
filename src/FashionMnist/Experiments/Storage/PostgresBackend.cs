using System.Data.Common;
using System.Net.Sockets;
using Npgsql;

namespace FashionMnist.Experiments.Storage;

/// <summary>
/// The shared store: a PostgreSQL database that workers on many machines use at once. The schema version lives in
/// a one-row table <c>fmnist_schema</c>; schema creation holds an advisory lock so workers that start together create
/// it once. Opening retries a server that does not answer yet (bounded), then names host and port.
/// </summary>
internal sealed class PostgresBackend(StoreLocation location) : StoreBackend(location)
{
    /// <summary>Key of the advisory lock that serialises schema creation ("fmnist" in ASCII, as a number).</summary>
    private const long SchemaLock = 0x666d6e697374;

    public override DbConnection Connect(bool readOnly)
    {
        var builder = new NpgsqlConnectionStringBuilder(Location.Postgres!.ConnectionString);
        if (!Location.Text.Contains("Timeout", StringComparison.OrdinalIgnoreCase) && !Location.Text.Contains("connect_timeout", StringComparison.OrdinalIgnoreCase))
            builder.Timeout = 5;
        builder.Pooling = false; // a reconnect after a lost connection must really reconnect
        if (string.IsNullOrEmpty(builder.ApplicationName)) builder.ApplicationName = "fmnist";
        int tries = Tries;
        for (int attempt = 1; ; attempt++)
        {
            var connection = new NpgsqlConnection(builder.ConnectionString);
            try
            {
                connection.Open();
                return connection;
            }
            catch (PostgresException e) when (e.SqlState is "28P01" or "28000")
            {
                connection.Dispose();
                throw new FashionMnistException($"The PostgreSQL server at {Location.Server} refused user '{builder.Username}': {e.MessageText.TrimEnd('.')}",
                    "Check the user (and password) in --store, and the server's pg_hba.conf.", ExitCodes.BadInput, e);
            }
            catch (PostgresException e) when (e.SqlState == "3D000")
            {
                connection.Dispose();
                throw new FashionMnistException($"The PostgreSQL server at {Location.Server} has no database '{builder.Database}'",
                    $"Create it (createdb -h {builder.Host} -p {builder.Port} {builder.Database}) or name another one in --store.", ExitCodes.BadInput, e);
            }
            catch (Exception e) when (IsTransient(e) || e is NpgsqlException or TimeoutException or SocketException)
            {
                connection.Dispose();
                if (attempt >= tries)
                    throw new FashionMnistException(
                        $"The PostgreSQL server at {Location.Server} does not answer ({Reason(e)}; {tries} tries over {Waited(tries).TotalSeconds.ToString("0", CultureInfo.InvariantCulture)} s)",
                        "Check that it is running and that host and port in --store are right (FMNIST_STORE_TRIES sets the number of tries).",
                        ExitCodes.BadInput, e);
                Thread.Sleep(Backoff(attempt));
            }
        }
    }

    private static TimeSpan Waited(int tries) => TimeSpan.FromMilliseconds(Enumerable.Range(1, tries - 1).Sum(a => Backoff(a).TotalMilliseconds));

    private static string Reason(Exception e)
    {
        for (Exception? inner = e; inner is not null; inner = inner.InnerException)
            if (inner is SocketException socket) return socket.Message.TrimEnd('.');
        return (e is PostgresException pg ? pg.MessageText : e.Message).TrimEnd('.');
    }

    public override string Types(string ddl) => ddl.Replace("{real}", "DOUBLE PRECISION", StringComparison.Ordinal).Replace("{bigint}", "BIGINT", StringComparison.Ordinal);

    public override int ReadVersion(DbConnection connection, DbTransaction? transaction)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "SELECT to_regclass('fmnist_schema') IS NOT NULL";
        if (command.ExecuteScalar() is not true) return 0;
        command.CommandText = "SELECT max(version) FROM fmnist_schema";
        return command.ExecuteScalar() is int version ? version : 0;
    }

    public override void WriteVersion(DbConnection connection, DbTransaction transaction, int version)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "CREATE TABLE IF NOT EXISTS fmnist_schema (version INTEGER NOT NULL); DELETE FROM fmnist_schema; " +
                              $"INSERT INTO fmnist_schema (version) VALUES ({version.ToString(CultureInfo.InvariantCulture)});";
        command.ExecuteNonQuery();
    }

    public override void LockSchema(DbConnection connection, DbTransaction transaction)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = $"SELECT pg_advisory_xact_lock({SchemaLock.ToString(CultureInfo.InvariantCulture)})";
        command.ExecuteNonQuery();
    }

    public override string NowMilliseconds => "CAST(EXTRACT(EPOCH FROM clock_timestamp()) * 1000 AS BIGINT)";

    public override string SkipLocked => "FOR UPDATE SKIP LOCKED";

    public override bool IsTransient(Exception e) => e switch
    {
        PostgresException pg => pg.IsTransient || pg.SqlState.StartsWith("08", StringComparison.Ordinal) || pg.SqlState.StartsWith("57P", StringComparison.Ordinal),
        NpgsqlException npgsql => npgsql.IsTransient || npgsql.InnerException is IOException or SocketException or TimeoutException,
        InvalidOperationException when e.Message.Contains("connection", StringComparison.OrdinalIgnoreCase) => true, // used after it broke
        _ => false,
    };
}
