"""Week arithmetic: ISO weeks starting on Monday, in the reporting time zone, and their labels.

A week is named by its Monday (a date) and shown as ``YYYY-Www``. Every mart, partition,
report page and notification counts weeks with these functions. The label's form itself,
``YYYY-Www``, is the reports' (:data:`reports.paths.WEEK_LABEL`: a label becomes a folder and a
link). Nothing heavy is imported: the command line parses ``--week`` with these first.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from reports.paths import WEEK_LABEL

if TYPE_CHECKING:
    from assets.settings import Settings


def week_of(day: dt.date) -> dt.date:
    """The Monday starting the ISO week that contains ``day``."""
    return day - dt.timedelta(days=day.isoweekday() - 1)


def add_weeks(week: dt.date, count: int) -> dt.date:
    """The week ``count`` weeks after ``week`` (before it when ``count`` is negative)."""
    return week + dt.timedelta(weeks=count)


def previous_week(day: dt.date) -> dt.date:
    """The Monday of the week before the one ``day`` falls in: on ``day``, the last
    complete week."""
    return add_weeks(week_of(day), -1)


def current_week(settings: Settings, now: dt.datetime | None = None) -> dt.date:
    """The Monday of the week under way at ``now`` (default: now) in the reporting time zone."""
    now = now or dt.datetime.now(tz=dt.UTC)
    return week_of(now.astimezone(ZoneInfo(settings.timezone)).date())


@dataclass(frozen=True)
class WeekRange:
    """An inclusive range of week starts (Mondays, reporting time zone)."""

    first: dt.date
    last: dt.date

    def __post_init__(self) -> None:
        if self.first.isoweekday() != 1 or self.last.isoweekday() != 1:
            raise ValueError(f"week range must run Monday to Monday: {self.first}..{self.last}")
        if self.last < self.first:
            raise ValueError(f"empty week range {self.first}..{self.last}")

    @property
    def weeks(self) -> list[dt.date]:
        count = (self.last - self.first).days // 7 + 1
        return [add_weeks(self.first, i) for i in range(count)]

    @property
    def label(self) -> str:
        """``YYYY-Www .. YYYY-Www``, the range as a person reads it."""
        return f"{iso_week(self.first)} .. {iso_week(self.last)}"

    @classmethod
    def of(cls, day: dt.date) -> WeekRange:
        monday = week_of(day)
        return cls(monday, monday)

    def chunks(self, size: int) -> list[WeekRange]:
        """The range cut into consecutive ranges of ``size`` weeks (the last may be shorter)."""
        return [
            WeekRange(start, min(add_weeks(start, size - 1), self.last))
            for start in self.weeks[::size]
        ]


def partition_weeks(start: dt.datetime, end: dt.datetime) -> WeekRange:
    """The weeks of a weekly partition time window: from the week starting at ``start`` to
    the one ending at ``end`` (exclusive, so the last week starts a week before it)."""
    return WeekRange(start.date(), add_weeks(end.date(), -1))


def week_window(settings: Settings, now: dt.datetime | None = None) -> WeekRange:
    """The weeks an accepted timestamp can fall in (reporting time zone).

    From the week of ``contracts.min_timestamp`` to the week of ``now`` plus
    ``contracts.max_future_hours``: the data contract quarantines timestamps outside that
    span, and the weekly partitions cover the same weeks.
    """
    zone = ZoneInfo(settings.timezone)
    now = now or dt.datetime.now(tz=dt.UTC)
    latest = now + dt.timedelta(hours=settings.contracts.max_future_hours)
    return WeekRange(
        week_of(settings.contracts.min_timestamp_utc.astimezone(zone).date()),
        week_of(latest.astimezone(zone).date()),
    )


def clamp_weeks(weeks: WeekRange, window: WeekRange) -> WeekRange | None:
    """The part of ``weeks`` inside ``window`` (None when they do not overlap)."""
    first, last = max(weeks.first, window.first), min(weeks.last, window.last)
    return WeekRange(first, last) if first <= last else None


def iso_week(day: dt.date) -> str:
    """``YYYY-Www`` for the ISO week that contains ``day`` (usually its Monday)."""
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def parse_iso_week(text: str) -> dt.date:
    """The Monday of an ISO week written ``YYYY-Www``; ValueError for anything else."""
    match = WEEK_LABEL.fullmatch(text.strip())
    if not match:
        raise ValueError(f"week {text!r} is not of the form YYYY-Www (e.g. 2025-W07)")
    try:
        return dt.date.fromisocalendar(int(match[1]), int(match[2]), 1)
    except ValueError:
        raise ValueError(f"week {text!r} does not exist") from None


def neighbour(span: WeekRange | None, week: dt.date, step: int) -> str | None:
    """The label of the week ``step`` weeks from ``week`` when it lies in ``span`` (a page's
    link to the previous or next week), else None."""
    if span is None:
        return None
    other = add_weeks(week, step)
    return iso_week(other) if span.first <= other <= span.last else None
