"""Opening the warehouse and running the project's SQL files against it.

Every query the project runs lives in a ``.sql`` file beside the code that runs it; values are
passed as bound ``$name`` parameters. This module is the only place that opens DuckDB.

Opening is polite and closed: DuckDB allows one writer process per file, so a second process
waits (up to ``warehouse_wait_seconds``) instead of failing on the lock; DuckDB never installs
or loads an extension by itself (a non-DuckDB file would otherwise make it download one); and a
busy, read-only or foreign file is reported as one :class:`WarehouseError` naming the file.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from functools import cache
from pathlib import Path
from typing import Any, Protocol

import duckdb
import pandas as pd

from assets.settings import Settings

SQL_DIR = Path(__file__).with_name("sql")
#: no extension is ever installed or loaded behind our back (nothing is downloaded)
NO_EXTENSIONS = {"autoinstall_known_extensions": False, "autoload_known_extensions": False}
#: a DuckDB database file carries this magic at this offset of its first block
DUCKDB_MAGIC, DUCKDB_MAGIC_OFFSET = b"DUCK", 8
#: retries on a held lock start short and double up to this, until the deadline
FIRST_RETRY_SECONDS, LONGEST_RETRY_SECONDS = 0.05, 1.0
WAITING_MESSAGE = "waiting for the warehouse (in use by another process) ..."
#: what DuckDB says when another process holds the file's lock
_LOCK_CONFLICT = "Could not set lock on file"
_READ_ONLY_SIGNS = ("Permission denied", "Read-only file system")
_FOREIGN_SIGNS = ("not a valid DuckDB database file", "Extension")


class WarehouseError(Exception):
    """The warehouse file cannot be used as asked; the message names it and says why."""


class WarehouseBusy(WarehouseError):
    """Another process held the warehouse for longer than we were willing to wait."""


class WarehouseReadOnly(WarehouseError):
    """The warehouse must be written but the file or its folder is read-only."""


class NotAWarehouse(WarehouseError):
    """The configured warehouse path holds a file that is not a DuckDB database."""


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


def _say_waiting(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def open_warehouse(
    settings: Settings,
    read_only: bool = False,
    *,
    wait_seconds: float | None = None,
    on_wait: Callable[[str], None] = _say_waiting,
) -> duckdb.DuckDBPyConnection:
    """The configured warehouse, with its memory budget.

    While another process holds it, waits up to ``wait_seconds`` (default: the config's
    ``warehouse_wait_seconds``), telling ``on_wait`` once (stderr by default).
    """
    wait = settings.warehouse_wait_seconds if wait_seconds is None else wait_seconds
    return connect(
        settings.warehouse_path,
        read_only,
        settings.memory_limit,
        wait_seconds=wait,
        on_wait=on_wait,
    )


def _create_macros(conn: duckdb.DuckDBPyConnection) -> None:
    """Shared macros first, then each domain's (``assets/<domain>/sql/macros.sql``)."""
    run_script(conn, SQL_DIR / "macros.sql")
    for path in sorted(SQL_DIR.parent.glob("*/sql/macros.sql")):
        run_script(conn, path)


def is_in_memory(location: Path) -> bool:
    """Whether ``location`` names an in-memory database rather than a file."""
    return str(location).startswith(":memory:")


def _is_foreign(location: Path) -> bool:
    """Whether an existing file at ``location`` is not a DuckDB database (empty counts)."""
    try:
        with location.open("rb") as handle:
            head = handle.read(DUCKDB_MAGIC_OFFSET + len(DUCKDB_MAGIC))
    except (FileNotFoundError, IsADirectoryError, PermissionError):
        return False  # nothing to judge here: DuckDB's own error will say what is wrong
    return head[DUCKDB_MAGIC_OFFSET:] != DUCKDB_MAGIC


