"""Tables as the templates receive them: formatted cells, capped rows, an "N more" count.

Capping happens here, in Python, so a page's size does not grow with the data and the
template only loops over what it is given.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

import pandas as pd

from reports.formatting import MISSING, format_number, is_missing

DEFAULT_ROW_LIMIT = 15
TEXT_LIMIT = 120

Formatter = Callable[[object], str]
BadgeRule = Callable[[object], str | None]


def format_text(value: object, limit: int = TEXT_LIMIT) -> str:
    """Text for a cell, shortened with an ellipsis beyond ``limit`` characters."""
    if is_missing(value):
        return MISSING
    text = str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def format_count(value: object) -> str:
    """A whole number with thousands separators."""
    return format_number(value, decimals=0)  # type: ignore[arg-type]


def badge_class(prefix: str, known: Iterable[str]) -> BadgeRule:
    """A rule giving ``prefix-value`` for known values, so data never invents CSS classes."""
    allowed = frozenset(known)

    def rule(value: object) -> str | None:
        if is_missing(value):
            return None
        text = str(value).lower()
        return f"{prefix}-{text}" if text in allowed else f"{prefix}-other"

    return rule


@dataclass(frozen=True)
class ColumnSpec:
    """How one frame column becomes a table column."""

    key: str
    label: str
    format: Formatter = format_text
    numeric: bool = False
    mono: bool = False
    badge: BadgeRule | None = None


@dataclass(frozen=True)
class Column:
    label: str
    numeric: bool = False


@dataclass(frozen=True)
class Cell:
    text: str
    numeric: bool = False
    mono: bool = False
    badge: str | None = None


@dataclass(frozen=True)
class Table:
    """Rows ready to print; ``more`` counts rows left out by the cap."""

    columns: list[Column]
    rows: list[list[Cell]]
    more: int = 0
    empty: str = "Nothing to show."
    caption: str | None = None
    muted_rows: frozenset[int] = field(default_factory=frozenset)

    @property
    def total(self) -> int:
        return len(self.rows) + self.more


def build_table(
    frame: pd.DataFrame,
    columns: Sequence[ColumnSpec],
    *,
    limit: int = DEFAULT_ROW_LIMIT,
    empty: str = "Nothing to show.",
    caption: str | None = None,
    muted: Callable[[pd.Series], bool] | None = None,
) -> Table:
    """Format the first ``limit`` rows of ``frame`` (already sorted) with ``columns``.

    Columns missing from the frame render as missing values rather than failing, because a
    report should still publish when an upstream mart lacks an optional column.
    """
    head = frame.head(limit)
    rows: list[list[Cell]] = []
    muted_rows: set[int] = set()
    for index, (_, record) in enumerate(head.iterrows()):
        row = []
        for spec in columns:
            value = record[spec.key] if spec.key in record.index else None
            badge = spec.badge(value) if spec.badge else None
            row.append(Cell(spec.format(value), spec.numeric, spec.mono, badge))
        rows.append(row)
        if muted is not None and muted(record):
            muted_rows.add(index)
    return Table(
        columns=[Column(spec.label, spec.numeric) for spec in columns],
        rows=rows,
        more=max(len(frame) - len(head), 0),
        empty=empty,
        caption=caption,
        muted_rows=frozenset(muted_rows),
    )
