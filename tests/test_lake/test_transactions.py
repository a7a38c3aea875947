"""The one retrying transaction helper: conflicts are written again, anything else is raised."""

from __future__ import annotations

import duckdb
import pytest

from assets.settings import parse_settings
from assets.warehouse import in_transaction, is_conflict, shown

CONFLICT = duckdb.TransactionException(
    "Failed to commit DuckLake transaction.\nTransaction conflict - attempting to insert into"
    ' table with index "19" - but another transaction has deleted inlined data from it'
)


def flaky_insert(conn: duckdb.DuckDBPyConnection, failures: int, error: Exception):
    """Work that inserts a row, then fails with ``error`` the first ``failures`` times."""
    calls = []

    def work() -> int:
        calls.append(1)
        conn.execute("INSERT INTO t VALUES ($n)", {"n": len(calls)})
        if len(calls) <= failures:
            raise error
        return len(calls)

    return work, calls


def test_a_conflict_is_rolled_back_and_written_again() -> None:
    conn = duckdb.connect()
    conn.execute("CREATE TABLE t (n INTEGER)")
    pauses: list[float] = []
    work, calls = flaky_insert(conn, 2, CONFLICT)
    assert in_transaction(conn, work, pause=pauses.append) == 3
    assert conn.execute("SELECT n FROM t").fetchall() == [(3,)]
    assert len(calls) == 3 and len(pauses) == 2


def test_other_errors_and_the_last_conflict_are_raised_with_nothing_written() -> None:
    conn = duckdb.connect()
    conn.execute("CREATE TABLE t (n INTEGER)")
    work, calls = flaky_insert(conn, 1, duckdb.ConversionException("bad value"))
    with pytest.raises(duckdb.ConversionException):
        in_transaction(conn, work, pause=lambda seconds: None)
    assert len(calls) == 1
    work, calls = flaky_insert(conn, 5, CONFLICT)
    with pytest.raises(duckdb.TransactionException, match="Transaction conflict"):
        in_transaction(conn, work, attempts=3, pause=lambda seconds: None)
    assert len(calls) == 3
    assert conn.execute("SELECT count(*) FROM t").fetchone() == (0,)


def test_conflicts_are_told_from_other_errors() -> None:
    assert is_conflict(CONFLICT)
    assert not is_conflict(duckdb.IOException("could not connect to server"))
    assert not is_conflict(ValueError("conflict"))


def test_lake_settings_and_masked_passwords() -> None:
    lake = parse_settings(
        {"warehouse": "ducklake:postgres:dbname=rh password=s3cret host=db", "lake_data_path": "d"},
        base_dir="/srv/rh",
    )
    assert lake.is_lake and lake.lake_data_location == "/srv/rh/d"
    assert lake.warehouse_target == "ducklake:postgres:dbname=rh password=s3cret host=db"
    assert shown(lake.warehouse_target) == "ducklake:postgres:dbname=rh password=*** host=db"
    solo = parse_settings({"warehouse": "w.duckdb"}, base_dir="/srv/rh")
    assert not solo.is_lake and solo.warehouse_target == "/srv/rh/w.duckdb"
