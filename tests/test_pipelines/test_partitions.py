"""Weekly partitions: materialising one week rewrites that week only."""

import datetime as dt

import dagster as dg

from assets.warehouse import connect
from pipelines.definitions import build_definitions
from pipelines.runner import run_pipeline

W01, W02, W03 = dt.date(2024, 1, 1), dt.date(2024, 1, 8), dt.date(2024, 1, 15)


def weekly_rows(settings) -> dict:
    with connect(settings.warehouse_path) as conn:
        rows = conn.execute(
            "SELECT week_start, service, deployments, successful_deployments"
            " FROM marts.delivery_weekly ORDER BY ALL"
        ).fetchall()
    return {(week, service): (deployments, ok) for week, service, deployments, ok in rows}


def test_one_week_partition_leaves_other_weeks_untouched(inbox_settings):
    instance = dg.DagsterInstance.ephemeral()
    assert run_pipeline(inbox_settings, today=dt.date(2024, 1, 24), instance=instance).success
    before = weekly_rows(inbox_settings)
    assert before[(W01, "api")] == (4, 3)
    assert before[(W02, "api")] == (1, 1)
    # change the facts of two weeks behind the marts' back
    with connect(inbox_settings.warehouse_path) as conn:
        conn.execute("DELETE FROM staging.deployments WHERE deployment_id IN ('a1', 'a5')")
    defs = build_definitions(inbox_settings)
    result = defs.resolve_job_def("weekly").execute_in_process(
        instance=instance, partition_key=W02.isoformat()
    )
    assert result.success
    after = weekly_rows(inbox_settings)
    assert after[(W01, "api")] == (4, 3)  # W01 not materialised: still the old numbers
    assert (W02, "api") not in after  # a5 was api's only W02 deployment and its last week
    assert after[(W03, "web")] == before[(W03, "web")]
    assert {k: v for k, v in after.items() if k[0] != W02} == {
        k: v for k, v in before.items() if k[0] != W02
    }


def test_normal_run_rebuilds_only_from_the_changed_week(inbox_settings, tmp_path):
    instance = dg.DagsterInstance.ephemeral()
    assert run_pipeline(inbox_settings, today=dt.date(2024, 1, 24), instance=instance).success
    # a late file changes one deployment of W03 only
    late = inbox_settings.inbox_path / "deployments" / "late.csv"
    late.write_text(
        "deployment_id,service,team,environment,version,status,started_at,finished_at\n"
        "w3,web,shop,prod,2.2,failed,2024-01-15T16:00:00Z,2024-01-15T16:10:00Z\n"
    )
    outcome = run_pipeline(inbox_settings, today=dt.date(2024, 1, 24), instance=instance)
    assert outcome.success
    assert (outcome.weeks.first, outcome.weeks.last) == (W03, W03)
    rows = weekly_rows(inbox_settings)
    assert rows[(W03, "web")] == (1, 0)
