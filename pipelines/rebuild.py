"""Which weeks a weekly run rebuilds: decided here for the command line's ``run`` and for the
inbox sensor alike.

The weeks whose facts changed (``raw.pending_weeks``) are rebuilt from the first of them, or
the first week with production deployments when that is later, through the latest week with
data: later weeks' trailing windows reach back into the changed ones. Every range stays
inside the weeks a timestamp the contract accepts can fall in (``assets.weeks.week_window``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import duckdb

from assets.delivery.marts import data_weeks, staged_weeks, stale_weeks
from assets.reporting.build import default_report_week, publishable_week
from assets.settings import Settings
from assets.weeks import WeekRange, clamp_weeks, iso_week, week_window


@dataclass(frozen=True)
class Rebuild:
    """The weeks a run rebuilds, the week it is for, and what it leaves out."""

    #: None: nothing to rebuild
    weeks: WeekRange | None
    #: the week a reader wants published (None: no such week)
    report_week: dt.date | None = None
    #: one line per week or range of weeks left out, saying why
    left_out: tuple[str, ...] = ()
    #: weeks left out because they all lie before the first partition (None: none are)
    waiting: WeekRange | None = None


def plan_rebuild(
    conn: duckdb.DuckDBPyConnection,
    settings: Settings,
    *,
    week: dt.date | None = None,
    backfill: bool = False,
    today: dt.date | None = None,
    first_partition: dt.date | None = None,
) -> Rebuild:
    """The weeks to rebuild now: the changed weeks, and for a run a reader started
    (``today`` given, the command line) also its report week and with ``backfill`` every week
    with data.

    The report week is ``week``, by default the last complete week on ``today`` (or the
    latest with data); one outside the accepted weeks or one that may not be published
    (empty, future) is left out. A reader's run rebuilds nothing before there are production
    deployments; the sensor (no ``today``) rebuilds the changed weeks even then. Weeks
    before ``first_partition`` (the partitions a loaded code location knows) wait for a
    reload.
    """
    window = week_window(settings)
    staged, span = staged_weeks(conn, settings), data_weeks(conn, settings)
    left_out = []
    if staged is not None and staged != span:
        left_out.append(
            f"production deployments span {staged.label}; only the weeks {window.label}"
            " (contracts.min_timestamp to now + contracts.max_future_hours) are rebuilt"
        )
    stale = stale_weeks(conn, settings)
    starts = [stale.first, stale.last] if stale else []
    report_week = None
    if today is not None:
        report_week, refused = _report_week(conn, settings, week, today, window)
        left_out += [refused] if refused else []
        if span is None:
            return Rebuild(None, report_week, tuple(left_out))
        starts += [report_week] if report_week else []
        starts += [span.first] if backfill else []
    weeks = _spanning(starts, span)
    if weeks and first_partition and weeks.first < first_partition:
        left_out.append(
            f"weeks from {weeks.first} are before the first partition {first_partition}:"
            " reload the code location to rebuild them"
        )
        if weeks.last < first_partition:
            return Rebuild(None, report_week, tuple(left_out), waiting=weeks)
        weeks = WeekRange(first_partition, weeks.last)
    return Rebuild(weeks, report_week, tuple(left_out))


def _report_week(
    conn: duckdb.DuckDBPyConnection,
    settings: Settings,
    week: dt.date | None,
    today: dt.date,
    window: WeekRange,
) -> tuple[dt.date | None, str | None]:
    """(``week``, by default the week a reader wants on ``today``, or None when it cannot be
    rebuilt and published; why not)."""
    wanted = week or default_report_week(conn, settings, today)
    if wanted is None:
        return None, None
    if clamp_weeks(WeekRange.of(wanted), window) is None:
        return None, f"week {iso_week(wanted)} is outside the weeks {window.label}: not rebuilt"
    # the week still under way was allowed (or refused) by the caller already
    check = publishable_week(conn, settings, wanted, today, allow_partial=True)
    if not check.publishable:
        # an empty or future week would join the archive as a blank page
        return None, f"{check.message}: not published"
    return wanted, None


def _spanning(starts: list[dt.date], span: WeekRange | None) -> WeekRange | None:
    """The weeks from the first of ``starts`` through the last, or through the latest week
    with data (``span``) when that is later; None without starts."""
    if not starts:
        return None
    if span is None:
        return WeekRange(min(starts), max(starts))
    # weeks before the first production deployment hold nothing to report (an incident or a
    # staging deployment may queue one): the partitions start at the first week with data
    return WeekRange(max(min(starts), span.first), max(span.last, *starts))
