"""Opening the warehouse and running the project's SQL files against it.

Every query the project runs lives in a ``.sql`` file beside the code that runs it; values are
passed as bound ``$name`` parameters. This module is the only place that opens DuckDB.

Opening is polite and closed: DuckDB allows one writer process per file, so a second process
waits (up to ``warehouse_wait_seconds``) instead of failing on the lock; DuckDB never installs
or loads an extension by itself (a non-DuckDB file would otherwise make it download one); and a
busy, read-only or foreign file is reported as one :class:`WarehouseError` naming the file.

Team mode: a warehouse written ``ducklake:postgres:<libpq string>`` is a DuckLake whose catalog
lives in PostgreSQL and whose data files live under ``lake_data_path``. It is attached to a
local in-memory DuckDB as ``lake`` and made the default catalog, so every asset's SQL runs
unchanged (``raw``, ``staging``, ``marts`` and ``quarantine`` resolve in the lake) while temp
tables and macros stay local. Its two extensions come from the pinned PyPI wheels built for
this duckdb version and are loaded from their files: nothing is downloaded. Several processes
may write at once; a commit that collides with another writer's is retried
(:func:`in_transaction`).
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import random
import re
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager
from functools import cache
from pathlib import Path
from typing import Any, Protocol, TypeVar

import duckdb
import pandas as pd

from assets.marts import mart_specs
from assets.settings import LAKE_SCHEME, Settings

T = TypeVar("T")

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


class LakeUnavailable(WarehouseError):
    """The DuckLake catalog cannot be reached or used (PostgreSQL down, extensions missing)."""


#: the Dagster concurrency pool of every step that replaces marts or reclassifies staging;
#: a deployment limits it to 1 so those rewrites never run at once
MARTS_POOL = "marts"
#: the name the lake is attached under and made the default catalog
LAKE_CATALOG = "lake"
#: wheel package, file inside it and the name DuckDB expects the file to have when loaded
LAKE_EXTENSIONS = (
    ("duckdb_extension_postgres", "postgres", "postgres_scanner"),
    ("duckdb_extension_ducklake", "ducklake", "ducklake"),
)
#: a commit that collides with another writer's is tried again this many times in all
COMMIT_ATTEMPTS = 12
#: what DuckDB/DuckLake say when another transaction committed a conflicting change first
_CONFLICT_SIGNS = ("conflict", "could not serialize")
#: what PostgreSQL says when another process created the same catalog table a moment earlier
_CATALOG_RACE_SIGNS = ("duplicate key value", "already exists")
#: a libpq ``password=...`` entry, never shown in messages
_PASSWORD = re.compile(r"password\s*=\s*('(?:[^'\\]|\\.)*'|\S+)", re.IGNORECASE)


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


def create_tables(conn: duckdb.DuckDBPyConnection) -> None:
    """Create the schemas and tables that do not exist yet: ``schema.sql``, then every mart
    from its spec (``assets/marts/``), each a plain ``CREATE TABLE IF NOT EXISTS``."""
    run_script(conn, SQL_DIR / "schema.sql")
    for spec in mart_specs():
        conn.execute(spec.create_statement())


def prepare(conn: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    """Create the schemas, tables and helper macros on a fresh connection."""
    create_tables(conn)
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
    snapshot: int | None = None,
) -> duckdb.DuckDBPyConnection:
    """The configured warehouse, with its memory budget (a DuckLake at ``snapshot``, if given).

    While another process holds it, waits up to ``wait_seconds`` (default: the config's
    ``warehouse_wait_seconds``), telling ``on_wait`` once (stderr by default).
    """
    wait = settings.warehouse_wait_seconds if wait_seconds is None else wait_seconds
    return connect(
        settings.warehouse_target,
        read_only,
        settings.memory_limit,
        wait_seconds=wait,
        on_wait=on_wait,
        data_path=settings.lake_data_location,
        snapshot=snapshot,
    )


#: what a time zone name is made of (every name DuckDB knows is)
_ZONE_NAME = re.compile(r"[A-Za-z0-9_+/-]+")


@cache
def _time_zone_names() -> str:
    """DuckDB's time zone names, lower case, each between two ``|``: read once per process."""
    names = [n for (n,) in duckdb.sql("SELECT lower(name) FROM pg_timezone_names()").fetchall()]
    if not all(_ZONE_NAME.fullmatch(name) for name in names):
        raise RuntimeError("a time zone name of DuckDB's has unexpected characters")
    return "|" + "|".join(sorted(names)) + "|"


