using Npgsql;

namespace FashionMnist.Experiments.Storage;

/// <summary>Which database engine holds an experiment store.</summary>
public enum StoreKind
{
    /// <summary>One embedded file (the default, runs/fmnist.db): one machine, or processes sharing its disk.</summary>
    Sqlite,

    /// <summary>A PostgreSQL server: many workers on many machines share one study.</summary>
    PostgreSql,
}

/// <summary>
/// What <c>--store</c> names: a SQLite file path, a <c>postgresql://user[:password]@host[:port]/database[?option=value]</c>
/// URL (<c>postgres://</c> too), or an Npgsql connection string (<c>Host=...;Database=...</c>). Parsed before anything
/// runs, so a store that cannot be meant gives exit code 2 at once.
/// </summary>
public sealed record StoreLocation
{
    private StoreLocation(StoreKind kind, string text, string display, string? path, NpgsqlConnectionStringBuilder? postgres)
    {
        (Kind, Text, Display, SqlitePath, Postgres) = (kind, text, display, path, postgres);
    }

    /// <summary>SQLite or PostgreSQL.</summary>
    public StoreKind Kind { get; }

    /// <summary>What the user wrote.</summary>
    public string Text { get; }

    /// <summary>How messages and reports name the store: the full file path, or the URL without its password.</summary>
    public string Display { get; }

    /// <summary>The database file (SQLite only), as an absolute path.</summary>
    public string? SqlitePath { get; }

    internal NpgsqlConnectionStringBuilder? Postgres { get; }

    /// <summary>"host:port" of a PostgreSQL store, for messages.</summary>
    public string? Server => Postgres is null ? null : $"{Postgres.Host}:{Postgres.Port.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>URL query options of a postgresql:// store and the Npgsql setting each one sets.</summary>
    private static readonly Dictionary<string, string> s_urlOptions = new(StringComparer.OrdinalIgnoreCase)
    {
        ["sslmode"] = "SSL Mode", ["connect_timeout"] = "Timeout", ["application_name"] = "Application Name",
        ["options"] = "Options", ["target_session_attrs"] = "Target Session Attributes", ["password"] = "Password", ["user"] = "Username",
    };

    /// <summary>Reads what <c>--store</c> takes (a file path, a postgresql:// URL or a connection string); anything else is a <see cref="FashionMnistException"/>.</summary>
    public static StoreLocation Parse(string text)
    {
        string trimmed = text.Trim();
        if (trimmed.Length == 0)
            throw new FashionMnistException("--store is empty", $"Pass a SQLite file path (default {ExperimentStore.DefaultPath}) or postgresql://user@host:port/database.");
        int scheme = trimmed.IndexOf("://", StringComparison.Ordinal);
        if (scheme > 0 && trimmed[..scheme].All(char.IsAsciiLetterOrDigit))
        {
            string name = trimmed[..scheme].ToLowerInvariant();
            if (name is "postgresql" or "postgres") return FromUrl(trimmed);
            if (name is "sqlite" or "file") return FromPath(trimmed, trimmed[(scheme + 3)..]);
            throw new FashionMnistException($"The store '{text}' has the unknown scheme '{name}://'",
                "Use postgresql://user@host:port/database for PostgreSQL, or a plain file path for SQLite.");
        }
        if (LooksLikeConnectionString(trimmed)) return FromConnectionString(trimmed);
        return FromPath(text, text);
    }

    /// <summary>"Host=db;Database=fmnist" style: key=value pairs separated by semicolons, one of them naming a host.</summary>
    private static bool LooksLikeConnectionString(string text) =>
        text.Contains('=') && text.Split(';').Any(p => p.Split('=')[0].Trim() is var key &&
            (key.Equals("Host", StringComparison.OrdinalIgnoreCase) || key.Equals("Server", StringComparison.OrdinalIgnoreCase)));

    private static StoreLocation FromPath(string text, string path)
    {
        string full = Path.GetFullPath(path);
        return new StoreLocation(StoreKind.Sqlite, text, full, full, null);
    }

