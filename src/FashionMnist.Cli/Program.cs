using FashionMnist;
using FashionMnist.Cli;
using FashionMnist.Cli.Commands;

return Cli.Run(args);

namespace FashionMnist.Cli
{
    /// <summary>Builds the command tree and turns every failure into a message and an exit code.</summary>
    public static class Cli
    {
        public static RootCommand BuildRoot()
        {
            var root = new RootCommand(
                "fmnist: Fashion-MNIST classification in C#. Load and verify the data, train and tune classical " +
                "models and neural networks, evaluate and compare them, and classify real clothing photos.");
            GlobalOptions.AddTo(root);
            root.Add(DataCommands.Create());
            root.Add(ModelsCommand.Create());
            root.Add(TrainCommand.Create());
            root.Add(EvaluateCommand.Create());
            root.Add(EnsembleCommand.Create());
            root.Add(CalibrateCommand.Create());
            root.Add(ExportCommand.Create());
            root.Add(SearchCommand.Create());
            root.Add(RunsCommands.Create());
            root.Add(CompareCommands.Create());
            root.Add(ReportCommand.Create());
            root.Add(PredictCommands.Create());
            root.Add(ServeCommands.Create());
            return root;
        }

        public static int Run(string[] args)
        {
            RootCommand root = BuildRoot();
            ParseResult parse = root.Parse(args);
            if (parse.Errors.Count > 0)
            {
                foreach (string line in ParseErrorMessages.Describe(parse)) WriteError(FriendlyParseError(line));
                Console.Error.WriteLine($"Run '{ParseErrorMessages.CommandPath(parse)} --help' to see what it accepts.");
                return ExitCodes.BadInput;
            }
            try
            {
                GlobalOptions.Apply(parse);
                return parse.Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
            }
            catch (Exception e) when (Unwrap(e) is FashionMnistException known)
            {
                WriteError(known.Message);
                return known.ExitCode;
            }
            catch (Exception e) when (Unwrap(e) is OperationCanceledException)
            {
                WriteError("cancelled.");
                return 130;
            }
            catch (Exception e)
            {
                Exception inner = Unwrap(e);
                WriteError($"internal failure ({inner.GetType().Name}): {inner.Message}");
                Console.Error.WriteLine("This is a bug in fmnist. Set FMNIST_DEBUG=1 to see the stack trace, and report it.");
                if (Environment.GetEnvironmentVariable("FMNIST_DEBUG") == "1") Console.Error.WriteLine(inner);
                return ExitCodes.Failure;
            }
        }

        /// <summary>System.CommandLine names .NET types ("System.Nullable`1[System.Int32]"); a user reads "a whole number".</summary>
        internal static string FriendlyParseError(string message) =>
            System.Text.RegularExpressions.Regex.Replace(message, @" as expected type '([^']+)'\.?", m => $": expected {FriendlyType(m.Groups[1].Value)}.");

        private static string FriendlyType(string type)
        {
            string inner = System.Text.RegularExpressions.Regex.Match(type, @"^System\.Nullable`1\[(.+)\]$") is { Success: true } m ? m.Groups[1].Value : type;
            return inner switch
            {
                "System.Int32" or "System.Int64" => "a whole number",
                "System.Double" or "System.Single" => "a number (e.g. 0.5)",
                "System.Boolean" => "true or false",
                _ when inner.StartsWith("FashionMnist.Numerics.GemmBackend", StringComparison.Ordinal) => "auto, openblas or managed",
                _ => "a value of another form (see --help)",
            };
        }

        private static Exception Unwrap(Exception e)
        {
            while (e is AggregateException { InnerExceptions.Count: 1 } or System.Reflection.TargetInvocationException && e.InnerException is not null)
                e = e.InnerException!;
            return e;
        }

        /// <summary>Every error of every command starts the same way: "error: " in lower case, on stderr.</summary>
        public static void WriteError(string message) => Console.Error.WriteLine($"error: {message}");
    }
}
