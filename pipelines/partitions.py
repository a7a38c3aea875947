"""The weekly partitions shared by every mart and the report."""

from __future__ import annotations

import dagster as dg

#: weeks before this Monday are outside the partitions (and so outside every mart)
FIRST_WEEK = "2015-01-05"


def weekly_partitions(timezone: str) -> dg.WeeklyPartitionsDefinition:
    """ISO weeks (Monday start) in the reporting time zone, including the current week."""
    return dg.WeeklyPartitionsDefinition(
        start_date=FIRST_WEEK, day_offset=1, timezone=timezone, end_offset=1
    )
