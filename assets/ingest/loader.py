"""Loading input files into the warehouse: find them, judge them, commit each with its verdict.

Each file's outcome is one ``raw.ingested_files`` row per kind of record it yielded, with
``rows_read = rows_accepted + rows_rejected + rows_duplicate`` (and the independent count of
its records) asserted before anything is written. A file's rows count only once its contract
verdict is committed with them, in one transaction; a file the contract breaks is ``held``
(its rejected rows quarantined, its accepted rows counting nowhere) until a person forgets or
accepts it. The same bytes twice change nothing; a re-sent record with new content replaces
the earlier row (the newer file wins); an identical re-sent record is left untouched.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import json
import os
import stat
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import duckdb

from assets.ingest.batches import RecordBatch
from assets.ingest.contract import VALIDATION, Part, Validation, contract_parameters
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
    apply_reject_ratio,
    contract_frame,
    drop_stage,
    park_stage,
    stage_batch,
    unpark_stage,
    write_batch,
)
from assets.settings import Settings
from assets.warehouse import in_transaction

INPUT_SUFFIXES = frozenset(EXTENSIONS)


#: validates several files' rows of one kind: a :class:`Part` per file in,
#: ``(contract status, detail)`` per file out (``assets.ingest.contract.validate_batches``)
ContractValidator = Callable[[Kind, Sequence[Part]], list[tuple[str, dict[str, Any]]]]


# -- finding files ---------------------------------------------------------------------------


def expand_paths(paths: Iterable[Path]) -> Iterator[Path]:
    """Files named directly, and what named folders hold (recursively, sorted).

    Links are never followed and are yielded like special files, so the loader refuses them
    by name instead of skipping them silently; hidden files and other suffixes are skipped.
    """
    seen: set[Path] = set()
    for path in _walk(paths):
        if path not in seen:
            seen.add(path)
            yield path


def _walk(paths: Iterable[Path]) -> Iterator[Path]:
    for path in paths:
        if not path.is_symlink() and path.is_dir():
            found = []
            for folder, folders, files in os.walk(path, followlinks=False):
                base = Path(folder)
                folders[:] = [d for d in folders if not d.startswith(".")]
                found += [base / d for d in folders if (base / d).is_symlink()]
                found += [
                    base / name
                    for name in files
                    if not name.startswith(".") and Path(name).suffix.lower() in INPUT_SUFFIXES
                ]
            yield from sorted(found)
        else:
            yield path


def infer_kind(path: Path) -> Kind:
    """The kind of a file from the inbox folder it sits in, else from its name."""
    for part in reversed(path.parent.parts):
        if part.lower() in KINDS:
            return KINDS[part.lower()]
    if EXTENSIONS.get(path.suffix.lower()) == "ics":  # iCalendar holds events, nothing else
        return KINDS["calendar"]
    stem = path.stem.lower()
    for name, kind in KINDS.items():
        if name in stem or name.rstrip("s") in stem:
            return kind
    raise ValueError(
        f"{path}: cannot tell whether it holds deployments, incidents, inventory or calendar"
        " events;"
        " put it in a folder of that name or pass --kind"
    )


# -- the per-file transaction ----------------------------------------------------------------


#: enough of a file to tell its format, encoding and whether it is empty
HEAD_BYTES = 64 * 1024


def file_sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def hash_file(path: Path) -> tuple[str, bytes]:
    """(SHA-256 of the file, its first bytes), reading it in chunks: files can be gigabytes.

    Opened without following a final link and without blocking, so a FIFO swapped in after
    the check cannot hang the read.
    """
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    with os.fdopen(os.open(path, flags), "rb") as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            raise OSError(0, "not a regular file")
        head = handle.read(HEAD_BYTES)
        handle.seek(0)
        return hashlib.file_digest(handle, "sha256").hexdigest(), head


#: a file changed less than this long before it is read may still be being written within the
#: same tick of the file system's clock, so its stamp is not kept (it is read in full next time)
SETTLED_NS = 2_000_000_000

#: what identifies a file's bytes without reading them: size, modification and change times.
#: Any write moves both times; the change time cannot be set back (as the modification time
#: can), and moves too when the file is renamed over, linked or has its mode changed.
Stamp = tuple[int, int, int]
_STAMP = ("file_size", "file_mtime_ns", "file_ctime_ns")


def file_stamp(path: Path) -> Stamp | None:
    """The stamp of a file left alone for :data:`SETTLED_NS` or more (else None)."""
    try:
        info = path.stat()
    except OSError:
        return None
    if time.time_ns() - max(info.st_mtime_ns, info.st_ctime_ns) < SETTLED_NS:
        return None
    return info.st_size, info.st_mtime_ns, info.st_ctime_ns


def _stamp_columns(stamp: Stamp | None) -> dict[str, int | None]:
    """The stamp by its ``raw.ingested_files`` columns (all None for a file without one)."""
    return dict(zip(_STAMP, stamp or (None,) * len(_STAMP), strict=True))


def _stamp_params(path: Path, stamp: Stamp) -> dict[str, Any]:
    return {"path": str(path), **_stamp_columns(stamp)}


def _stamped_sha(conn: duckdb.DuckDBPyConnection, path: Path, stamp: Stamp) -> str | None:
    """The SHA-256 recorded for this path when it last had this stamp, if it counts still."""
    row = conn.execute(
        "SELECT file_sha256 FROM raw.ingested_files WHERE path = $path"
        + "".join(f" AND {column} = ${column}" for column in _STAMP)
        + " AND status NOT IN ('failed', 'forgotten') LIMIT 1",
        _stamp_params(path, stamp),
    ).fetchone()
    return row[0] if row else None


def _keep_stamp(conn: duckdb.DuckDBPyConnection, path: Path, sha: str, stamp: Stamp) -> None:
    """Record the stamp of a file found unchanged by its bytes where its rows hold another one
    or none (read before stamps were kept, just after being written, or linked since)."""
    assignments = ", ".join(f"{column} = ${column}" for column in _STAMP)
    kept = ", ".join(_STAMP)
    placeholders = ", ".join(f"${column}" for column in _STAMP)
    in_transaction(
        conn,
        lambda: conn.execute(
            f"UPDATE raw.ingested_files SET {assignments}"
            " WHERE file_sha256 = $sha AND path = $path"
            f" AND ({kept}) IS DISTINCT FROM ({placeholders})"
            " AND status NOT IN ('failed', 'forgotten')",
            {"sha": sha, **_stamp_params(path, stamp)},
        ),
    )


def _previous(conn: duckdb.DuckDBPyConnection, sha: str) -> list[FileReport]:
    """What the warehouse already holds of these bytes (every kind; failed files excluded)."""
    cursor = conn.execute(
        "SELECT path, kind, format, status, error, contract_status, read_options,"
        " rows_read, rows_accepted, rows_rejected, rows_duplicate"
        " FROM raw.ingested_files"
        " WHERE file_sha256 = $sha AND status NOT IN ('failed', 'forgotten') ORDER BY kind",
        {"sha": sha},
    )
    names = [column[0] for column in cursor.description]
    reports = []
    for values in cursor.fetchall():
        row = dict(zip(names, values, strict=True))
        row["read_options"] = json.loads(row["read_options"]) if row["read_options"] else {}
        reports.append(FileReport(file_sha256=sha, **row))
    return reports


def _record(conn: duckdb.DuckDBPyConnection, report: FileReport, now: dt.datetime) -> None:
    """Write the file's row for its kind, replacing an earlier one (a retry, a verdict)."""
    row = asdict(report)
    row.pop("reasons")
    row["ingested_at"] = now
    for column in ("contract_detail", "read_options", "records_skipped"):
        row[column] = json.dumps(row[column], default=str) if row[column] else None
    # a forgotten file's row is its audit trail: sending the bytes again adds a row
    conn.execute(
        "DELETE FROM raw.ingested_files"
        " WHERE file_sha256 = $sha AND kind = $kind AND status <> 'forgotten'",
        {"sha": report.file_sha256, "kind": report.kind},
    )
    columns = list(row)
    conn.execute(
        f"INSERT INTO raw.ingested_files ({', '.join(columns)})"
        f" VALUES ({', '.join('$' + c for c in columns)})",
        row,
    )


