"""The weekly partitions shared by every mart and the report."""

from __future__ import annotations

import math

import dagster as dg

from assets.delivery.marts import week_window
from assets.settings import Settings

HOURS_PER_WEEK = 7 * 24


def weekly_partitions(settings: Settings) -> dg.WeeklyPartitionsDefinition:
    """ISO weeks (Monday start) in the reporting time zone: every week a timestamp the data
    contract accepts can fall in, from the week of ``contracts.min_timestamp`` to the week of
    now + ``contracts.max_future_hours`` (the current week, and the next when that reaches it).
    """
    return dg.WeeklyPartitionsDefinition(
        start_date=week_window(settings).first.isoformat(),
        day_offset=1,
        timezone=settings.timezone,
        end_offset=1 + math.ceil(settings.contracts.max_future_hours / HOURS_PER_WEEK),
    )
