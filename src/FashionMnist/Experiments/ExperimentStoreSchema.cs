namespace FashionMnist.Experiments;

/// <summary>
/// The experiment store's tables, the same for SQLite and PostgreSQL (<c>{real}</c> and <c>{bigint}</c> are filled in per
/// engine). Bump <see cref="Version"/> when they change; every statement is <c>IF NOT EXISTS</c>, so running
/// <see cref="Create"/> on an older store adds what it lacks and keeps its runs (version 1 had no study tables).
/// </summary>
internal static class ExperimentStoreSchema
{
    public const int Version = 2;

    public const string Create = """
        CREATE TABLE IF NOT EXISTS runs (
            id              TEXT PRIMARY KEY,          -- GUID: unique across shard databases
            kind            TEXT NOT NULL,             -- train | search | evaluate | compare
            model           TEXT NOT NULL,
            parent_id       TEXT,
            status          TEXT NOT NULL,             -- running -> complete | failed
            command         TEXT NOT NULL,
            options_json    TEXT NOT NULL,
            preprocessing   TEXT NOT NULL,
            data_slice      TEXT NOT NULL,
            seed            INTEGER NOT NULL,
            started_utc     TEXT NOT NULL,
            finished_utc    TEXT,
            fit_seconds     {real},
            predict_seconds {real},
            environment_json TEXT NOT NULL,
            host            TEXT NOT NULL,
            pid             INTEGER NOT NULL,
            error           TEXT,
            notes_json      TEXT NOT NULL
        );
        CREATE INDEX IF NOT EXISTS runs_started ON runs(started_utc);
        CREATE TABLE IF NOT EXISTS metrics (
            run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
            name   TEXT NOT NULL,
            value  {real},
            PRIMARY KEY (run_id, name)
        );
        CREATE TABLE IF NOT EXISTS fold_scores (
            run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
            fold   INTEGER NOT NULL,
            score  {real} NOT NULL,
            PRIMARY KEY (run_id, fold)
        );
        CREATE TABLE IF NOT EXISTS class_metrics (
            run_id    TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
            label     INTEGER NOT NULL,
            name      TEXT NOT NULL,
            precision {real} NOT NULL,
            recall    {real} NOT NULL,
            f1        {real} NOT NULL,
            support   INTEGER NOT NULL,
            PRIMARY KEY (run_id, label)
        );
        CREATE TABLE IF NOT EXISTS confusion (
            run_id    TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
            actual    INTEGER NOT NULL,
            predicted INTEGER NOT NULL,
            count     INTEGER NOT NULL,
            PRIMARY KEY (run_id, actual, predicted)
        );
        CREATE TABLE IF NOT EXISTS epochs (
            run_id         TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
            epoch          INTEGER NOT NULL,
            train_loss     {real},
            train_accuracy {real},
            val_loss       {real},
            val_accuracy   {real},
            seconds        {real},
            learning_rate  {real},
            PRIMARY KEY (run_id, epoch)
        );
        CREATE TABLE IF NOT EXISTS studies (
            name         TEXT PRIMARY KEY,         -- --study NAME, or derived from the profile and options
            profile      TEXT NOT NULL,
            plan_hash    TEXT NOT NULL,            -- the plan's identity: the same name with another plan is refused
            plan_json    TEXT NOT NULL,            -- the request (entries, limits, seed), for the report
            command      TEXT NOT NULL,
            created_utc  TEXT NOT NULL
        );
        CREATE TABLE IF NOT EXISTS units (
            study         TEXT NOT NULL REFERENCES studies(name) ON DELETE CASCADE,
            unit_key      TEXT NOT NULL,           -- "knn+pca/cv/3/2" (entry, candidate, fold) or "knn+pca/refit"
            seq           INTEGER NOT NULL,        -- position in the plan; a static shard i/n takes seq % n = i - 1
            entry         TEXT NOT NULL,
            kind          TEXT NOT NULL,           -- cv | refit (refit on the entry's training data + test evaluation)
            candidate     INTEGER,
            fold          INTEGER,
            settings_json TEXT NOT NULL,           -- the candidate's settings (cv units)
            status        TEXT NOT NULL,           -- pending -> claimed -> done | failed
            claim_token   TEXT,                    -- the claim in force: only its holder may finish the unit
            heartbeat_ms  {bigint},                -- database clock (Unix ms) of the holder's last heartbeat
            attempts      INTEGER NOT NULL DEFAULT 0,
            worker_json   TEXT,                    -- who holds / ran it: host, pid, Slurm or Kubernetes index
            run_id        TEXT,                    -- the run record a refit wrote
            result_json   TEXT,                    -- cv: fold scores; refit: what the report shows
            seconds       {real},
            finished_utc  TEXT,
            error         TEXT,
            PRIMARY KEY (study, unit_key)
        );
        CREATE INDEX IF NOT EXISTS units_claim ON units(study, status, seq);
        """;
}
