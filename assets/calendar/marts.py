"""The release-calendar marts: freeze violations and planned releases against what shipped.

Both are weekly marts rebuilt per week range like the delivery marts (delete the weeks, insert
them again from staging, in one transaction); their SQL files state the definitions.
"""

from __future__ import annotations

from typing import Any

import duckdb

from assets.delivery.marts import replace_weeks
from assets.settings import Settings
from assets.warehouse import bound, read_sql, sql_file
from assets.weeks import WeekRange

CALENDAR_MARTS = ("freeze_violations", "release_plan")


def calendar_params(settings: Settings) -> dict[str, Any]:
    """The bound parameters the calendar SQL files draw from."""
    return {
        "tz": settings.timezone,
        "production": settings.environments.production,
        "tolerance_hours": settings.calendar.release_tolerance_hours,
    }


def rebuild_calendar_mart(
    conn: duckdb.DuckDBPyConnection, table: str, weeks: WeekRange, settings: Settings
) -> int:
    """Recompute ``marts.<table>`` for ``weeks``; return the rows those weeks now hold."""
    if table not in CALENDAR_MARTS:
        raise ValueError(f"{table!r} is not a calendar mart")
    select = read_sql(sql_file(__file__, table))
    params = {**calendar_params(settings), "week_from": weeks.first, "week_to": weeks.last}
    statement = f"INSERT INTO marts.{table} BY NAME SELECT * FROM ({select})"

    def insert() -> None:
        conn.execute(statement, bound(select, params))

    return replace_weeks(conn, table, weeks, insert)
