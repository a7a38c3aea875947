"""The span of sample history and the time arithmetic every part of the generator shares.

Times are whole seconds since the Unix epoch, in UTC: the generator handles hundreds of
thousands of timestamps, and integers keep that cheap and exactly reproducible.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

MINUTE = 60
HOUR = 60 * MINUTE
DAY = 24 * HOUR
WEEK = 7 * DAY
#: a time after any history, for scenario windows that never close
FOREVER = 2**62
#: business hours of the sample organisation, in UTC (the configuration's defaults)
BUSINESS_START_HOUR = 9
BUSINESS_END_HOUR = 18
#: the epoch (1970-01-01) was a Thursday: ISO weekday index 3 counting Monday as 0
_EPOCH_WEEKDAY = 3


def epoch_seconds(day: dt.date, hour: int = 0) -> int:
    """Seconds since the epoch at ``hour``:00 UTC on ``day``."""
    return (day - dt.date(1970, 1, 1)).days * DAY + hour * HOUR


def weekday(ts: int) -> int:
    """Day of the week of a timestamp, Monday = 0."""
    return (ts // DAY + _EPOCH_WEEKDAY) % 7


def is_off_hours(ts: int) -> bool:
    """True outside Monday–Friday 09:00–18:00 UTC."""
    hour = ts % DAY // HOUR
    return weekday(ts) >= 5 or not BUSINESS_START_HOUR <= hour < BUSINESS_END_HOUR


@dataclass(frozen=True)
class Clock:
    """The history window: ``weeks`` weeks of days ending with the day ``end`` (inclusive)."""

    end: dt.date
    weeks: int

    @property
    def start(self) -> dt.date:
        return self.end - dt.timedelta(days=self.weeks * 7 - 1)

    @property
    def start_ts(self) -> int:
        return epoch_seconds(self.start)

    @property
    def end_ts(self) -> int:
        """The last second of history (23:59:59 on ``end``)."""
        return epoch_seconds(self.end) + DAY - 1

    @property
    def first_monday_ts(self) -> int:
        """Monday 00:00 of the ISO week holding the first day: week 0 of the release plan."""
        return epoch_seconds(self.start - dt.timedelta(days=self.start.weekday()))

    def at(self, days_before_end: int, hour: int = 0) -> int:
        """A scenario time: ``hour``:00 UTC, ``days_before_end`` days before the last day."""
        return epoch_seconds(self.end, hour) - days_before_end * DAY

    def progress(self, ts: int) -> float:
        """How far into the history ``ts`` lies: 0.0 at the start, 1.0 at the end (clamped)."""
        span = self.end_ts - self.start_ts
        return min(1.0, max(0.0, (ts - self.start_ts) / span))
