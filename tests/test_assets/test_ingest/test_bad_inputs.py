"""Bad inputs reach quarantine with their reasons; good rows of the same file still load.

Every file here is small and hand-written. For each case the test checks the reason code (the
text before ':'), the record number, the raw record kept in ``quarantine.rejected_rows``, the
good rows in ``staging`` and the counts stored in ``raw.ingested_files``.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import duckdb
import pytest

from assets.ingest.loader import FileReport, ingest_file, ingest_paths
from assets.settings import Settings

HEADER = (
    "deployment_id,service,environment,version,status,started_at,finished_at,change_count,"
    "change_type"
)
GOOD_ROW = "d2,api,prod,1.0,succeeded,2024-03-04T10:00:00Z,2024-03-04T10:02:00Z,3,regular"
GOOD_JSON_LINE = (
    '{"deployment_id": "d2", "service": "api", "environment": "prod", "version": "1.0",'
    ' "status": "succeeded", "started_at": "2024-03-04T10:00:00Z"}'
)
NOT_NULL = "[expect_column_values_to_not_be_null]"
IN_SET = "[expect_column_values_to_be_in_set]"


@pytest.fixture
def lenient(make_settings) -> Settings:
    """Settings that never hold a file for its share of rejected rows."""
    return make_settings(contracts={"max_reject_ratio": 1.0})


# -- reading back what the loader wrote -------------------------------------------------------


def load_one(conn: duckdb.DuckDBPyConnection, path: Path, settings: Settings) -> FileReport:
    (report,) = ingest_file(conn, path, settings)
    return report


def quarantined(conn: duckdb.DuckDBPyConnection, path: Path) -> list[tuple[int, Any, list[str]]]:
    """(record_number, record as parsed JSON, reasons) of the file's rejected rows, in order."""
    rows = conn.execute(
        "SELECT record_number, record, reasons FROM quarantine.rejected_rows"
        " WHERE path = $path ORDER BY record_number",
        {"path": str(path)},
    ).fetchall()
    return [(number, json.loads(record), list(reasons)) for number, record, reasons in rows]


def codes(reasons: list[str]) -> list[str]:
    """The reason codes: the text before the first ':'."""
    return sorted(reason.split(":", 1)[0] for reason in reasons)


def staged(conn: duckdb.DuckDBPyConnection, table: str = "deployments") -> list[str]:
    key = {"deployments": "deployment_id", "incidents": "incident_id"}[table]
    return [
        row[0] for row in conn.execute(f"SELECT {key} FROM staging.{table} ORDER BY 1").fetchall()
    ]


def stored_file(conn: duckdb.DuckDBPyConnection, path: Path) -> dict[str, Any]:
    """The file's row in raw.ingested_files (exactly one is expected)."""
    cursor = conn.execute(
        "SELECT status, rows_read, rows_accepted, rows_rejected, rows_duplicate, error"
        " FROM raw.ingested_files WHERE path = $path",
        {"path": str(path)},
    )
    rows = cursor.fetchall()
    assert len(rows) == 1, rows
    return dict(zip([c[0] for c in cursor.description], rows[0], strict=True))


def assert_counts(
    conn: duckdb.DuckDBPyConnection,
    path: Path,
    *,
    read: int,
    accepted: int,
    rejected: int,
    duplicate: int = 0,
    status: str = "loaded",
) -> None:
    """The stored counts are the expected ones, and those reconcile."""
    assert read == accepted + rejected + duplicate, "the expected counts must reconcile"
    row = stored_file(conn, path)
    assert row["status"] == status
    assert (
        row["rows_read"],
        row["rows_accepted"],
        row["rows_rejected"],
        row["rows_duplicate"],
    ) == (read, accepted, rejected, duplicate)


def csv_record(line: str) -> dict[str, str | None]:
    """The record a plain CSV line (no quoting) of HEADER stands for; empty cells are null."""
    return {
        name: (value or None)
        for name, value in zip(HEADER.split(","), line.split(","), strict=True)
    }


