"""Property tests: any table of text cells written by Python's csv module is read back as
written, every record accounted for (staged or quarantined, never re-typed, never lost)."""

from __future__ import annotations

import csv
import io
import json
import unicodedata
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from assets.ingest.loader import ingest_file
from assets.settings import parse_settings
from assets.warehouse import connect

#: columns of the kind the generated files use, then one the kind does not know
COLUMNS = ["deployment_id", "service", "environment", "version", "status", "started_at", "note"]
#: cells that read like numbers, booleans or dates but are text as written
LOOKALIKES = ["010", "1.10", "1e3", "no", "true", "0x1f", " 7 ", "2024-03-04", "NULL"]
cell_text = st.one_of(
    st.sampled_from(LOOKALIKES),
    st.text(
        alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
        max_size=12,
    ),
    st.sampled_from(["a,b", 'say "hi"', "two\nlines", "cr\r\nlf", "ünï©ødé", ""]),
)
row = st.fixed_dictionaries(
    {
        "service": cell_text,
        "environment": st.sampled_from(["prod", "staging", "dev"]),
        "version": cell_text,
        "status": st.sampled_from(["succeeded", "failed", "bogus"]),
        "note": cell_text,
    }
)


@pytest.fixture(scope="module")
def folders(tmp_path_factory: pytest.TempPathFactory):
    """A fresh folder per example (one warehouse each), all under the test's temp tree."""
    counter = iter(range(1_000_000))
    return lambda: tmp_path_factory.mktemp(f"example{next(counter)}")


def write_table(rows: list[dict[str, str]], line_end: str, bom: bool) -> bytes:
    """The table as Python's csv module writes it, each row ended by ``line_end``.

    The writer is given CRLF as its line end so that it quotes every cell holding a CR or an
    LF (with LF alone it leaves a bare CR unquoted, which no reader can tell from a line end);
    that CRLF is then swapped for ``line_end``.
    """
    table = [COLUMNS] + [
        [
            f"id{number}",
            cells["service"],
            cells["environment"],
            cells["version"],
            cells["status"],
            "2024-03-04T10:00:00Z",
            cells["note"],
        ]
        for number, cells in enumerate(rows, start=1)
    ]
    lines = []
    for cells in table:
        buffer = io.StringIO(newline="")
        csv.writer(buffer, lineterminator="\r\n").writerow(cells)
        lines.append(buffer.getvalue().removesuffix("\r\n") + line_end)
    return (b"\xef\xbb\xbf" if bom else b"") + "".join(lines).encode("utf-8")


#: what DuckDB's trim() removes from either end: the Unicode space separators
SPACES = "".join(chr(c) for c in range(0x3001) if unicodedata.category(chr(c)) == "Zs")


@given(
    rows=st.lists(row, min_size=1, max_size=8),
    line_end=st.sampled_from(["\n", "\r\n"]),
    bom=st.booleans(),
)
def test_every_record_is_accounted_for_with_its_text_as_written(
    folders, rows: list[dict[str, str]], line_end: str, bom: bool
) -> None:
    folder: Path = folders()
    path = folder / "inbox" / "deployments" / "deployments.csv"
    path.parent.mkdir(parents=True)
    path.write_bytes(write_table(rows, line_end, bom))
    # every record is accounted for whatever the share of bad ones: no feed-level hold here
    settings = parse_settings(
        {"inbox_dir": str(folder / "inbox"), "contracts": {"max_reject_ratio": 1.0}}
    )
    conn = connect(folder / "warehouse.duckdb")
    try:
        (report,) = ingest_file(conn, path, settings)
        staged = {
            number: (service, version, extra)
            for number, service, version, extra in conn.execute(
                "SELECT CAST(substr(deployment_id, 3) AS INTEGER), service, version, extra"
                " FROM staging.deployments"
            ).fetchall()
        }
        rejected = {
            number: json.loads(record)
            for number, record in conn.execute(
                "SELECT record_number, record FROM quarantine.rejected_rows"
            ).fetchall()
        }
    finally:
        conn.close()

    assert report.status == "loaded", report.error
    assert report.records_counted == len(rows) == report.rows_read
    assert report.rows_read == report.rows_accepted + report.rows_rejected + report.rows_duplicate
    assert set(staged) | set(rejected) == set(range(1, len(rows) + 1))
    assert not set(staged) & set(rejected)
    for number, cells in enumerate(rows, start=1):
        # an empty cell reads as null; every other cell is its text exactly as written
        if number in staged:
            service, version, extra = staged[number]
            # staging trims space characters (rh_text: DuckDB's trim takes Unicode spaces,
            # not tabs); nothing else of the text changes
            assert version == (cells["version"].strip(SPACES) or None)
            assert json.loads(extra) == {"note": cells["note"] or None}
            # the service is a name: staging keeps it trimmed and aliased, never re-typed
            assert service is not None
        else:
            record = rejected[number]
            assert record["version"] == (cells["version"] or None)
            assert record["service"] == (cells["service"] or None)
            assert record["note"] == (cells["note"] or None)


def test_records_are_numbered_in_file_order_when_read_in_parallel(tmp_path: Path) -> None:
    """DuckDB reads a CSV file of more than a few megabytes in parts, in parallel, and the
    table it fills keeps the file's order only because insertion order is preserved. Each
    record's number is its place in the file: for the quarantined records (the 7th, then every
    9,973rd) the number names their own text, and every staged row has its own values."""
    rows = 150_000
    bad = {7, *range(9_973, rows + 1, 9_973)}
    lines = ["deployment_id,service,environment,version,status,started_at,note"]
    for number in range(1, rows + 1):
        status = "bogus" if number in bad else "succeeded"
        lines.append(
            f"id{number},svc-{number % 13},prod,1.0.{number},{status},2024-03-04T10:00:00Z"
            f",{'x' * (number % 50)}"  # the lines differ in length
        )
    path = tmp_path / "deployments.csv"
    path.write_text("\n".join(lines) + "\n")
    assert path.stat().st_size > 12_000_000
    conn = connect(tmp_path / "warehouse.duckdb")
    try:
        (report,) = ingest_file(conn, path, parse_settings({}))
        staged = conn.execute(
            "SELECT count(*), count(*) FILTER (version <> '1.0.' || substr(deployment_id, 3))"
            " FROM staging.deployments"
        ).fetchone()
        rejected = conn.execute(
            "SELECT record_number, record->>'deployment_id', record->>'version'"
            " FROM quarantine.rejected_rows ORDER BY record_number"
        ).fetchall()
    finally:
        conn.close()
    assert report.status == "loaded", report.error
    assert staged == (rows - len(bad), 0)
    assert rejected == [(n, f"id{n}", f"1.0.{n}") for n in sorted(bad)]
