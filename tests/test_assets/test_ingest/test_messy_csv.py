"""Messy real-world CSV: every physical record is accounted for, or the file fails by name.

Each case checks the reason code, the record and line numbers, the staged ids and the counts:
``rows_read = accepted + rejected + duplicate`` and ``records_counted`` equal to the records a
person counts in the file (data rows, blank lines not included).
"""

from __future__ import annotations

import json

import duckdb
import pytest

from assets.ingest.csv_reader import CsvBatch, scan_layout
from assets.ingest.loader import FileReport, ingest_file, ingest_paths
from assets.settings import Settings
from tests.test_assets.test_ingest.test_bad_inputs import (
    assert_counts,
    codes,
    quarantined,
    stored_file,
)

HEADER = "deployment_id,service,environment,version,status,started_at"


def row(number: int) -> str:
    """A good deployment row with id ``d<number>``."""
    return f"d{number},api,prod,1.{number},succeeded,2024-03-04T10:{number % 60:02d}:00Z"


def staged_ids(conn: duckdb.DuckDBPyConnection) -> list[str]:
    return [
        r[0]
        for r in conn.execute(
            "SELECT deployment_id FROM staging.deployments ORDER BY deployment_id"
        ).fetchall()
    ]


def load(conn: duckdb.DuckDBPyConnection, path, settings: Settings) -> FileReport:
    (report,) = ingest_file(conn, path, settings)
    return report


def assert_reconciled(report: FileReport, counted: int) -> None:
    """The reader's count, the independent count and the outcome counts all agree."""
    assert report.records_counted == counted
    assert report.rows_read == counted
    assert report.rows_read == report.rows_accepted + report.rows_rejected + report.rows_duplicate


# -- 1. an unclosed quote ----------------------------------------------------------------------


def test_unclosed_quote_quarantines_the_record_and_every_line_it_swallowed(
    warehouse: duckdb.DuckDBPyConnection, make_settings, write_input
) -> None:
    # three of five records are lost to the quote: the file is also held (tested elsewhere)
    settings = make_settings(contracts={"max_reject_ratio": 1.0})
    broken = 'd3,"api,prod,1.3,succeeded,2024-03-04T10:03:00Z'
    lines = [HEADER, row(1), row(2), broken, row(4), row(5)]
    path = write_input("deployments.csv", "\n".join(lines) + "\n")

    report = load(warehouse, path, settings)

    rejected = quarantined(warehouse, path)
    assert [(n, rec["csv_line"]) for n, rec, _ in rejected] == [
        (3, broken),
        (4, row(4)),
        (5, row(5)),
    ]
    assert rejected[0][2] == [
        "unclosed_quote: line 4: the quote opened on line 4, column 4 is never closed;"
        " the 3 line(s) from here to the end were not read as CSV"
    ]
    assert rejected[1][2] == [
        "unclosed_quote: line 5: inside the quote opened on line 4, column 4, never closed"
    ]
    assert [codes(r) for _, _, r in rejected] == [["unclosed_quote"]] * 3
    assert staged_ids(warehouse) == ["d1", "d2"]
    assert_reconciled(report, 5)
    assert_counts(warehouse, path, read=5, accepted=2, rejected=3)


def test_quote_closed_lines_later_is_one_record_spanning_them(
    warehouse: duckdb.DuckDBPyConnection, settings: Settings, write_input
) -> None:
    # the quote opened on line 3 closes on line 4: by CSV rules that is one record spanning
    # both lines, and the reader and the scan both count it once
    merged = 'd2,"api,prod\nx",prod,1.0,succeeded,2024-03-04T10:00:00Z'
    path = write_input("deployments.csv", "\n".join([HEADER, row(1), merged, row(5)]) + "\n")

    report = load(warehouse, path, settings)

    assert quarantined(warehouse, path) == []
    assert warehouse.execute(
        "SELECT service FROM staging.deployments WHERE deployment_id = 'd2'"
    ).fetchall() == [("api,prod\nx",)]
    assert staged_ids(warehouse) == ["d1", "d2", "d5"]
    assert_reconciled(report, 3)