# -- row-level contract rules (cases 1-5 and the rest of 13) ----------------------------------

ROW_RULE_CASES = [
    pytest.param(
        "d1,,prod,1.0,succeeded,2024-03-04T10:00:00Z,,,",
        [f"missing_required_field: service=null {NOT_NULL}"],
        id="missing_required_field",
    ),
    pytest.param(
        "d1,   ,prod,1.0,succeeded,2024-03-04T10:00:00Z,,,",
        [f"missing_required_field: service=null {NOT_NULL}"],
        id="blank_counts_as_missing",
    ),
    pytest.param(
        "d1,api,prod,1.0,deployed,2024-03-04T10:00:00Z,,,",
        [f"unknown_status: status='deployed' {IN_SET}"],
        id="unknown_status",
    ),
    pytest.param(
        "d1,api,prod,1.0,succeeded,yesterday,,,",
        [f"unparseable_timestamp: started_at='yesterday' {NOT_NULL}"],
        id="unparseable_timestamp",
    ),
    pytest.param(
        "d1,api,prod,1.0,succeeded,2024-03-04T10:00:00Z,2024-03-04T09:59:59Z,,",
        [
            "finished_before_started: finished_at='2024-03-04T09:59:59Z'"
            " [expect_column_pair_values_a_to_be_greater_than_b]"
        ],
        id="finished_before_started",
    ),
    pytest.param(
        "d1,api,prod,1.0,succeeded,2024-03-04T10:00:00Z,,-1,",
        [
            "negative_change_count: change_count='-1' [expect_column_values_to_be_between]",
        ],
        id="negative_change_count",
    ),
    pytest.param(
        "d1,api,prod,1.0,succeeded,2024-03-04T10:00:00Z,,,bugfix",
        [f"unknown_change_type: change_type='bugfix' {IN_SET}"],
        id="unknown_change_type",
    ),
    pytest.param(
        "d1,api,prod,1.0,succeeded,2024-03-04T10:00:00Z,,three,",
        [f"not_an_integer: change_count='three' {NOT_NULL}"],
        id="not_an_integer_word",
    ),
    pytest.param(
        "d1,api,prod,1.0,succeeded,2024-03-04T10:00:00Z,,3.5,",
        [f"not_an_integer: change_count='3.5' {NOT_NULL}"],
        id="not_an_integer_decimal",
    ),
    pytest.param(
        "d1,api,prod,1.0,deployed,yesterday,,,",
        [
            f"unparseable_timestamp: started_at='yesterday' {NOT_NULL}",
            f"unknown_status: status='deployed' {IN_SET}",
        ],
        id="two_problems_both_listed",
    ),
]


@pytest.mark.parametrize(("bad_line", "expected_reasons"), ROW_RULE_CASES)
def test_row_breaking_a_rule_is_quarantined_and_the_rest_loads(
    warehouse: duckdb.DuckDBPyConnection,
    settings: Settings,
    write_input,
    bad_line: str,
    expected_reasons: list[str],
) -> None:
    path = write_input("deployments.csv", f"{HEADER}\n{bad_line}\n{GOOD_ROW}\n")

    report = load_one(warehouse, path, settings)

    assert report.status == "loaded"
    rejected = quarantined(warehouse, path)
    assert [(number, record) for number, record, _ in rejected] == [(1, csv_record(bad_line))]
    reasons = rejected[0][2]
    assert codes(reasons) == codes(expected_reasons)
    # the human-readable part names the field and quotes the value as written
    assert sorted(reasons) == sorted(expected_reasons)
    assert staged(warehouse) == ["d2"]
    assert_counts(warehouse, path, read=2, accepted=1, rejected=1)


