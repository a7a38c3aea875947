"""Loading input files into the warehouse: find them, one transaction each, then the contract.

Each file is one transaction. Its outcome is one ``raw.ingested_files`` row per kind of record
it yielded, with ``rows_read = rows_accepted + rows_rejected + rows_duplicate`` asserted before
the commit. The same bytes twice change nothing; a re-sent record with new content replaces
the earlier row (the newer file wins); an identical re-sent record is left untouched.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from assets.ingest.file_report import FileReport
from assets.ingest.kinds import KINDS, Kind, kind_named
from assets.ingest.readers import (
    EXTENSIONS,
    ReadOptions,
    UnreadableFile,
    detect_format,
    read_file,
)
from assets.ingest.staging import (
    Candidates,
    apply_reject_ratio,
    drop_stage,
    stage_batch,
    write_batch,
)
from assets.settings import Settings

INPUT_SUFFIXES = frozenset(EXTENSIONS)


#: validates several files' candidate rows of one kind: ``(frame, sql verdict, suite
#: parameters)`` per file in, ``(contract status, detail)`` per file out
#: (``assets.ingest.contract.validate_batches``)
ContractValidator = Callable[
    [Kind, Sequence[tuple[pa.Table, dict[int, list[str]], dict[str, Any]]]],
    list[tuple[str, dict[str, Any]]],
]


# -- finding files ---------------------------------------------------------------------------


def expand_paths(paths: Iterable[Path]) -> Iterator[Path]:
    """Files named directly, and input files found (recursively, sorted) in named folders."""
    for path in paths:
        if path.is_dir():
            yield from sorted(
                p
                for p in path.rglob("*")
                if p.is_file() and p.suffix.lower() in INPUT_SUFFIXES and not p.name.startswith(".")
            )
        else:
            yield path


def infer_kind(path: Path) -> Kind:
    """The kind of a file from the inbox folder it sits in, else from its name."""
    for part in reversed(path.parent.parts):
        if part.lower() in KINDS:
            return KINDS[part.lower()]
    stem = path.stem.lower()
    for name, kind in KINDS.items():
        if name in stem or name.rstrip("s") in stem:
            return kind
    raise ValueError(
        f"{path}: cannot tell whether it holds deployments, incidents or inventory;"
        " put it in a folder of that name or pass --kind"
    )


# -- the per-file transaction ----------------------------------------------------------------


#: enough of a file to tell its format, encoding and whether it is empty
HEAD_BYTES = 64 * 1024


def file_sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def hash_file(path: Path) -> tuple[str, bytes]:
    """(SHA-256 of the file, its first bytes), reading it in chunks: files can be gigabytes."""
    with path.open("rb") as handle:
        head = handle.read(HEAD_BYTES)
        handle.seek(0)
        return hashlib.file_digest(handle, "sha256").hexdigest(), head


def _already_loaded(conn: duckdb.DuckDBPyConnection, sha: str) -> list[tuple[str, str]]:
    return conn.execute(
        "SELECT kind, status FROM raw.ingested_files"
        " WHERE file_sha256 = $sha AND status <> 'failed'",
        {"sha": sha},
    ).fetchall()


def _record(conn: duckdb.DuckDBPyConnection, report: FileReport, now: dt.datetime) -> None:
    row = asdict(report)
    row.pop("reasons")
    row["ingested_at"] = now
    row["contract_detail"] = (
        json.dumps(report.contract_detail, default=str) if report.contract_detail else None
    )
    conn.execute(
        "DELETE FROM raw.ingested_files WHERE file_sha256 = $sha AND kind = $kind",
        {"sha": report.file_sha256, "kind": report.kind},
    )
    columns = list(row)
    conn.execute(
        f"INSERT INTO raw.ingested_files ({', '.join(columns)})"
        f" VALUES ({', '.join('$' + c for c in columns)})",
        row,
    )


def check_contracts(
    conn: duckdb.DuckDBPyConnection,
    pending: list[Candidates],
    validator: ContractValidator,
    settings: Settings,
) -> None:
    """Validate the loaded files' candidate rows (one call per kind) and record the verdicts."""
    by_kind: dict[str, list[Candidates]] = {}
    for item in pending:
        by_kind.setdefault(item.kind.name, []).append(item)
    for items in by_kind.values():
        verdicts = validator(
            items[0].kind, [(item.frame, item.verdict, item.parameters) for item in items]
        )
        for item, (status, detail) in zip(items, verdicts, strict=True):
            report = item.report
            report.contract_status, report.contract_detail = status, detail
            apply_reject_ratio(report, settings)
            conn.execute(
                "UPDATE raw.ingested_files SET contract_status = $status,"
                " contract_detail = $detail WHERE file_sha256 = $sha AND kind = $kind",
                {
                    "status": report.contract_status,
                    "detail": json.dumps(report.contract_detail, default=str),
                    "sha": report.file_sha256,
                    "kind": report.kind,
                },
            )
    pending.clear()