def _check_writable(location: Path) -> None:
    """Refuse before DuckDB does: the file and its folder (for the WAL) must be writable."""
    folder = location.parent
    if location.exists() and not os.access(location, os.W_OK):
        raise WarehouseReadOnly(
            f"warehouse {location} is read-only; make it writable or point `warehouse:` "
            "at a writable file (`status` still reads it)"
        )
    if folder.is_dir() and not os.access(folder, os.W_OK | os.X_OK):
        raise WarehouseReadOnly(
            f"warehouse {location} is read-only: its folder {folder} is not writable; "
            "point `warehouse:` at a writable folder"
        )


def _explained(exc: Exception, location: Path, wait_seconds: float) -> WarehouseError | None:
    """The one-line :class:`WarehouseError` for a DuckDB or OS error, or None if unknown."""
    message = str(exc)
    if _LOCK_CONFLICT in message:
        return WarehouseBusy(
            f"warehouse is busy: another process has used {location} for over "
            f"{wait_seconds:g} s; try again when it is done (or raise warehouse_wait_seconds)"
        )
    if isinstance(exc, PermissionError) or any(sign in message for sign in _READ_ONLY_SIGNS):
        return WarehouseReadOnly(
            f"warehouse {location} is read-only; make it and its folder writable or point "
            "`warehouse:` elsewhere"
        )
    if any(sign in message for sign in _FOREIGN_SIGNS):
        return NotAWarehouse(_foreign_message(location))
    return None


def _foreign_message(location: Path) -> str:
    return (
        f"{location} is not a DuckDB warehouse file; point `warehouse:` at a new or "
        "existing .duckdb file"
    )


def _open_waiting(
    location: Path,
    read_only: bool,
    config: dict[str, Any],
    wait_seconds: float,
    on_wait: Callable[[str], None] | None,
) -> duckdb.DuckDBPyConnection:
    """``duckdb.connect``, retrying with a growing pause while another process holds the lock."""
    deadline = time.monotonic() + wait_seconds
    pause = FIRST_RETRY_SECONDS
    announced = False
    while True:
        try:
            return duckdb.connect(str(location), read_only=read_only, config=config)
        except duckdb.Error as exc:
            left = deadline - time.monotonic()
            if _LOCK_CONFLICT not in str(exc) or left <= 0:
                raise (_explained(exc, location, wait_seconds) or exc) from None
        if not announced and on_wait is not None:
            on_wait(WAITING_MESSAGE)
            announced = True
        # polling is the only way: DuckDB offers no wait on its file lock
        time.sleep(min(pause, left))
        pause = min(pause * 2, LONGEST_RETRY_SECONDS)


def connect(
    path: Path | str,
    read_only: bool = False,
    memory_limit: str | None = None,
    *,
    wait_seconds: float = 0,
    on_wait: Callable[[str], None] | None = None,
) -> duckdb.DuckDBPyConnection:
    """Open (creating if needed) the warehouse file and prepare it for use.

    Raises :class:`WarehouseBusy` when another process still holds the file after
    ``wait_seconds`` (``on_wait`` hears once that we wait), :class:`WarehouseReadOnly` when a
    write connection is asked of a read-only file, :class:`NotAWarehouse` for a file that is
    not DuckDB's (which DuckDB would otherwise try to open with a downloaded extension).
    """
    location = Path(path)
    config: dict[str, Any] = dict(NO_EXTENSIONS)
    if memory_limit:
        config["memory_limit"] = memory_limit
    if not is_in_memory(location):
        if _is_foreign(location):
            raise NotAWarehouse(_foreign_message(location))
        if not read_only:
            try:
                location.parent.mkdir(parents=True, exist_ok=True)
            except PermissionError as exc:
                raise (_explained(exc, location, wait_seconds) or exc) from None
            _check_writable(location)
    conn = _open_waiting(location, read_only, config, wait_seconds, on_wait)
    if read_only:
        _create_macros(conn)
        return conn
    return prepare(conn)
