"""Loading one input file into the warehouse: parse, judge, quarantine, upsert, reconcile.

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
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from assets.ingest.kinds import KINDS, STATUS_ALIASES, Kind, kind_named
from assets.ingest.readers import (
    ReadOptions,
    RecordBatch,
    UnreadableFile,
    detect_format,
    read_file,
)
from assets.settings import Settings
from assets.warehouse import bound, read_sql, sql_file
from data_contracts.sql import duplicate_state, key_expectation, row_reasons

INPUT_SUFFIXES = {".csv", ".tsv", ".jsonl", ".ndjson", ".json", ".yaml", ".yml"}
_INTERNAL_COLUMNS = ("record_number", "reasons", "dedupe")


@dataclass
class FileReport:
    """What happened to one (file, kind): the row written to ``raw.ingested_files``."""

    path: str
    file_sha256: str
    kind: str
    format: str | None = None
    status: str = "loaded"  # loaded | empty | failed | unchanged
    rows_read: int = 0
    rows_accepted: int = 0
    rows_rejected: int = 0
    rows_duplicate: int = 0
    rows_inserted: int = 0
    rows_updated: int = 0
    error: str | None = None
    first_event_at: dt.datetime | None = None
    last_event_at: dt.datetime | None = None
    contract_status: str | None = None
    contract_detail: dict[str, Any] | None = None
    reasons: dict[str, int] = field(default_factory=dict)

    @property
    def failed(self) -> bool:
        return self.status == "failed"

    def reconciles(self) -> bool:
        return self.rows_read == self.rows_accepted + self.rows_rejected + self.rows_duplicate


#: validates several files' candidate rows of one kind: ``(frame, sql verdict)`` per file in,
#: ``(contract status, detail)`` per file out (``assets.ingest.contract.validate_batches``)
ContractValidator = Callable[
    [Kind, Sequence[tuple[pa.Table, dict[int, list[str]]]]], list[tuple[str, dict[str, Any]]]
]


@dataclass
class _Candidates:
    """A loaded file's candidate rows, kept for the contract check that follows the load."""

    report: FileReport
    kind: Kind
    frame: pa.Table
    verdict: dict[int, list[str]]


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


def _alias_params(settings: Settings) -> dict[str, Any]:
    def pair(name: str, mapping: dict[str, str]) -> dict[str, Any]:
        keys = list(mapping)
        return {f"{name}_keys": keys, f"{name}_values": [mapping[k] for k in keys]}

    environment_aliases = {k.lower(): v for k, v in settings.environments.aliases.items()}
    return {
        **pair("service_alias", settings.services.aliases),
        **pair("environment_alias", environment_aliases),
        **pair("status_alias", STATUS_ALIASES),
        **pair("team", settings.services.teams),
        "source_timezone": settings.source_timezone,
        "production_environment": settings.environments.production,
    }


def _columns_of(conn: duckdb.DuckDBPyConnection, relation: str) -> list[str]:
    """Column names of a table we own (the name is ours, never from input)."""
    return [column[0] for column in conn.execute(f"SELECT * FROM {relation} LIMIT 0").description]


def _judge(conn: duckdb.DuckDBPyConnection, batch: RecordBatch, settings: Settings) -> None:
    """Build temp table ``judged``: typed candidates, their reasons and duplicate state."""
    kind = batch.kind
    reasons = row_reasons(kind.suite)
    candidates = read_sql(sql_file(__file__, kind.name))
    query = (
        f"CREATE OR REPLACE TEMP TABLE judged AS SELECT *, {reasons.expression} AS reasons,"
        f" 'unique' AS dedupe FROM ({candidates})"
    )
    params = {**_alias_params(settings), **reasons.params}
    conn.execute(query, bound(query, params))
    key = key_expectation(kind.suite)
    if key is None:
        return
    # only records whose key repeats within the file need ordering: usually there are none
    columns = ", ".join(f'"{c}"' for c in kind.suite.key_columns)
    conn.execute(
        f"UPDATE judged SET dedupe = repeated.state FROM ("
        f" SELECT record_number, {duplicate_state(kind.suite)} AS state FROM judged"
        f" JOIN (SELECT {columns} FROM judged GROUP BY ALL HAVING count(*) > 1) USING ({columns})"
        f") repeated WHERE judged.record_number = repeated.record_number"
    )
    shown = key.field if key.field in kind.fields else kind.suite.key_columns[0]
    conn.execute(
        "UPDATE judged SET reasons = list_append(reasons, $prefix"
        f" || coalesce('''' || CAST(\"{shown}\" AS VARCHAR) || '''', 'null') || $suffix)"
        " WHERE dedupe = 'conflict'",
        {
            "prefix": f"{key.reason}: {key.field}=",
            "suffix": f" [{key.type}] (differs from an earlier record with the same key)",
        },
    )