def _create_macros(conn: duckdb.DuckDBPyConnection) -> None:
    """Shared macros first, then each domain's (``assets/<domain>/sql/macros.sql``).

    ``rh_time_zones()`` holds the zone names as one constant that each query folds once: a
    subquery of ``pg_timezone_names()`` in the timestamp macros cost every reading statement
    about 10 ms to plan per timestamp column. A macro cannot take a bound parameter, so the
    names (DuckDB's own, checked to be made of name characters only) are written into it.
    """
    conn.execute(f"CREATE OR REPLACE TEMP MACRO rh_time_zones() AS '{_time_zone_names()}'")
    run_script(conn, SQL_DIR / "macros.sql")
    for path in sorted(SQL_DIR.parent.glob("*/sql/macros.sql")):
        run_script(conn, path)


def is_lake(location: Path | str) -> bool:
    """Whether ``location`` names a DuckLake catalog (``ducklake:...``) rather than a file."""
    return str(location).startswith(LAKE_SCHEME)


def shown(location: Path | str) -> str:
    """``location`` fit for a message: a libpq password is masked."""
    return _PASSWORD.sub("password=***", str(location))


def sql_text(value: str) -> str:
    """``value`` as a SQL string literal, for the few statements that take no parameters
    (ATTACH): single quotes are doubled."""
    return "'" + value.replace("'", "''") + "'"


def _extension_file(package: str, stem: str) -> Path:
    """The extension file shipped in ``package``'s wheel for the running duckdb version."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise LakeUnavailable(
            f"the DuckLake warehouse needs the {package.replace('_', '-')} package: install "
            f"release-health with its `team` extra (wheels pinned to duckdb {duckdb.__version__})"
        )
    folder = Path(next(iter(spec.submodule_search_locations)))
    path = folder / "extensions" / f"v{duckdb.__version__}" / f"{stem}.duckdb_extension"
    if not path.is_file():
        raise LakeUnavailable(
            f"{package.replace('_', '-')} has no build for duckdb {duckdb.__version__} "
            f"({path} is missing): pin it to the same version as duckdb"
        )
    return path


def load_lake_extensions(conn: duckdb.DuckDBPyConnection) -> None:
    """Load the postgres and ducklake extensions from the installed wheels' files.

    DuckDB takes an extension's entry point from its file name, so a file is loaded through a
    link carrying the expected name; the link is gone once the library is loaded.
    """
    with tempfile.TemporaryDirectory(prefix="release-health-ext-") as folder:
        for package, stem, name in LAKE_EXTENSIONS:
            link = Path(folder) / f"{name}.duckdb_extension"
            link.symlink_to(_extension_file(package, stem))
            conn.execute(f"LOAD {sql_text(str(link))}")


def _attach_lake(
    conn: duckdb.DuckDBPyConnection,
    location: str,
    data_path: str | None,
    read_only: bool,
    snapshot: int | None,
) -> None:
    """Attach the lake as ``lake`` (its data path, read-only or at a snapshot) and use it."""
    options = []
    if data_path:
        options.append(f"DATA_PATH {sql_text(data_path)}")
    if snapshot is not None:
        options.append(f"SNAPSHOT_VERSION {int(snapshot)}")
    if read_only or snapshot is not None:
        options.append("READ_ONLY")
    suffix = f" ({', '.join(options)})" if options else ""
    wait = FIRST_RETRY_SECONDS
    for attempt in range(1, COMMIT_ATTEMPTS + 1):
        try:
            conn.execute(f"ATTACH {sql_text(location)} AS {LAKE_CATALOG}{suffix}")
            break
        except duckdb.Error as exc:
            # writers attaching a new lake at once race to create its catalog tables: the
            # losers find them made when they try again
            if attempt == COMMIT_ATTEMPTS or not any(
                sign in str(exc) for sign in _CATALOG_RACE_SIGNS
            ):
                raise _unavailable(location, exc) from None
        time.sleep(wait * (1 + random.random()))
        wait = min(wait * 2, LONGEST_RETRY_SECONDS)
    conn.execute(f"USE {LAKE_CATALOG}")


def _unavailable(location: str, exc: duckdb.Error) -> LakeUnavailable:
    return LakeUnavailable(
        f"warehouse {shown(location)} cannot be opened: {first_line(exc)}; check that "
        "PostgreSQL is running and reachable (PGHOST, PGPORT, PGUSER as for psql) and that "
        "lake_data_path is set"
    )


def first_line(exc: BaseException) -> str:
    """The first line of an error's message (DuckDB adds context lines)."""
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


