"""The sample organisation's release calendar: a yearly year-end freeze and planned releases.

Derived from the simulated history without changing it: the freeze covers the services whose
production deployments in the freeze windows give a few violations (at least two hotfixes and
two regular deployments), and planned releases are placed at real shipments (on time), one
week before one (likely slipped) and one week after the end of history (pending).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from assets.sample.clock import Clock
from assets.sample.history import PRODUCTION, SUCCEEDED, History

CALENDAR_FILE = "release-calendar.ics"
#: the year-end freeze: from 20 December to 3 January (exclusive), every year
FREEZE_START = (12, 20)
FREEZE_DAYS = 14
#: violations the freeze should show, of each kind
WANTED_VIOLATIONS = 2
PLANNED_SERVICES = 3
_SERVICE, _ENV, _VERSION, _STATUS, _START, _CHANGE_TYPE = 1, 2, 3, 4, 5, 11


def _day(ts: int) -> dt.date:
    return dt.datetime.fromtimestamp(ts, tz=dt.UTC).date()


def _in_freeze(day: dt.date) -> bool:
    start = dt.date(day.year, *FREEZE_START)
    previous = dt.date(day.year - 1, *FREEZE_START)
    return any(s <= day < s + dt.timedelta(days=FREEZE_DAYS) for s in (start, previous))


def frozen_services(history: History) -> list[str]:
    """Services whose freeze-window deployments give a few hotfix and regular violations."""
    counts: dict[str, list[int]] = {}
    for row in history.deployments:
        if (
            row[_ENV] == PRODUCTION
            and row[_STATUS] != "cancelled"
            and _in_freeze(_day(row[_START]))
        ):
            hotfix = row[_CHANGE_TYPE] == "hotfix"
            counts.setdefault(row[_SERVICE], [0, 0])[0 if hotfix else 1] += 1
    chosen: list[str] = []
    for position in (0, 1):  # hotfixes first, then regular deployments
        found = sum(counts[s][position] for s in chosen)
        candidates = sorted((sum(c), name) for name, c in counts.items() if c[position])
        for _, name in candidates:
            if found >= WANTED_VIOLATIONS:
                break
            if name not in chosen:
                chosen.append(name)
                found += counts[name][position]
    return sorted(chosen)


def _event(
    uid: str, summary: str, category: str, start: str, end: str, extra: list[str]
) -> list[str]:
    return [
        "BEGIN:VEVENT",
        f"UID:{uid}",
        "DTSTAMP:20240101T000000Z",
        f"SUMMARY:{summary}",
        f"CATEGORIES:{category}",
        start,
        end,
        *extra,
        "END:VEVENT",
    ]


def release_calendar(history: History, clock: Clock) -> str:
    """The calendar as iCalendar text (CRLF line ends, as exporters write it)."""
    first = dt.date(clock.start.year - 1, *FREEZE_START)
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//release-health//sample//EN"]
    frozen = frozen_services(history)
    lines += _event(
        "year-end-freeze@sample",
        "Year-end change freeze",
        "FREEZE",
        f"DTSTART;VALUE=DATE:{first:%Y%m%d}",
        f"DTEND;VALUE=DATE:{first + dt.timedelta(days=FREEZE_DAYS):%Y%m%d}",
        ["RRULE:FREQ=YEARLY", f"X-SERVICES:{', '.join(frozen)}"]
        if frozen
        else ["RRULE:FREQ=YEARLY"],
    )
    recent = clock.end_ts - 28 * 86_400
    shipped: dict[str, list] = {}
    for row in history.deployments:
        if row[_ENV] == PRODUCTION and row[_STATUS] == SUCCEEDED and row[_START] >= recent:
            shipped[row[_SERVICE]] = row  # the latest one
    for number, name in enumerate(sorted(shipped)[:PLANNED_SERVICES], start=1):
        row = shipped[name]
        day = _day(row[_START])
        if number == PLANNED_SERVICES:  # planned a week before it shipped
            day -= dt.timedelta(days=7)
        services = f"{name}@{row[_VERSION]}" if number < PLANNED_SERVICES else name
        lines += _event(
            f"release-{number}@sample",
            f"Release {name}",
            "RELEASE",
            f"DTSTART:{day:%Y%m%d}T090000Z",
            f"DTEND:{day:%Y%m%d}T170000Z",
            [f"X-SERVICES:{services}"],
        )
    if shipped:
        upcoming = clock.end + dt.timedelta(days=7)
        lines += _event(
            "release-next@sample",
            "Next release train",
            "RELEASE",
            f"DTSTART:{upcoming:%Y%m%d}T090000Z",
            f"DTEND:{upcoming:%Y%m%d}T170000Z",
            [f"X-SERVICES:{', '.join(sorted(shipped)[:PLANNED_SERVICES])}"],
        )
    lines.append("END:VCALENDAR")
    return "\r\n".join(lines) + "\r\n"


def write_calendar(folder: Path, history: History, clock: Clock) -> list[Path]:
    """Write the calendar into ``folder`` (the inbox's calendar/ folder)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / CALENDAR_FILE
    path.write_bytes(release_calendar(history, clock).encode("utf-8"))
    return [path]
