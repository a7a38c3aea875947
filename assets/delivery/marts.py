"""Building the delivery marts for a range of weeks, and classifying change failures.

Every mart with a week in its grain is rebuilt per week range: the rows of those weeks are
deleted and recomputed from staging in one transaction, so a normal run touches only the
weeks whose facts changed, and a backfill is the same call over all weeks.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb

from assets.settings import Settings
from assets.warehouse import bound, in_transaction, read_sql, run_script, sql_file
from assets.weeks import WeekRange, add_weeks, clamp_weeks, week_window

BENCHMARKS_FILE = Path(__file__).with_name("benchmarks.json")
#: a team's cadence is accelerating (slowing) when its weekly trend exceeds this share of its
#: mean weekly deployments over the trailing window (README: Metrics)
TREND_THRESHOLD = 0.05
WEEKLY_MARTS = ("delivery_weekly", "delivery_summary", "cadence", "release_windows", "batch_risk")
#: marts that hold every deployment's values once for each trailing window holding it, and how
#: many such pairs one statement may hold (pooled medians keep their values in memory): long
#: ranges of busy weeks are rebuilt a few weeks at a time
TRAILING_MARTS = ("delivery_summary",)
WINDOW_PAIRS_PER_STATEMENT = 20_000_000
TIERS = ("elite", "high", "medium", "low")


def delivery_params(settings: Settings) -> dict[str, Any]:
    """The bound parameters every delivery SQL file draws from."""
    hours = settings.business_hours
    return {
        "tz": settings.timezone,
        "production": settings.environments.production,
        "bh_days": hours.iso_weekdays,
        "bh_start": hours.start_minute,
        "bh_end": hours.end_minute,
        "trailing": settings.metrics.trailing_weeks,
        "benchmark": settings.metrics.benchmark,
        "trend_threshold": TREND_THRESHOLD,
        "window_seconds": settings.incidents.attribution_window_hours * 3600,
    }


def load_benchmarks(conn: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    """Load the versioned tier thresholds into ``marts.benchmark_tiers``; return the document."""
    document = json.loads(BENCHMARKS_FILE.read_text(encoding="utf-8"))
    rows = [
        [name, metric, tier, rank, spec["better"], bound, bool(spec.get("inclusive", False))]
        for name, benchmark in document.items()
        for metric, spec in benchmark["metrics"].items()
        for rank, (tier, bound) in enumerate(spec["tiers"], start=1)
    ]
    conn.execute("DELETE FROM marts.benchmark_tiers")
    conn.executemany("INSERT INTO marts.benchmark_tiers VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
    return document


#: a deployment is assumed to finish within a day of its start: the margin that keeps every
#: deployment an incident can be attributed to inside an incremental classification
LONGEST_DEPLOYMENT = dt.timedelta(days=1)


def classify_change_failures(
    conn: duckdb.DuckDBPyConnection, settings: Settings, since: dt.datetime | None = None
) -> dict[str, int]:
    """Detect rollbacks, attribute incidents and mark change failures (README: Metrics).

    Writes ``is_rollback``, ``is_change_failure`` and ``failure_reason`` on
    ``staging.deployments`` and ``attributed_deployment_id`` on ``staging.incidents``, and
    queues the weeks whose outcome changed. With ``since``, only what facts from ``since`` on
    can change is recomputed (same result as a full pass); without, everything. Returns the
    number of (re)classified production change failures per reason.
    """
    window = dt.timedelta(hours=settings.incidents.attribution_window_hours)
    lower = since - window - LONGEST_DEPLOYMENT if since else None
    in_transaction(
        conn,
        lambda: run_script(
            conn,
            sql_file(__file__, "deployment_outcomes"),
            {**delivery_params(settings), "since": since, "lower": lower},
        ),
    )
    rows = conn.execute(
        "SELECT failure_reason, count(*) FROM outcomes WHERE is_change_failure"
        " GROUP BY ALL ORDER BY ALL"
    ).fetchall()
    return {reason: int(count) for reason, count in rows}


def changed_since(conn: duckdb.DuckDBPyConnection, settings: Settings) -> dt.datetime | None:
    """Where an incremental classification starts: the first queued week (None: all)."""
    (first,) = conn.execute(
        "SELECT rh_local_midnight(min(week_start), $tz) FROM raw.pending_weeks",
        {"tz": settings.timezone},
    ).fetchone()
    return first


def _chunks(
    conn: duckdb.DuckDBPyConnection, table: str, weeks: WeekRange, settings: Settings
) -> list[WeekRange]:
    """The range split so one statement pairs at most WINDOW_PAIRS_PER_STATEMENT rows."""
    if table not in TRAILING_MARTS or len(weeks.weeks) == 1:
        return [weeks]
    (rows,) = conn.execute(
        "SELECT count(*) FROM staging.deployments WHERE environment = $production"
        " AND started_at >= rh_local_midnight($first, $tz)"
        " AND started_at < rh_local_midnight($last, $tz)",
        {
            "production": settings.environments.production,
            "tz": settings.timezone,
            "first": add_weeks(weeks.first, -(settings.metrics.trailing_weeks - 1)),
            "last": add_weeks(weeks.last, 1),
        },
    ).fetchone()
    per_week = max(1, rows // len(weeks.weeks))
    budget = WINDOW_PAIRS_PER_STATEMENT // (per_week * settings.metrics.trailing_weeks)
    return weeks.chunks(min(max(1, budget), len(weeks.weeks)))


def replace_weeks(
    conn: duckdb.DuckDBPyConnection,
    table: str,
    weeks: WeekRange,
    insert: Callable[[], None],
) -> int:
    """Replace ``marts.<table>``'s rows of ``weeks``: delete them, ``insert`` them again, in
    one transaction (retried on a writer conflict); return the rows those weeks now hold."""
    span = {"week_from": weeks.first, "week_to": weeks.last}

    def replace() -> int:
        conn.execute(
            f"DELETE FROM marts.{table} WHERE week_start BETWEEN $week_from AND $week_to", span
        )
        insert()
        (written,) = conn.execute(
            f"SELECT count(*) FROM marts.{table} WHERE week_start BETWEEN $week_from AND $week_to",
            span,
        ).fetchone()
        return int(written)

    return in_transaction(conn, replace)


def rebuild_mart(
    conn: duckdb.DuckDBPyConnection, table: str, weeks: WeekRange, settings: Settings
) -> int:
    """Recompute ``marts.<table>`` for ``weeks`` (delete, then insert); return rows written."""
    if table not in WEEKLY_MARTS:
        raise ValueError(f"{table!r} is not a weekly mart")
    select = read_sql(sql_file(__file__, table))
    statement = f"INSERT INTO marts.{table} BY NAME SELECT * FROM ({select})"

    def insert() -> None:
        for chunk in _chunks(conn, table, weeks, settings):
            params = {**delivery_params(settings), "week_from": chunk.first, "week_to": chunk.last}
            conn.execute(statement, bound(select, params))

    return replace_weeks(conn, table, weeks, insert)


def staged_weeks(conn: duckdb.DuckDBPyConnection, settings: Settings) -> WeekRange | None:
    """The weeks spanned by staged production deployments, as they are (None when none)."""
    first, last = conn.execute(
        # only the moments within a day of the first and last are converted: a local week
        # runs backwards in time by a DST fall-back at most, never by a day
        "WITH span AS (SELECT min(started_at) AS lo, max(started_at) AS hi"
        "  FROM staging.deployments WHERE environment = $production)"
        " SELECT min(rh_week(started_at, $tz)) FILTER (started_at < lo + INTERVAL 1 DAY),"
        "  max(rh_week(started_at, $tz)) FILTER (started_at > hi - INTERVAL 1 DAY)"
        " FROM staging.deployments, span WHERE environment = $production"
        "  AND (started_at < lo + INTERVAL 1 DAY OR started_at > hi - INTERVAL 1 DAY)",
        {"tz": settings.timezone, "production": settings.environments.production},
    ).fetchone()
    return WeekRange(first, last) if first else None


def data_weeks(conn: duckdb.DuckDBPyConnection, settings: Settings) -> WeekRange | None:
    """The weeks spanned by production deployments, inside :func:`week_window`.

    The contract keeps far timestamps out of staging; should one be there anyway, the range
    still ends at the window, so no run builds hundreds of thousands of weeks.
    """
    span = staged_weeks(conn, settings)
    return clamp_weeks(span, week_window(settings)) if span else None


def pending_weeks(conn: duckdb.DuckDBPyConnection) -> list[dt.date]:
    """Weeks queued because their facts changed since the weekly marts last ran."""
    return [
        w
        for (w,) in conn.execute(
            "SELECT DISTINCT week_start FROM raw.pending_weeks ORDER BY 1"
        ).fetchall()
    ]


def stale_weeks(conn: duckdb.DuckDBPyConnection, settings: Settings) -> WeekRange | None:
    """The weeks a normal run rebuilds: from the first queued week to the latest week with data.

    Later weeks are included because their trailing windows (tiers, cadence, risk) reach back
    into the changed weeks.
    """
    queued = pending_weeks(conn)
    if not queued:
        return None
    span = data_weeks(conn, settings)
    if span is None:
        return clamp_weeks(WeekRange(queued[0], queued[-1]), week_window(settings))
    # a week queued before the first production deployment (an incident, a staging deploy)
    # has nothing to report: the range starts where production data does
    first, last = max(queued[0], span.first), max(queued[-1], span.last)
    return clamp_weeks(WeekRange(min(first, last), last), week_window(settings))


def queue_weeks(conn: duckdb.DuckDBPyConnection, weeks: WeekRange) -> None:
    """Queue every week of the range, as if all their facts had changed (a backfill)."""
    conn.execute(
        "INSERT INTO raw.pending_weeks SELECT week_start, now() FROM rh_weeks($first, $last)",
        {"first": weeks.first, "last": weeks.last},
    )


def clear_pending_weeks(conn: duckdb.DuckDBPyConnection, weeks: list[dt.date]) -> None:
    conn.execute(
        "DELETE FROM raw.pending_weeks WHERE list_contains($weeks, week_start)", {"weeks": weeks}
    )
