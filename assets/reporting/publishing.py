"""Publishing a week's page and the archive page: the one way the weekly job and the command
line's ``report`` both do it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import duckdb

from assets.reporting.build import WeekCheck, archive_entries, publishable_week
from assets.reporting.builds import publish_recorded, read_report
from assets.reporting.data_docs import publish_validations
from assets.settings import Settings
from reports.publish import Published, publish_archive, publish_weekly


@dataclass(frozen=True)
class WeekPublication:
    """Whether a week's page was published (``check``) and, if it was, what was written."""

    check: WeekCheck
    published: Published | None


def publish_week(
    conn: duckdb.DuckDBPyConnection,
    settings: Settings,
    week: dt.date,
    today: dt.date,
    *,
    allow_partial: bool = False,
    record: bool = True,
    **options: bool,
) -> WeekPublication:
    """Publish one week's page: check that the week may have one (``publishable_week``),
    build it from one lake snapshot, write it (``options`` go to ``publish_weekly``) and
    record the build in ``raw.report_builds`` so it can be rebuilt as built. A read-only
    warehouse publishes with ``record`` off. A refused week is written nowhere."""
    check = publishable_week(conn, settings, week, today, allow_partial=allow_partial)
    if not check.publishable:
        return WeekPublication(check, None)
    if record:
        return WeekPublication(check, publish_recorded(conn, settings, week, **options))
    report, _ = read_report(conn, settings, week)
    return WeekPublication(check, publish_weekly(report, settings.reports_path, **options))


def publish_archive_page(conn: duckdb.DuckDBPyConnection, settings: Settings) -> tuple[Path, int]:
    """Write the archive page, ``reports_dir/index.html``, listing every published week that
    has started; (its path, how many weeks it lists)."""
    entries = archive_entries(conn, settings.reports_path)
    # with the archive, once a run: the Data Docs of checks that have no page yet
    publish_validations(conn, settings.reports_path)
    return publish_archive(entries, settings.reports_path), len(entries)