# -- 2. a NUL run ending the file --------------------------------------------------------------


#: rows enough to put the NUL run past the first 4 KB (NUL there means a binary file)
NUL_ROWS = 100


@pytest.mark.parametrize("newline_before", [True, False], ids=["after_newline", "after_row"])
def test_nul_tail_is_one_quarantined_record_and_every_row_loads(
    warehouse: duckdb.DuckDBPyConnection, settings: Settings, write_input, newline_before: bool
) -> None:
    rows = [row(n) for n in range(1, NUL_ROWS + 1)]
    body = "\n".join([HEADER, *rows]) + ("\n" if newline_before else "")
    path = write_input("deployments.csv", body.encode() + b"\x00" * 10_000)

    report = load(warehouse, path, settings)

    assert staged_ids(warehouse) == sorted(f"d{n}" for n in range(1, NUL_ROWS + 1))
    ((number, record, reasons),) = quarantined(warehouse, path)
    # the header is line 1, the rows lines 2..101; the run starts line 102 or ends line 101
    line = NUL_ROWS + 2 if newline_before else NUL_ROWS + 1
    assert (number, record) == (NUL_ROWS + 1, {"csv_line": "<10000 NUL bytes>"})
    assert reasons == [
        f"nul_bytes: line {line}: the file ends in 10000 NUL bytes (from byte"
        f" {len(body) + 1}), as a write cut short leaves it"
    ]
    assert_reconciled(report, NUL_ROWS + 1)
    assert_counts(warehouse, path, read=NUL_ROWS + 1, accepted=NUL_ROWS, rejected=1)


# -- 3. glob characters in a file name ---------------------------------------------------------


@pytest.mark.parametrize("name", ["deploy[1].csv", "a*.csv", "what?.csv"])
def test_name_with_glob_characters_reads_exactly_that_file(
    warehouse: duckdb.DuckDBPyConnection, settings: Settings, write_input, name: str
) -> None:
    path = write_input(name, f"{HEADER}\n{row(1)}\n")
    # neighbours the name would match as a pattern: none of their rows may load
    for neighbour, number in (("deploy1.csv", 7), ("ab.csv", 8), ("whatX.csv", 9), ("a.csv", 6)):
        write_input(neighbour, f"{HEADER}\n{row(number)}\n")

    report = load(warehouse, path, settings)

    assert staged_ids(warehouse) == ["d1"]
    assert_reconciled(report, 1)
    assert_counts(warehouse, path, read=1, accepted=1, rejected=0)


# -- 4. a trailing empty column ----------------------------------------------------------------


def test_trailing_comma_loads_like_a_clean_file(
    warehouse: duckdb.DuckDBPyConnection, settings: Settings, write_input
) -> None:
    path = write_input("deployments.csv", f"{HEADER},\n{row(1)},\n{row(2)},\n")
    clean = write_input("clean.csv", f"{HEADER}\n{row(3)}\n")

    report = load(warehouse, path, settings)
    load(warehouse, clean, settings)

    assert staged_ids(warehouse) == ["d1", "d2", "d3"]
    extras = warehouse.execute(
        "SELECT deployment_id, extra FROM staging.deployments ORDER BY 1"
    ).fetchall()
    assert extras == [("d1", None), ("d2", None), ("d3", None)]
    assert_reconciled(report, 2)


def test_value_under_an_unnamed_column_is_kept_in_extra(
    warehouse: duckdb.DuckDBPyConnection, settings: Settings, write_input
) -> None:
    path = write_input("deployments.csv", f"{HEADER},\n{row(1)},\n{row(2)},stray\n")

    report = load(warehouse, path, settings)

    extras = warehouse.execute(
        "SELECT deployment_id, extra FROM staging.deployments ORDER BY 1"
    ).fetchall()
    assert extras == [("d1", None), ("d2", '{"column 7":"stray"}')]
    assert_reconciled(report, 2)