def _record_alone(conn: duckdb.DuckDBPyConnection, reports: Iterable[FileReport]) -> None:
    """Record reports in one transaction of their own."""
    now = _now()
    rows = list(reports)
    in_transaction(conn, lambda: [_record(conn, report, now) for report in rows])


# -- reading one file ------------------------------------------------------------------------


@dataclass
class ReadRequest:
    """How the caller asked for files to be read (the CLI's flags; the inbox's folder kind)."""

    kind: str | None = None
    fmt: str | None = None
    environment: str | None = None
    captured_at: str | None = None

    def options(self) -> dict[str, str]:
        """The options the file was read with, as recorded with it (to read it again alike)."""
        given = {"kind": self.kind, "format": self.fmt, "environment": self.environment}
        given["captured_at"] = self.captured_at
        return {name: value for name, value in given.items() if value is not None}

    def differences(self, previous: list[FileReport]) -> dict[str, str]:
        """Options asked now that would read already-loaded bytes differently."""
        differs = {}
        if self.kind and self.kind not in {p.kind for p in previous}:
            differs["kind"] = self.kind
        if self.fmt and self.fmt not in {p.format for p in previous}:
            differs["format"] = self.fmt
        for name, value in (("environment", self.environment), ("captured_at", self.captured_at)):
            if value is not None and any(p.read_options.get(name) != value for p in previous):
                differs[name] = value
        return differs


