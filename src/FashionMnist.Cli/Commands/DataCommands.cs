using System.Diagnostics;
using FashionMnist.Imaging;

namespace FashionMnist.Cli.Commands;

/// <summary>`fmnist data ...`: find, verify, download, describe and show the data set.</summary>
public static class DataCommands
{
    /// <summary>The data folder option; recursive, and shared by every command that loads the data.</summary>
    public static readonly Option<string?> DataDir = new("--data-dir")
    {
        Description = "Folder with the four Fashion-MNIST idx files (.gz or not). Default: FASHION_MNIST_DIR, " +
                      "then /usr/share/datasets/fashion-mnist, then the per-user cache.",
        Recursive = true,
    };

    /// <summary>Loads the data the way every command does: --data-dir, then the default lookup (see docs/data.md).</summary>
    public static FashionMnistData LoadData(ParseResult parse) => FashionMnistData.Load(parse.GetValue(DataDir));

    public static Command Create()
    {
        var data = new Command("data", "Find, verify, download, describe and show the Fashion-MNIST data set.");
        data.Add(DataDir);
        data.Add(Info());
        data.Add(Verify());
        data.Add(Fetch());
        data.Add(Show());
        return data;
    }

    private static Option<bool> JsonOption() => new("--json") { Description = "Print one JSON object on stdout instead of tables." };

    private static Command Info()
    {
        var json = JsonOption();
        var info = new Command("info",
            "Where the data was found and how, image counts, per-class counts (train/test), training-set pixel mean " +
            "and std, and how long loading took.") { json };
        info.SetAction(parse =>
        {
            var data = LoadData(parse);
            var stats = PixelStatistics.Of(data.Train.Pixels);
            int[] train = data.Train.ClassCounts(), test = data.Test.ClassCounts();
            if (parse.GetValue(json))
            {
                JsonOutput.Write(new
                {
                    Directory = data.Directory,
                    Source = data.Location.Source,
                    SourceDescription = data.Source,
                    Files = data.Location.Files.Select(f => f.Path).ToArray(),
                    TrainCount = data.Train.Count,
                    TestCount = data.Test.Count,
                    Classes = Enumerable.Range(0, FashionMnistClasses.Count)
                        .Select(c => new { Label = c, Name = FashionMnistClasses.Name(c), Train = train[c], Test = test[c] }).ToArray(),
                    PixelMean = stats.Mean,
                    PixelStd = stats.Std,
                    LoadMs = Math.Round(data.LoadTime.TotalMilliseconds, 1),
                });
                return ExitCodes.Ok;
            }
            AnsiConsole.MarkupLine($"Data:      [bold]{Markup.Escape(data.Directory)}[/]");
            AnsiConsole.MarkupLine($"Found via: {Markup.Escape(data.Source)}");
            AnsiConsole.MarkupLine($"Loaded:    {data.Train.Count:N0} training + {data.Test.Count:N0} test images in {data.LoadTime.TotalMilliseconds:N0} ms");
            AnsiConsole.MarkupLine($"Pixels:    mean {stats.Mean:F6}, std {stats.Std:F6} (training set, scaled to [[0,1]])");
            var table = new Table().AddColumn("Label").AddColumn("Class").AddColumn("Train", c => c.RightAligned()).AddColumn("Test", c => c.RightAligned());
            for (int c = 0; c < FashionMnistClasses.Count; c++)
                table.AddRow(c.ToString(), Markup.Escape(FashionMnistClasses.Name(c)), train[c].ToString("N0"), test[c].ToString("N0"));
            table.AddRow("", "[bold]total[/]", data.Train.Count.ToString("N0"), data.Test.Count.ToString("N0"));
            AnsiConsole.Write(table);
            return ExitCodes.Ok;
        });
        return info;
    }

    private static Command Verify()
    {
        var json = JsonOption();
        var verify = new Command("verify",
            "Check each of the four files: structure (magic number, 28x28, counts, length, labels 0-9) and checksum " +
            "against Zalando's published MD5s (Debian's header-stripped repack is recognised). Exit code 2 on any failure.") { json };
        verify.SetAction(parse =>
        {
            var location = DataLocator.Locate(parse.GetValue(DataDir));
            var result = DataVerifier.Verify(location);
            if (parse.GetValue(json))
            {
                JsonOutput.Write(new
                {
                    location.Directory,
                    location.Source,
                    SourceDescription = location.SourceDescription,
                    result.Ok,
                    Files = result.Files.Select(FileJson).ToArray(),
                });
            }
            else
            {
                AnsiConsole.MarkupLine($"Data: [bold]{Markup.Escape(location.Directory)}[/] (via {Markup.Escape(location.SourceDescription)})");
                var table = new Table().AddColumn("File", c => c.NoWrap()).AddColumn("Size", c => c.RightAligned()).AddColumn("Structure").AddColumn("Checksum");
                foreach (var file in result.Files)
                    table.AddRow(
                        Markup.Escape(Path.GetFileName(file.Path)),
                        file.Size.ToString("N0"),
                        file.StructureOk ? "[green]ok[/]" : $"[red]{Markup.Escape(file.StructureError!)}[/]",
                        file.ChecksumOk ? $"[green]{Markup.Escape(file.ChecksumSummary)}[/]" : $"[red]{Markup.Escape(file.ChecksumSummary)}[/]");
                AnsiConsole.Write(table);
                foreach (var group in result.Files.GroupBy(f => f.ChecksumDescription))
                {
                    string which = group.Count() == result.Files.Count ? "All files" : string.Join(", ", group.Select(f => Path.GetFileName(f.Path)));
                    AnsiConsole.WriteLine($"{which}: {group.Key}.");
                }
            }
            if (result.Failure() is { } failure) throw failure;
            if (!parse.GetValue(json)) AnsiConsole.MarkupLine("[green]All four files are intact and match the published data.[/]");
            return ExitCodes.Ok;
        });
        return verify;
    }

