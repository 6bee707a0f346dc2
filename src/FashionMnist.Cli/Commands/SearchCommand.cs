using FashionMnist.Classic;
using System.Globalization;
using System.Diagnostics;
using FashionMnist.Selection;
using FashionMnist.Evaluation;

namespace FashionMnist.Cli.Commands;

/// <summary>
/// `fmnist search MODEL --grid "k=1,3,5;weights=uniform,distance"`: grid, random or successive-halving search with
/// stratified k-fold cross-validation, then a refit of the best candidate on the whole training set scored on the
/// test set. `--shard i/n --out-results FILE` runs one slice of a big grid; `fmnist search --merge FILES` joins the slices.
/// </summary>
public static class SearchCommand
{
    public static Command Create()
    {
        var flags = new ModelFlags();
        flags.Model.Arity = ArgumentArity.ZeroOrOne;
        var grid = new Option<string?>("--grid") { Description = "Search space: \"name=v1,v2;name2=v3,v4\" (model options, or pca/scale/features/hog-* for classic models)." };
        var gridFile = new Option<string?>("--grid-file") { Description = "Search space in a YAML or JSON file mapping names to value lists (k: [1, 3, 5])." };
        var cv = new Option<int>("--cv") { Description = "Cross-validation folds (stratified).", DefaultValueFactory = _ => 5 };
        var random = new Option<int?>("--random") { Description = "Random search: try N candidates drawn from the grid instead of all." };
        var halving = new Option<bool>("--halving") { Description = "Successive halving: score all candidates on a small stratified share, keep the best third, repeat with 3x the data." };
        var shard = new Option<string?>("--shard") { Description = "Run only shard i of n (\"i/n\"): candidates with index % n == i-1. Write results with --out-results." };
        var outResults = new Option<string?>("--out-results") { Description = "Write every candidate's result as JSON Lines (for --merge)." };
        var merge = new Option<string[]>("--merge") { Description = "Merge result files of the shards of one search into one table (no fitting).", AllowMultipleArgumentsPerToken = true };
        var trainLimit = new Option<int?>("--train-limit") { Description = "Search on the first N training images only (default: all 60,000)." };
        var testLimit = new Option<int?>("--test-limit") { Description = "Score the refitted best model on the first N test images (default: all)." };
        var seed = new Option<int>("--seed") { Description = "Seed for folds, sampling and fits.", DefaultValueFactory = _ => 42 };
        var noRefit = new Option<bool>("--no-refit") { Description = "Skip refitting the best candidate on the whole training set." };
        var output = new Option<string?>("--out") { Description = "Save the refitted best model to this file (without it, the refitted model is scored and discarded)." };
        var top = new Option<int>("--top") { Description = "Rows of the result table to print.", DefaultValueFactory = _ => 20 };
        var json = new Option<bool>("--json") { Description = "Print one JSON object (progress goes to stderr)." };
        var store = StoreOption.Create();
        var noStore = RunRecorder.NoStoreOption();

        var command = new Command("search",
            "Tune a model's options by cross-validation. Examples: fmnist search knn --grid \"k=1,3,5,7;weights=uniform,distance\" --train-limit 10000;  " +
            "fmnist search knn --grid-file space.yaml --shard 2/4 --out-results shard2.jsonl;  fmnist search --merge shard*.jsonl.");
        flags.AddTo(command);
        foreach (Option option in new Option[] { grid, gridFile, cv, random, halving, shard, outResults, merge, trainLimit, testLimit, seed, noRefit, output, top, json, store, noStore })
            command.Add(option);
        CommandSupport.AddDataDir(command);

        command.SetAction(parse =>
        {
            bool asJson = parse.GetValue(json);
            string[] mergeFiles = parse.GetValue(merge) ?? [];
            if (mergeFiles.Length > 0) return Merge(mergeFiles, parse.GetValue(top), asJson);

            string modelName = parse.GetValue(flags.Model)
                ?? throw new FashionMnistException("search needs a MODEL (or --merge FILES)", "Run e.g. fmnist search knn --grid \"k=1,3,5\".");
            var descriptor = ModelCatalog.Get(modelName);
            string? gridText = parse.GetValue(grid), gridPath = parse.GetValue(gridFile);
            if (gridText is null && gridPath is null)
                throw new FashionMnistException("search needs a search space", "Pass --grid \"k=1,3,5;weights=uniform,distance\" or --grid-file space.yaml.");
            var space = ParameterSpace.Parse(gridText ?? "");
            if (gridPath is not null) space = space.Concat(ParameterSpace.ReadFile(gridPath));
            var shardValue = parse.GetValue(shard) is string s ? Shard.Parse(s) : Shard.Whole;
            if (parse.GetValue(cv) < 2) throw new FashionMnistException($"--cv must be at least 2, got {parse.GetValue(cv)}", "Pass --cv 5 (or 3 for speed).");

            var plan = new SearchPlan
            {
                Recipe = new ModelRecipe(descriptor.Name, flags.Settings(parse, descriptor)),
                Space = space,
                Folds = parse.GetValue(cv),
                Seed = parse.GetValue(seed),
                Random = parse.GetValue(random),
                Halving = parse.GetValue(halving),
                Shard = shardValue,
            };
            var candidates = plan.Candidates();
            if (candidates.Count == 0)
                throw new FashionMnistException($"Shard {shardValue} has no candidates (the search has {space.Count})", "Use fewer shards than candidates.");
            foreach (var candidate in candidates) plan.Recipe.Check(candidate);
            string? saved = parse.GetValue(output);
            if (saved is not null) AtomicFile.CheckWritable(saved);

            var data = CommandSupport.LoadData(parse);
            ImageSet train = CommandSupport.Limit(data.Train, parse.GetValue(trainLimit), "--train-limit");
            var baseSettings = new Dictionary<string, string>(plan.Recipe.BaseSettings) { ["grid"] = space.ToString(), ["cv"] = plan.Folds.ToString(CultureInfo.InvariantCulture) };
            if (shardValue.Count > 1) baseSettings["shard"] = shardValue.ToString();
            var baseOptions = plan.Recipe.Options(new Dictionary<string, string>());
            using var experimentStore = RunRecorder.OpenStore(parse, store, noStore);
            var searchRun = experimentStore?.Begin(new RunRecord
            {
                Kind = "search", Model = descriptor.Name, Options = baseSettings, Seed = plan.Seed, Command = CommandSupport.CommandLine(),
                Environment = RunEnvironment.Current(),
                Preprocessing = baseOptions is ClassicOptions classic ? classic.DescribePreprocessing() : "none",
                DataSlice = $"train[0:{train.Count}] ({plan.Folds}-fold CV)",
            });
            SearchOutcome outcome;
            List<SearchResultLine> lines;
            double searchSeconds;
            RefitSummary? refit = null;
            try
            {
                var clock = Stopwatch.StartNew();
                outcome = ProgressDisplay.Run(progress => SearchRunner.Run(plan, train, progress));
                searchSeconds = clock.Elapsed.TotalSeconds;

                lines = SearchResultFile.Lines(plan, train.Count, outcome.Results).ToList();
                if (parse.GetValue(outResults) is string resultsPath) SearchResultFile.Write(resultsPath, lines);

                // Refit: only a whole (unsharded) search knows its best candidate. It is one experiment unit of its own,
                // recorded under the search run.
                if (!parse.GetValue(noRefit) && shardValue.Count == 1 && outcome.Best is { } best)
                {
                    ImageSet test = CommandSupport.Limit(data.Test, parse.GetValue(testLimit), "--test-limit");
                    using var result = ProgressDisplay.Run(progress => new ExperimentRunner { Store = experimentStore, Progress = progress }.Run(new ExperimentRequest
                    {
                        Options = plan.Recipe.Options(best.Candidate.Settings), Train = train, Test = test, Seed = plan.Seed,
                        SavePath = saved, ParentId = searchRun?.Id, Command = CommandSupport.CommandLine(),
                        Metadata = new Dictionary<string, string> { ["search_id"] = lines[0].SearchId, ["candidate"] = best.Candidate.Describe() },
                    }));
                    refit = new RefitSummary(best.Candidate.Settings, train.Count, test.Count, result.Evaluation.Accuracy, result.FitSeconds,
                        result.ModelPath, result.Run?.Id);
                }
            }
            catch (Exception e)
            {
                if (searchRun is not null) experimentStore!.Fail(searchRun, e is OperationCanceledException ? "cancelled" : e.Message);
                throw;
            }
            var summary = SearchWinner.Of(lines);
            if (searchRun is not null)
            {
                var metrics = new Dictionary<string, double>();
                var notes = new Dictionary<string, string> { ["candidates"] = outcome.Results.Count.ToString(CultureInfo.InvariantCulture) };
                if (summary is not null) notes["within_one_std"] = summary.WithinOneStd.ToString(CultureInfo.InvariantCulture);
                if (lines.Count > 0) notes["search_id"] = lines[0].SearchId;
                IReadOnlyList<double> folds = [];
                if (outcome.Best is { } winner)
                {
                    var cvAccuracy = winner.Metrics[Scores.Accuracy];
                    metrics["cv_accuracy"] = cvAccuracy.Mean;
                    metrics["cv_accuracy_std"] = cvAccuracy.Std;
                    metrics["cv_macro_f1"] = winner.Metrics[Scores.MacroF1].Mean;
                    folds = cvAccuracy.Folds;
                    notes["best"] = winner.Candidate.Describe();
                }
                if (refit is not null)
                {
                    metrics["refit_test_accuracy"] = refit.TestAccuracy;
                    if (refit.RunId is Guid child) notes["refit_run"] = child.ToString();
                    if (refit.ModelPath is not null) notes["model_path"] = refit.ModelPath;
                }
                experimentStore!.Complete(searchRun with { Metrics = metrics, FoldScores = folds, Notes = notes, FitSeconds = searchSeconds + (refit?.FitSeconds ?? 0) });
            }

            if (asJson)
            {
                JsonOutput.Write(new
                {
                    Model = descriptor.Name,
                    SearchId = lines.Count > 0 ? lines[0].SearchId : null,
                    Grid = space.ToString(),
                    GridSize = space.Count,
                    Shard = shardValue.ToString(),
                    Cv = plan.Folds,
                    Seed = plan.Seed,
                    TrainCount = train.Count,
                    SearchSeconds = searchSeconds,
                    Rounds = outcome.Rounds,
                    Best = BestJson(summary),
                    Results = lines,
                    Refit = refit,
                    RunId = searchRun?.Id,
                });
                return ExitCodes.Ok;
            }
            foreach (var round in outcome.Rounds)
                AnsiConsole.MarkupLine($"halving round {round.Round}: {round.Candidates} candidates on {round.TrainCount:N0} images");
            WriteTable(lines, parse.GetValue(top), $"{descriptor.Name}: {lines.Count} candidates x {plan.Folds} folds on {train.Count:N0} images, {searchSeconds:F1} s" +
                (shardValue.Count > 1 ? $" (shard {shardValue})" : ""));
            WriteSummary(summary, shardValue.Count > 1);
            if (refit is not null)
            {
                AnsiConsole.MarkupLine($"Refitted on all {train.Count:N0} training images: test accuracy [bold]{refit.TestAccuracy:P2}[/] " +
                    $"on {refit.TestCount:N0} test images ({refit.FitSeconds:F1} s fit).");
                if (refit.ModelPath is not null)
                    AnsiConsole.MarkupLine($"Saved the refitted model to [bold]{Markup.Escape(refit.ModelPath)}[/].");
                else
                    AnsiConsole.MarkupLine(Markup.Escape($"The refitted model was not saved: add --out FILE to keep it (e.g. --out models/{descriptor.Name}-best.fmm)."));
            }
            return ExitCodes.Ok;
        });
        return command;
    }