def _refusal(path: Path) -> str | None:
    """Why a path is not read at all: links and special files stay closed."""
    try:
        info = path.lstat()
    except OSError as exc:
        return f"{path}: cannot read: {exc.strerror}"
    if stat.S_ISLNK(info.st_mode):
        return f"{path}: symlink_refused: links are not followed; copy the file itself"
    if not stat.S_ISREG(info.st_mode):
        what = "a folder" if stat.S_ISDIR(info.st_mode) else "a FIFO, socket or device"
        return f"{path}: not_a_regular_file: {what}, not a file; only regular files are read"
    return None


def _kind_guess(path: Path) -> str:
    """The kind a file would be read as, for recording why it was not; else "unknown"."""
    try:
        return infer_kind(path).name
    except ValueError:
        return "unknown"


def _failed(path: Path, kind: str, error: str, sha: str | None = None) -> FileReport:
    # without bytes to hash, the failure is keyed by its path so a later retry replaces it
    key = sha or file_sha256(str(path).encode())
    return FileReport(str(path), key, kind, status="failed", error=error)


def _unchanged(path: Path, previous: list[FileReport], request: ReadRequest) -> list[FileReport]:
    """The same bytes again: unchanged, still held, or asked to be read differently."""
    differs = request.differences(previous)
    if differs:
        earlier = previous[0]
        was = ", ".join(
            f"{k}={v}" for k, v in sorted({**earlier.read_options, "kind": earlier.kind}.items())
        )
        wanted = ", ".join(f"{k}={v}" for k, v in differs.items())
        error = (
            f"{path}: already_loaded: these bytes were loaded with {was}; to read them with"
            f" {wanted}, run `release-health forget {path}` first"
        )
        return [
            FileReport(str(path), earlier.file_sha256, earlier.kind, status="failed", error=error)
        ]
    # a held file stays held, and says so with its counts; anything else is just unchanged
    return [
        replace(earlier, path=str(path))
        if earlier.held
        else FileReport(str(path), earlier.file_sha256, earlier.kind, earlier.format, "unchanged")
        for earlier in previous
    ]