def _quarantine(
    conn: duckdb.DuckDBPyConnection, batch: RecordBatch, report: FileReport, now: dt.datetime
) -> None:
    where = {"sha": report.file_sha256, "path": report.path, "kind": report.kind, "now": now}
    conn.execute(
        "INSERT INTO quarantine.rejected_rows"
        f" SELECT $sha, $path, $kind, j.record_number, {batch.record_sql}, j.reasons, $now"
        " FROM judged j JOIN raw_batch r USING (record_number)"
        " WHERE j.dedupe <> 'duplicate' AND len(j.reasons) > 0 ORDER BY j.record_number",
        {**where, **batch.record_params},
    )
    conn.execute(
        "INSERT INTO quarantine.rejected_rows SELECT $sha, $path, $kind, record_number, record,"
        " reasons, $now FROM parse_rejects ORDER BY record_number",
        where,
    )


def _upsert(
    conn: duckdb.DuckDBPyConnection,
    batch: RecordBatch,
    report: FileReport,
    settings: Settings,
    now: dt.datetime,
) -> None:
    """Insert new records, replace changed ones, leave identical ones; queue touched weeks."""
    kind = batch.kind
    table = f"staging.{kind.name}"
    key = kind.suite.key_columns
    join = " AND ".join(f's."{c}" = a."{c}"' for c in key)
    event = kind.event_column
    inserted, updated = conn.execute(
        f"SELECT count(*) FILTER (WHERE s.row_hash IS NULL),"
        f" count(*) FILTER (WHERE s.row_hash <> a.row_hash)"
        f" FROM accepted a LEFT JOIN {table} s ON {join}"
    ).fetchone()
    if kind.name != "inventory":
        conn.execute(
            "INSERT INTO raw.pending_weeks"
            f' SELECT DISTINCT rh_week(a."{event}", $tz), $now FROM accepted a'
            f" LEFT JOIN {table} s ON {join} WHERE s.row_hash IS DISTINCT FROM a.row_hash"
            f' UNION SELECT DISTINCT rh_week(s."{event}", $tz), $now FROM accepted a'
            f" JOIN {table} s ON {join} WHERE s.row_hash <> a.row_hash",
            {"tz": settings.timezone, "now": now},
        )
    conn.execute(
        f"DELETE FROM {table} s USING accepted a WHERE {join} AND s.row_hash <> a.row_hash"
    )
    (accepted,) = conn.execute("SELECT count(*) FROM accepted").fetchone()
    # records already there unchanged stay as they are; when none are, skip the anti-join
    unchanged = (
        "" if inserted == accepted else f" WHERE NOT EXISTS (SELECT 1 FROM {table} s WHERE {join})"
    )
    conn.execute(
        f"INSERT INTO {table} BY NAME SELECT a.*, $source AS source, $sha AS source_file,"
        f" $now AS loaded_at FROM accepted a{unchanged}",
        {"source": batch.source, "sha": report.file_sha256, "now": now},
    )
    report.rows_inserted, report.rows_updated = int(inserted), int(updated)
    report.first_event_at, report.last_event_at = conn.execute(
        f'SELECT min("{event}"), max("{event}") FROM accepted'
    ).fetchone()


def _count(conn: duckdb.DuckDBPyConnection, batch: RecordBatch, report: FileReport) -> None:
    accepted, rejected, duplicate = conn.execute(
        "SELECT count(*) FILTER (WHERE dedupe <> 'duplicate' AND len(reasons) = 0),"
        " count(*) FILTER (WHERE dedupe <> 'duplicate' AND len(reasons) > 0),"
        " count(*) FILTER (WHERE dedupe = 'duplicate') FROM judged"
    ).fetchone()
    (unparsed,) = conn.execute("SELECT count(*) FROM parse_rejects").fetchone()
    report.rows_read = batch.records_read
    report.rows_accepted = int(accepted)
    report.rows_rejected = int(rejected) + int(unparsed)
    report.rows_duplicate = int(duplicate)
    codes = conn.execute(
        "SELECT split_part(r, ':', 1) AS code, count(*) FROM ("
        " SELECT reasons FROM judged WHERE dedupe <> 'duplicate'"
        " UNION ALL SELECT reasons FROM parse_rejects), unnest(reasons) AS u(r)"
        " GROUP BY code ORDER BY count(*) DESC, code"
    ).fetchall()
    report.reasons = {code: int(n) for code, n in codes}


