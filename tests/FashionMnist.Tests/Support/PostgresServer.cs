using FashionMnist.Experiments.Storage;
using Npgsql;

namespace FashionMnist.Tests.Support;

/// <summary>
/// The throwaway PostgreSQL server ./test.sh starts (setup/services/postgres.sh) and names in FMNIST_TEST_POSTGRES.
/// Without the variable the PostgreSQL tests are skipped with the reason; with it they run, and an unreachable server
/// fails them (never a silent skip in CI). Each test gets a database of its own, dropped at the end.
/// </summary>
public sealed class PostgresDatabase : IDisposable
{
    public const string Variable = "FMNIST_TEST_POSTGRES";

    private readonly string _admin;

    public PostgresDatabase()
    {
        string url = Environment.GetEnvironmentVariable(Variable)
            ?? throw new InvalidOperationException($"{Variable} is not set (the test should have been skipped)");
        if (url.StartsWith("unstarted:", StringComparison.Ordinal))
            throw new InvalidOperationException($"./test.sh could not start PostgreSQL: {url["unstarted:".Length..]}");
        var location = StoreLocation.Parse(url);
        _admin = new NpgsqlConnectionStringBuilder(location.Postgres!.ConnectionString) { Pooling = false, Timeout = 10 }.ConnectionString;
        Name = "fmnist_t_" + Guid.NewGuid().ToString("N")[..12];
        Execute($"CREATE DATABASE {Name}");
        var builder = new NpgsqlConnectionStringBuilder(location.Postgres!.ConnectionString);
        Url = $"postgresql://{builder.Username}@{builder.Host}:{builder.Port}/{Name}";
    }

    /// <summary>The database's name.</summary>
    public string Name { get; }

    /// <summary>A postgresql:// store URL for it.</summary>
    public string Url { get; }

    public void Dispose() => Execute($"DROP DATABASE IF EXISTS {Name} WITH (FORCE)");

    private void Execute(string sql)
    {
        using var connection = new NpgsqlConnection(_admin);
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }
}

/// <summary>A fact that needs the test PostgreSQL server: skipped (with how to get one) when FMNIST_TEST_POSTGRES is not set.</summary>
public sealed class PostgresFactAttribute : FactAttribute
{
    public PostgresFactAttribute()
    {
        if (Environment.GetEnvironmentVariable(PostgresDatabase.Variable) is null)
            Skip = $"No PostgreSQL: ./test.sh starts one (setup/services/postgres.sh start STATE) and sets {PostgresDatabase.Variable}=postgresql://...; set it to run these tests.";
    }
}
