"""The outcome of loading one file: one ``raw.ingested_files`` row per kind of record."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any


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
    #: the file's records by a count independent of the reader (None: no such count)
    records_counted: int | None = None
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
        """read = accepted + rejected + duplicate, and read = the independent count."""
        counted = self.records_counted is None or self.records_counted == self.rows_read
        return counted and (
            self.rows_read == self.rows_accepted + self.rows_rejected + self.rows_duplicate
        )
