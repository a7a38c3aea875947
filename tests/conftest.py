"""Shared fixtures: a warehouse file, settings and small input files, all under ``tmp_path``."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings

from assets.settings import Settings, parse_settings
from assets.warehouse import connect

# the session's real PostgreSQL server (fixture ``postgres``) for the team-mode tests
pytest_plugins = ["tests.postgres"]

# property tests: no example database in the working tree, bounded and repeatable in CI
hypothesis_settings.register_profile(
    "release-health",
    database=None,
    derandomize=True,
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
hypothesis_settings.load_profile("release-health")


@pytest.fixture
def warehouse(tmp_path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """A fresh warehouse file with the schema and macros in place; closed after the test."""
    conn = connect(tmp_path / "warehouse.duckdb")
    yield conn
    conn.close()


@pytest.fixture
def make_settings(tmp_path: Path) -> Callable[..., Settings]:
    """Settings with the inbox under ``tmp_path`` and any other keys given."""

    def make(**overrides: Any) -> Settings:
        return parse_settings({"inbox_dir": str(tmp_path / "inbox"), **overrides})

    return make


@pytest.fixture
def settings(make_settings: Callable[..., Settings]) -> Settings:
    """Default settings (every key at its default) with the inbox under ``tmp_path``."""
    return make_settings()


@pytest.fixture
def write_input(tmp_path: Path) -> Callable[..., Path]:
    """Write one input file into ``<tmp_path>/inbox/<kind>/<name>``; text is written as UTF-8
    exactly as given (no newline translation), bytes as they are."""

    def write(name: str, content: str | bytes, kind: str = "deployments") -> Path:
        path = tmp_path / "inbox" / kind / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
        return path

    return write


def build_marts(conn: duckdb.DuckDBPyConnection, settings: Settings) -> None:
    """Every mart from what staging holds, with the functions the Dagster assets call."""
    from assets.calendar.marts import CALENDAR_MARTS, rebuild_calendar_mart
    from assets.delivery.marts import (
        WEEKLY_MARTS,
        classify_change_failures,
        data_weeks,
        load_benchmarks,
        rebuild_mart,
    )
    from assets.drift.marts import build_drift_marts

    load_benchmarks(conn)
    classify_change_failures(conn, settings)
    weeks = data_weeks(conn, settings)
    for table in WEEKLY_MARTS:
        rebuild_mart(conn, table, weeks, settings)
    for table in CALENDAR_MARTS:
        rebuild_calendar_mart(conn, table, weeks, settings)
    build_drift_marts(conn, settings)


def mart_columns(conn: duckdb.DuckDBPyConnection) -> dict[str, list[tuple[str, str, bool]]]:
    """Every mart of the warehouse ``conn`` uses: its columns in order, each as (name, type,
    NOT NULL), read from ``information_schema``."""
    rows = conn.execute(
        "SELECT table_name, column_name, data_type, is_nullable = 'NO'"
        " FROM information_schema.columns"
        " WHERE table_catalog = current_database() AND table_schema = 'marts'"
        " ORDER BY table_name, ordinal_position"
    ).fetchall()
    tables: dict[str, list[tuple[str, str, bool]]] = {}
    for table, name, data_type, not_null in rows:
        tables.setdefault(table, []).append((name, data_type, not_null))
    return tables


def spec_columns() -> dict[str, list[tuple[str, str, bool]]]:
    """The same, as the mart specs declare them."""
    from assets.marts import mart_specs

    return {
        spec.table: [(c.name, c.type, c.not_null) for c in spec.columns] for spec in mart_specs()
    }


@pytest.fixture
def warehouse_from_inbox() -> Iterator[Callable[[Settings], duckdb.DuckDBPyConnection]]:
    """Load ``settings.inbox_path`` into ``settings.warehouse_path`` and build every mart."""
    from assets.ingest.loader import ingest_paths

    opened: list[duckdb.DuckDBPyConnection] = []

    def build(settings: Settings) -> duckdb.DuckDBPyConnection:
        conn = connect(settings.warehouse_path)
        opened.append(conn)
        ingest_paths(conn, [settings.inbox_path], settings)
        build_marts(conn, settings)
        return conn

    yield build
    for conn in opened:
        conn.close()


@pytest.fixture
def rebuild_marts() -> Callable[[duckdb.DuckDBPyConnection, Settings], None]:
    """``build_marts``, for tests that change staging themselves."""
    return build_marts
