using System.CommandLine;
using FashionMnist.Data;
using Spectre.Console;

namespace FashionMnist.Cli.Commands;

/// <summary>`fmnist data ...`: find, verify, describe and show the data set. SKELETON: info only.</summary>
public static class DataCommands
{
    public static readonly Option<string?> DataDir = new("--data-dir")
    {
        Description = "Folder with the four Fashion-MNIST idx files (.gz or not). Default: FASHION_MNIST_DIR, " +
                      "then /usr/share/datasets/fashion-mnist, then the per-user cache.",
        Recursive = true,
    };

    public static Command Create()
    {
        var data = new Command("data", "Find, verify, describe and show the Fashion-MNIST data set.");
        data.Add(DataDir);
        data.Add(Info());
        return data;
    }

    private static Command Info()
    {
        var json = new Option<bool>("--json") { Description = "Print one JSON object instead of tables." };
        var info = new Command("info", "Where the data was found, counts, per-class counts, pixel mean and std.") { json };
        info.SetAction(parse =>
        {
            var data = FashionMnistData.Load(parse.GetValue(DataDir));
            var table = new Table().AddColumn("Class").AddColumn("Train").AddColumn("Test");
            int[] train = data.Train.ClassCounts(), test = data.Test.ClassCounts();
            for (int c = 0; c < FashionMnistClasses.Count; c++)
                table.AddRow(FashionMnistClasses.Name(c), train[c].ToString(), test[c].ToString());
            AnsiConsole.MarkupLine($"Data: [bold]{Markup.Escape(data.Directory)}[/]");
            AnsiConsole.Write(table);
            return ExitCodes.Ok;
        });
        return info;
    }
}
