using System.Data.Common;
using FashionMnist.Experiments.Storage;

namespace FashionMnist.Experiments;

public sealed partial class ExperimentStore
{
    private static readonly string[] s_studyColumns = ["name", "profile", "plan_hash", "plan_json", "command", "created_utc"];

    internal static readonly string[] UnitColumns =
    [
        "study", "unit_key", "seq", "entry", "kind", "candidate", "fold", "settings_json", "status", "claim_token", "heartbeat_ms",
        "attempts", "worker_json", "run_id", "result_json", "seconds", "finished_utc", "error",
    ];

    /// <summary>
    /// Copies every run and every study unit of the <paramref name="inputs"/> into <paramref name="output"/> (created if
    /// missing); any of them may be a SQLite file or a PostgreSQL URL. Runs are matched by id and units by (study, unit),
    /// so merging the same shard twice adds nothing; a run or unit already finished is kept, an unfinished one is replaced
    /// by a finished copy. This is how stores gathered from machines that never shared one become one study.
    /// </summary>
    public static MergeResult Merge(string output, IEnumerable<string> inputs)
    {
        var inputList = inputs.ToList();
        if (inputList.Count == 0) throw new FashionMnistException("No input databases to merge", "Name one or more shard databases after the output file.");
        var target = StoreLocation.Parse(output);
        var sources = new List<StoreLocation>();
        foreach (string input in inputList)
        {
            var source = StoreLocation.Parse(input);
            if (source.Kind == StoreKind.Sqlite && !File.Exists(source.SqlitePath))
                throw new FashionMnistException($"Shard database '{input}' does not exist", "Check the path.");
            if (source.Display == target.Display)
                throw new FashionMnistException($"'{input}' is both an input and the output", "Write the merge to a new file.");
            sources.Add(source);
        }
        using var store = Open(target);
        int added = 0, replaced = 0, unchanged = 0, units = 0;
        foreach (var location in sources)
        {
            using var source = Open(location, readOnly: true);
            foreach (var summary in source.List())
            {
                var existing = store.Retry("reading a run", () => store.TryGetStatus(summary.Id));
                bool take = existing is null
                    || (existing is not RunStatus.Complete && summary.Status is RunStatus.Complete)
                    || (existing is RunStatus.Running && summary.Status is RunStatus.Failed);
                if (!take)
                {
                    unchanged++;
                    continue;
                }
                RunRecord run = source.Retry("reading a run", () => source.LoadDetails(summary));
                // Keep the stored status ('running' stays running; a reader resolves staleness itself).
                run = run with { Status = summary.Status == RunStatus.Incomplete ? RunStatus.Running : summary.Status };
                store.InTransaction("merging a run", transaction => store.WriteRun(run, transaction));
                if (existing is null) added++; else replaced++;
            }
            units += store.MergeStudies(source);
        }
        return new MergeResult(store.Path, inputList.Count, added, replaced, unchanged, units);
    }

    /// <summary>
    /// Copies the source's studies (missing ones) and units (missing ones, or finished ones over unfinished copies).
    /// Returns how many finished units were taken over.
    /// </summary>
    private int MergeStudies(ExperimentStore source)
    {
        if (source.SchemaVersion < 2) return 0; // written before studies existed
        var studies = source.Retry("reading studies", () => source.Rows("SELECT * FROM studies", s_studyColumns));
        var units = source.Retry("reading study units", () => source.Rows("SELECT * FROM units", UnitColumns));
        return InTransaction("merging study units", transaction =>
        {
            foreach (var study in studies)
                using (var insert = Command($"INSERT INTO studies ({string.Join(", ", s_studyColumns)}) VALUES ({string.Join(", ", s_studyColumns.Select(c => "@" + c))}) ON CONFLICT (name) DO NOTHING",
                           transaction, s_studyColumns.Select((c, i) => ("@" + c, study[i])).ToArray()))
                    insert.ExecuteNonQuery();
            int taken = 0;
            string updates = string.Join(", ", UnitColumns.Skip(2).Select(c => $"{c} = excluded.{c}"));
            foreach (var unit in units)
            {
                using var upsert = Command(
                    $"INSERT INTO units ({string.Join(", ", UnitColumns)}) VALUES ({string.Join(", ", UnitColumns.Select(c => "@" + c))}) " +
                    $"ON CONFLICT (study, unit_key) DO UPDATE SET {updates} WHERE units.status <> 'done' AND excluded.status = 'done'",
                    transaction, UnitColumns.Select((c, i) => ("@" + c, unit[i])).ToArray());
                int written = upsert.ExecuteNonQuery();
                if (written > 0 && Equals(unit[Array.IndexOf(UnitColumns, "status")], "done")) taken++; // pending copies come along, uncounted
            }
            return taken;
        });
    }

    private List<object?[]> Rows(string sql, string[] columns)
    {
        var rows = new List<object?[]>();
        using var command = Command(sql);
        using DbDataReader reader = command.ExecuteReader();
        while (reader.Read())
            rows.Add(columns.Select(c => reader.IsDBNull(reader.GetOrdinal(c)) ? null : reader.GetValue(reader.GetOrdinal(c))).ToArray());
        return rows;
    }
}
