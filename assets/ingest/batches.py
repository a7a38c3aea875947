"""Record batches: one file's records of one kind, staged as text in the warehouse connection.

A batch materialises two temporary tables that the kind's SQL and the loader read:

* ``raw_batch``: ``record_number``, every canonical field of the kind as text, ``extra``
  (JSON text of fields the kind does not know, or null) and whatever the batch needs to
  rebuild the record as read (:attr:`RecordBatch.record_sql`);
* ``parse_rejects``: records the reader could not turn into fields (a ragged CSV row, a JSON
  line that is not an object), with their record number, raw text and reasons.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import duckdb
import pyarrow as pa

from assets.ingest.kinds import Kind

NUMBER_COLUMN = "record_number"
EXTRA_COLUMN = "extra"
RECORD_COLUMN = "__record"
PARSE_REJECTS_SCHEMA = pa.schema(
    [("record_number", pa.int64()), ("record", pa.string()), ("reasons", pa.list_(pa.string()))]
)


class UnreadableFile(Exception):
    """The file as a whole cannot be read (wrong encoding, not CSV/JSON/YAML, no usable header)."""


def canonical_name(name: str, column_map: Mapping[str, str]) -> str:
    """A column name as the kind knows it: mapped by ``column_map``, else normalised."""
    stripped = name.strip().lstrip("\ufeff")
    if stripped in column_map:
        return column_map[stripped]
    lowered = stripped.lower()
    if lowered in column_map:
        return column_map[lowered]
    return lowered.replace(" ", "_").replace("-", "_")


@dataclass
class ParseReject:
    record_number: int
    record: Any
    reasons: list[str]


def stage_parse_rejects(conn: duckdb.DuckDBPyConnection, rejects: list[ParseReject]) -> None:
    """Create temp table ``parse_rejects`` from reader rejects."""
    table = pa.table(
        {
            "record_number": [r.record_number for r in rejects],
            "record": [json.dumps(r.record) for r in rejects],
            "reasons": [r.reasons for r in rejects],
        },
        schema=PARSE_REJECTS_SCHEMA,
    )
    conn.register("parse_rejects_arrow", table)
    conn.execute(
        "CREATE OR REPLACE TEMP TABLE parse_rejects AS"
        " SELECT record_number, CAST(record AS JSON) AS record, reasons FROM parse_rejects_arrow"
    )
    conn.unregister("parse_rejects_arrow")


@dataclass
class RecordBatch:
    """What every batch offers the loader (see the module docstring)."""

    kind: Kind
    format: str
    source: str
    #: records read, valid once materialised (accepted + rejected + duplicate)
    records_read: int = 0
    #: records in the file by a count independent of the reader (physical lines, top-level
    #: items), or None where the format has none; reconciliation compares the two
    records_counted: int | None = None
    #: entries of the file deliberately not read as records, by reason code (see FileReport)
    records_skipped: dict[str, int] = field(default_factory=dict)
    #: SQL expression over ``raw_batch r`` giving the record as read, as JSON
    record_sql: str = "NULL"
    record_params: dict[str, Any] = field(default_factory=dict)

    def materialize(self, conn: duckdb.DuckDBPyConnection) -> None:
        raise NotImplementedError


@dataclass
class ArrowBatch(RecordBatch):
    """Records already parsed in Python (JSON, JSON Lines, YAML, native exports).

    ``table`` holds ``record_number``, the canonical fields and ``extra`` as strings, and
    ``__record``, the JSON text of each record as read.
    """

    table: pa.Table | None = None
    rejects: list[ParseReject] = field(default_factory=list)
    record_sql: str = f"CAST(r.{RECORD_COLUMN} AS JSON)"

    def materialize(self, conn: duckdb.DuckDBPyConnection) -> None:
        conn.register("raw_batch_arrow", self.table)
        conn.execute("CREATE OR REPLACE TEMP TABLE raw_batch AS SELECT * FROM raw_batch_arrow")
        conn.unregister("raw_batch_arrow")
        stage_parse_rejects(conn, self.rejects)
        self.records_read = self.table.num_rows + len(self.rejects)