    private sealed record RefitSummary(IReadOnlyDictionary<string, string> Settings, int TrainCount, int TestCount,
        double TestAccuracy, double FitSeconds, string? ModelPath, Guid? RunId);

    private static int Merge(string[] files, int top, bool asJson)
    {
        var (lines, missing) = SearchResultFile.Merge(files);
        var first = lines[0];
        int absent = Math.Max(missing.Count, first.PlannedCandidates - lines.Count);
        if (asJson)
        {
            JsonOutput.Write(new
            {
                first.Model,
                first.SearchId,
                first.Grid,
                first.PlannedCandidates,
                Found = lines.Count,
                Missing = missing,
                Best = BestJson(SearchWinner.Of(lines)),
                first.Cv,
                first.Seed,
                first.TrainCount,
                Results = lines,
            });
            return ExitCodes.Ok;
        }
        WriteTable(lines, top, $"{first.Model}: merged {files.Length} files, {lines.Count} of {first.PlannedCandidates} candidates x {first.Cv} folds on {first.TrainCount:N0} images");
        WriteSummary(SearchWinner.Of(lines), absent > 0);
        if (absent > 0)
            ProgressDisplay.Stderr.MarkupLine($"[yellow]warning:[/] {absent} candidates have no result" +
                (missing.Count > 0 ? $" (indices {string.Join(", ", missing.Take(20))}{(missing.Count > 20 ? ", ..." : "")})" : "") + "; run their shards.");
        return ExitCodes.Ok;
    }