def is_conflict(exc: BaseException) -> bool:
    """Whether ``exc`` says another writer committed a conflicting change first."""
    return isinstance(exc, duckdb.Error) and any(
        sign in str(exc).lower() for sign in _CONFLICT_SIGNS
    )


def _rollback(conn: duckdb.DuckDBPyConnection) -> None:
    """Roll back if a transaction is still open (a failed commit has already ended it)."""
    with contextlib.suppress(duckdb.Error):  # no transaction left to end
        conn.rollback()


def in_transaction(
    conn: duckdb.DuckDBPyConnection,
    work: Callable[[], T],
    *,
    attempts: int = COMMIT_ATTEMPTS,
    pause: Callable[[float], None] = time.sleep,
) -> T:
    """Run ``work`` in one transaction and commit it; its result.

    The one place that retries: when another writer committed a conflicting change first
    (concurrent writers of a DuckLake), the transaction is rolled back and ``work`` runs again
    from the start, after a short randomised pause, up to ``attempts`` times. Anything else
    is rolled back and raised. ``work`` must be safe to run again after a rollback (temp
    tables are transactional, so staged batches are back as they were).
    """
    wait = FIRST_RETRY_SECONDS
    for attempt in range(1, attempts + 1):
        conn.begin()
        try:
            result = work()
            conn.commit()
            return result
        except BaseException as exc:
            _rollback(conn)
            if attempt == attempts or not is_conflict(exc):
                raise
        # writers that collided should not collide again in lock step
        pause(wait * (1 + random.random()))
        wait = min(wait * 2, LONGEST_RETRY_SECONDS)
    raise AssertionError("unreachable: the last attempt returns or raises")


def lake_snapshot(conn: duckdb.DuckDBPyConnection) -> int | None:
    """The lake's current snapshot id (what a report is built from); None for a DuckDB file."""
    if not _attached_lake(conn):
        return None
    # inside a transaction: the snapshot that transaction reads
    (snapshot,) = conn.execute(
        f"SELECT * FROM ducklake_current_snapshot({sql_text(LAKE_CATALOG)})"
    ).fetchone()
    return int(snapshot)


def _attached_lake(conn: duckdb.DuckDBPyConnection) -> bool:
    rows = conn.execute(
        "SELECT 1 FROM duckdb_databases() WHERE database_name = $name AND type = 'ducklake'",
        {"name": LAKE_CATALOG},
    ).fetchall()
    return bool(rows)


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


#: per process, one local DuckDB with the lake attached for each way of opening it: loading
#: the extensions and attaching costs seconds, a connection (cursor) on it costs nothing
_LAKE_INSTANCES: dict[tuple[str, str | None, bool, str | None], duckdb.DuckDBPyConnection] = {}


def _lake_instance(
    location: str, data_path: str | None, read_only: bool, memory_limit: str | None
) -> duckdb.DuckDBPyConnection:
    """The process's DuckDB with the lake attached (made on first use, again after a lost
    catalog connection, e.g. PostgreSQL restarted)."""
    key = (location, data_path, read_only, memory_limit)
    instance = _LAKE_INSTANCES.get(key)
    if instance is not None:
        try:
            instance.cursor().execute(f"SELECT count(*) FROM {LAKE_CATALOG}.snapshots()").fetchall()
            return instance
        except duckdb.Error:
            _LAKE_INSTANCES.pop(key, None)
            with contextlib.suppress(duckdb.Error):
                instance.close()
    instance = _new_lake_instance(location, data_path, read_only, None, memory_limit)
    _LAKE_INSTANCES[key] = instance
    return instance


