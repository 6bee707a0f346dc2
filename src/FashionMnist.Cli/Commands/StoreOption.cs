using FashionMnist.Experiments;
using System.CommandLine;
using FashionMnist.Evaluation;

namespace FashionMnist.Cli.Commands;

/// <summary>The --store option shared by every command that records or reads runs.</summary>
public static class StoreOption
{
    public static Option<string> Create() => new("--store")
    {
        Description = "The experiment database (SQLite) that records every run; a relative path is taken from the working folder.",
        DefaultValueFactory = _ => ExperimentStore.DefaultPath,
        Recursive = true,
    };
}