@dataclass
class _Staged:
    """A file read and judged into parked temp tables, waiting for its contract verdict."""

    path: Path
    parts: list[tuple[int, RecordBatch, FileReport]] = field(default_factory=list)

    @property
    def rows(self) -> int:
        return sum(report.rows_read for _, _, report in self.parts)


#: staged rows kept waiting for one contract check; past this the check runs early
FLUSH_ROWS = 2_000_000
FLUSH_FILES = 200

#: the error a held file carries while its verdict is not committed
UNFINISHED = (
    "contract_check_unfinished: the contract check did not finish (the process stopped);"
    " its rows count nowhere"
)


class _Ingest:
    """One ingest call: files are read and judged one by one, then checked together.

    Per file, in order: a marker row (``held``, check unfinished) is committed; the contract
    check of record runs (one Great Expectations call per kind for all waiting files); then
    one transaction writes the quarantine, the rows (unless the verdict holds the file) and
    the verdict. A crash anywhere leaves either nothing or a ``held`` file whose rows count
    nowhere.
    """

    def __init__(
        self,
        conn: duckdb.DuckDBPyConnection,
        settings: Settings,
        validator: ContractValidator | None,
        progress: Callable[[FileReport], None] | None,
        accept_reason: str | None = None,
        kinds: frozenset[str] | None = None,
    ) -> None:
        self.conn, self.settings, self.validator = conn, settings, validator
        self.kinds = kinds
        self.progress = progress
        self.accept_reason = accept_reason
        self.reports: list[FileReport] = []
        self.waiting: list[_Staged] = []
        self.tags = itertools.count()
        # one timestamp window for the whole call, so its files share one check per kind
        self.parameters = contract_parameters(settings, _now())
        self.order: dict[str, int] = {}

    def _done(self, reports: list[FileReport]) -> None:
        self.reports.extend(reports)
        # reports come in input order, whenever each file's verdict was settled
        self.reports.sort(key=lambda report: self.order[report.path])
        if self.progress:
            for report in reports:
                self.progress(report)

    def add(self, path: Path, request: ReadRequest) -> None:
        self.order.setdefault(str(path), len(self.order))
        refusal = _refusal(path)
        if refusal:
            failed = _failed(path, request.kind or _kind_guess(path), refusal)
            _record_alone(self.conn, [failed])
            self._done([failed])
            return
        stamp = file_stamp(path)
        # the same path and stamp as when it was read: the same bytes, so an unchanged file
        # is not read again (every file is read in full otherwise)
        known = _stamped_sha(self.conn, path, stamp) if stamp else None
        if known and self._answered_by(known, path, request):
            return
        try:
            sha, head = hash_file(path)
        except OSError as exc:
            failed = _failed(path, request.kind or "unknown", f"{path}: cannot read: {exc}")
            _record_alone(self.conn, [failed])
            self._done([failed])
            return
        if self._answered_by(sha, path, request):
            if stamp:  # known by its bytes: by its stamp from now on
                _keep_stamp(self.conn, path, sha, stamp)
            return
        try:
            expected = kind_named(request.kind) if request.kind else infer_kind(path)
        except ValueError as exc:
            self._done([FileReport(str(path), sha, "unknown", status="failed", error=str(exc))])
            return
        outcome = self._stage(path, sha, head, expected, request, stamp)
        if isinstance(outcome, _Staged):
            self.waiting.append(outcome)
            if (
                len(self.waiting) >= FLUSH_FILES
                or sum(staged.rows for staged in self.waiting) >= FLUSH_ROWS
            ):
                self.flush()
        else:
            _record_alone(self.conn, outcome)
            self._done(outcome)

    def _answered_by(self, sha: str, path: Path, request: ReadRequest) -> bool:
        """Whether the warehouse holds these bytes already (for the kinds loaded here), so the
        file is reported unchanged, still held or read differently, and not loaded again."""
        previous = [
            p for p in _previous(self.conn, sha) if self.kinds is None or p.kind in self.kinds
        ]
        if not previous or (self.accept_reason and any(p.held for p in previous)):
            return False
        self._done(_unchanged(path, previous, request))
        return True

    def _stage(
        self,
        path: Path,
        sha: str,
        head: bytes,
        expected: Kind,
        request: ReadRequest,
        stamp: Stamp | None,
    ) -> _Staged | list[FileReport]:
        base = FileReport(
            str(path),
            sha,
            expected.name,
            read_options=request.options(),
            **_stamp_columns(stamp),
        )
        if len(head) < HEAD_BYTES and not head.strip(b"\xef\xbb\xbf \t\r\n"):
            base.status, base.error = "empty", "file is empty"
            return [base]
        staged = _Staged(path)
        try:
            base.format = detect_format(path, head, request.fmt)
            options = ReadOptions(
                settings=self.settings,
                environment=request.environment,
                captured_at=request.captured_at,
                file_mtime=dt.datetime.fromtimestamp(path.stat().st_mtime, tz=dt.UTC),
            )
            for batch in read_file(path, head, expected, base.format, options):
                if self.kinds is not None and batch.kind.name not in self.kinds:
                    continue  # another call (another asset) loads that kind of record
                report = replace(
                    base,
                    kind=batch.kind.name,
                    format=batch.format,
                    read_options=request.options(),
                )
                tag = next(self.tags)
                stage_batch(
                    self.conn,
                    batch,
                    report,
                    self.settings,
                    checked=self.validator is not None,
                    parameters=self.parameters,
                )
                park_stage(self.conn, tag)
                staged.parts.append((tag, batch, report))
        except (UnreadableFile, ValueError) as exc:
            self._drop(staged)
            drop_stage(self.conn)
            base.status, base.error = "failed", str(exc)
            return [base]
        except (duckdb.Error, AssertionError) as exc:
            self._drop(staged)
            drop_stage(self.conn)
            base.status, base.error = "failed", f"{path}: reading failed: {exc}"
            return [base]
        if not staged.parts:
            if self.kinds is not None and base.kind not in self.kinds:
                base.kind = min(self.kinds)
            base.status, base.error = "empty", f"holds no {base.kind} records"
            return [base]
        # the marker: until the verdict is committed with the rows, the file is held
        _record_alone(
            self.conn,
            [replace(report, status="held", error=UNFINISHED) for _, _, report in staged.parts],
        )
        return staged

    def _drop(self, staged: _Staged) -> None:
        for tag, _, _ in staged.parts:
            drop_stage(self.conn, tag)

    def flush(self) -> None:
        """Run the contract check for every waiting file, then commit each file's verdict.

        The check runs in a thread while the first file's rows are written: GX spends its time
        in Python and DuckDB writes without holding the interpreter, so the two overlap. The
        rows are written as though the check will agree, and the transaction commits only once
        its verdict is in; where the verdict holds a file, the transaction is rolled back and
        written again without its rows.
        """
        waiting, self.waiting = self.waiting, []
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="contract-check") as thread:
            check = self._check(waiting, thread) if self.validator else None
            for staged in waiting:
                self._commit(staged, check)

    def _check(self, waiting: list[_Staged], thread: ThreadPoolExecutor) -> _Check:
        by_kind: dict[str, list[tuple[FileReport, RecordBatch, int]]] = {}
        for staged in waiting:
            for tag, batch, report in staged.parts:
                if report.contract_status == "pending":
                    by_kind.setdefault(batch.kind.name, []).append((report, batch, tag))
        # the rows GX validates are read here: the connection stays with this thread
        requests = [
            (items, items[0][1].kind, [self._candidates(tag) for _, _, tag in items])
            for items in by_kind.values()
        ]
        validator = self.validator

        def validate() -> list[tuple[list[FileReport], list[tuple[str, dict[str, Any]]]]]:
            return [
                ([report for report, _, _ in items], validator(kind, frames))
                for items, kind, frames in requests
            ]

        return _Check(self.settings, thread.submit(validate))

    def _candidates(self, tag: int) -> Part:
        unpark_stage(self.conn, tag)
        try:
            frame, verdict, stride = contract_frame(
                self.conn, self.settings.contracts.check_sample_rows
            )
            return Part(frame, verdict, self.parameters, stride)
        finally:
            park_stage(self.conn, tag)

    def _counts(self, report: FileReport, now: dt.datetime) -> bool:
        """Whether the file's rows will count: so far as its verdict is known, the check
        agreeing where it is still running."""
        probe = replace(report)
        if probe.contract_status == "pending":
            probe.contract_status = "passed"
            apply_reject_ratio(probe, self.settings)
        _settle([probe], self.accept_reason, now)
        return probe.status in COUNTED

    def _commit(self, staged: _Staged, check: _Check | None) -> None:
        """One transaction: quarantine, rows (unless held) and the verdict of every part."""
        now = _now()
        reports = [report for _, _, report in staged.parts]

        def write() -> None:
            counted = []
            for tag, batch, report in staged.parts:
                if self.accept_reason is not None:  # its held verdict quarantined these
                    self.conn.execute(
                        "DELETE FROM quarantine.rejected_rows"
                        " WHERE file_sha256 = $sha AND kind = $kind",
                        {"sha": report.file_sha256, "kind": report.kind},
                    )
                unpark_stage(self.conn, tag)
                counted.append(self._counts(report, now))
                write_batch(self.conn, batch, report, self.settings, now, rows_count=counted[-1])
                # set aside again, not dropped: a commit that collides with another writer's
                # is written again, and the local temp tables may outlive its rollback
                park_stage(self.conn, tag)
            if check is not None:
                _store_validations(self.conn, check.verdicts(reports), now)
            _settle(reports, self.accept_reason, now)
            if [report.status in COUNTED for report in reports] != counted:
                raise _VerdictDiffers
            for report in reports:
                _record(self.conn, report, now)

        try:
            try:
                in_transaction(self.conn, write)
            except _VerdictDiffers:  # rolled back: written again now that the verdict is known
                in_transaction(self.conn, write)
            if check is not None:
                check.stored.update(_validation_ids(reports))
            self._drop(staged)
        except duckdb.Error as exc:
            self._drop(staged)
            drop_stage(self.conn)
            error = f"{staged.path}: loading failed and was rolled back: {exc}"
            reports = [replace(r, status="failed", error=error) for r in reports]
            _record_alone(self.conn, reports)
        self._done(reports)