def _new_lake_instance(
    location: str,
    data_path: str | None,
    read_only: bool,
    snapshot: int | None,
    memory_limit: str | None,
) -> duckdb.DuckDBPyConnection:
    config: dict[str, Any] = dict(NO_EXTENSIONS)
    if memory_limit:
        config["memory_limit"] = memory_limit
    instance = duckdb.connect(":memory:", config=config)
    try:
        load_lake_extensions(instance)
        _attach_lake(instance, location, data_path, read_only, snapshot)
        if not read_only and snapshot is None:
            # two processes preparing a new lake at once may collide on creating its tables
            in_transaction(instance, lambda: create_tables(instance))
    except BaseException:
        instance.close()
        raise
    return instance


def connect_lake(
    location: str,
    read_only: bool = False,
    memory_limit: str | None = None,
    *,
    data_path: str | None = None,
    snapshot: int | None = None,
) -> duckdb.DuckDBPyConnection:
    """A connection to the DuckLake ``location`` (``ducklake:postgres:...``), ready for use.

    At ``snapshot``, the lake is read as it was then (read-only). Raises
    :class:`LakeUnavailable` when the catalog cannot be reached.
    """
    if snapshot is not None:
        conn = _new_lake_instance(location, data_path, True, snapshot, memory_limit)
    else:
        conn = _lake_instance(location, data_path, read_only, memory_limit).cursor()
    try:
        conn.execute(f"USE {LAKE_CATALOG}")
        _create_macros(conn)
    except duckdb.Error as exc:
        conn.close()
        raise LakeUnavailable(
            f"warehouse {shown(location)} cannot be used: {first_line(exc)}"
        ) from None
    return conn


#: per process, the warehouse files a command holds open for its length (:func:`held_open`)
_HELD_OPEN: dict[str, duckdb.DuckDBPyConnection] = {}


def _held_key(location: Path) -> str:
    return str(location.resolve())


@contextlib.contextmanager
def held_open(settings: Settings) -> Iterator[None]:
    """Hold the warehouse file open while a command runs many steps that each connect.

    Each step's connection is then a new connection to the open database (read-only ones
    too: this process is its one writer anyway): opening the file, replaying its write-ahead
    log and checkpointing on every close cost a run of some twenty steps about a second. The
    file stays locked for the whole command instead of between steps, as a writer holds it
    anyway. A DuckLake is left as it is: its catalog is shared per process already.
    """
    key = "" if settings.is_lake else _held_key(settings.warehouse_path)
    # an outer command may hold it already
    if settings.is_lake or is_in_memory(settings.warehouse_path) or key in _HELD_OPEN:
        yield
        return
    conn = open_warehouse(settings)
    _HELD_OPEN[key] = conn
    try:
        yield
    finally:
        del _HELD_OPEN[key]
        conn.close()


def connect(
    path: Path | str,
    read_only: bool = False,
    memory_limit: str | None = None,
    *,
    wait_seconds: float = 0,
    on_wait: Callable[[str], None] | None = None,
    data_path: str | None = None,
    snapshot: int | None = None,
) -> duckdb.DuckDBPyConnection:
    """Open (creating if needed) the warehouse and prepare it for use.

    A ``ducklake:...`` location is a DuckLake (see :func:`connect_lake`; ``data_path`` and
    ``snapshot`` apply to it only). For a file: raises :class:`WarehouseBusy` when another
    process still holds it after ``wait_seconds`` (``on_wait`` hears once that we wait),
    :class:`WarehouseReadOnly` when a write connection is asked of a read-only file,
    :class:`NotAWarehouse` for a file that is not DuckDB's (which DuckDB would otherwise try
    to open with a downloaded extension).
    """
    if is_lake(path):
        return connect_lake(
            str(path), read_only, memory_limit, data_path=data_path, snapshot=snapshot
        )
    location = Path(path)
    held = _HELD_OPEN.get(_held_key(location)) if _HELD_OPEN else None
    if held is not None:
        # a new connection to the database this process holds open: no file to open, no log
        # to replay, no checkpoint when it closes (and the tables are there)
        conn = held.cursor()
        _create_macros(conn)
        return conn
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
