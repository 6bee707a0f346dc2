namespace FashionMnist.Experiments;

/// <summary>The experiment store's tables. Bump <see cref="Version"/> (and migrate) when they change.</summary>
internal static class ExperimentStoreSchema
{
    public const int Version = 1;

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
            fit_seconds     REAL,
            predict_seconds REAL,
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
            value  REAL,
            PRIMARY KEY (run_id, name)
        );
        CREATE TABLE IF NOT EXISTS fold_scores (
            run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
            fold   INTEGER NOT NULL,
            score  REAL NOT NULL,
            PRIMARY KEY (run_id, fold)
        );
        CREATE TABLE IF NOT EXISTS class_metrics (
            run_id    TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
            label     INTEGER NOT NULL,
            name      TEXT NOT NULL,
            precision REAL NOT NULL,
            recall    REAL NOT NULL,
            f1        REAL NOT NULL,
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
            train_loss     REAL,
            train_accuracy REAL,
            val_loss       REAL,
            val_accuracy   REAL,
            seconds        REAL,
            learning_rate  REAL,
            PRIMARY KEY (run_id, epoch)
        );
        """;
}