def test_report_counts_reasons_by_code(
    warehouse: duckdb.DuckDBPyConnection, settings: Settings, write_input
) -> None:
    path = write_input(
        "deployments.csv",
        f"{HEADER}\n"
        "d1,api,prod,1.0,deployed,yesterday,,,\n"
        "d3,api,prod,1.0,deployed,2024-03-04T10:00:00Z,,,\n"
        f"{GOOD_ROW}\n",
    )

    report = load_one(warehouse, path, settings)

    assert report.reasons == {"unknown_status": 2, "unparseable_timestamp": 1}
    assert (report.rows_read, report.rows_accepted, report.rows_rejected) == (3, 1, 2)


# -- duplicates within a file (case 6) ---------------------------------------------------------


def test_exact_repeat_is_a_duplicate_and_a_conflicting_repeat_is_rejected(
    warehouse: duckdb.DuckDBPyConnection, settings: Settings, write_input
) -> None:
    path = write_input(
        "deployments.csv",
        f"{HEADER}\n"
        "d1,api,prod,1.0,succeeded,2024-03-04T10:00:00Z,,,\n"
        "d1,api,prod,1.0,succeeded,2024-03-04T10:00:00Z,,,\n"
        f"{GOOD_ROW}\n"
        "d2,api,prod,2.0,succeeded,2024-03-04T10:00:00Z,2024-03-04T10:02:00Z,3,regular\n",
    )

    load_one(warehouse, path, settings)

    # the exact repeat (record 2) is counted, not quarantined; the conflicting record 4 is
    ((number, record, reasons),) = quarantined(warehouse, path)
    assert number == 4
    assert record["deployment_id"] == "d2"
    assert record["version"] == "2.0"
    assert reasons == [
        "conflicting_duplicate_id: deployment_id='d2' [expect_column_values_to_be_unique]"
        " (differs from an earlier record with the same key)"
    ]
    versions = warehouse.execute(
        "SELECT deployment_id, version FROM staging.deployments ORDER BY 1"
    ).fetchall()
    assert versions == [("d1", "1.0"), ("d2", "1.0")]
    assert_counts(warehouse, path, read=4, accepted=2, rejected=1, duplicate=1)


# -- files with no records (cases 7 and 8) -----------------------------------------------------


def test_zero_byte_file_is_empty(
    warehouse: duckdb.DuckDBPyConnection, settings: Settings, write_input
) -> None:
    path = write_input("deployments.csv", b"")

    report = load_one(warehouse, path, settings)

    assert report.status == "empty"
    assert report.error == "file is empty"
    assert staged(warehouse) == []
    assert quarantined(warehouse, path) == []
    assert_counts(warehouse, path, read=0, accepted=0, rejected=0, status="empty")
    assert stored_file(warehouse, path)["error"] == "file is empty"


def test_header_only_file_is_empty(
    warehouse: duckdb.DuckDBPyConnection, settings: Settings, write_input
) -> None:
    path = write_input("deployments.csv", f"{HEADER}\n")

    report = load_one(warehouse, path, settings)

    assert report.status == "empty"
    assert report.rows_read == 0
    assert report.error == "no records (header only or empty list)"
    assert staged(warehouse) == []
    assert quarantined(warehouse, path) == []
    assert_counts(warehouse, path, read=0, accepted=0, rejected=0, status="empty")


# -- rows the CSV parser cannot split (case 9) -------------------------------------------------


def test_ragged_rows_too_many_and_too_few_fields(
    warehouse: duckdb.DuckDBPyConnection, lenient: Settings, write_input
) -> None:
    settings = lenient  # most of the file is bad on purpose: no feed-level hold here
    too_many = "d1,api,prod,1.0,succeeded,2024-03-04T10:00:00Z,,,,surplus"
    too_few = "d3,api,prod"
    path = write_input("deployments.csv", f"{HEADER}\n{too_many}\n{GOOD_ROW}\n{too_few}\n")

    load_one(warehouse, path, settings)

    assert quarantined(warehouse, path) == [
        (1, {"csv_line": too_many}, ["ragged_row: line 2: expected 9 fields, found 10"]),
        (3, {"csv_line": too_few}, ["ragged_row: line 4: expected 9 fields, found 3"]),
    ]
    assert staged(warehouse) == ["d2"]
    assert_counts(warehouse, path, read=3, accepted=1, rejected=2)


