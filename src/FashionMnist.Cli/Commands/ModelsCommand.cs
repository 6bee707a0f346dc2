namespace FashionMnist.Cli.Commands;

/// <summary>`fmnist models [MODEL]`: the catalog, or one model's options with defaults.</summary>
public static class ModelsCommand
{
    public static Command Create()
    {
        var name = new Argument<string?>("MODEL") { Description = "Show this model's options.", Arity = ArgumentArity.ZeroOrOne };
        var json = new Option<bool>("--json") { Description = "Print one JSON object instead of tables." };
        var command = new Command("models", "List the models fmnist can train (name, family, summary), or one model's options with defaults and descriptions.")
        {
            name, json,
        };
        command.SetAction(parse =>
        {
            string? model = parse.GetValue(name);
            if (model is not null)
            {
                var descriptor = ModelCatalog.Get(model);
                if (parse.GetValue(json)) JsonOutput.Write(CommandSupport.DescribeJson(descriptor));
                else CommandSupport.WriteOptions(descriptor);
                return ExitCodes.Ok;
            }
            if (parse.GetValue(json))
            {
                JsonOutput.Write(new { Models = ModelCatalog.All.Select(d => new { d.Name, d.Family, d.Summary }).ToList() });
                return ExitCodes.Ok;
            }
            var table = new Table().AddColumn("Model").AddColumn("Family").AddColumn("Summary");
            foreach (var d in ModelCatalog.All) table.AddRow(Markup.Escape(d.Name), d.Family, Markup.Escape(d.Summary));
            AnsiConsole.Write(table);
            AnsiConsole.MarkupLine("Options of one model: [bold]fmnist models MODEL[/].");
            return ExitCodes.Ok;
        });
        return command;
    }
}
