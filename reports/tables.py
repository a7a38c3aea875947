"""Tables as the templates receive them: formatted cells, capped rows, an "N more" count.

Capping happens here, in Python, so a page's size does not grow with the data and the
template only loops over what it is given.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import pandas as pd

from reports.csv_export import MAX_CSV_ROWS, csv_data_uri, frame_records, records_csv
from reports.formatting import MISSING, format_number, is_missing

DEFAULT_ROW_LIMIT = 15
#: rows beyond the cap are shown on request (a folded part) up to this many; the CSV has more
MAX_EXPANDED_ROWS = 200
_SLUG_CHARS = re.compile(r"[^a-z0-9]+")
TEXT_LIMIT = 120

Formatter = Callable[[object], str]
BadgeRule = Callable[[object], str | None]
Link = Callable[[object], str | None]


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
    #: prose that needs room to read (a rule, a reason): never squeezed to a sliver
    wide: bool = False
    #: where the cell's text links to (a service's page), or None
    link: Link | None = None
    #: the value the column sorts by (numbers sort as numbers, tiers by rank), or None
    sort: Callable[[object], float | str | None] | None = None
    #: another column shown as a badge after the value (a metric's tier beside it)
    tag_key: str | None = None
    tag_badge: BadgeRule | None = None


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
    wide: bool = False
    href: str | None = None
    sort: str | None = None
    tag: str | None = None
    tag_badge: str | None = None


@dataclass(frozen=True)
class Table:
    """Rows ready to print; ``more`` counts rows left out by the cap."""

    columns: list[Column]
    rows: list[list[Cell]]
    more: int = 0
    empty: str = "Nothing to show."
    caption: str | None = None
    muted_rows: frozenset[int] = field(default_factory=frozenset)
    #: rows after the cap, shown when the reader unfolds them
    extra_rows: list[list[Cell]] = field(default_factory=list)
    #: the whole table (up to MAX_CSV_ROWS) as a CSV download, and its file name
    csv_href: str = ""
    csv_name: str = "table.csv"
    csv_rows: int = 0
    #: the team of each shown row (then extra row), for the page's team filter
    row_teams: list[str | None] = field(default_factory=list)
    extra_teams: list[str | None] = field(default_factory=list)

    @property
    def total(self) -> int:
        return len(self.rows) + self.more

    @property
    def hidden(self) -> int:
        """Rows neither shown nor unfoldable (only in the CSV, or beyond it)."""
        return self.more - len(self.extra_rows)


def csv_file_name(name: str) -> str:
    """A download name from a table's name: lower case letters, digits and dashes only."""
    slug = _SLUG_CHARS.sub("-", name.lower()).strip("-") or "table"
    return f"{slug}.csv"


def build_table(
    frame: pd.DataFrame,
    columns: Sequence[ColumnSpec],
    *,
    limit: int = DEFAULT_ROW_LIMIT,
    empty: str = "Nothing to show.",
    caption: str | None = None,
    muted: Callable[[Mapping[str, object]], bool] | None = None,
    name: str = "table",
    team_column: str | None = None,
) -> Table:
    """Format the first ``limit`` rows of ``frame`` (already sorted) with ``columns``.

    Columns missing from the frame render as missing values rather than failing, because a
    report should still publish when an upstream mart lacks an optional column.
    """
    records = frame_records(frame, max(MAX_CSV_ROWS, MAX_EXPANDED_ROWS))
    head, extra = records[:limit], records[limit:MAX_EXPANDED_ROWS]
    rows: list[list[Cell]] = []
    muted_rows: set[int] = set()
    for index, record in enumerate(head):
        rows.append(_cells(record, columns))
        if muted is not None and muted(record):
            muted_rows.add(index)
    keys = [(c.key, c.label) for c in columns]
    return Table(
        columns=[Column(spec.label, spec.numeric) for spec in columns],
        rows=rows,
        more=max(len(frame) - len(head), 0),
        empty=empty,
        caption=caption,
        muted_rows=frozenset(muted_rows),
        extra_rows=[_cells(record, columns) for record in extra],
        csv_href=csv_data_uri(records_csv(records[:MAX_CSV_ROWS], keys)),
        csv_name=csv_file_name(name),
        csv_rows=min(len(frame), MAX_CSV_ROWS),
        row_teams=_teams(head, team_column),
        extra_teams=_teams(extra, team_column),
    )


def _teams(records: list[dict[str, object]], column: str | None) -> list[str | None]:
    if column is None or not records or column not in records[0]:
        return []
    return [None if is_missing(r[column]) else str(r[column]) for r in records]


def _cells(record: Mapping[str, object], columns: Sequence[ColumnSpec]) -> list[Cell]:
    row = []
    for spec in columns:
        value = record.get(spec.key)
        badge = spec.badge(value) if spec.badge else None
        href = spec.link(value) if spec.link and not is_missing(value) else None
        key = spec.sort(value) if spec.sort else None
        sort = None if key is None or is_missing(key) else str(key)
        tag = record.get(spec.tag_key) if spec.tag_key else None
        tag_text = None if is_missing(tag) else str(tag)
        tag_badge = spec.tag_badge(tag) if spec.tag_badge and tag_text else None
        row.append(
            Cell(
                spec.format(value),
                spec.numeric,
                spec.mono,
                badge,
                spec.wide,
                href,
                sort,
                tag_text,
                tag_badge,
            )
        )
    return row