# -- encodings (cases 10 and 12) ---------------------------------------------------------------

SHORT_HEADER = b"deployment_id,service,environment,version,status,started_at\n"
SHORT_GOOD = b"d2,api,prod,1.0,succeeded,2024-03-04T10:00:00Z\n"
LATIN1_ROW = b"d1,caf\xe9,prod,1.0,succeeded,2024-03-04T10:00:00Z\n"


def test_non_utf8_csv_row_is_rejected_and_the_others_load(
    warehouse: duckdb.DuckDBPyConnection, settings: Settings, write_input
) -> None:
    path = write_input("deployments.csv", SHORT_HEADER + LATIN1_ROW + SHORT_GOOD)

    load_one(warehouse, path, settings)

    ((number, record, reasons),) = quarantined(warehouse, path)
    assert number == 1
    assert codes(reasons) == ["invalid_encoding"]
    assert reasons[0].startswith("invalid_encoding: line 2: ")
    assert record["csv_line"].startswith("d1,caf")
    assert record["csv_line"].endswith("prod,1.0,succeeded,2024-03-04T10:00:00Z")
    assert staged(warehouse) == ["d2"]
    assert_counts(warehouse, path, read=2, accepted=1, rejected=1)


def test_non_utf8_csv_row_keeps_its_fields_in_quarantine(
    warehouse: duckdb.DuckDBPyConnection, settings: Settings, write_input
) -> None:
    path = write_input("deployments.csv", SHORT_HEADER + LATIN1_ROW + SHORT_GOOD)

    load_one(warehouse, path, settings)

    ((_, record, _),) = quarantined(warehouse, path)
    # as the JSON Lines reader does: the undecodable byte becomes U+FFFD, nothing else changes
    assert record == {"csv_line": "d1,caf\ufffd,prod,1.0,succeeded,2024-03-04T10:00:00Z"}


def test_non_utf8_json_line_is_rejected_and_the_others_load(
    warehouse: duckdb.DuckDBPyConnection, settings: Settings, write_input
) -> None:
    bad = b'{"deployment_id":"d1","service":"caf\xe9"}'
    path = write_input("deployments.jsonl", bad + b"\n" + GOOD_JSON_LINE.encode() + b"\n")

    load_one(warehouse, path, settings)

    # byte 37 of the line is \xe9: 1 + 15 ("deployment_id") + 1 + 4 + 1 + 9 ("service") + 1 + 4
    assert quarantined(warehouse, path) == [
        (
            1,
            {"line": '{"deployment_id":"d1","service":"caf\ufffd"}'},
            ["invalid_encoding: line 1: byte 37 is not UTF-8"],
        )
    ]
    assert staged(warehouse) == ["d2"]
    assert_counts(warehouse, path, read=2, accepted=1, rejected=1)


def test_non_utf8_header_fails_the_whole_file(
    warehouse: duckdb.DuckDBPyConnection, settings: Settings, write_input
) -> None:
    header = b"deployment_id,s\xe9rvice,environment,version,status,started_at\n"
    path = write_input("latin1.csv", header + SHORT_GOOD)

    report = load_one(warehouse, path, settings)

    assert report.status == "failed"
    # byte 16 is the \xe9 after "deployment_id,s"
    assert report.error == (
        "latin1.csv: invalid_encoding: the header line is not UTF-8 (byte 16);"
        " save the file as UTF-8"
    )
    assert staged(warehouse) == []
    assert quarantined(warehouse, path) == []
    row = stored_file(warehouse, path)
    assert (row["status"], row["rows_read"], row["error"]) == ("failed", 0, report.error)