def ingest_file(
    conn: duckdb.DuckDBPyConnection,
    path: Path,
    settings: Settings,
    *,
    kind: str | None = None,
    fmt: str | None = None,
    environment: str | None = None,
    captured_at: str | None = None,
    validator: ContractValidator | None = None,
    pending: list[Candidates] | None = None,
) -> list[FileReport]:
    """Load one file in one transaction; return one report per kind of record it held.

    With a ``validator``, the file's candidate rows go through the contract check of record
    after the load; pass a ``pending`` list to defer that check (``check_contracts``) so many
    files are validated together.
    """
    expected = kind_named(kind) if kind else infer_kind(path)
    shown = str(path)
    try:
        sha, head = hash_file(path)
    except OSError as exc:
        # no bytes to hash: key the failure by its path so a later retry replaces it
        report = FileReport(
            shown,
            file_sha256(shown.encode()),
            expected.name,
            status="failed",
            error=f"{path}: cannot read: {exc.strerror}",
        )
        _record(conn, report, _now())
        return [report]
    previous = _already_loaded(conn, sha)
    if previous:
        return [FileReport(shown, sha, kind_name, status="unchanged") for kind_name, _ in previous]
    now = _now()
    base = FileReport(shown, sha, expected.name)
    if len(head) < HEAD_BYTES and not head.strip(b"\xef\xbb\xbf \t\r\n"):
        base.status, base.error = "empty", "file is empty"
        _record(conn, base, now)
        return [base]
    try:
        base.format = detect_format(path, head, fmt)
        options = ReadOptions(
            settings=settings,
            environment=environment,
            captured_at=captured_at,
            file_mtime=dt.datetime.fromtimestamp(path.stat().st_mtime, tz=dt.UTC),
        )
        batches = read_file(path, head, expected, base.format, options)
    except (UnreadableFile, ValueError) as exc:
        base.status, base.error = "failed", str(exc)
        _record(conn, base, now)
        return [base]
    reports = []
    deferred = (pending if pending is not None else []) if validator else None
    in_transaction = False
    try:
        for batch in batches:
            report = FileReport(shown, sha, batch.kind.name, format=batch.format)
            # the first batch is staged before the transaction opens: reading temp tables
            # written inside a transaction is markedly slower for large files
            stage_batch(conn, batch, report, settings, deferred)
            if not in_transaction:
                conn.begin()
                in_transaction = True
            write_batch(conn, batch, report, settings, now)
            _record(conn, report, now)
            drop_stage(conn)
            reports.append(report)
        conn.commit()
    except UnreadableFile as exc:
        if in_transaction:
            conn.rollback()
        drop_stage(conn)
        base.status, base.error = "failed", str(exc)
        _record(conn, base, now)
        return [base]
    except Exception as exc:
        if in_transaction:
            conn.rollback()
        drop_stage(conn)
        raise RuntimeError(f"{path}: loading failed and was rolled back: {exc}") from exc
    if validator and pending is None and deferred:
        check_contracts(conn, deferred, validator, settings)
    return reports


def _now() -> dt.datetime:
    return dt.datetime.now(tz=dt.UTC)


def ingest_paths(
    conn: duckdb.DuckDBPyConnection,
    paths: Iterable[Path],
    settings: Settings,
    *,
    kind: str | None = None,
    fmt: str | None = None,
    environment: str | None = None,
    captured_at: str | None = None,
    validator: ContractValidator | None = None,
    progress: Callable[[FileReport], None] | None = None,
) -> list[FileReport]:
    """Load files and folders (recursively); one transaction per file; never stops early.

    The contract check of record runs once per kind after all files are loaded.
    """
    reports: list[FileReport] = []
    pending: list[Candidates] = []
    for path in expand_paths(paths):
        try:
            loaded = ingest_file(
                conn,
                path,
                settings,
                kind=kind,
                fmt=fmt,
                environment=environment,
                captured_at=captured_at,
                validator=validator,
                pending=pending,
            )
        except ValueError as exc:  # the kind cannot be told: say so, keep going
            loaded = [FileReport(str(path), "", kind or "unknown", status="failed", error=str(exc))]
        reports.extend(loaded)
        if progress:
            for report in loaded:
                progress(report)
    if validator and pending:
        check_contracts(conn, pending, validator, settings)
    return reports


def ingest_inbox(
    conn: duckdb.DuckDBPyConnection,
    settings: Settings,
    kind: str,
    validator: ContractValidator | None = None,
) -> list[FileReport]:
    """Load the new files of one kind from ``<inbox_dir>/<kind>/``."""
    folder = settings.inbox_path / kind
    if not folder.is_dir():
        return []
    return ingest_paths(conn, [folder], settings, kind=kind, validator=validator)


__all__ = ["FileReport", "ingest_file", "ingest_inbox", "ingest_paths"]