    private static object FileJson(FileVerification file) => new
    {
        Name = file.Spec.Name,
        file.Path,
        file.Size,
        file.Compressed,
        file.StructureOk,
        file.StructureError,
        ChecksumOk = file.ChecksumOk,
        ChecksumStatus = file.Checksum,
        Checksum = file.ChecksumDescription,
        file.ExpectedMd5,
        file.ActualMd5,
    };

    private static Command Fetch()
    {
        var url = new Option<string>("--url")
        {
            Description = "Base URL of the folder holding the four .gz files.",
            DefaultValueFactory = _ => FetchOptions.ZalandoMirror,
        };
        var dir = new Option<string?>("--dir") { Description = $"Folder to download into (default: the per-user cache, {DataLocator.UserCacheDirectory})." };
        var json = JsonOption();
        var fetch = new Command("fetch",
            "Download the four .gz files from Zalando's mirror, with retries, verifying each MD5 before it is kept " +
            "(written atomically). Files already present and valid are skipped.") { url, dir, json };
        fetch.SetAction(async (parse, cancellation) =>
        {
            string baseUrl = parse.GetValue(url)!;
            if (!Uri.TryCreate(baseUrl, UriKind.Absolute, out Uri? baseUri) || baseUri.Scheme is not ("http" or "https"))
                throw new FashionMnistException($"--url '{baseUrl}' is not an http(s) URL", $"Pass a URL such as {FetchOptions.ZalandoMirror}.");
            var options = new FetchOptions { BaseUri = baseUri, Directory = parse.GetValue(dir) ?? DataLocator.UserCacheDirectory };
            var fetcher = new DataFetcher(options);
            IReadOnlyList<FetchResult> results = [];
            if (Terminal.ErrorStyle.Live)
                await Terminal.Stderr.Progress()
                    .AutoClear(false)
                    .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new DownloadedColumn(), new TransferSpeedColumn())
                    .StartAsync(async context =>
                    {
                        var observer = new ProgressObserver(options.Files.ToDictionary(f => f.Name, f => context.AddTask(f.ArchiveName, autoStart: false)));
                        results = await fetcher.FetchAsync(observer, cancellation);
                    });
            else
                results = await fetcher.FetchAsync(new LineObserver(Terminal.Stderr), cancellation);

            string folder = Path.GetFullPath(options.Directory);
            if (parse.GetValue(json))
            {
                JsonOutput.Write(new
                {
                    Directory = folder,
                    BaseUrl = baseUri.AbsoluteUri,
                    Files = results.Select(r => new
                    {
                        Name = r.Spec.Name,
                        r.Path,
                        Url = r.Url.AbsoluteUri,
                        r.Outcome,
                        r.Attempts,
                        r.Verification.Size,
                        Checksum = r.Verification.ChecksumDescription,
                        r.Verification.ActualMd5,
                    }).ToArray(),
                });
                return ExitCodes.Ok;
            }
            var table = new Table().AddColumn("File", c => c.NoWrap()).AddColumn("Result").AddColumn("Size", c => c.RightAligned()).AddColumn("Checksum");
            foreach (var r in results)
                table.AddRow(Markup.Escape(r.Spec.ArchiveName), OutcomeText(r.Outcome), r.Verification.Size.ToString("N0"), Markup.Escape(r.Verification.ChecksumSummary));
            AnsiConsole.Write(table);
            AnsiConsole.MarkupLine($"Data is ready in [bold]{Markup.Escape(folder)}[/].");
            if (folder != Path.GetFullPath(DataLocator.UserCacheDirectory))
                AnsiConsole.MarkupLine($"Use it with --data-dir {Markup.Escape(folder)} (or set {DataLocator.EnvironmentVariable}).");
            return ExitCodes.Ok;
        });
        return fetch;
    }

    private static string OutcomeText(FetchOutcome outcome) => outcome switch
    {
        FetchOutcome.Downloaded => "downloaded",
        FetchOutcome.AlreadyPresent => "already present",
        FetchOutcome.Replaced => "replaced an invalid file",
        _ => outcome.ToString(),
    };

    /// <summary>Off a terminal: one plain line per download started, retried and finished.</summary>
    private sealed class LineObserver(IAnsiConsole console) : IFetchObserver
    {
        public void Started(DataFileSpec spec, long? totalBytes) =>
            console.WriteLine($"{spec.ArchiveName}: downloading" + (totalBytes is long total ? $" {total:N0} bytes" : ""));

        public void Advanced(DataFileSpec spec, long bytesSoFar) { }

        public void Retrying(DataFileSpec spec, int failedAttempt, string reason, TimeSpan delay) =>
            console.WriteLine($"{spec.ArchiveName}: attempt {failedAttempt} failed ({reason}); retrying in {delay.TotalSeconds:0.#} s");

        public void Finished(FetchResult result) =>
            console.WriteLine($"{result.Spec.ArchiveName}: {OutcomeText(result.Outcome)}, {result.Verification.Size:N0} bytes");
    }

    /// <summary>Feeds the fetcher's progress into Spectre progress bars (one per file).</summary>
    private sealed class ProgressObserver(Dictionary<string, ProgressTask> tasks) : IFetchObserver
    {
        public void Started(DataFileSpec spec, long? totalBytes)
        {
            var task = tasks[spec.Name];
            task.Description = spec.ArchiveName;
            task.Value = 0;
            if (totalBytes is long total) task.MaxValue = Math.Max(1, total);
            else task.IsIndeterminate = true;
            task.StartTask();
        }

        public void Advanced(DataFileSpec spec, long bytesSoFar) => tasks[spec.Name].Value = bytesSoFar;

        public void Retrying(DataFileSpec spec, int failedAttempt, string reason, TimeSpan delay) =>
            tasks[spec.Name].Description = Markup.Escape($"{spec.ArchiveName} (attempt {failedAttempt} failed: {reason}; retrying in {delay.TotalSeconds:0.#} s)");

        public void Finished(FetchResult result)
        {
            var task = tasks[result.Spec.Name];
            if (result.Outcome == FetchOutcome.AlreadyPresent)
            {
                task.Description = $"{result.Spec.ArchiveName} (already present)";
                task.MaxValue = Math.Max(1, result.Verification.Size);
            }
            task.IsIndeterminate = false;
            task.Value = task.MaxValue;
            task.StopTask();
        }
    }

    private static Command Show()
    {
        var count = new Option<int>("--count") { Description = "Images per class (one row per class).", DefaultValueFactory = _ => 30 };
        var split = new Option<string>("--split") { Description = "Which split to sample: train or test.", DefaultValueFactory = _ => "train" };
        split.AcceptOnlyFromAmong("train", "test");
        var seed = new Option<int?>("--seed") { Description = "Pick random images with this seed (default: the first ones of each class, in file order)." };
        var scale = new Option<int>("--scale") { Description = "Upscaling factor for readability (1-8).", DefaultValueFactory = _ => 2 };
        var output = new Option<string>("--out") { Description = "PNG file to write (written atomically).", Required = true };
        var show = new Command("show",
            "Write a labelled grid of sample images as a PNG: one row per class with the class name on the left, like Zalando's sprite.")
            { count, split, seed, scale, output };
        show.SetAction(parse =>
        {
            int perClass = parse.GetValue(count), factor = parse.GetValue(scale);
            if (perClass is < 1 or > 500) throw new FashionMnistException($"--count {perClass} is out of range", "Pass --count between 1 and 500 (images per class).");
            if (factor is < 1 or > 8) throw new FashionMnistException($"--scale {factor} is out of range", "Pass --scale between 1 and 8.");
            string path = parse.GetValue(output)!;
            var data = LoadData(parse);
            bool train = parse.GetValue(split) == "train";
            ImageSet set = train ? data.Train : data.Test;
            int? chosenSeed = parse.GetValue(seed);
            string title = $"Fashion-MNIST {(train ? "train" : "test")}: {perClass} per class, " +
                           (chosenSeed is int s ? $"seed {s}" : "first in file order");
            var clock = Stopwatch.StartNew();
            RgbaImage sheet = SampleSheet.Render(set, perClass, chosenSeed, factor, title);
            ImageCodec.SavePng(path, sheet);
            AnsiConsole.MarkupLine($"Wrote [bold]{Markup.Escape(Path.GetFullPath(path))}[/] ({sheet.Width}x{sheet.Height}, {perClass * FashionMnistClasses.Count} images, {clock.ElapsedMilliseconds} ms).");
            return ExitCodes.Ok;
        });
        return show;
    }
}
