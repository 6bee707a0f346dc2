using System.Data.Common;
using System.Text.Json;
using FashionMnist.Evaluation;

namespace FashionMnist.Experiments.Studies;

/// <summary>
/// The claim protocol on the store's <c>units</c> table, the same SQL on both engines:
/// <list type="bullet">
/// <item>A worker claims the first claimable unit (lowest sequence number) in one short transaction, setting a fresh
/// claim token, the database clock as heartbeat, and attempts + 1. PostgreSQL locks the chosen row with
/// <c>FOR UPDATE SKIP LOCKED</c>, so concurrent claimers pass over each other's rows; SQLite's write transaction
/// (<c>BEGIN IMMEDIATE</c>) makes claims one at a time.</item>
/// <item>Claimable: pending; or claimed with a heartbeat older than the claim timeout (its worker is presumed dead);
/// or failed fewer than <see cref="MaxAttempts"/> times. A refit is claimable only when every cross-validation unit of
/// its entry is done or has failed for good.</item>
/// <item>The holder renews the heartbeat while it works. It finishes the unit in one transaction that writes its result
/// (and run record) and sets status done <i>only where its claim token is still the unit's</i>: a worker presumed dead
/// that comes back finds its claim taken and writes nothing, so no unit is ever counted twice.</item>
/// <item>Before claiming, units held by processes of this host that no longer exist are released at once (a kill -9
/// on the same machine need not wait for the timeout).</item>
/// </list>
/// </summary>
internal sealed class UnitQueue(ExperimentStore store, string study)
{
    /// <summary>A unit that failed this many times is left failed (a deterministic error would fail again).</summary>
    public const int MaxAttempts = 2;

    private static readonly JsonSerializerOptions s_json = new() { WriteIndented = false };

    public ExperimentStore Store => store;
    public string Study => study;

