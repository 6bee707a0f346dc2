using FashionMnist.Tests.Support;

namespace FashionMnist.Tests.Experiments;

/// <summary>The study contract on SQLite (always) ...</summary>
public sealed class SqliteStudyTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("fmnist-study-").FullName;
    private string Store => Path.Combine(_folder, "study.db");

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact] public void A_study_runs_every_unit_once_and_reports_each_entry_once() => StudyContract.A_study_runs_every_unit_once_and_reports_each_entry_once(Store);
    [Fact] public void A_rerun_continues_where_the_last_worker_stopped() => StudyContract.A_rerun_continues_where_the_last_worker_stopped(Store);
    [Fact] public void Concurrent_claimers_never_take_the_same_unit() => StudyContract.Concurrent_claimers_never_take_the_same_unit(Store);
    [Fact] public void A_stale_claim_is_taken_over_and_its_first_holder_cannot_finish_it() => StudyContract.A_stale_claim_is_taken_over_and_its_first_holder_cannot_finish_it(Store);
    [Fact] public void A_dead_local_worker_frees_its_units_at_once() => StudyContract.A_dead_local_worker_frees_its_units_at_once(Store);
    [Fact] public void A_live_heartbeat_keeps_a_unit_that_runs_longer_than_the_timeout() => StudyContract.A_live_heartbeat_keeps_a_unit_that_runs_longer_than_the_timeout(Store);
    [Fact] public void A_failing_unit_is_retried_once_then_reported() => StudyContract.A_failing_unit_is_retried_once_then_reported(Store);
    [Fact] public void A_study_name_means_one_plan() => StudyContract.A_study_name_means_one_plan(Store);
}

/// <summary>... and on PostgreSQL (the server ./test.sh starts; skipped with the reason when there is none).</summary>
public sealed class PostgresStudyTests
{
    private static void On(Action<string> check)
    {
        using var database = new PostgresDatabase();
        check(database.Url);
    }

    [PostgresFact] public void A_study_runs_every_unit_once_and_reports_each_entry_once() => On(StudyContract.A_study_runs_every_unit_once_and_reports_each_entry_once);
    [PostgresFact] public void A_rerun_continues_where_the_last_worker_stopped() => On(StudyContract.A_rerun_continues_where_the_last_worker_stopped);
    [PostgresFact] public void Concurrent_claimers_never_take_the_same_unit() => On(StudyContract.Concurrent_claimers_never_take_the_same_unit);
    [PostgresFact] public void A_stale_claim_is_taken_over_and_its_first_holder_cannot_finish_it() => On(StudyContract.A_stale_claim_is_taken_over_and_its_first_holder_cannot_finish_it);
    [PostgresFact] public void A_dead_local_worker_frees_its_units_at_once() => On(StudyContract.A_dead_local_worker_frees_its_units_at_once);
    [PostgresFact] public void A_live_heartbeat_keeps_a_unit_that_runs_longer_than_the_timeout() => On(StudyContract.A_live_heartbeat_keeps_a_unit_that_runs_longer_than_the_timeout);
    [PostgresFact] public void A_failing_unit_is_retried_once_then_reported() => On(StudyContract.A_failing_unit_is_retried_once_then_reported);
    [PostgresFact] public void A_study_name_means_one_plan() => On(StudyContract.A_study_name_means_one_plan);
}
