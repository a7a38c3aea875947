"""Every table of the page as CSV: the full frame (up to a cap), formula cells neutralised.

A spreadsheet runs a cell that starts with ``=``, ``+``, ``-`` or ``@`` (and, in some
programs, one that starts with a tab or carriage return before them) as a formula, so a
service called ``=HYPERLINK(...)`` would become a live link in whoever opens the download.
Such text cells get a leading ``'``, which spreadsheets show as plain text.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Mapping, Sequence
from urllib.parse import quote

import numpy as np
import pandas as pd

#: text starting with one of these is read as a formula by spreadsheet programs
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
#: the rows a download carries at most, so the page stays bounded whatever the data
MAX_CSV_ROWS = 1000
CSV_MEDIA_TYPE = "data:text/csv;charset=utf-8,"


def neutralise(text: str) -> str:
    """Text a spreadsheet shows as text: a formula-like start gets a leading ``'``."""
    return f"'{text}" if text.startswith(FORMULA_PREFIXES) else text


def csv_cell(value: object) -> str:
    """One value as CSV text: numbers as written, lists joined, moments ISO, text neutralised."""
    if isinstance(value, (list, tuple, np.ndarray)):
        return neutralise("; ".join(str(v) for v in value))
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    if isinstance(value, (bool, np.bool_)):
        return "true" if value else "false"
    if isinstance(value, (int, float, np.integer, np.floating)):
        number = float(value)
        return str(int(number)) if number.is_integer() else repr(number)
    if isinstance(value, (pd.Timestamp, dt.datetime, dt.date)):
        return value.isoformat()
    return neutralise(str(value))


def records_csv(records: Sequence[Mapping[str, object]], columns: Sequence[tuple[str, str]]) -> str:
    """Rows (dicts) as CSV with ``(key, label)`` columns; a missing key is an empty cell."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([neutralise(label) for _, label in columns])
    for record in records:
        writer.writerow([csv_cell(record[key]) if key in record else "" for key, _ in columns])
    return out.getvalue()


def _native(value: object) -> object:
    """A value as ``to_dict`` boxes those of object and extension columns."""
    if value is pd.NA:
        return None
    if isinstance(value, np.datetime64):
        return pd.Timestamp(value)
    if isinstance(value, np.timedelta64):
        return pd.Timedelta(value)
    if isinstance(value, np.generic):
        return value.item()
    return value


def frame_records(frame: pd.DataFrame, limit: int) -> list[dict[str, object]]:
    """The first ``limit`` rows of ``frame`` as plain dicts with the values
    ``to_dict("records")`` gives, built from one list per column: several times cheaper on
    the small frames a site renders by the thousand."""
    head = frame.iloc[:limit]
    keys = list(head.columns)
    if not keys:
        return [{} for _ in range(len(head))]
    columns = [
        column.tolist()
        if isinstance(column.dtype, np.dtype) and column.dtype != object
        else [_native(value) for value in column.tolist()]
        for _, column in head.items()
    ]
    return [dict(zip(keys, row, strict=True)) for row in zip(*columns, strict=True)]


def frame_csv(
    frame: pd.DataFrame, columns: Sequence[tuple[str, str]], limit: int = MAX_CSV_ROWS
) -> str:
    """``frame``'s first ``limit`` rows as CSV with ``(key, label)`` columns (missing → empty)."""
    return records_csv(frame_records(frame, limit), columns)


def csv_data_uri(text: str) -> str:
    """A ``data:`` link holding ``text``: the download needs no server and no extra file."""
    return CSV_MEDIA_TYPE + quote(text, safe="")
