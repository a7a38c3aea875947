"""Every table downloads as CSV: all its rows up to a cap, formula-like text neutralised."""

from __future__ import annotations

import csv
import datetime as dt
import io
from urllib.parse import unquote

import numpy as np
import pandas as pd
import pytest

from reports.csv_export import MAX_CSV_ROWS, csv_cell, frame_csv, frame_records, neutralise
from reports.render import render_weekly
from reports.tables import MAX_EXPANDED_ROWS, ColumnSpec, build_table, csv_file_name


def parse(href: str) -> list[list[str]]:
    media, _, body = href.partition(",")
    assert media == "data:text/csv;charset=utf-8"
    return list(csv.reader(io.StringIO(unquote(body))))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+1+2", "'+1+2"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("api", "api"),
        ("a=b", "a=b"),  # only the first character matters
    ],
)
def test_formula_cells_are_neutralised(text, expected):
    assert neutralise(text) == expected


def test_cells_keep_numbers_and_moments_as_written():
    assert csv_cell(-3) == "-3"  # a number is not a formula
    assert csv_cell(2.5) == "2.5"
    assert csv_cell(np.int64(7)) == "7"
    assert csv_cell(None) == "" and csv_cell(float("nan")) == ""
    assert csv_cell(True) == "true"
    assert csv_cell(dt.date(2024, 3, 4)) == "2024-03-04"
    assert csv_cell(np.array(["timeout", "=cmd"])) == "timeout; =cmd"
    assert csv_cell(["=cmd", "x"]) == "'=cmd; x"


def test_a_hostile_service_name_downloads_as_text():
    frame = pd.DataFrame({"service": ["=cmd|' /C calc'!A0", "api"], "n": [1, 2]})
    table = build_table(
        frame, [ColumnSpec("service", "Service"), ColumnSpec("n", "N")], name="Drift list"
    )
    assert table.csv_name == "drift-list.csv"
    assert parse(table.csv_href) == [["Service", "N"], ["'=cmd|' /C calc'!A0", "1"], ["api", "2"]]


def test_download_and_folded_rows_are_capped():
    frame = pd.DataFrame({"n": range(MAX_CSV_ROWS + 50)})
    table = build_table(frame, [ColumnSpec("n", "N")], limit=10)
    assert len(table.rows) == 10
    assert len(table.extra_rows) == MAX_EXPANDED_ROWS - 10
    assert table.more == MAX_CSV_ROWS + 40
    assert table.csv_rows == MAX_CSV_ROWS
    assert len(parse(table.csv_href)) == MAX_CSV_ROWS + 1  # header + capped rows
    assert frame_csv(frame, [("n", "N")], limit=3) == "N\r\n0\r\n1\r\n2\r\n"


def test_file_names_are_plain():
    assert csv_file_name("../../etc/passwd") == "etc-passwd.csv"
    assert csv_file_name("<b>") == "b.csv"
    assert csv_file_name("") == "table.csv"


def test_every_table_on_the_page_has_a_download(report):
    page = render_weekly(report)
    tables = page.count('<table class="rh-table')
    folded = page.count('<details class="rh-more-rows">')
    assert page.count('class="rh-csv"') == tables - folded > 0
    assert 'download="drift.csv"' in page and 'download="files.csv"' in page


def test_the_archive_downloads_as_csv(archive_entries):
    import re

    from reports.render import render_archive

    page = render_archive(archive_entries)
    href = re.search(r'href="(data:text/csv[^"]+)" download="archive.csv"', page).group(1)
    rows = parse(href)
    assert rows[0] == [
        "Week", "Starts", "Deployments", "Deploy days", "Change failure rate",
        "Median lead time (hours)", "Tier", "Drifting services",
    ]  # fmt: skip
    newest = max(archive_entries, key=lambda entry: entry.week_start)
    assert rows[1][0] == newest.week and rows[1][2] == str(newest.deployments)
    assert len(rows) == len(archive_entries) + 1


def _same(a: object, b: object) -> bool:
    if type(a) is not type(b):
        return False
    if a is pd.NA or a is pd.NaT:
        return a is b
    if isinstance(a, float) and np.isnan(a):
        return bool(np.isnan(b))
    return bool(a == b)


def test_frame_records_give_the_values_to_dict_gives() -> None:
    """Every kind of column a mart hands the page: the same Python values, types included."""
    frame = pd.DataFrame(
        {
            "service": pd.array(["a", None, "c"], dtype="string[pyarrow]"),
            "label": ["x", None, "z"],
            "count": pd.array([1, None, 3], dtype="Int64"),
            "plain": [1, 2, 3],
            "ratio": [0.5, np.nan, 1.25],
            "flag": [True, False, None],
            "at": pd.to_datetime(["2024-03-01 10:00", None, "2024-03-03 00:00"], utc=True),
            "day": [dt.date(2024, 3, 1), None, dt.date(2024, 3, 3)],
            "versions": [["1.0"], [], None],
            "boxed": pd.Series([np.int64(4), pd.NA, np.float64(0.5)], dtype=object),
        }
    )
    expected = frame.head(2).to_dict("records")
    found = frame_records(frame, 2)
    assert len(found) == 2
    for want, got in zip(expected, found, strict=True):
        assert list(got) == list(want)
        for key in want:
            assert _same(got[key], want[key]), (key, got[key], want[key])
    assert frame_records(frame.iloc[0:0], 5) == []
    assert frame_records(pd.DataFrame(index=range(2)), 5) == [{}, {}]