def test_bom_prefixed_csv_loads_with_its_first_column(
    warehouse: duckdb.DuckDBPyConnection, settings: Settings, write_input
) -> None:
    path = write_input("deployments.csv", b"\xef\xbb\xbf" + SHORT_HEADER + SHORT_GOOD)

    report = load_one(warehouse, path, settings)

    assert report.status == "loaded"
    assert quarantined(warehouse, path) == []
    # deployment_id was recognised: it holds the value and is not an unknown extra column
    rows = warehouse.execute("SELECT deployment_id, service, extra FROM staging.deployments")
    assert rows.fetchall() == [("d2", "api", None)]
    assert_counts(warehouse, path, read=1, accepted=1, rejected=0)


# -- JSON Lines that are not records (case 11) -------------------------------------------------


def test_json_lines_that_are_not_objects_or_not_json(
    warehouse: duckdb.DuckDBPyConnection, lenient: Settings, write_input
) -> None:
    settings = lenient  # most of the file is bad on purpose: no feed-level hold here
    path = write_input("deployments.jsonl", f'[1,2]\n"x"\n{{not json\n{GOOD_JSON_LINE}\n')

    load_one(warehouse, path, settings)

    assert quarantined(warehouse, path) == [
        (1, {"line": "[1,2]"}, ["not_an_object: line 1: a JSON list where an object was expected"]),
        (2, {"line": '"x"'}, ["not_an_object: line 2: a JSON str where an object was expected"]),
        (
            3,
            {"line": "{not json"},
            ["invalid_json: line 3: Expecting property name enclosed in double quotes"],
        ),
    ]
    assert staged(warehouse) == ["d2"]
    assert_counts(warehouse, path, read=4, accepted=1, rejected=3)


def test_json_line_breaking_a_rule_keeps_the_record_as_an_object(
    warehouse: duckdb.DuckDBPyConnection, settings: Settings, write_input
) -> None:
    bad = {
        "deployment_id": "d1",
        "service": "api",
        "environment": "prod",
        "version": "1.0",
        "status": "deployed",
        "started_at": "2024-03-04T10:00:00Z",
        "change_count": 2,
    }
    path = write_input("deployments.jsonl", f"{json.dumps(bad)}\n{GOOD_JSON_LINE}\n")

    load_one(warehouse, path, settings)

    assert quarantined(warehouse, path) == [
        (1, bad, [f"unknown_status: status='deployed' {IN_SET}"])
    ]
    assert staged(warehouse) == ["d2"]
    assert_counts(warehouse, path, read=2, accepted=1, rejected=1)


# -- whole files that cannot be read (case 13) -------------------------------------------------


def test_unreadable_files_fail_alone_and_the_others_load(
    warehouse: duckdb.DuckDBPyConnection, settings: Settings, write_input, tmp_path: Path
) -> None:
    first = write_input("a_first.csv", SHORT_HEADER + SHORT_GOOD)
    utf16 = write_input("b_utf16.csv", (SHORT_HEADER + SHORT_GOOD).decode().encode("utf-16"))
    last = write_input(
        "c_last.csv", SHORT_HEADER + b"d3,web,prod,1.0,failed,2024-03-05T08:00:00Z\n"
    )
    missing = tmp_path / "inbox" / "deployments" / "missing.csv"

    reports = ingest_paths(warehouse, [first.parent, missing], settings)

    by_name = {Path(r.path).name: r for r in reports}
    assert {name: r.status for name, r in by_name.items()} == {
        "a_first.csv": "loaded",
        "b_utf16.csv": "failed",
        "c_last.csv": "loaded",
        "missing.csv": "failed",
    }
    assert (
        by_name["b_utf16.csv"].error
        == "b_utf16.csv: invalid_encoding: not UTF-8 text (looks like UTF-16 or binary);"
        " save it as UTF-8"
    )
    assert by_name["missing.csv"].error == f"{missing}: cannot read: No such file or directory"
    assert staged(warehouse) == ["d2", "d3"]
    assert_counts(warehouse, utf16, read=0, accepted=0, rejected=0, status="failed")
    assert_counts(warehouse, last, read=1, accepted=1, rejected=0)


