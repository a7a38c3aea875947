"""The outcome of loading one file: one ``raw.ingested_files`` row per kind of record."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Any


@dataclass
class FileReport:
    """What happened to one (file, kind): the row written to ``raw.ingested_files``."""

    path: str
    file_sha256: str
    kind: str
    format: str | None = None
    #: loaded | empty | failed | held | accepted | forgotten; ``unchanged`` (the same bytes
    #: again) is only reported, never stored
    status: str = "loaded"
    rows_read: int = 0
    rows_accepted: int = 0
    rows_rejected: int = 0
    rows_duplicate: int = 0
    #: the file's records by a count independent of the reader (None: no such count)
    records_counted: int | None = None
    rows_inserted: int = 0
    rows_updated: int = 0
    error: str | None = None
    first_event_at: dt.datetime | None = None
    last_event_at: dt.datetime | None = None
    contract_status: str | None = None
    contract_detail: dict[str, Any] | None = None
    #: the caller's options that change what the bytes mean (format, environment, captured_at)
    read_options: dict[str, str] = field(default_factory=dict)
    accepted_at: dt.datetime | None = None
    accept_reason: str | None = None
    forgotten_at: dt.datetime | None = None
    reasons: dict[str, int] = field(default_factory=dict)
    #: entries of a native export that are not records of the kind, by reason (pods of Jobs,
    #: CI runs of workflows that do not deploy): not rows, but counted so none is lost unseen
    records_skipped: dict[str, int] = field(default_factory=dict)
    #: the file's size, modification and change times (ns) when it was read, if it had been
    #: left alone for a while by then (:func:`assets.ingest.loader.file_stamp`): a file at the
    #: same path with the same stamp is known without being read again
    file_size: int | None = None
    file_mtime_ns: int | None = None
    file_ctime_ns: int | None = None

    @property
    def failed(self) -> bool:
        return self.status == "failed"

    @property
    def held(self) -> bool:
        return self.status == "held"

    def reconciles(self) -> bool:
        """read = accepted + rejected + duplicate, and read = the independent count."""
        counted = self.records_counted is None or self.records_counted == self.rows_read
        return counted and (
            self.rows_read == self.rows_accepted + self.rows_rejected + self.rows_duplicate
        )


def error_without_name(path: str, error: str | None) -> str | None:
    """An error without the file name it starts with, for a line that names the file already."""
    for prefix in (f"{path}: ", f"{PurePath(path).name}: "):
        if error and error.startswith(prefix):
            return error[len(prefix) :]
    return error