    /// <summary>
    /// Makes sure the study and its units exist (inserting what is missing; two workers registering at once is fine).
    /// A study of that name planned differently is refused: its units would mean something else.
    /// </summary>
    public void Register(StudyPlan plan, string storedJson)
    {
        store.InTransaction("registering the study", transaction =>
        {
            using (var find = store.Command("SELECT plan_hash FROM studies WHERE name = @name", transaction, ("@name", study)))
                if (find.ExecuteScalar() is string hash && hash != plan.Hash)
                    throw new FashionMnistException(
                        $"The store already holds a study named '{study}' that was planned with other models, settings or limits",
                        "Run the same command as the study's other workers, or choose another --study name (or none: the default name follows the options).");
            using (var insert = store.Command(
                       "INSERT INTO studies (name, profile, plan_hash, plan_json, command, created_utc) VALUES (@name, @profile, @hash, @json, @command, @created) ON CONFLICT (name) DO NOTHING",
                       transaction, ("@name", study), ("@profile", plan.Request.Profile.Name), ("@hash", plan.Hash), ("@json", storedJson),
                       ("@command", plan.Request.Command), ("@created", DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture))))
                insert.ExecuteNonQuery();
            using var unit = store.Command(
                "INSERT INTO units (study, unit_key, seq, entry, kind, candidate, fold, settings_json, status, attempts) " +
                "VALUES (@study, @key, @seq, @entry, @kind, @candidate, @fold, @settings, 'pending', 0) ON CONFLICT (study, unit_key) DO NOTHING",
                transaction, ("@study", study), ("@key", null), ("@seq", null), ("@entry", null), ("@kind", null), ("@candidate", null), ("@fold", null), ("@settings", null));
            foreach (var u in plan.Units)
            {
                unit.Parameters["@key"].Value = u.Key;
                unit.Parameters["@seq"].Value = u.Seq;
                unit.Parameters["@entry"].Value = u.Entry;
                unit.Parameters["@kind"].Value = KindText(u.Kind);
                unit.Parameters["@candidate"].Value = (object?)u.Candidate ?? DBNull.Value;
                unit.Parameters["@fold"].Value = (object?)u.Fold ?? DBNull.Value;
                unit.Parameters["@settings"].Value = JsonSerializer.Serialize(u.Settings, s_json);
                unit.ExecuteNonQuery();
            }
        });
    }

    /// <summary>
    /// Claims the next unit for <paramref name="worker"/>, or returns null when none is claimable now. With a static
    /// <paramref name="shard"/> (i of n) only units whose sequence number is i - 1 modulo n are considered.
    /// </summary>
    public UnitClaim? Claim(WorkerIdentity worker, TimeSpan timeout, (int Number, int Count)? shard = null)
    {
        string token = Guid.NewGuid().ToString("N");
        string now = store.Backend.NowMilliseconds;
        string shardFilter = shard is (int number, int count) && count > 1
            ? $" AND u.seq % {count.ToString(CultureInfo.InvariantCulture)} = {(number - 1).ToString(CultureInfo.InvariantCulture)}" : "";
        string sql = $"""
            UPDATE units SET status = 'claimed', claim_token = @token, heartbeat_ms = {now}, attempts = attempts + 1,
                worker_json = @worker, error = NULL
            WHERE study = @study AND unit_key = (
                SELECT u.unit_key FROM units u
                WHERE u.study = @study{shardFilter}
                  AND (u.status = 'pending'
                       OR (u.status = 'claimed' AND u.heartbeat_ms < {now} - @timeout)
                       OR (u.status = 'failed' AND u.attempts < @max))
                  AND (u.kind = 'cv' OR NOT EXISTS (
                       SELECT 1 FROM units c WHERE c.study = u.study AND c.entry = u.entry AND c.kind = 'cv'
                         AND NOT (c.status = 'done' OR (c.status = 'failed' AND c.attempts >= @max))))
                ORDER BY u.seq
                LIMIT 1
                {store.Backend.SkipLocked})
            RETURNING unit_key, seq, entry, kind, candidate, fold, settings_json, attempts
            """;
        return store.InTransaction("claiming a unit", transaction =>
        {
            ReleaseDeadLocalWorkers(transaction);
            using var command = store.Command(sql, transaction, ("@token", token), ("@worker", JsonSerializer.Serialize(worker, s_json)),
                ("@study", study), ("@timeout", (long)timeout.TotalMilliseconds), ("@max", MaxAttempts));
            using var reader = command.ExecuteReader();
            if (!reader.Read()) return null;
            var unit = new StudyUnit(reader.GetString(0), Int(reader, 1), reader.GetString(2), ParseKind(reader.GetString(3)),
                reader.IsDBNull(4) ? null : Int(reader, 4), reader.IsDBNull(5) ? null : Int(reader, 5),
                JsonSerializer.Deserialize<Dictionary<string, string>>(reader.GetString(6), s_json) ?? []);
            return new UnitClaim(unit, token, Int(reader, 7));
        });
    }

    /// <summary>Frees units claimed by processes of this host that are gone (killed, crashed): their work is lost anyway.</summary>
    private void ReleaseDeadLocalWorkers(DbTransaction transaction)
    {
        var dead = new List<string>();
        using (var claimed = store.Command("SELECT claim_token, worker_json FROM units WHERE study = @study AND status = 'claimed'", transaction, ("@study", study)))
        using (var reader = claimed.ExecuteReader())
            while (reader.Read())
                if (!reader.IsDBNull(1) && JsonSerializer.Deserialize<WorkerIdentity>(reader.GetString(1), s_json) is { } holder
                    && holder.Host == Environment.MachineName && holder.IsGoneFromThisHost())
                    dead.Add(reader.GetString(0));
        foreach (string token in dead)
            using (var release = store.Command("UPDATE units SET status = 'pending', claim_token = NULL WHERE study = @study AND claim_token = @token AND status = 'claimed'",
                       transaction, ("@study", study), ("@token", token)))
                release.ExecuteNonQuery();
    }

    /// <summary>Renews the claim's heartbeat; false when the claim is no longer this worker's (taken over after a timeout).</summary>
    public bool Heartbeat(UnitClaim claim) => store.InTransaction("renewing a heartbeat", transaction =>
    {
        using var command = store.Command($"UPDATE units SET heartbeat_ms = {store.Backend.NowMilliseconds} WHERE study = @study AND unit_key = @key AND claim_token = @token AND status = 'claimed'",
            transaction, ("@study", study), ("@key", claim.Unit.Key), ("@token", claim.Token));
        return command.ExecuteNonQuery() == 1;
    });

    /// <summary>
    /// Records the unit as done with its result, and <paramref name="alsoWrite"/> (run records) in the same transaction —
    /// only if the claim is still this worker's. Returns false (and writes nothing) when it is not.
    /// </summary>
    public bool Complete(UnitClaim claim, WorkerIdentity worker, string resultJson, double seconds, Guid? runId, Action<DbTransaction>? alsoWrite = null)
    {
        try
        {
            return store.InTransaction("recording a finished unit", transaction => CompleteIn(transaction, claim, worker, resultJson, seconds, runId, alsoWrite));
        }
        catch (ClaimLostException)
        {
            return false; // the transaction was rolled back: nothing of this try is kept
        }
    }

    private bool CompleteIn(DbTransaction transaction, UnitClaim claim, WorkerIdentity worker, string resultJson, double seconds, Guid? runId, Action<DbTransaction>? alsoWrite)
    {
        {
            if (AlreadyDoneByThisClaim(claim, transaction)) return true; // the commit of an earlier try went through; its answer was lost
            alsoWrite?.Invoke(transaction);
            using var command = store.Command(
                "UPDATE units SET status = 'done', result_json = @result, seconds = @seconds, run_id = @run, finished_utc = @finished, worker_json = @worker, error = NULL " +
                "WHERE study = @study AND unit_key = @key AND claim_token = @token AND status = 'claimed'",
                transaction, ("@result", resultJson), ("@seconds", seconds), ("@run", runId?.ToString()),
                ("@finished", DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture)), ("@worker", JsonSerializer.Serialize(worker, s_json)),
                ("@study", study), ("@key", claim.Unit.Key), ("@token", claim.Token));
            if (command.ExecuteNonQuery() == 1) return true;
            throw new ClaimLostException(); // not ours any more: roll back the run records written above
        }
    }

    private sealed class ClaimLostException : Exception;

    /// <summary>Records that the unit failed (it may be tried again, up to <see cref="MaxAttempts"/> times in all).</summary>
    public bool Fail(UnitClaim claim, string error, double seconds) => store.InTransaction("recording a failed unit", transaction =>
    {
        using var command = store.Command(
            "UPDATE units SET status = 'failed', error = @error, seconds = @seconds, finished_utc = @finished WHERE study = @study AND unit_key = @key AND claim_token = @token AND status = 'claimed'",
            transaction, ("@error", error), ("@seconds", seconds), ("@finished", DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture)),
            ("@study", study), ("@key", claim.Unit.Key), ("@token", claim.Token));
        return command.ExecuteNonQuery() == 1;
    });

    /// <summary>Gives a unit back untouched (the worker was asked to stop): it is pending again and this try does not count.</summary>
    public void Release(UnitClaim claim) => store.InTransaction("releasing a unit", transaction =>
    {
        using var command = store.Command(
            "UPDATE units SET status = 'pending', claim_token = NULL, attempts = attempts - 1 WHERE study = @study AND unit_key = @key AND claim_token = @token AND status = 'claimed'",
            transaction, ("@study", study), ("@key", claim.Unit.Key), ("@token", claim.Token));
        command.ExecuteNonQuery();
    });

    private bool AlreadyDoneByThisClaim(UnitClaim claim, DbTransaction transaction)
    {
        using var command = store.Command("SELECT status FROM units WHERE study = @study AND unit_key = @key AND claim_token = @token",
            transaction, ("@study", study), ("@key", claim.Unit.Key), ("@token", claim.Token));
        return command.ExecuteScalar() is "done";
    }

    /// <summary>Unit counts by status.</summary>
    public StudyProgress Progress() => store.Retry("reading the study's progress", () =>
    {
        int total = 0, done = 0, claimed = 0, pending = 0, failed = 0, failedForGood = 0;
        using var command = store.Command("SELECT status, attempts FROM units WHERE study = @study", null, ("@study", study));
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            total++;
            switch (reader.GetString(0))
            {
                case "done": done++; break;
                case "claimed": claimed++; break;
                case "failed":
                    failed++;
                    if (Int(reader, 1) >= MaxAttempts) failedForGood++;
                    break;
                default: pending++; break;
            }
        }
        return new StudyProgress(total, done, claimed, pending, failed, failedForGood);
    });

    /// <summary>Every unit of the study with its state and result, in plan order.</summary>
    public IReadOnlyList<UnitState> Units() => store.Retry("reading the study's units", () =>
    {
        var units = new List<UnitState>();
        using var command = store.Command(
            "SELECT unit_key, seq, entry, kind, candidate, fold, settings_json, status, attempts, worker_json, seconds, error, finished_utc, result_json, run_id " +
            "FROM units WHERE study = @study ORDER BY seq", null, ("@study", study));
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            var unit = new StudyUnit(reader.GetString(0), Int(reader, 1), reader.GetString(2), ParseKind(reader.GetString(3)),
                reader.IsDBNull(4) ? null : Int(reader, 4), reader.IsDBNull(5) ? null : Int(reader, 5),
                JsonSerializer.Deserialize<Dictionary<string, string>>(reader.GetString(6), s_json) ?? []);
            units.Add(new UnitState(unit, ParseStatus(reader.GetString(7)), Int(reader, 8),
                reader.IsDBNull(9) ? null : JsonSerializer.Deserialize<WorkerIdentity>(reader.GetString(9), s_json),
                reader.IsDBNull(10) ? null : reader.GetDouble(10), reader.IsDBNull(11) ? null : reader.GetString(11),
                reader.IsDBNull(12) ? null : DateTimeOffset.Parse(reader.GetString(12), CultureInfo.InvariantCulture),
                reader.IsDBNull(13) ? null : reader.GetString(13), reader.IsDBNull(14) ? null : Guid.Parse(reader.GetString(14))));
        }
        return (IReadOnlyList<UnitState>)units;
    });

    /// <summary>The stored plan description of a study, or null when the store has no such study.</summary>
    public static (string Profile, string PlanJson, string Command, DateTimeOffset Created)? Find(ExperimentStore store, string study) =>
        store.Retry("reading the study", () =>
        {
            using var command = store.Command("SELECT profile, plan_json, command, created_utc FROM studies WHERE name = @name", null, ("@name", study));
            using var reader = command.ExecuteReader();
            if (!reader.Read()) return ((string, string, string, DateTimeOffset)?)null;
            return (reader.GetString(0), reader.GetString(1), reader.GetString(2), DateTimeOffset.Parse(reader.GetString(3), CultureInfo.InvariantCulture));
        });

    /// <summary>The store's studies, newest first.</summary>
    public static IReadOnlyList<string> Studies(ExperimentStore store) => store.SchemaVersion < 2 ? [] : store.Retry("listing studies", () =>
    {
        var names = new List<string>();
        using var command = store.Command("SELECT name FROM studies ORDER BY created_utc DESC, name");
        using var reader = command.ExecuteReader();
        while (reader.Read()) names.Add(reader.GetString(0));
        return (IReadOnlyList<string>)names;
    });

    private static int Int(DbDataReader reader, int ordinal) => Convert.ToInt32(reader.GetValue(ordinal), CultureInfo.InvariantCulture);

    internal static string KindText(UnitKind kind) => kind == UnitKind.Cv ? "cv" : "refit";

    private static UnitKind ParseKind(string text) => text == "cv" ? UnitKind.Cv : UnitKind.Refit;

    private static UnitStatus ParseStatus(string text) => text switch
    {
        "done" => UnitStatus.Done,
        "claimed" => UnitStatus.Claimed,
        "failed" => UnitStatus.Failed,
        _ => UnitStatus.Pending,
    };
}