def test_csv_missing_a_required_column_fails_naming_it(
    warehouse: duckdb.DuckDBPyConnection, settings: Settings, write_input
) -> None:
    path = write_input(
        "no_status.csv",
        "deployment_id,service,environment,version,started_at\n"
        "d1,api,prod,1.0,2024-03-04T10:00:00Z\n",
    )

    report = load_one(warehouse, path, settings)

    assert report.status == "failed"
    assert report.error is not None
    assert report.error.startswith(
        "no_status.csv: missing_column: no column for required field(s) status "
    )
    assert staged(warehouse) == []
    assert stored_file(warehouse, path)["status"] == "failed"


# -- incidents ---------------------------------------------------------------------------------


def test_incident_resolved_before_opened_is_quarantined(
    warehouse: duckdb.DuckDBPyConnection, settings: Settings, write_input
) -> None:
    bad = "i1,api,2024-03-04T10:00:00Z,2024-03-04T09:00:00Z"
    path = write_input(
        "incidents.csv",
        f"incident_id,service,opened_at,resolved_at\n{bad}\n"
        "i2,api,2024-03-04T10:00:00Z,2024-03-04T11:30:00Z\n",
        kind="incidents",
    )

    load_one(warehouse, path, settings)

    assert quarantined(warehouse, path) == [
        (
            1,
            {
                "incident_id": "i1",
                "service": "api",
                "opened_at": "2024-03-04T10:00:00Z",
                "resolved_at": "2024-03-04T09:00:00Z",
            },
            [
                "resolved_before_opened: resolved_at='2024-03-04T09:00:00Z'"
                " [expect_column_pair_values_a_to_be_greater_than_b]"
            ],
        )
    ]
    rows = warehouse.execute(
        "SELECT incident_id, environment, opened_at, resolved_at FROM staging.incidents"
    ).fetchall()
    assert rows == [
        (
            "i2",
            "prod",  # the environment defaults to production
            dt.datetime(2024, 3, 4, 10, 0, tzinfo=dt.UTC),
            dt.datetime(2024, 3, 4, 11, 30, tzinfo=dt.UTC),
        )
    ]
    assert_counts(warehouse, path, read=2, accepted=1, rejected=1)


# -- CSV quoting errors ------------------------------------------------------------------------

TEXT_AFTER_QUOTE = 'd1,"api"x,prod,1.0,succeeded,2024-03-04T10:00:00Z'


def test_text_after_a_closing_quote_is_quarantined_as_malformed_csv(
    warehouse: duckdb.DuckDBPyConnection, settings: Settings, write_input
) -> None:
    path = write_input(
        "deployments.csv", SHORT_HEADER.decode() + TEXT_AFTER_QUOTE + "\n" + SHORT_GOOD.decode()
    )

    load_one(warehouse, path, settings)

    rejected = quarantined(warehouse, path)
    assert [(number, record) for number, record, _ in rejected] == [
        (1, {"csv_line": TEXT_AFTER_QUOTE})
    ]
    assert codes(rejected[0][2]) == ["malformed_csv"]
    assert staged(warehouse) == ["d2"]
    assert_counts(warehouse, path, read=2, accepted=1, rejected=1)


def test_badly_quoted_csv_does_not_stop_the_other_files(
    warehouse: duckdb.DuckDBPyConnection, settings: Settings, write_input
) -> None:
    first = write_input("a_first.csv", SHORT_HEADER + SHORT_GOOD)
    write_input("b_quoting.csv", SHORT_HEADER + TEXT_AFTER_QUOTE.encode() + b"\n")
    write_input("c_last.csv", SHORT_HEADER + b"d3,web,prod,1.0,failed,2024-03-05T08:00:00Z\n")

    reports = ingest_paths(warehouse, [first.parent], settings)

    statuses = {Path(r.path).name: r.status for r in reports}
    assert (statuses["a_first.csv"], statuses["c_last.csv"]) == ("loaded", "loaded")
    assert staged(warehouse) == ["d2", "d3"]