def _contract_frame(conn: duckdb.DuckDBPyConnection) -> tuple[pa.Table, dict[int, list[str]]]:
    """Rows GX validates (every non-duplicate candidate) and the SQL verdict on them."""
    frame = conn.execute(
        "SELECT * EXCLUDE (reasons, dedupe, row_hash, extra) FROM judged WHERE dedupe = 'unique'"
    ).to_arrow_table()
    verdict = {
        int(number): list(reasons)
        for number, reasons in conn.execute(
            "SELECT record_number, reasons FROM judged WHERE dedupe = 'unique' AND len(reasons) > 0"
        ).fetchall()
    }
    return frame, verdict


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


def _apply_reject_ratio(report: FileReport, settings: Settings) -> None:
    """The feed-level rule: more than ``max_reject_ratio`` of a file rejected fails it."""
    ratio = report.rows_rejected / report.rows_read if report.rows_read else 0.0
    if ratio > settings.contracts.max_reject_ratio:
        report.contract_status = "failed"
        report.contract_detail = {
            **(report.contract_detail or {}),
            "reject_ratio": round(ratio, 4),
            "max_reject_ratio": settings.contracts.max_reject_ratio,
        }


def check_contracts(
    conn: duckdb.DuckDBPyConnection,
    pending: list[_Candidates],
    validator: ContractValidator,
    settings: Settings,
) -> None:
    """Validate the loaded files' candidate rows (one call per kind) and record the verdicts."""
    by_kind: dict[str, list[_Candidates]] = {}
    for item in pending:
        by_kind.setdefault(item.kind.name, []).append(item)
    for items in by_kind.values():
        verdicts = validator(items[0].kind, [(item.frame, item.verdict) for item in items])
        for item, (status, detail) in zip(items, verdicts, strict=True):
            report = item.report
            report.contract_status, report.contract_detail = status, detail
            _apply_reject_ratio(report, settings)
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


def _stage_batch(
    conn: duckdb.DuckDBPyConnection,
    batch: RecordBatch,
    report: FileReport,
    settings: Settings,
    pending: list[_Candidates] | None,
) -> None:
    """Read and judge a batch into temp tables; nothing persistent changes here."""
    batch.materialize(conn)
    _judge(conn, batch, settings)
    _count(conn, batch, report)
    judged = set(_columns_of(conn, "judged"))
    columns = ", ".join(
        f'"{c}"' for c in _columns_of(conn, f"staging.{batch.kind.name}") if c in judged
    )
    conn.execute(
        f"CREATE OR REPLACE TEMP TABLE accepted AS SELECT {columns} FROM judged"
        " WHERE dedupe = 'unique' AND len(reasons) = 0"
    )
    if not report.reconciles():
        raise AssertionError(
            f"{report.path}: rows_read {report.rows_read} != accepted {report.rows_accepted}"
            f" + rejected {report.rows_rejected} + duplicate {report.rows_duplicate}"
        )
    if report.rows_read == 0:
        report.status, report.error = "empty", "no records (header only or empty list)"
    report.contract_status = "not_run"
    if pending is not None and report.rows_read:
        frame, verdict = _contract_frame(conn)
        pending.append(_Candidates(report, batch.kind, frame, verdict))
        report.contract_status = "pending"
    _apply_reject_ratio(report, settings)


def _write_batch(
    conn: duckdb.DuckDBPyConnection,
    batch: RecordBatch,
    report: FileReport,
    settings: Settings,
    now: dt.datetime,
) -> None:
    """Quarantine, upsert and record a staged batch (inside the file's transaction)."""
    _quarantine(conn, batch, report, now)
    _upsert(conn, batch, report, settings, now)
    _record(conn, report, now)


def _drop_stage(conn: duckdb.DuckDBPyConnection) -> None:
    for table in ("raw_batch", "parse_rejects", "judged", "accepted"):
        conn.execute(f"DROP TABLE IF EXISTS temp.{table}")


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
    pending: list[_Candidates] | None = None,
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
            _stage_batch(conn, batch, report, settings, deferred)
            if not in_transaction:
                conn.begin()
                in_transaction = True
            _write_batch(conn, batch, report, settings, now)
            _drop_stage(conn)
            reports.append(report)
        conn.commit()
    except UnreadableFile as exc:
        if in_transaction:
            conn.rollback()
        _drop_stage(conn)
        base.status, base.error = "failed", str(exc)
        _record(conn, base, now)
        return [base]
    except Exception as exc:
        if in_transaction:
            conn.rollback()
        _drop_stage(conn)
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
    pending: list[_Candidates] = []
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
