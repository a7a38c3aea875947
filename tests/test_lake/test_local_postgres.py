"""The test suite's PostgreSQL: a real server, a fresh database per call, stop and start."""

from __future__ import annotations

import pytest

from tests.postgres import LocalPostgres, PostgresCommandError, database_name


def test_database_is_fresh_and_reachable_with_its_dsn(postgres: LocalPostgres) -> None:
    dsn = postgres.database("fixture check")
    assert dsn == (f"dbname=fixture_check host=127.0.0.1 port={postgres.port} user=postgres")
    postgres.psql("CREATE TABLE t AS SELECT 41 + 1 AS answer", dbname="fixture_check")
    assert postgres.psql("SELECT answer FROM t", dbname="fixture_check") == "42"
    # asking again gives an empty database, not the old one
    postgres.database("fixture check")
    with pytest.raises(PostgresCommandError, match='relation "t" does not exist'):
        postgres.psql("SELECT answer FROM t", dbname="fixture_check")


def test_names_become_plain_identifiers() -> None:
    assert database_name("Lake: parity/solo") == "lake__parity_solo"
    assert database_name("4 writers") == "db_4_writers"
    assert len(database_name("x" * 100)) == 63