#: the statuses under which a file's rows count
COUNTED = frozenset({"loaded", "accepted", "empty"})


class _VerdictDiffers(Exception):
    """A file's verdict does not count its rows as they were written (expecting the check to
    agree), or the other way round."""


class _Check:
    """The contract check of one flush, running in its thread; its verdicts, once in, are
    set on the files' reports."""

    def __init__(self, settings: Settings, running: Future) -> None:
        self.settings, self.running = settings, running
        self.validations: dict[str, Validation] | None = None
        #: the GX results already committed with an earlier file
        self.stored: set[str] = set()

    def verdicts(self, reports: list[FileReport]) -> list[Validation]:
        """Wait for the check; the GX results of ``reports`` not yet stored."""
        if self.validations is None:
            self.validations = {}
            for checked, verdicts in self.running.result():
                for report, (status, detail) in zip(checked, verdicts, strict=True):
                    validation = detail.pop(VALIDATION, None)
                    if validation is not None:
                        self.validations[validation.validation_id] = validation
                    report.contract_status, report.contract_detail = status, detail
                    apply_reject_ratio(report, self.settings)
        wanted = _validation_ids(reports) - self.stored
        return [self.validations[key] for key in sorted(wanted) if key in self.validations]


def _validation_ids(reports: list[FileReport]) -> set[str]:
    """The GX results the reports' verdicts came from (none for a file GX did not check)."""
    return {
        validation_id
        for report in reports
        if (validation_id := (report.contract_detail or {}).get("validation_id"))
    }


