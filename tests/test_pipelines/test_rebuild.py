"""Which weeks a run rebuilds (``plan_rebuild``), as the command line's run and the inbox
sensor both ask it, on a real warehouse built from the small inbox of this folder's conftest:
production deployments in 2024-W01 .. 2024-W03 (Mondays 2024-01-01, -08, -15)."""

from __future__ import annotations

import datetime as dt
import json

import dagster as dg
import duckdb

from assets.settings import Settings
from assets.warehouse import connect
from assets.weeks import WeekRange
from pipelines.automation import inbox_files
from pipelines.definitions import build_definitions
from pipelines.rebuild import plan_rebuild

W01, W02, W03, W04 = (dt.date(2024, 1, d) for d in (1, 8, 15, 22))
TODAY_AFTER = dt.date(2024, 2, 1)  # the data's weeks are all over; last complete week W04


def _queue(conn: duckdb.DuckDBPyConnection, *weeks: dt.date) -> None:
    """Make ``weeks`` the only weeks queued as changed."""
    conn.execute("DELETE FROM raw.pending_weeks")
    for week in weeks:
        conn.execute("INSERT INTO raw.pending_weeks VALUES ($week, now())", {"week": week})


def test_the_sensor_rebuilds_the_changed_weeks_through_the_latest_with_data(
    inbox_settings: Settings, warehouse_from_inbox
) -> None:
    conn = warehouse_from_inbox(inbox_settings)
    _queue(conn, W02)

    plan = plan_rebuild(conn, inbox_settings)

    # W03's trailing windows reach back into W02: it is rebuilt too
    assert plan.weeks == WeekRange(W02, W03)
    assert plan.report_week is None
    assert plan.left_out == ()


def test_a_readers_run_adds_its_report_week_or_every_week_on_backfill(
    inbox_settings: Settings, warehouse_from_inbox
) -> None:
    conn = warehouse_from_inbox(inbox_settings)
    _queue(conn)

    default = plan_rebuild(conn, inbox_settings, today=TODAY_AFTER)
    asked = plan_rebuild(conn, inbox_settings, week=W01, today=TODAY_AFTER)
    backfill = plan_rebuild(conn, inbox_settings, backfill=True, today=TODAY_AFTER)

    # the last complete week (W04) holds no data: the latest week with data is the one wanted
    assert (default.weeks, default.report_week) == (WeekRange(W03, W03), W03)
    assert (asked.weeks, asked.report_week) == (WeekRange(W01, W03), W01)
    assert (backfill.weeks, backfill.report_week) == (WeekRange(W01, W03), W03)
    assert plan_rebuild(conn, inbox_settings).weeks is None  # the sensor: nothing changed


def test_a_report_week_without_data_is_left_out_with_the_reason(
    inbox_settings: Settings, warehouse_from_inbox
) -> None:
    conn = warehouse_from_inbox(inbox_settings)
    _queue(conn, W03)

    plan = plan_rebuild(conn, inbox_settings, week=W04, today=TODAY_AFTER)

    assert (plan.weeks, plan.report_week) == (WeekRange(W03, W03), None)
    assert plan.left_out == (
        "week 2024-W04 holds no data: production deployments span 2024-W01 .. 2024-W03:"
        " not published",
    )


def test_weeks_before_the_first_partition_wait_for_a_reload(
    inbox_settings: Settings, warehouse_from_inbox
) -> None:
    conn = warehouse_from_inbox(inbox_settings)
    _queue(conn, W01)

    later = plan_rebuild(conn, inbox_settings, first_partition=W02)
    all_before = plan_rebuild(conn, inbox_settings, first_partition=W04)

    reload = (
        "weeks from 2024-01-01 are before the first partition {}:"
        " reload the code location to rebuild them"
    )
    assert (later.weeks, later.waiting) == (WeekRange(W02, W03), None)
    assert later.left_out == (reload.format("2024-01-08"),)
    assert (all_before.weeks, all_before.waiting) == (None, WeekRange(W01, W03))
    assert all_before.left_out == (reload.format("2024-01-22"),)


def test_without_production_deployments_only_the_sensor_rebuilds_the_queued_weeks(
    tmp_path, make_settings
) -> None:
    settings = make_settings(warehouse=str(tmp_path / "w.duckdb"))
    with connect(settings.warehouse_path) as conn:
        _queue(conn, W02)  # as an incident or a calendar file queues its week

        sensor = plan_rebuild(conn, settings)
        reader = plan_rebuild(conn, settings, today=TODAY_AFTER)

    assert sensor.weeks == WeekRange(W02, W02)
    assert (reader.weeks, reader.report_week) == (None, None)


def test_the_sensor_skips_weeks_older_than_its_partitions_until_a_reload(
    inbox_settings: Settings, warehouse_from_inbox
) -> None:
    warehouse_from_inbox(inbox_settings).close()  # W01 .. W03 queued by the ingest
    defs = build_definitions(inbox_settings, first_week=W04)
    sensor = defs.resolve_sensor_def("inbox_sensor")
    cursor = json.dumps(inbox_files(inbox_settings.inbox_path))

    result = sensor.evaluate_tick(dg.build_sensor_context(cursor=cursor))

    assert not result.run_requests
    assert result.skip_message == "weeks 2024-01-01 .. 2024-01-15 wait for a code location reload"
