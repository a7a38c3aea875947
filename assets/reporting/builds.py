"""Which lake snapshot each weekly page was built from, and rebuilding a page as it was.

A page is read inside one transaction, so everything on it comes from one lake snapshot;
that snapshot and the page's generated time are recorded in ``raw.report_builds``. Rebuilding
"as built" reads the lake at that snapshot with that time: the same page, byte for byte.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import duckdb

from assets.reporting.build import build_weekly_report
from assets.settings import Settings
from assets.warehouse import in_transaction, lake_snapshot, open_warehouse
from assets.weeks import iso_week
from reports.model import WeeklyReport
from reports.publish import Published, publish_weekly

#: as-built pages go here, inside the reports folder, one folder per snapshot
AS_BUILT_DIR = "as-built"


@dataclass(frozen=True)
class Build:
    """One recorded build of a week's page."""

    week_start: dt.date
    built_at: dt.datetime
    lake_snapshot: int | None
    report_path: str


class NotRebuildable(Exception):
    """The week's page cannot be rebuilt as built; the message says why and what to do."""


def read_report(
    conn: duckdb.DuckDBPyConnection, settings: Settings, week: dt.date
) -> tuple[WeeklyReport, int | None]:
    """The week's report and the lake snapshot it was read from (None for a DuckDB file)."""
    return in_transaction(
        conn, lambda: (build_weekly_report(conn, settings, week), lake_snapshot(conn))
    )


def record_build(
    conn: duckdb.DuckDBPyConnection, report: WeeklyReport, snapshot: int | None, path: Path
) -> None:
    """Add the page's build to ``raw.report_builds``."""
    in_transaction(
        conn,
        lambda: conn.execute(
            "INSERT INTO raw.report_builds VALUES ($week, $built_at, $snapshot, $path)",
            {
                "week": report.week_start,
                "built_at": report.generated_at,
                "snapshot": snapshot,
                "path": str(path),
            },
        ),
    )


def publish_recorded(
    conn: duckdb.DuckDBPyConnection, settings: Settings, week: dt.date, **options: bool
) -> Published:
    """Build, publish and record the week's page (``options`` go to ``publish_weekly``)."""
    report, snapshot = read_report(conn, settings, week)
    published = publish_weekly(report, settings.reports_path, **options)
    record_build(conn, report, snapshot, published.path)
    return published


def first_build(conn: duckdb.DuckDBPyConnection, week: dt.date) -> Build | None:
    """The week's first recorded build (the page as it was first published), if any."""
    row = conn.execute(
        "SELECT week_start, built_at, lake_snapshot, report_path FROM raw.report_builds"
        " WHERE week_start = $week ORDER BY built_at, lake_snapshot LIMIT 1",
        {"week": week},
    ).fetchone()
    return Build(*row) if row else None


def as_built_report(settings: Settings, week: dt.date) -> tuple[WeeklyReport, Build]:
    """The week's report rebuilt from the snapshot and time of its first build."""
    with open_warehouse(settings, read_only=True) as conn:
        build = first_build(conn, week)
    if build is None:
        raise NotRebuildable(
            f"week {iso_week(week)} has no recorded build; run `release-health run --week "
            f"{iso_week(week)}` first"
        )
    if build.lake_snapshot is None:
        raise NotRebuildable(
            f"week {iso_week(week)} was built from a DuckDB file, which keeps no snapshots; "
            "--as-built needs a DuckLake warehouse (team mode)"
        )
    with open_warehouse(settings, read_only=True, snapshot=build.lake_snapshot) as conn:
        report = build_weekly_report(conn, settings, week, now=build.built_at)
    return report, build


def publish_as_built(settings: Settings, week: dt.date, **options: bool) -> Published:
    """Publish the as-built page under ``reports_dir/as-built/snapshot-<n>/<week>/``."""
    report, build = as_built_report(settings, week)
    folder = settings.reports_path / AS_BUILT_DIR / f"snapshot-{build.lake_snapshot}"
    return publish_weekly(report, folder, **options)
