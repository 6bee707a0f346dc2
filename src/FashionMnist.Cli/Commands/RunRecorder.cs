using FashionMnist.Evaluation;

namespace FashionMnist.Cli.Commands;

/// <summary>
/// Records one train, search or evaluate run in the experiment store: <see cref="Begin"/> opens the store (a bad
/// --store fails here, before any fitting) and writes the run as 'running'; <see cref="Complete"/> or <see cref="Fail"/>
/// finish it. With --no-store every call does nothing.
/// </summary>
internal sealed class RunRecorder : IDisposable
{
    private readonly ExperimentStore? _store;
    private RunRecord? _run;

    private RunRecorder(ExperimentStore? store, RunRecord? run)
    {
        _store = store;
        _run = run;
    }

    /// <summary>The --no-store flag of the recording commands.</summary>
    public static Option<bool> NoStoreOption() => new("--no-store") { Description = "Do not record this run in the experiment store." };

    /// <summary>The recorded run's id, or null with --no-store.</summary>
    public Guid? Id => _run?.Id;

    /// <summary>The store's file, or null with --no-store.</summary>
    public string? StorePath => _store?.Path;

    /// <summary>The store the command records in, or null with --no-store; opening it here makes a bad --store fail before any work.</summary>
    public static ExperimentStore? OpenStore(ParseResult parse, Option<string> store, Option<bool> noStore) =>
        parse.GetValue(noStore) ? null : ExperimentStore.Open(parse.GetValue(store)!);

    public static RunRecorder Begin(ParseResult parse, Option<string> store, Option<bool> noStore, RunRecord run)
    {
        if (parse.GetValue(noStore)) return new RunRecorder(null, null);
        var opened = ExperimentStore.Open(parse.GetValue(store)!);
        try
        {
            return new RunRecorder(opened, opened.Begin(run with { Command = run.Command.Length > 0 ? run.Command : CommandSupport.CommandLine() }));
        }
        catch
        {
            opened.Dispose();
            throw;
        }
    }

    /// <summary>Writes the results (the function fills them in on the started run) and marks the run complete.</summary>
    public void Complete(Func<RunRecord, RunRecord> results)
    {
        if (_store is null || _run is null) return;
        _run = _store.Complete(results(_run));
    }

    /// <summary>Marks the run failed (or cancelled) with the reason; never throws over the original error.</summary>
    public void Fail(Exception error)
    {
        if (_store is null || _run is null || _run.Status != RunStatus.Running) return;
        try
        {
            string reason = error is OperationCanceledException ? "cancelled" : error is FashionMnistException known ? known.Message : $"{error.GetType().Name}: {error.Message}";
            _run = _store.Fail(_run, reason);
        }
        catch (Exception)
        {
            // The store failing too must not hide why the run failed.
        }
    }

    public void Dispose() => _store?.Dispose();
}
