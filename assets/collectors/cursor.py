"""The incremental cursor of one pulled scope, kept in ``raw.collector_state``.

The cursor is the newest record time a pull has seen (``created_at`` or ``updated_at``, as the
API filters). The next pull asks the API from it and keeps only records strictly newer, so a
record at the boundary is not written twice. A record still open (a deployment without a final
status, an unresolved incident, a running workflow run) would not be asked for again once the
cursor passed it, because those APIs filter by creation time; so the cursor is held back to just
before the oldest open record, and that record is fetched again until it is finished, for at
most ``OPEN_RECORD_HOLD`` (a record abandoned open stops holding the cursor).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import duckdb

from assets.warehouse import run_script, run_sql, sql_file

#: how long an open record keeps the cursor from moving past it
OPEN_RECORD_HOLD = dt.timedelta(days=14)
#: held back this much before an open record, so "strictly newer" still includes it
_JUST_BEFORE = dt.timedelta(microseconds=1)


def parse_moment(value: Any) -> dt.datetime | None:
    """An API timestamp (ISO 8601 with ``Z`` or an offset) as an aware UTC time, else None."""
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        moment = dt.datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    if moment.tzinfo is None:  # the APIs write UTC; a bare time is read as UTC too
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC)


def moment_text(moment: dt.datetime) -> str:
    """A cursor as stored: ISO 8601 in UTC, microseconds only when there are some."""
    moment = moment.astimezone(dt.UTC)
    spec = "microseconds" if moment.microsecond else "seconds"
    return moment.replace(tzinfo=None).isoformat(timespec=spec) + "Z"


def api_time(moment: dt.datetime) -> str:
    """A time as the APIs take it: whole seconds (rounded down, so nothing newer is missed)."""
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class Cursor:
    """What one pull of one scope asks from and has seen."""

    since: dt.datetime | None
    now: dt.datetime
    newest: dt.datetime | None = None
    oldest_open: dt.datetime | None = None
    records: int = 0

    def keep(self, value: Any) -> bool:
        """Whether a record of this time is new (a record without a readable time is kept:
        the contract judges it)."""
        moment = parse_moment(value)
        return moment is None or self.since is None or moment > self.since

    def see(self, value: Any, *, is_open: bool = False) -> None:
        """Count a kept record of this time; ``is_open`` when it may still change."""
        self.records += 1
        moment = parse_moment(value)
        if moment is None:
            return
        if self.newest is None or moment > self.newest:
            self.newest = moment
        recent = moment >= self.now - OPEN_RECORD_HOLD
        if is_open and recent and (self.oldest_open is None or moment < self.oldest_open):
            self.oldest_open = moment

    def value(self) -> dt.datetime | None:
        """The cursor to store after this pull: None when nothing new was seen."""
        if self.newest is None:
            return None
        if self.oldest_open is not None:
            return min(self.newest, self.oldest_open - _JUST_BEFORE)
        return self.newest


def read_cursor(conn: duckdb.DuckDBPyConnection, source: str, scope: str) -> dt.datetime | None:
    """The stored cursor of ``(source, scope)``, or None when it was never pulled."""
    row = run_sql(conn, sql_file(__file__, "read_cursor"), {"source": source, "scope": scope})
    found = row.fetchone()
    return parse_moment(found[0]) if found else None


def save_cursor(
    conn: duckdb.DuckDBPyConnection,
    source: str,
    scope: str,
    cursor: dt.datetime | None,
    pulled_at: dt.datetime,
) -> None:
    """Store a scope's cursor and when it was pulled (a None cursor keeps the stored one)."""
    run_script(
        conn,
        sql_file(__file__, "save_cursor"),
        {
            "source": source,
            "scope": scope,
            "cursor": moment_text(cursor) if cursor else None,
            "pulled_at": pulled_at,
        },
    )
