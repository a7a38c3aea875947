"""Opening the warehouse and running the project's SQL files against it.

Every query the project runs lives in a ``.sql`` file beside the code that runs it; values are
passed as bound ``$name`` parameters. This module is the only place that opens DuckDB.
"""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import AbstractContextManager
from functools import cache
from pathlib import Path
from typing import Any, Protocol

import duckdb
import pandas as pd

from assets.settings import Settings

SQL_DIR = Path(__file__).with_name("sql")


class Warehouse(Protocol):
    """What assets need from the warehouse resource: a connection for the asset's work."""

    def connection(self) -> AbstractContextManager[duckdb.DuckDBPyConnection]: ...


@cache
def read_sql(path: Path) -> str:
    """The text of a SQL file (cached: files do not change while the process runs)."""
    return path.read_text(encoding="utf-8")


def sql_file(module_file: str, name: str) -> Path:
    """The SQL file ``name`` in the ``sql/`` folder beside ``module_file``."""
    return Path(module_file).with_name("sql") / f"{name}.sql"


def _without_comments(text: str) -> str:
    return "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("--"))


def bound(text: str, params: Mapping[str, Any] | None) -> dict[str, Any]:
    """The parameters a statement uses (DuckDB refuses any it does not)."""
    code = _without_comments(text)
    return {name: value for name, value in (params or {}).items() if f"${name}" in code}


def run_sql(
    conn: duckdb.DuckDBPyConnection, path: Path, params: Mapping[str, Any] | None = None
) -> duckdb.DuckDBPyConnection:
    """Execute one SQL file (a single statement) with bound parameters."""
    text = read_sql(path)
    return conn.execute(text, bound(text, params))


def query_frame(
    conn: duckdb.DuckDBPyConnection, path: Path, params: Mapping[str, Any] | None = None
) -> pd.DataFrame:
    """The result of one SQL file as a pandas frame (through Arrow; dates as datetime64)."""
    return run_sql(conn, path, params).to_arrow_table().to_pandas(date_as_object=False)


def statements(path: Path) -> list[str]:
    """The statements of a SQL script, split at semicolons that end a line."""
    text = read_sql(path)
    return [part.strip() for part in text.split(";\n") if part.strip().strip(";").strip()]


def run_script(
    conn: duckdb.DuckDBPyConnection, path: Path, params: Mapping[str, Any] | None = None
) -> None:
    """Execute a SQL script of several statements, each with the parameters it uses."""
    for statement in statements(path):
        if _without_comments(statement).strip():
            conn.execute(statement, bound(statement, params))


def prepare(conn: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    """Create the schemas, tables and helper macros on a fresh connection."""
    run_script(conn, SQL_DIR / "schema.sql")
    _create_macros(conn)
    return conn


def open_warehouse(settings: Settings, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """The configured warehouse, with its memory budget."""
    return connect(settings.warehouse_path, read_only, settings.memory_limit)


def _create_macros(conn: duckdb.DuckDBPyConnection) -> None:
    """Shared macros first, then each domain's (``assets/<domain>/sql/macros.sql``)."""
    run_script(conn, SQL_DIR / "macros.sql")
    for path in sorted(SQL_DIR.parent.glob("*/sql/macros.sql")):
        run_script(conn, path)


def connect(
    path: Path | str, read_only: bool = False, memory_limit: str | None = None
) -> duckdb.DuckDBPyConnection:
    """Open (creating if needed) the warehouse file and prepare it for use."""
    location = Path(path)
    if not read_only:
        location.parent.mkdir(parents=True, exist_ok=True)
    config = {"memory_limit": memory_limit} if memory_limit else {}
    conn = duckdb.connect(str(location), read_only=read_only, config=config)
    if read_only:
        _create_macros(conn)
        return conn
    return prepare(conn)
