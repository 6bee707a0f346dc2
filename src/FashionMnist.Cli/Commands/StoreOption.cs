using FashionMnist.Experiments.Storage;

namespace FashionMnist.Cli.Commands;

/// <summary>The --store option shared by every command that records or reads runs.</summary>
public static class StoreOption
{
    public static Option<string> Create() => new("--store")
    {
        Description = "The experiment store that records every run and study: a SQLite file (default runs/fmnist.db; a relative path is taken " +
                      "from the working folder), or a PostgreSQL database that many workers share: postgresql://USER@HOST:PORT/DB or an Npgsql connection string.",
        DefaultValueFactory = _ => ExperimentStore.DefaultPath,
        Recursive = true,
    };

    /// <summary>Opens a store that must exist already (read-only), with the message a missing SQLite file deserves.</summary>
    public static ExperimentStore OpenExisting(string text, string remedy)
    {
        var location = StoreLocation.Parse(text);
        if (location.Kind == StoreKind.Sqlite && !File.Exists(location.SqlitePath))
            throw new FashionMnistException($"No experiment store at '{text}'", remedy);
        return ExperimentStore.Open(location, readOnly: true);
    }
}
