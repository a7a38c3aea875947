"""Shared fixtures: a warehouse file, settings and small input files, all under ``tmp_path``."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest

from assets.settings import Settings, parse_settings
from assets.warehouse import connect


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