# -- 5. odd column names -----------------------------------------------------------------------


def test_odd_column_names_go_to_extra_without_crash_or_injection(
    warehouse: duckdb.DuckDBPyConnection, settings: Settings, write_input
) -> None:
    header = HEADER + ',*,,,"quoted name","say ""hi""","two\nlines",x\'); DROP TABLE x; --'
    values = "star,,,q,hi,two,sql"
    # the second row lacks a status: it is quarantined and keeps every odd column as written
    bad = "d2,api,prod,1.0,,2024-03-04T10:00:00Z,s2,,e2,q2,h2,t2,x2"
    path = write_input("deployments.csv", f"{header}\n{row(1)},{values}\n{bad}\n")

    report = load(warehouse, path, settings)

    (extra,) = warehouse.execute("SELECT extra FROM staging.deployments").fetchone()
    assert json.loads(extra) == {
        "*": "star",
        "quoted name": "q",
        'say "hi"': "hi",
        "two\nlines": "two",
        "x'); DROP TABLE x; --": "sql",
    }
    ((number, record, reasons),) = quarantined(warehouse, path)
    assert number == 2
    assert codes(reasons) == ["missing_required_field"]
    assert record["*"] == "s2" and record["column 9"] == "e2"
    assert record["two\nlines"] == "t2" and record["x'); DROP TABLE x; --"] == "x2"
    assert "column 8" not in record  # an unnamed, empty cell is no part of the record
    assert_reconciled(report, 2)


def test_duplicate_unknown_names_are_kept_apart(
    warehouse: duckdb.DuckDBPyConnection, settings: Settings, write_input
) -> None:
    path = write_input("deployments.csv", f"{HEADER},note,note\n{row(1)},a,b\n")

    report = load(warehouse, path, settings)

    (extra,) = warehouse.execute("SELECT extra FROM staging.deployments").fetchone()
    assert json.loads(extra) == {"note": "a", "note (column 8)": "b"}
    assert_reconciled(report, 1)


# -- 6. lines over the limit -------------------------------------------------------------------


def test_ten_megabyte_header_fails_the_file_naming_the_limit(
    warehouse: duckdb.DuckDBPyConnection, settings: Settings, write_input
) -> None:
    path = write_input("deployments.csv", b"deployment_id," + b"x" * (10 * 1024 * 1024))

    report = load(warehouse, path, settings)

    assert report.status == "failed"
    assert report.error == (
        "deployments.csv: line_too_long: line 1 (the header) is longer than"
        " limits.max_line_bytes (1048576 bytes)"
    )
    assert staged_ids(warehouse) == []
    assert stored_file(warehouse, path)["status"] == "failed"


def test_body_line_over_the_limit_is_quarantined_and_the_rest_load(
    warehouse: duckdb.DuckDBPyConnection, make_settings, write_input
) -> None:
    settings = make_settings(limits={"max_line_bytes": 2048})
    long_row = "d2,api,prod," + "9" * 3000 + ",succeeded,2024-03-04T10:00:00Z"
    path = write_input("deployments.csv", f"{HEADER}\n{row(1)}\n{long_row}\n{row(3)}\n")

    report = load(warehouse, path, settings)

    ((number, record, reasons),) = quarantined(warehouse, path)
    assert number == 2
    assert reasons == [
        f"line_too_long: line 3: {len(long_row)} bytes, over limits.max_line_bytes (2048)"
    ]
    assert record["csv_line"] == long_row[:200] + "…"
    assert staged_ids(warehouse) == ["d1", "d3"]
    assert_reconciled(report, 3)
    assert_counts(warehouse, path, read=3, accepted=2, rejected=1)


# -- 7. line ends ------------------------------------------------------------------------------

