"""A person's decisions about a loaded file: forget it, or accept it while it is held.

``forget`` takes a file's rows out of staging and quarantine and marks it ``forgotten`` (its
audit row stays), so the same or a corrected file can be sent again; the weeks its rows
touched are queued for the next run. ``accept`` lets a ``held`` file's accepted rows count:
the file is read again from its bytes (they must still be there, unchanged) and committed as
``accepted`` with the time and the person's reason.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path

import duckdb

from assets.ingest.file_report import FileReport
from assets.ingest.kinds import KINDS, kind_named
from assets.ingest.loader import ContractValidator, hash_file, ingest_paths
from assets.settings import Settings
from assets.warehouse import in_transaction


class FileNotKnown(Exception):
    """The file named is not one the warehouse knows in a state the action needs."""


@dataclass(frozen=True)
class KnownFile:
    """One ``raw.ingested_files`` row: a (file, kind) and its state."""

    file_sha256: str
    path: str
    kind: str
    status: str
    error: str | None
    read_options: dict[str, str]


def _known(conn: duckdb.DuckDBPyConnection, statuses: tuple[str, ...]) -> list[KnownFile]:
    rows = conn.execute(
        "SELECT file_sha256, path, kind, status, error, read_options FROM raw.ingested_files"
        " WHERE list_contains($statuses, status) ORDER BY ingested_at, path, kind",
        {"statuses": list(statuses)},
    ).fetchall()
    return [
        KnownFile(sha, path, kind, status, error, json.loads(options) if options else {})
        for sha, path, kind, status, error, options in rows
    ]


def held_files(conn: duckdb.DuckDBPyConnection, kind: str | None = None) -> list[KnownFile]:
    """Every held (file, kind), oldest first; of one kind when given."""
    return [f for f in _known(conn, ("held",)) if kind is None or f.kind == kind]


def _same_path(recorded: str, target: Path) -> bool:
    try:
        return Path(recorded).resolve() == target.resolve()
    except OSError:
        return False


def locate(
    conn: duckdb.DuckDBPyConnection, target: str, statuses: tuple[str, ...]
) -> list[KnownFile]:
    """The known rows a person means by ``target``: the bytes at that path when it is a file,
    else rows recorded under that path, else under that file name (when only one file has it).
    """
    known = _known(conn, statuses)
    path = Path(target)
    if path.is_file() and not path.is_symlink():
        sha, _ = hash_file(path)
        by_bytes = [f for f in known if f.file_sha256 == sha]
        if by_bytes:
            return by_bytes
    by_path = [f for f in known if f.path == target or _same_path(f.path, path)]
    if by_path:
        return by_path
    by_name = [f for f in known if Path(f.path).name == path.name]
    if len({f.file_sha256 for f in by_name}) == 1:
        return by_name
    if by_name:
        raise FileNotKnown(
            f"{target}: several files are named {path.name}; give the path it was loaded from"
        )
    states = " or ".join(statuses)
    raise FileNotKnown(f"{target}: no {states} file by that name in the warehouse")


def forget_file(
    conn: duckdb.DuckDBPyConnection, settings: Settings, target: str
) -> list[KnownFile]:
    """Take a file's rows out of staging and quarantine; keep its audit row as ``forgotten``."""
    rows = locate(conn, target, ("loaded", "accepted", "held", "empty", "failed"))
    now = dt.datetime.now(tz=dt.UTC)

    def take_out() -> None:
        for row in rows:
            params = {"sha": row.file_sha256}
            if row.kind in KINDS:
                kind = kind_named(row.kind)
                table = kind.table
                if kind.name != "inventory":
                    # the weeks its rows were in must be rebuilt without them
                    conn.execute(
                        "INSERT INTO raw.pending_weeks"
                        f' SELECT DISTINCT rh_week("{kind.event_column}", $tz), $now'
                        f" FROM {table} WHERE source_file = $sha",
                        {**params, "tz": settings.timezone, "now": now},
                    )
                conn.execute(f"DELETE FROM {table} WHERE source_file = $sha", params)
            conn.execute(
                "DELETE FROM quarantine.rejected_rows WHERE file_sha256 = $sha AND kind = $kind",
                {**params, "kind": row.kind},
            )
            conn.execute(
                "UPDATE raw.ingested_files SET status = 'forgotten', forgotten_at = $now"
                " WHERE file_sha256 = $sha AND kind = $kind AND status <> 'forgotten'",
                {**params, "kind": row.kind, "now": now},
            )

    # one transaction, retried like every write when another writer got there first
    in_transaction(conn, take_out)
    return rows


def accept_file(
    conn: duckdb.DuckDBPyConnection,
    settings: Settings,
    target: str,
    reason: str,
    validator: ContractValidator | None = None,
) -> list[FileReport]:
    """Let a held file's accepted rows count: read its bytes again and commit them as
    ``accepted`` with the time and the reason (its rejected rows stay in quarantine)."""
    if not reason.strip():
        raise ValueError("accepting a held file needs a reason (--reason TEXT)")
    rows = locate(conn, target, ("held",))
    sha, recorded = rows[0].file_sha256, Path(rows[0].path)
    candidates = [Path(target), recorded]
    source = next(
        (
            path
            for path in candidates
            if path.is_file() and not path.is_symlink() and hash_file(path)[0] == sha
        ),
        None,
    )
    if source is None:
        raise FileNotKnown(
            f"{target}: its bytes are needed to accept it, but {recorded} is gone or changed;"
            f" send the file again, or `release-health forget {target}`"
        )
    options = rows[0].read_options
    return ingest_paths(
        conn,
        [source],
        settings,
        kind=options.get("kind"),
        fmt=options.get("format"),
        environment=options.get("environment"),
        captured_at=options.get("captured_at"),
        validator=validator,
        accept_reason=reason.strip(),
    )