def _store_validations(
    conn: duckdb.DuckDBPyConnection, validations: list[Validation], now: dt.datetime
) -> None:
    """Keep GX's result of each check (``raw.contract_validations``) for the Data Docs, in the
    transaction (and with the moment) of the first file it judged."""
    if not validations:
        return
    conn.executemany(
        "INSERT INTO raw.contract_validations VALUES (?, ?, ?, ?, ?, ?)",
        [
            [
                v.validation_id,
                v.kind,
                v.suite,
                now,
                bool(v.document.get("success")),
                json.dumps(v.document, default=str),
            ]
            for v in validations
        ],
    )


def _settle(reports: list[FileReport], accept_reason: str | None, now: dt.datetime) -> None:
    """Each part's status from its contract verdict (or a person's acceptance)."""
    for report in reports:
        if accept_reason is not None:
            report.status, report.error = "accepted", None
            report.accepted_at, report.accept_reason = now, accept_reason
        elif report.contract_status in {"failed", "disagreed"}:
            report.status, report.error = "held", hold_reason(report)
        elif report.status != "empty":
            report.status = "loaded"


def hold_reason(report: FileReport) -> str:
    """One line: why the contract holds this file."""
    detail = report.contract_detail or {}
    if "reject_ratio" in detail:
        return (
            f"reject_ratio: {detail['reject_ratio']:.0%} of its rows were rejected"
            f" (limit contracts.max_reject_ratio {detail['max_reject_ratio']:.0%});"
            " its rows count nowhere"
        )
    failed = ", ".join(detail.get("failed_expectations", [])[:3]) or "see contract_detail"
    errors = "; ".join(str(e) for e in detail.get("errors", [])[:1])
    return (
        "contract_disagreed: the Great Expectations check and the quarantine disagree"
        f" ({errors or failed}); its rows count nowhere"
    )


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
    accept_reason: str | None = None,
    kinds: Iterable[str] | None = None,
) -> list[FileReport]:
    """Load files and folders (recursively); one transaction per file; never stops early.

    The contract check of record runs once per kind for the files waiting for it; a file's
    rows count only once its verdict is committed with them. With ``kinds``, only records of
    those kinds are loaded (an Argo CD export holds deployments and inventory: each staging
    asset loads its own).
    """
    request = ReadRequest(kind, fmt, environment, captured_at)
    wanted = frozenset(kinds) if kinds is not None else None
    ingest = _Ingest(conn, settings, validator, progress, accept_reason, wanted)
    try:
        for path in expand_paths(paths):
            ingest.add(path, request)
        ingest.flush()
    finally:
        for staged in ingest.waiting:
            ingest._drop(staged)
    return ingest.reports


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
) -> list[FileReport]:
    """Load one file; return one report per kind of record it held."""
    return ingest_paths(
        conn,
        [path],
        settings,
        kind=kind,
        fmt=fmt,
        environment=environment,
        captured_at=captured_at,
        validator=validator,
    )


#: inbox files of another kind's folder that may also hold records of this kind
DOCUMENT_SUFFIXES = frozenset(suffix for suffix, fmt in EXTENSIONS.items() if fmt != "csv")


def ingest_inbox(
    conn: duckdb.DuckDBPyConnection,
    settings: Settings,
    kind: str,
    validator: ContractValidator | None = None,
) -> list[FileReport]:
    """Load the new records of one kind from the inbox: the files of ``<inbox_dir>/<kind>/``,
    and for deployments also the exports in ``inventory/`` that hold deployment history
    (Argo CD), so those rows pass the deployments contract like any other."""
    paths = [settings.inbox_path / kind]
    if kind == "deployments":
        paths += [
            path
            for path in expand_paths([settings.inbox_path / "inventory"])
            if path.suffix.lower() in DOCUMENT_SUFFIXES
        ]
    existing = [path for path in paths if path.exists() or path.is_symlink()]
    return ingest_paths(conn, existing, settings, validator=validator, kinds=[kind])


__all__ = ["FileReport", "ingest_file", "ingest_inbox", "ingest_paths"]
