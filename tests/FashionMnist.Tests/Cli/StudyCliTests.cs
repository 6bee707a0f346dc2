using System.Diagnostics;
using System.Text.Json;
using FashionMnist.Experiments;
using FashionMnist.Experiments.Studies;
using FashionMnist.Tests.Support;

namespace FashionMnist.Tests.Cli;

/// <summary>`fmnist compare` as a study worker and `fmnist report`, run as a user would (separate processes).</summary>
[Collection(Isolated.Name)]
public sealed class StudyCliTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("fmnist-study-cli-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private string In(string name) => Path.Combine(_folder, name);

    private static string[] Worker(string store, string report) =>
    [
        "compare", "--profile", "full", "--models", "knn,mlp", "--set", "mlp:epochs=1", "--train-limit", "6000", "--test-limit", "500",
        "--store", store, "--study", "two-workers", "--claim-timeout", "5", "--threads", "1", "--out", report,
    ];

    private static Process Start(string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(CliRunner.FmnistDll);
        foreach (string arg in args) start.ArgumentList.Add(arg);
        start.Environment["NO_COLOR"] = "1";
        var process = Process.Start(start)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    [PostgresFact]
    public void Two_workers_on_one_postgresql_study_one_killed_and_restarted_report_every_entry_once()
    {
        using var database = new PostgresDatabase();
        using var first = Start(Worker(database.Url, In("report-a")));
        using var second = Start(Worker(database.Url, In("report-b")));
        var clock = Stopwatch.StartNew();
        int killedPid = first.Id;
        // kill -9 the first worker once it has finished a unit and is (almost certainly) in the middle of the next one.
        while (clock.Elapsed < TimeSpan.FromMinutes(2))
        {
            Thread.Sleep(100);
            if (first.HasExited) break;
            try
            {
                using var peek = ExperimentStore.Open(database.Url, readOnly: true);
                if (UnitQueue.Studies(peek).Count == 0) continue;
                var units = new UnitQueue(peek, "two-workers").Units();
                if (units.Any(u => u.Status == UnitStatus.Done && u.Worker?.ProcessId == killedPid)) break;
            }
            catch (FashionMnistException) { } // the schema is being created
        }
        Assert.False(first.HasExited, "the first worker finished before it could be killed");
        first.Kill(); // SIGKILL: no cleanup of any kind
        first.WaitForExit();
        using var restarted = Start(Worker(database.Url, In("report-a")));
        Assert.True(second.WaitForExit(TimeSpan.FromMinutes(4)), "the second worker did not finish");
        Assert.True(restarted.WaitForExit(TimeSpan.FromMinutes(4)), "the restarted worker did not finish");
        Assert.Equal(0, second.ExitCode);
        Assert.Equal(0, restarted.ExitCode);

        var report = CliRunner.Run("report", "--store", database.Url, "--study", "two-workers", "--out", In("report"), "--json");
        Assert.True(report.ExitCode == 0, report.ToString());
        Assert.True(JsonDocument.Parse(report.Stdout).RootElement.GetProperty("finished").GetBoolean());
        using var results = JsonDocument.Parse(File.ReadAllText(In("report/results.json")));
        var models = results.RootElement.GetProperty("models").EnumerateArray().ToList();
        Assert.Equal(["knn", "mlp"], models.Select(m => m.GetProperty("name").GetString()).Order());
        var knn = models.Single(m => m.GetProperty("name").GetString() == "knn");
        Assert.Equal(10, knn.GetProperty("search").GetProperty("results").GetArrayLength());
        Assert.True(knn.GetProperty("worker").GetProperty("process_id").GetInt32() > 0);
        Assert.Equal(knn.GetProperty("search").GetProperty("best").GetProperty("k").GetString(), knn.GetProperty("parameters").GetProperty("k").GetString());

        using var store = ExperimentStore.Open(database.Url, readOnly: true);
        var all = new UnitQueue(store, "two-workers").Units();
        Assert.Equal(10 * 5 + 2, all.Count);
        Assert.All(all, u => Assert.Equal(UnitStatus.Done, u.Status));
        var pids = all.Select(u => u.Worker!.ProcessId).Distinct().ToList();
        Assert.True(pids.Count >= 2, $"units were done by {pids.Count} worker(s)");
        // No unit counted twice: one train run per entry (and one search run) for the study, however many tries there were.
        var runs = store.List().Where(r => r.Notes.GetValueOrDefault("study") == "two-workers").ToList();
        Assert.Equal(["knn", "mlp"], runs.Where(r => r.Kind == "train").Select(r => r.Notes["label"]).Order());
        Assert.Single(runs, r => r.Kind == "search");
        // Both finished workers wrote the same report.
        Assert.Equal(2, JsonDocument.Parse(File.ReadAllText(In("report-b/results.json"))).RootElement.GetProperty("models").GetArrayLength());
    }
}
