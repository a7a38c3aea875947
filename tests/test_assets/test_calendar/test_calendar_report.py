"""The release calendar's events and the planned-vs-shipped rows in the weekly report model,
built from a hand-made warehouse (the shared March 2024 calendar, read in New York time)."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from assets.reporting.build import build_weekly_report
from tests.test_assets.test_calendar.conftest import CALENDAR, DEPLOYMENTS

WEEK = dt.date(2024, 3, 4)
NOW = dt.datetime(2024, 3, 20, tzinfo=dt.UTC)
# New York is UTC-5 until 10 March 2024: the audit freeze (06 00:00Z .. 08 00:00Z) covers
# the local days 5 (from 19:00), 6 and 7 (until 19:00)
TIMEZONE = "America/New_York"


def _report(make_settings, write_input, warehouse_from_inbox, tmp_path, timezone=TIMEZONE):
    settings = make_settings(warehouse=str(tmp_path / "w.duckdb"), timezone=timezone)
    write_input("deploys.csv", DEPLOYMENTS)
    write_input("plan.yaml", CALENDAR, kind="calendar")
    conn = warehouse_from_inbox(settings)
    return build_weekly_report(conn, settings, WEEK, now=NOW)


def _days(frame: pd.DataFrame, column: str) -> list[dt.date]:
    return [pd.Timestamp(v).date() for v in frame[column]]


def test_the_weeks_freezes_and_planned_releases_reach_the_model(
    make_settings, write_input, warehouse_from_inbox, tmp_path
):
    report = _report(make_settings, write_input, warehouse_from_inbox, tmp_path)

    events = report.calendar_events
    freezes = events[events["kind"] == "freeze"]
    releases = events[events["kind"] == "release"]
    # the web-only freeze (11 00:00Z .. 12 00:00Z) starts on Sunday 10 at 20:00 in New York
    # (UTC-4 from 10 March) and is clipped to the week; the second train is next week's
    assert freezes[["event_id", "summary", "services"]].fillna("-").values.tolist() == [
        ["spring-freeze", "FREEZE for the audit", ""],
        ["web-freeze", "-", "web"],
    ]
    assert _days(freezes, "first_day") == [dt.date(2024, 3, 5), dt.date(2024, 3, 10)]
    assert _days(freezes, "last_day") == [dt.date(2024, 3, 7), dt.date(2024, 3, 10)]
    # train-10 names api at 1.1 and web without a version: one marker each, Tuesday 04:00
    assert releases[["event_id", "service", "version"]].fillna("-").values.tolist() == [
        ["train-10", "api", "1.1"],
        ["train-10", "web", "-"],
    ]
    assert _days(releases, "first_day") == [dt.date(2024, 3, 5)] * 2


def test_planned_vs_shipped_rows_of_the_week_slipped_first(
    make_settings, write_input, warehouse_from_inbox, tmp_path
):
    report = _report(make_settings, write_input, warehouse_from_inbox, tmp_path)

    plan = report.release_plan
    assert plan[["service", "planned_version", "state", "deployment_id"]].fillna(
        "-"
    ).values.tolist() == [
        ["web", "-", "slipped", "d7"],
        ["api", "-", "unplanned", "d1"],
        ["api", "-", "unplanned", "d6"],
        ["api", "1.1", "on_time", "d2"],
    ]
    assert [None if pd.isna(v) else round(v, 2) for v in plan["slip_hours"]] == [
        137.0,
        None,
        None,
        0.0,
    ]


def test_a_freeze_ending_at_midnight_does_not_cover_the_next_day(
    make_settings, write_input, warehouse_from_inbox, tmp_path
):
    # in UTC the audit freeze ends on Friday 8 at 00:00 (exclusive) and the web-only freeze
    # starts on Monday 11, next week
    report = _report(make_settings, write_input, warehouse_from_inbox, tmp_path, timezone="UTC")

    freezes = report.calendar_events[report.calendar_events["kind"] == "freeze"]
    assert freezes["event_id"].tolist() == ["spring-freeze"]
    assert _days(freezes, "first_day") == [dt.date(2024, 3, 6)]
    assert _days(freezes, "last_day") == [dt.date(2024, 3, 7)]
