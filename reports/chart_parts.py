"""Small pieces shared by the chart modules: layout, axis and value conversions."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import pandas as pd

from reports.formatting import is_missing
from reports.theme import Theme

DATE_HOVER = "%d %b %Y"
# Below this spread (max / min) a log axis only makes a chart harder to read.
LOG_AXIS_MIN_SPREAD = 20.0
HOUR_TICKS = (0.25, 1, 2, 4, 8, 24, 72, 168, 336, 720, 2160)
HOUR_TICK_TEXT = (
    "15 min",
    "1 h",
    "2 h",
    "4 h",
    "8 h",
    "1 d",
    "3 d",
    "1 wk",
    "2 wk",
    "30 d",
    "90 d",
)


def base_layout(theme: Theme, title: str, *, height: int | None = None) -> dict:
    """The layout every figure starts from: theme template, title and height."""
    return {
        "template": theme.plotly_template(),
        "title": {"text": title},
        "height": height or theme.chart_height,
    }


def floats(values: Iterable[object]) -> list[float | None]:
    """Plain floats for plotly, with ``None`` for missing values (NaN, NA, NaT)."""
    return [None if is_missing(v) else float(v) for v in values]  # type: ignore[arg-type]


def iso_dates(values: Iterable[object]) -> list[str]:
    """Dates as ``YYYY-MM-DD`` strings, which plotly reads as a date axis."""
    return [pd.Timestamp(v).strftime("%Y-%m-%d") for v in values]  # type: ignore[arg-type]


def order_by_total(wide: pd.DataFrame) -> list[str]:
    """Columns of a wide frame, largest total first (ties by name), so stacks stay stable."""
    totals = wide.sum(axis=0)
    return sorted(wide.columns, key=lambda column: (-totals[column], str(column)))


def log_axis_wanted(values: Sequence[float | None]) -> bool:
    """Whether positive values spread widely enough to need a log axis."""
    present = [v for v in values if v is not None]
    if not present or min(present) <= 0:
        return False
    return max(present) / min(present) >= LOG_AXIS_MIN_SPREAD


def hours_axis(*, log: bool) -> dict:
    """An axis of durations in hours; on a log scale the ticks read as hours, days, weeks."""
    if not log:
        return {"title": {"text": "hours"}, "rangemode": "tozero"}
    return {
        "title": {"text": "duration (log scale)"},
        "type": "log",
        "tickvals": list(HOUR_TICKS),
        "ticktext": list(HOUR_TICK_TEXT),
    }


def discrete_colorscale(colours: Sequence[str]) -> list[list[object]]:
    """A stepped colour scale: integer ``i`` in ``[0, n)`` maps to ``colours[i]``.

    Use with ``zmin=-0.5`` and ``zmax=n - 0.5`` so every integer falls inside its band.
    """
    n = len(colours)
    scale: list[list[object]] = []
    for index, colour in enumerate(colours):
        scale.append([index / n, colour])
        scale.append([(index + 1) / n, colour])
    return scale
