"""The weekly partitions shared by every mart and the report: from the first week with data.

The partitions start at the first week that holds a production deployment, read from the
warehouse when the definitions are built (the command line builds them for each run, the code
server when it loads), so the UI offers weeks with data, not every week since
``contracts.min_timestamp``. They end at the week of now + ``contracts.max_future_hours``:
the current week is a partition, but the weekly report refuses to publish it (or a future or
empty week) unless asked (``assets.reporting.build.publishable_week``).
"""

from __future__ import annotations

import datetime as dt
import math

import dagster as dg

from assets.delivery.marts import data_weeks
from assets.settings import Settings
from assets.warehouse import WarehouseError, open_warehouse
from assets.weeks import week_window

HOURS_PER_WEEK = 7 * 24


def first_data_week(settings: Settings) -> dt.date:
    """Where the partitions start: the first week with a production deployment.

    With no warehouse, no data yet, or a warehouse another process is writing right now, the
    first week a timestamp can fall in (``contracts.min_timestamp``): a long-running code
    server must accept any week the data may bring until it reloads, and the weekly report
    refuses the empty ones anyway.
    """
    fallback = week_window(settings).first
    if ":" not in settings.warehouse and not settings.warehouse_path.exists():
        return fallback
    try:
        # a code location loading never waits for a writer
        with open_warehouse(settings, read_only=True, wait_seconds=0) as conn:
            span = data_weeks(conn, settings)
    except WarehouseError:
        return fallback
    return span.first if span else fallback


def weekly_partitions(settings: Settings, first_week: dt.date) -> dg.WeeklyPartitionsDefinition:
    """ISO weeks (Monday start) in the reporting time zone, from ``first_week`` to the week of
    now + ``contracts.max_future_hours`` (the current week, and the next when that reaches it).
    """
    return dg.WeeklyPartitionsDefinition(
        start_date=first_week.isoformat(),
        day_offset=1,
        timezone=settings.timezone,
        end_offset=1 + math.ceil(settings.contracts.max_future_hours / HOURS_PER_WEEK),
    )