    /// <summary>
    /// The ranked candidates. Times are means per fold, as scikit-learn's mean_fit_time and mean_score_time; the grid
    /// index (which --shard slices by) comes last so it does not read as a second rank.
    /// </summary>
    private static void WriteTable(IReadOnlyList<SearchResultLine> lines, int top, string title)
    {
        var table = new Table { Title = new TableTitle(Markup.Escape(title)) }
            .AddColumn(new TableColumn("Rank").RightAligned()).AddColumn("Settings")
            .AddColumn(new TableColumn("CV accuracy").RightAligned()).AddColumn(new TableColumn("± std").RightAligned())
            .AddColumn(new TableColumn("Macro-F1").RightAligned())
            .AddColumn(new TableColumn("Fit s/fold").RightAligned()).AddColumn(new TableColumn("Score s/fold").RightAligned())
            .AddColumn(new TableColumn("Grid index").RightAligned());
        table.Caption = new TableTitle("Fit and score times are means per fold (scikit-learn's mean_fit_time, mean_score_time).");
        int rank = 0;
        foreach (var line in lines.Take(Math.Max(1, top)))
        {
            var accuracy = line.Metrics[Scores.Accuracy];
            table.AddRow((++rank).ToString(CultureInfo.InvariantCulture),
                Markup.Escape(string.Join(" ", line.Settings.Select(kv => $"{kv.Key}={kv.Value}"))),
                Invariant($"{accuracy.Mean:F4}"), Invariant($"{accuracy.Std:F4}"), Invariant($"{line.Metrics[Scores.MacroF1].Mean:F4}"),
                Seconds(line.FitSeconds), Seconds(line.ScoreSeconds), line.Candidate.ToString(CultureInfo.InvariantCulture));
        }
        AnsiConsole.Write(table);
    }

    /// <summary>The closing lines: the winner with its CV score, and how many others the folds cannot tell from it.</summary>
    private static void WriteSummary(SearchWinner? summary, bool partial)
    {
        if (summary is null) return;
        AnsiConsole.MarkupLine($"[bold]{Markup.Escape(summary.Headline)}[/]" + (partial ? Markup.Escape(" (of the candidates scored so far)") : ""));
        AnsiConsole.MarkupLine(Markup.Escape(summary.Closeness));
    }

    private static object? BestJson(SearchWinner? summary) => summary is null ? null : new
    {
        Settings = summary.Best,
        Candidate = summary.BestCandidate,
        CvAccuracy = summary.MeanAccuracy,
        CvAccuracyStd = summary.StdAccuracy,
        WithinOneStd = summary.WithinOneStd,
    };

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    /// <summary>Seconds to the millisecond, the same way in every row so a column lines up: 0.006, 1.200, 41.250.</summary>
    private static string Seconds(double seconds) => seconds.ToString("0.000", CultureInfo.InvariantCulture);
}
