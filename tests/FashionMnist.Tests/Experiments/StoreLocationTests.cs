using FashionMnist.Experiments.Storage;
using FashionMnist.Experiments.Studies;

namespace FashionMnist.Tests.Experiments;

public sealed class StoreLocationTests
{
    [Fact]
    public void A_postgresql_url_gives_host_port_user_password_and_database()
    {
        var location = StoreLocation.Parse("postgresql://fm%40user:s3cr%2Ft@db.example.org:6543/study_db?sslmode=disable&application_name=w1");
        Assert.Equal(StoreKind.PostgreSql, location.Kind);
        var pg = location.Postgres!;
        Assert.Equal("db.example.org", pg.Host);
        Assert.Equal(6543, pg.Port);
        Assert.Equal("fm@user", pg.Username);
        Assert.Equal("s3cr/t", pg.Password);
        Assert.Equal("study_db", pg.Database);
        Assert.Equal(Npgsql.SslMode.Disable, pg.SslMode);
        Assert.Equal("w1", pg.ApplicationName);
        Assert.Equal("db.example.org:6543", location.Server);
        Assert.DoesNotContain("s3cr", location.Display); // never print the password
        Assert.Equal("postgresql://fm%40user@db.example.org:6543/study_db", location.Display);
    }

    [Fact]
    public void The_port_defaults_to_5432_and_postgres_scheme_and_connection_strings_work_too()
    {
        Assert.Equal(5432, StoreLocation.Parse("postgres://u@127.0.0.1/fmnist").Postgres!.Port);
        var fromString = StoreLocation.Parse("Host=10.0.0.5;Port=5433;Username=fm;Database=runs");
        Assert.Equal(StoreKind.PostgreSql, fromString.Kind);
        Assert.Equal("10.0.0.5:5433", fromString.Server);
        Assert.Equal("postgresql://fm@10.0.0.5:5433/runs", fromString.Display);
    }

    [Fact]
    public void Anything_else_is_a_sqlite_path_taken_from_the_working_folder()
    {
        var location = StoreLocation.Parse("runs/fmnist.db");
        Assert.Equal(StoreKind.Sqlite, location.Kind);
        Assert.Equal(Path.GetFullPath("runs/fmnist.db"), location.SqlitePath);
        Assert.Equal(Path.GetFullPath("/tmp/x.db"), StoreLocation.Parse("sqlite:///tmp/x.db").SqlitePath);
    }

    [Theory]
    [InlineData("postgresql://u@host:99999/db", "does not parse")]
    [InlineData("postgresql://u@host:port/db", "does not parse")]
    [InlineData("postgresql://u@[::1/db", "does not parse")]
    [InlineData("postgresql://u@host:5432", "names no database")]
    [InlineData("postgresql://u@host:5432/a/b", "names no database")]
    [InlineData("postgresql://u@host/db?pool=yes", "option 'pool' is not supported")]
    [InlineData("postgresql://u@host/db?connect_timeout=soon", "has a bad value")]
    [InlineData("mysql://u@host/db", "unknown scheme 'mysql://'")]
    [InlineData("Host=h;Port=notaport;Database=d", "not a valid Npgsql connection string")]
    [InlineData("Host=h;Username=u", "names no database")]
    [InlineData("  ", "--store is empty")]
    public void A_store_that_cannot_be_meant_is_bad_input(string text, string message)
    {
        var e = Assert.Throws<FashionMnistException>(() => StoreLocation.Parse(text));
        Assert.Equal(ExitCodes.BadInput, e.ExitCode);
        Assert.Contains(message, e.Message);
    }

    [Fact]
    public void A_password_in_a_bad_store_is_not_repeated_in_the_message()
    {
        var e = Assert.Throws<FashionMnistException>(() => StoreLocation.Parse("Host=h;Password=hunter2;Port=x;Database=d"));
        Assert.DoesNotContain("hunter2", e.Message);
    }

    [Theory]
    [InlineData("2/4", null, null, 2, 4)]
    [InlineData("auto", "SLURM_ARRAY_TASK_ID=0;SLURM_ARRAY_TASK_COUNT=3", null, 1, 3)]
    [InlineData("auto", "SLURM_ARRAY_TASK_ID=7;SLURM_ARRAY_TASK_MIN=5;SLURM_ARRAY_TASK_MAX=8", null, 3, 4)]
    [InlineData("auto", "JOB_COMPLETION_INDEX=4", 5, 5, 5)]
    public void Shard_auto_reads_the_schedulers_index(string shard, string? variables, int? shards, int number, int count)
    {
        var env = (variables ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries).Select(v => v.Split('=')).ToDictionary(v => v[0], v => v[1]);
        var chosen = ShardSelection.Resolve(shard, shards, name => env.GetValueOrDefault(name))!.Value;
        Assert.Equal((number, count), (chosen.Number, chosen.Count));
    }

    [Theory]
    [InlineData("auto", "", null, "found neither")]
    [InlineData("auto", "JOB_COMPLETION_INDEX=2", null, "needs --shards N")]
    [InlineData("auto", "JOB_COMPLETION_INDEX=5", 5, "is not below --shards 5")]
    [InlineData("auto", "SLURM_ARRAY_TASK_ID=x", null, "is not a number")]
    [InlineData("auto", "SLURM_ARRAY_TASK_ID=1", null, "not how many tasks")]
    [InlineData("1/2", "", 3, "goes with --shard auto only")]
    public void Shard_auto_without_a_usable_index_is_bad_input(string shard, string variables, int? shards, string message)
    {
        var env = variables.Split(';', StringSplitOptions.RemoveEmptyEntries).Select(v => v.Split('=')).ToDictionary(v => v[0], v => v[1]);
        var e = Assert.Throws<FashionMnistException>(() => ShardSelection.Resolve(shard, shards, name => env.GetValueOrDefault(name)));
        Assert.Contains(message, e.Message);
        Assert.Equal(ExitCodes.BadInput, e.ExitCode);
    }
}
