"""A real PostgreSQL for the team-mode tests (never a mock).

The session-scoped ``postgres`` fixture starts one throwaway server with
``scripts/local-postgres`` under pytest's base temporary folder, on a free loopback port, and
stops it when the session ends (deleting its files). Each test asks for its own database::

    def test_something(postgres):
        dsn = postgres.database("something")   # a fresh, empty database; libpq key=value DSN

``make test`` and ``.ci/run`` install the server packages when they are missing, so these tests
never skip on a fresh machine.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "local-postgres"
LOOPBACK = "127.0.0.1"
SUPERUSER = "postgres"
#: PostgreSQL truncates identifiers longer than this many bytes
MAX_IDENTIFIER_BYTES = 63
#: starting, stopping or a psql command should never take longer than this
COMMAND_TIMEOUT_SECONDS = 120


def free_port() -> int:
    """A loopback TCP port nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((LOOPBACK, 0))
        return int(probe.getsockname()[1])


def database_name(name: str) -> str:
    """``name`` as a plain PostgreSQL identifier: lower case, letters, digits and ``_``."""
    cleaned = re.sub(r"[^a-z0-9_]", "_", name.lower()).strip("_") or "db"
    if cleaned[0].isdigit():
        cleaned = f"db_{cleaned}"
    return cleaned[:MAX_IDENTIFIER_BYTES]


@dataclass(frozen=True)
class LocalPostgres:
    """One running local server: where it listens and how to reach it."""

    directory: Path
    host: str
    port: int
    user: str = SUPERUSER

    def dsn(self, dbname: str = "postgres", **extra: str) -> str:
        """A libpq ``key=value`` connection string for ``dbname`` (plus any ``extra`` keys)."""
        keys = {"dbname": dbname, "host": self.host, "port": str(self.port), "user": self.user}
        return " ".join(f"{key}={value}" for key, value in {**keys, **extra}.items())

    def env(self) -> dict[str, str]:
        """The ``PG*`` variables that make libpq clients reach this server."""
        return {"PGHOST": self.host, "PGPORT": str(self.port), "PGUSER": self.user}

    def _script(self, *args: str) -> str:
        """Run ``scripts/local-postgres`` with ``args``; its stdout, or the error it printed."""
        result = subprocess.run(
            [str(SCRIPT), *args],
            check=False,
            capture_output=True,
            text=True,
            timeout=COMMAND_TIMEOUT_SECONDS,
        )
        if result.returncode != 0:
            raise PostgresCommandError(result.stderr.strip() or f"{args[0]} failed")
        return result.stdout.strip()

    def psql(self, sql: str, dbname: str = "postgres", user: str | None = None) -> str:
        """Run ``sql`` with psql (stop at the first error); its unaligned output, stripped."""
        return self._script(
            "psql",
            str(self.directory),
            "--dbname",
            dbname,
            "--no-align",
            "--tuples-only",
            "--set",
            "ON_ERROR_STOP=1",
            "--command",
            sql,
            *(["--username", user] if user else []),
        )

    def database(self, name: str) -> str:
        """A fresh empty database called ``name`` (dropped first if it exists); its DSN."""
        dbname = database_name(name)
        self.psql(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')
        self.psql(f'CREATE DATABASE "{dbname}"')
        return self.dsn(dbname)

    def is_running(self) -> bool:
        """Whether the server accepts connections."""
        result = subprocess.run(
            [str(SCRIPT), "status", str(self.directory)],
            check=False,
            capture_output=True,
            timeout=COMMAND_TIMEOUT_SECONDS,
        )
        return result.returncode == 0

    def stop(self) -> None:
        """Shut the server down (fast: open sessions are ended)."""
        self._script("stop", str(self.directory))

    def remove(self) -> None:
        """Shut the server down and delete its files."""
        self._script("remove", str(self.directory))

    def start(self) -> None:
        """Start the server again on the same folder and port."""
        self._script("start", str(self.directory), str(self.port))


class PostgresCommandError(Exception):
    """psql reported an error; the message is its stderr."""


def start_local_postgres(directory: Path, port: int | None = None) -> LocalPostgres:
    """Create and start a server in ``directory`` on ``port`` (a free one by default)."""
    server = LocalPostgres(directory=directory, host=LOOPBACK, port=port or free_port())
    server.start()
    return server


@pytest.fixture(scope="session")
def postgres(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalPostgres]:
    """The session's PostgreSQL server; ``postgres.database(name)`` gives a fresh database."""
    if not SCRIPT.is_file() or not os.access(SCRIPT, os.X_OK):
        raise RuntimeError(f"{SCRIPT} is missing or not executable")
    server = start_local_postgres(tmp_path_factory.mktemp("postgres"))
    try:
        yield server
    finally:
        server.remove()
