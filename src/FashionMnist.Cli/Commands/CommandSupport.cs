namespace FashionMnist.Cli.Commands;

/// <summary>Small pieces the model commands share.</summary>
internal static class CommandSupport
{
    /// <summary>Adds the data folder option unless an ancestor already offers it recursively.</summary>
    public static void AddDataDir(Command command)
    {
        if (!DataCommands.DataDir.Parents.OfType<RootCommand>().Any()) command.Add(DataCommands.DataDir);
    }

    public static FashionMnistData LoadData(ParseResult parse) => FashionMnistData.Load(parse.GetValue(DataCommands.DataDir));

    /// <summary>The first <paramref name="limit"/> images (all when null); a limit below 1 is a clear error.</summary>
    public static ImageSet Limit(ImageSet images, int? limit, string flag)
    {
        if (limit is null) return images;
        if (limit < 1) throw new FashionMnistException($"{flag} must be at least 1, got {limit}", $"Pass {flag} N with N >= 1, or leave it out for all images.");
        return images.Take(limit.Value);
    }

    /// <summary>The data set with its training and test images cut to <c>--train-limit</c> and <c>--test-limit</c>.</summary>
    public static (ImageSet Train, ImageSet Test) LoadLimitedData(ParseResult parse, Option<int?> trainLimit, Option<int?> testLimit)
    {
        var data = LoadData(parse);
        return (Limit(data.Train, parse.GetValue(trainLimit), "--train-limit"), Limit(data.Test, parse.GetValue(testLimit), "--test-limit"));
    }

    /// <summary>
    /// Runs one experiment under the progress display, recording it in <paramref name="store"/> (none with --no-store);
    /// its log lines go to stderr (<see cref="ProgressDisplay.Log"/>) unless the command prints JSON.
    /// </summary>
    public static ExperimentResult RunExperiment(ExperimentStore? store, ExperimentRequest request, bool asJson) =>
        ProgressDisplay.Run(progress => new ExperimentRunner
        {
            Store = store, Progress = progress,
            Log = asJson ? null : ProgressDisplay.Log,
        }.Run(request));

    /// <summary>The exact command line as typed (arguments with spaces quoted), for the experiment store and reports.</summary>
    public static string CommandLine() =>
        "fmnist " + string.Join(' ', Environment.GetCommandLineArgs().Skip(1).Select(a => a.Length == 0 || a.Any(char.IsWhiteSpace) ? $"'{a}'" : a));

    /// <summary>The options of a model as a table: name, type, default, description.</summary>
    public static void WriteOptions(ModelDescriptor descriptor)
    {
        AnsiConsole.MarkupLine($"[bold]{Markup.Escape(descriptor.Name)}[/] ({descriptor.Family}): {Markup.Escape(descriptor.Summary)}");
        var table = new Table().AddColumn("Option").AddColumn("Type").AddColumn("Default").AddColumn("Description");
        foreach (var option in OptionBinder.Describe(descriptor.OptionsType))
            table.AddRow(Markup.Escape(option.Name), Markup.Escape(TypeName(option.Type)),
                Markup.Escape(OptionBinder.Format(option.DefaultValue)), Markup.Escape(DescribeWithAliases(option)));
        AnsiConsole.Write(table);
        AnsiConsole.MarkupLine($"Set them with [bold]--set name=value[/], e.g. fmnist train {Markup.Escape(descriptor.Name)} --set {Markup.Escape(OptionBinder.Describe(descriptor.OptionsType).FirstOrDefault()?.Name ?? "name")}=VALUE");
    }

    public static object DescribeJson(ModelDescriptor descriptor) => new
    {
        Name = descriptor.Name,
        Family = descriptor.Family,
        Summary = descriptor.Summary,
        Options = OptionBinder.Describe(descriptor.OptionsType).Select(o => new
        {
            o.Name,
            Type = TypeName(o.Type),
            Default = OptionBinder.Format(o.DefaultValue),
            o.Description,
            o.Aliases,
        }).ToList(),
    };

    /// <summary>The description, and the other names the option answers to (scikit-learn's, XGBoost's, ...).</summary>
    private static string DescribeWithAliases(OptionInfo option) =>
        option.Aliases.Count == 0 ? option.Description : $"{option.Description} Also: {string.Join(", ", option.Aliases)}.";

    private static string TypeName(Type type)
    {
        Type target = Nullable.GetUnderlyingType(type) ?? type;
        string name = target.IsEnum ? string.Join("|", OptionBinder.EnumWords(target))
            : target == typeof(int) || target == typeof(long) ? "int"
            : target == typeof(double) || target == typeof(float) ? "number"
            : target == typeof(bool) ? "bool"
            : target == typeof(int[]) ? "int,int,..."
            : target == typeof(string) ? "text" : OptionBinder.KebabCase(target.Name);
        return target != type ? name + " or none" : name;
    }
}
