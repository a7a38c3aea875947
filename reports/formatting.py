"""How numbers, durations, dates and changes read on the page (registered as Jinja filters).

Missing values render as an en dash so a blank cell is never mistaken for zero.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pandas as pd

from reports.model import Better, KpiCard, Unit

MISSING = "–"
HOURS_PER_DAY = 24.0
MINUTES_PER_HOUR = 60.0

Tone = Literal["good", "bad", "neutral"]


def is_missing(value: object) -> bool:
    """True for ``None``, NaN, ``pd.NA`` and ``NaT``."""
    if value is None:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def format_number(value: float | None, decimals: int | None = None) -> str:
    """``1234`` → ``1,234``; fractions get one decimal unless ``decimals`` says otherwise."""
    if is_missing(value):
        return MISSING
    number = float(value)  # type: ignore[arg-type]
    if decimals is None:
        decimals = 0 if number.is_integer() else 1
    return f"{number:,.{decimals}f}"


def format_percent(fraction: float | None, decimals: int = 1) -> str:
    """A rate stored as a fraction: ``0.125`` → ``12.5 %``."""
    if is_missing(fraction):
        return MISSING
    return f"{float(fraction) * 100:.{decimals}f} %"  # type: ignore[arg-type]


DurationUnit = Literal["min", "h", "d"]


def duration_unit(hours: float | None) -> DurationUnit:
    """The unit a duration reads best in: minutes under an hour, days from a day on."""
    if is_missing(hours):
        return "h"
    size = abs(float(hours))  # type: ignore[arg-type]
    if size < 1:
        return "min"
    return "h" if size < HOURS_PER_DAY else "d"


def _short(number: float, decimals: int) -> str:
    # "168 h", never "168.0 h": a whole number drops its decimals
    text = f"{number:,.{decimals}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def format_duration(hours: float | None, unit: DurationUnit | None = None) -> str:
    """A duration given in hours, in ``unit`` (by default the one :func:`duration_unit` picks).

    Passing the unit lets two durations side by side (a value and its change) share one
    unit, so "3.4 h, down 88.6 h" never reads as "3.4 h, down 3.7 d".
    """
    if is_missing(hours):
        return MISSING
    value = float(hours)  # type: ignore[arg-type]
    unit = unit or duration_unit(value)
    if unit == "min":
        return f"{_short(value * MINUTES_PER_HOUR, 0)} min"
    if unit == "d":
        return f"{_short(value / HOURS_PER_DAY, 1)} d"
    return f"{_short(value, 1)} h"


def format_hours(hours: float | None) -> str:
    """A duration in hours: ``0.5`` → ``30 min``, ``3.2`` → ``3.2 h``, ``50`` → ``2.1 d``."""
    return format_duration(hours)


def format_value(value: float | None, unit: Unit) -> str:
    """A KPI value in its unit (percent values are fractions, durations are hours)."""
    if unit == "percent":
        return format_percent(value)
    if unit == "hours":
        return format_hours(value)
    if unit == "days" and not is_missing(value):
        return f"{format_number(value)} {'day' if value == 1 else 'days'}"
    return format_number(value)


def format_date(value: dt.date | None) -> str:
    """``2024-03-04`` → ``Mon 4 Mar 2024``."""
    if is_missing(value):
        return MISSING
    return f"{value:%a} {value.day} {value:%b %Y}"  # type: ignore[union-attr]


def format_datetime(value: dt.datetime | None, timezone: str | None = None) -> str:
    """A moment in the reporting time zone (naive values are taken as UTC)."""
    if is_missing(value):
        return MISSING
    moment = pd.Timestamp(value)  # type: ignore[arg-type]
    if moment.tzinfo is None:
        moment = moment.tz_localize("UTC")
    if timezone:
        try:
            moment = moment.tz_convert(ZoneInfo(timezone))
        except ZoneInfoNotFoundError:
            return f"{moment:%Y-%m-%d %H:%M} UTC"
    return f"{moment:%Y-%m-%d %H:%M} {moment.tzname()}"


def plural(count: int, singular: str, plural_form: str | None = None) -> str:
    """``1 file`` / ``3 files``."""
    word = singular if count == 1 else (plural_form or f"{singular}s")
    return f"{format_number(count)} {word}"


@dataclass(frozen=True)
class Delta:
    """A week-over-week change as shown on a KPI card."""

    arrow: str
    text: str
    tone: Tone
    description: str


def _tone(change: float, better: Better) -> Tone:
    if change == 0 or better == "neutral":
        return "neutral"
    improved = change > 0 if better == "higher" else change < 0
    return "good" if improved else "bad"


def _format_change(change: float, unit: Unit, value: float) -> str:
    magnitude = abs(change)
    if unit == "percent":
        return f"{magnitude * 100:.1f} pp"
    if unit == "hours":
        # the change is written in the unit of the value it changes
        return format_duration(magnitude, duration_unit(value))
    return format_value(magnitude, unit)


def format_delta(card: KpiCard) -> Delta:
    """The change of a card against last week: arrow, amount, and good/bad by ``better``."""
    if is_missing(card.value) or is_missing(card.previous):
        return Delta("", MISSING, "neutral", "no value for one of the two weeks")
    change = float(card.value) - float(card.previous)  # type: ignore[arg-type]
    if math.isclose(change, 0.0, abs_tol=1e-12):
        return Delta("→", "no change", "neutral", "unchanged from last week")
    arrow = "▲" if change > 0 else "▼"
    text = _format_change(change, card.unit, float(card.value))  # type: ignore[arg-type]
    direction = "up" if change > 0 else "down"
    tone = _tone(change, card.better)
    verdict = {"good": "better", "bad": "worse", "neutral": "change"}[tone]
    return Delta(arrow, text, tone, f"{direction} {text} from last week ({verdict})")
