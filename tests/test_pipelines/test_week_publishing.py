"""No job publishes an empty week, a future week or the week under way unless asked, and the
weekly partitions start at the first week with data."""

from __future__ import annotations

import datetime as dt

import dagster as dg

from assets.delivery.marts import pending_weeks, queue_weeks
from assets.reporting.assets import (
    NOT_PUBLISHED,
    PARTIAL_WEEK_TAG,
    PENDING_WEEKS,
    WEEKLY_REPORT,
    refused_weeks,
)
from assets.warehouse import open_warehouse
from assets.weeks import WeekRange, current_week
from pipelines.definitions import build_definitions
from pipelines.runner import run_pipeline

W01, W03, W04, W05 = (dt.date(2024, 1, d) for d in (1, 15, 22, 29))


def _weekly(defs, instance, first, last, **tags):
    return defs.resolve_job_def("weekly").execute_in_process(
        instance=instance,
        tags={
            "dagster/asset_partition_range_start": first.isoformat(),
            "dagster/asset_partition_range_end": last.isoformat(),
            **tags,
        },
    )


def test_partitions_start_at_the_first_week_with_data(inbox_settings):
    # no warehouse yet: every week a timestamp can fall in (a loaded code server accepts them)
    before = build_definitions(inbox_settings).resolve_asset_graph()
    weekly = before.get(WEEKLY_REPORT).partitions_def
    assert weekly.get_first_partition_key() == "1999-12-27"
    instance = dg.DagsterInstance.ephemeral()
    assert run_pipeline(inbox_settings, today=dt.date(2024, 1, 24), instance=instance).success
    after = build_definitions(inbox_settings).resolve_asset_graph()
    weekly = after.get(WEEKLY_REPORT).partitions_def
    assert weekly.get_first_partition_key() == W01.isoformat()
    # ... and end with the week under way (now + contracts.max_future_hours may reach the next)
    last = dt.date.fromisoformat(weekly.get_last_partition_key())
    assert current_week(inbox_settings) <= last <= current_week(inbox_settings) + dt.timedelta(7)


def test_a_range_with_empty_weeks_publishes_only_the_weeks_with_data(inbox_settings):
    instance = dg.DagsterInstance.ephemeral()
    assert run_pipeline(inbox_settings, today=dt.date(2024, 1, 24), instance=instance).success
    reports = inbox_settings.reports_path
    (reports / "index.html").unlink()
    # as a UI "materialise all" would: W03 holds data, W04 and W05 none
    result = _weekly(build_definitions(inbox_settings), instance, W03, W05)
    assert result.success
    refused = refused_weeks(result.get_asset_observation_events())
    assert set(refused) == {W04, W05}
    assert refused[W04] == (
        "week 2024-W04 holds no data: production deployments span 2024-W01 .. 2024-W03"
    )
    states = {
        event.asset_observation_data.asset_observation.metadata[NOT_PUBLISHED].value
        for event in result.get_asset_observation_events()
    }
    assert states == {"empty"}
    assert not (reports / "2024-W04").exists()
    assert not (reports / "2024-W05").exists()
    assert instance.get_materialized_partitions(WEEKLY_REPORT) == {
        "2024-01-01",
        "2024-01-08",
        "2024-01-15",
    }
    # the archive step is skipped, so the report step refreshed the archive page itself
    assert "2024-W03" in (reports / "index.html").read_text()


def test_the_week_under_way_is_published_only_when_asked(inbox_settings):
    now = dt.datetime.now(tz=dt.UTC)
    this_week = current_week(inbox_settings, now)
    started = max(now - dt.timedelta(hours=1), dt.datetime.combine(this_week, dt.time(), dt.UTC))
    stamp = started.strftime("%Y-%m-%dT%H:%M:%SZ")
    (inbox_settings.inbox_path / "deployments" / "today.csv").write_text(
        "deployment_id,service,team,environment,version,status,started_at,finished_at\n"
        f"t1,web,shop,prod,2.3,succeeded,{stamp},{stamp}\n"
    )
    instance = dg.DagsterInstance.ephemeral()
    outcome = run_pipeline(inbox_settings, instance=instance)
    assert outcome.success
    page = inbox_settings.reports_path / this_week.strftime("%G-W%V") / "index.html"
    assert page not in outcome.reports and not page.exists()
    defs = build_definitions(inbox_settings)
    refused = refused_weeks(
        _weekly(defs, instance, this_week, this_week).get_asset_observation_events()
    )
    assert refused == {this_week: f"week {this_week.strftime('%G-W%V')} is not over yet"}
    assert not page.exists()
    asked = _weekly(defs, instance, this_week, this_week, **{PARTIAL_WEEK_TAG: "true"})
    assert refused_weeks(asked.get_asset_observation_events()) == {}
    assert page.exists()
    assert this_week.isoformat() in instance.get_materialized_partitions(WEEKLY_REPORT)


def test_refused_weeks_leave_the_queue_as_the_published_ones_do(inbox_settings):
    instance = dg.DagsterInstance.ephemeral()
    assert run_pipeline(inbox_settings, today=dt.date(2024, 1, 24), instance=instance).success
    with open_warehouse(inbox_settings) as conn:
        queue_weeks(conn, WeekRange(W03, W05))
    result = _weekly(build_definitions(inbox_settings), instance, W03, W05)
    assert result.success
    assert set(refused_weeks(result.get_asset_observation_events())) == {W04, W05}
    with open_warehouse(inbox_settings) as conn:
        assert pending_weeks(conn) == []
    # the queue's asset is materialised for every week of the run, the report for W03 only
    cleared = [
        event.materialization
        for event in result.get_asset_materialization_events()
        if event.asset_key == PENDING_WEEKS
    ]
    assert {m.partition for m in cleared} == {W03.isoformat(), W04.isoformat(), W05.isoformat()}
    assert {m.metadata["weeks_cleared"].value for m in cleared} == {3}
    assert W04.isoformat() not in instance.get_materialized_partitions(WEEKLY_REPORT)