    private static StoreLocation FromConnectionString(string text)
    {
        NpgsqlConnectionStringBuilder builder;
        try { builder = new NpgsqlConnectionStringBuilder(text); }
        catch (Exception e) when (e is ArgumentException or FormatException or InvalidCastException or KeyNotFoundException)
        {
            throw new FashionMnistException($"The store '{Redact(text)}' is not a valid Npgsql connection string: {e.Message.TrimEnd('.')}",
                "Write it as Host=HOST;Port=5432;Username=USER;Database=DB, or as postgresql://USER@HOST:5432/DB.", ExitCodes.BadInput, e);
        }
        if (string.IsNullOrWhiteSpace(builder.Host))
            throw new FashionMnistException($"The store connection string '{Redact(text)}' names no host", "Add Host=NAME.");
        if (string.IsNullOrWhiteSpace(builder.Database))
            throw new FashionMnistException($"The store connection string '{Redact(text)}' names no database", "Add Database=NAME.");
        return ForPostgres(text, builder);
    }

    private static StoreLocation FromUrl(string text)
    {
        const string remedy = "Write it as postgresql://USER@HOST:PORT/DATABASE (PORT and a :PASSWORD after USER are optional), e.g. postgresql://fmnist@127.0.0.1:5432/fmnist.";
        if (!Uri.TryCreate(text, UriKind.Absolute, out Uri? uri) || uri.HostNameType == UriHostNameType.Unknown || uri.Host.Length == 0)
            throw new FashionMnistException($"The store URL '{Redact(text)}' does not parse (host or port is malformed)", remedy);
        string database = Uri.UnescapeDataString(uri.AbsolutePath.Trim('/'));
        if (database.Length == 0 || database.Contains('/'))
            throw new FashionMnistException($"The store URL '{Redact(text)}' names no database (or more than one path segment)", remedy);
        var builder = new NpgsqlConnectionStringBuilder
        {
            Host = uri.Host.Trim('[', ']'),
            Port = uri.IsDefaultPort || uri.Port < 0 ? 5432 : uri.Port,
            Database = database,
        };
        if (uri.UserInfo.Length > 0)
        {
            string[] user = uri.UserInfo.Split(':', 2);
            builder.Username = Uri.UnescapeDataString(user[0]);
            if (user.Length == 2) builder.Password = Uri.UnescapeDataString(user[1]);
        }
        foreach (string pair in uri.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            string[] kv = pair.Split('=', 2);
            string key = Uri.UnescapeDataString(kv[0]);
            if (!s_urlOptions.TryGetValue(key, out string? setting))
                throw new FashionMnistException($"The store URL option '{key}' is not supported",
                    $"Use only {string.Join(", ", s_urlOptions.Keys)}, or pass an Npgsql connection string instead of a URL.");
            try { builder[setting] = kv.Length == 2 ? Uri.UnescapeDataString(kv[1]) : ""; }
            catch (Exception e) when (e is ArgumentException or FormatException or InvalidCastException)
            {
                throw new FashionMnistException($"The store URL option '{pair}' has a bad value: {e.Message.TrimEnd('.')}", remedy, ExitCodes.BadInput, e);
            }
        }
        return ForPostgres(text, builder);
    }

    private static StoreLocation ForPostgres(string text, NpgsqlConnectionStringBuilder builder)
    {
        string user = string.IsNullOrEmpty(builder.Username) ? "" : Uri.EscapeDataString(builder.Username) + "@";
        string host = builder.Host!.Contains(':') ? $"[{builder.Host}]" : builder.Host!;
        string display = $"postgresql://{user}{host}:{builder.Port.ToString(CultureInfo.InvariantCulture)}/{Uri.EscapeDataString(builder.Database!)}";
        return new StoreLocation(StoreKind.PostgreSql, text, display, null, builder);
    }

    /// <summary>The text with any password hidden, for messages.</summary>
    private static string Redact(string text)
    {
        string hidden = System.Text.RegularExpressions.Regex.Replace(text, @"(?i)(password\s*=\s*)[^;&]*", "$1***");
        return System.Text.RegularExpressions.Regex.Replace(hidden, @"^([a-z]+://[^:/@]+:)[^@]*@", "$1***@");
    }

    /// <summary>The <see cref="Display"/> form (never the password).</summary>
    public override string ToString() => Display;
}