LINE_END_CASES = {
    "cr_only": (HEADER + "\r" + row(1) + "\r" + row(2) + "\r" + row(3) + "\r").encode(),
    "crlf": (HEADER + "\r\n" + row(1) + "\r\n" + row(2) + "\r\n" + row(3) + "\r\n").encode(),
    "mixed": (HEADER + "\r\n" + row(1) + "\n" + row(2) + "\r\n" + row(3) + "\n").encode(),
    "mixed_with_cr": (HEADER + "\n" + row(1) + "\r" + row(2) + "\r\n" + row(3)).encode(),
    "bom_crlf": b"\xef\xbb\xbf"
    + (HEADER + "\r\n" + row(1) + "\r\n" + row(2) + "\r\n" + row(3) + "\r\n").encode(),
    "no_final_newline": (HEADER + "\n" + row(1) + "\n" + row(2) + "\n" + row(3)).encode(),
    "blank_lines": (HEADER + "\n\n" + row(1) + "\n\n" + row(2) + "\r\n\r\n" + row(3)).encode(),
}


@pytest.mark.parametrize("content", LINE_END_CASES.values(), ids=LINE_END_CASES)
def test_line_ends_read_like_newlines(
    warehouse: duckdb.DuckDBPyConnection, settings: Settings, write_input, content: bytes
) -> None:
    path = write_input("deployments.csv", content)

    report = load(warehouse, path, settings)

    assert report.status == "loaded"
    assert staged_ids(warehouse) == ["d1", "d2", "d3"]
    versions = warehouse.execute(
        "SELECT version FROM staging.deployments ORDER BY deployment_id"
    ).fetchall()
    assert versions == [("1.1",), ("1.2",), ("1.3",)]
    assert_reconciled(report, 3)


def test_quoted_line_breaks_stay_in_the_value_and_rejects_name_their_physical_line(
    warehouse: duckdb.DuckDBPyConnection, settings: Settings, write_input
) -> None:
    quoted = 'd1,api,prod,"1.0\r\nnote",succeeded,2024-03-04T10:00:00Z'
    path = write_input("deployments.csv", f"{HEADER}\n{quoted}\nd2,api\n{row(3)}\n")

    report = load(warehouse, path, settings)

    assert warehouse.execute(
        "SELECT version FROM staging.deployments WHERE deployment_id = 'd1'"
    ).fetchall() == [("1.0\r\nnote",)]
    assert quarantined(warehouse, path) == [
        (2, {"csv_line": "d2,api"}, ["ragged_row: line 4: expected 6 fields, found 2"])
    ]
    assert staged_ids(warehouse) == ["d1", "d3"]
    assert_reconciled(report, 3)


# -- 8. file size limit ------------------------------------------------------------------------


def test_reader_that_drops_a_line_fails_the_file_with_record_count_mismatch(
    warehouse: duckdb.DuckDBPyConnection, settings: Settings, write_input, monkeypatch
) -> None:
    read_body = CsvBatch._read_body

    def dropping_one(self, conn, source):  # a faulty reader: loses the second record
        errors = read_body(self, conn, source)
        conn.execute("DELETE FROM raw_batch WHERE record_number = 2")
        return errors

    monkeypatch.setattr(CsvBatch, "_read_body", dropping_one)
    path = write_input("deployments.csv", f"{HEADER}\n{row(1)}\n{row(2)}\n{row(3)}\n")

    (report,) = ingest_paths(warehouse, [path], settings)

    assert report.status == "failed"
    assert report.error == (
        f"{path}: record_count_mismatch: the reader returned 2 record(s) but the file"
        " holds 3; nothing of it was loaded"
    )
    assert staged_ids(warehouse) == []
    assert quarantined(warehouse, path) == []


def test_scan_counts_records_not_quoted_line_breaks(tmp_path) -> None:
    path = tmp_path / "x.csv"
    path.write_bytes(b'a,b\n1,"x\ny"\n\n2,"""q"""\r\n3,4\r5,6')

    layout = scan_layout(path)

    assert layout.body_records == 4
    assert layout.lines.tolist() == [2, 5, 6, 7]
    assert layout.line_ends == frozenset({"\n", "\r\n", "\r"})
