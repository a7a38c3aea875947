"""CSV files, parsed by DuckDB straight into the warehouse connection.

The header is read in Python (to find the delimiter, map column names and check that the
required fields are there); the body is read by DuckDB's CSV reader into ``raw_batch`` with
generated column names ``c0, c1, ...`` renamed to the kind's fields. Rows the reader rejects
(ragged, badly quoted, not UTF-8) become parse rejects with their line. Names taken from the
file only ever reach SQL as bound parameters.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa

from assets.ingest.batches import (
    ParseReject,
    RecordBatch,
    UnreadableFile,
    canonical_name,
    stage_parse_rejects,
)
from assets.ingest.kinds import Kind

DELIMITERS = (",", ";", "\t", "|")
_ERROR_CODES = {
    "TOO MANY COLUMNS": "ragged_row",
    "MISSING COLUMNS": "ragged_row",
    "INVALID ENCODING": "invalid_encoding",
    "UNQUOTED VALUE": "malformed_csv",
    "INVALID STATE": "malformed_csv",
    "LINE SIZE OVER MAXIMUM": "line_too_long",
}
_COLUMN_COUNTS = re.compile(r"Expected Number of Columns: (\d+) Found: (\d+)")


def read_header(data: bytes, path: Path) -> tuple[list[str], str]:
    """The header's column names and the delimiter (the most frequent of , ; tab |)."""
    first_line = data.split(b"\n", 1)[0].rstrip(b"\r")
    try:
        text = first_line.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UnreadableFile(
            f"{path.name}: header line is not UTF-8 (byte {exc.start + 1}); save the file as UTF-8"
        ) from None
    delimiter = max(DELIMITERS, key=text.count)
    if not text.count(delimiter):
        delimiter = ","
    return next(csv.reader(io.StringIO(text), delimiter=delimiter), []), delimiter


@dataclass
class CsvBatch(RecordBatch):
    """A CSV file of one kind, staged by DuckDB's reader (see the module docstring)."""

    path: Path | None = None
    header: list[str] = field(default_factory=list)
    delimiter: str = ","
    #: per header column: ("field", name) | ("map", field, key) | ("extra", key)
    roles: list[tuple[str, ...]] = field(default_factory=list)

    @classmethod
    def open(cls, path: Path, head: bytes, kind: Kind, column_map: dict[str, str]) -> CsvBatch:
        """Read and check the header; the body is read by :meth:`materialize`."""
        if b"\n" not in head:  # a header longer than the head read so far
            with path.open("rb") as handle:
                head = handle.readline()
        header, delimiter = read_header(head, path)
        names = [canonical_name(name, column_map) for name in header]
        missing = [name for name in kind.required if name not in names]
        if missing:
            raise UnreadableFile(
                f"{path.name}: no column for required field(s) {', '.join(missing)}"
                f" (header: {', '.join(header)}); rename them or map them with column_map"
            )
        fields = [name for name in names if name in kind.fields]
        if len(set(fields)) != len(fields):
            raise UnreadableFile(f"{path.name}: header names a field twice: {header}")
        prefixes = dict(kind.map_fields)
        roles: list[tuple[str, ...]] = []
        for original, name in zip(header, names, strict=True):
            target = next((f for f, p in prefixes.items() if name.startswith(p)), None)
            if name in kind.fields:
                roles.append(("field", name))
            elif target:
                roles.append(("map", target, original.strip()[len(prefixes[target]) :]))
            else:
                roles.append(("extra", original))
        batch = cls(kind=kind, format="csv", source="canonical", path=path)
        batch.header, batch.delimiter, batch.roles = header, delimiter, roles
        batch.record_sql, batch.record_params = batch._record_expression()
        return batch

    # -- SQL built from the header: our identifiers, the file's names as parameters -------------

    def _columns(self, role: str, target: str | None = None) -> list[tuple[int, str]]:
        return [
            (i, r[-1])
            for i, r in enumerate(self.roles)
            if r[0] == role and (target is None or r[1] == target)
        ]

    def _map_json(self, entries: list[tuple[int, str]], name: str, params: dict[str, Any]) -> str:
        """JSON object text of the given (column, key) entries, keys sorted, nulls dropped."""
        entries = sorted(entries, key=lambda entry: entry[1])
        params[name] = [key for _, key in entries]
        values = ", ".join(f"c{i}" for i, _ in entries)
        return (
            f"CAST(to_json(map_from_entries(list_filter("
            f"map_entries(map(${name}, [{values}])), e -> e.value IS NOT NULL))) AS VARCHAR)"
        )

    def _named_select(self) -> tuple[str, dict[str, Any]]:
        params: dict[str, Any] = {}
        positions = {r[1]: i for i, r in enumerate(self.roles) if r[0] == "field"}
        selects = ["record_number"]
        for name in self.kind.fields:
            map_entries = self._columns("map", name)
            if name in positions:
                selects.append(f'c{positions[name]} AS "{name}"')
            elif map_entries:
                selects.append(f'{self._map_json(map_entries, f"map_{name}", params)} AS "{name}"')
            else:
                selects.append(f'CAST(NULL AS VARCHAR) AS "{name}"')
        extras = self._columns("extra")
        if extras:
            keys = [key for _, key in sorted(extras, key=lambda e: e[1])]
            params["extra_keys"] = keys
            values = ", ".join(f"c{i}" for i, _ in sorted(extras, key=lambda e: e[1]))
            selects.append(f"CAST(to_json(map($extra_keys, [{values}])) AS VARCHAR) AS extra")
        else:
            selects.append("CAST(NULL AS VARCHAR) AS extra")
        return ", ".join(selects), params

    def _record_expression(self) -> tuple[str, dict[str, Any]]:
        """The record as read, rebuilt from ``raw_batch r`` (header order, header names)."""
        parts = []
        for role in self.roles:
            if role[0] == "field":
                parts.append(f'r."{role[1]}"')
            else:
                column = role[1] if role[0] == "map" else "extra"
                parts.append(f"json_extract_string(r.{column}, $record_key_{len(parts)})")
        params = {
            f"record_key_{i}": ("$." + _json_path_key(role[-1]))
            for i, role in enumerate(self.roles)
            if role[0] != "field"
        }
        params["record_header"] = list(self.header)
        return f"to_json(map($record_header, [{', '.join(parts)}]))", params

    # -- reading -------------------------------------------------------------------------------

    def materialize(self, conn: duckdb.DuckDBPyConnection) -> None:
        select, params = self._named_select()
        try:
            conn.execute(
                f"CREATE OR REPLACE TEMP TABLE raw_batch AS SELECT {select} FROM ("
                " SELECT row_number() OVER () AS record_number, *"
                " FROM read_csv($path, all_varchar = true, header = true, delim = $delim,"
                " quote = '\"', escape = '\"', null_padding = false, auto_detect = false,"
                " store_rejects = true, rejects_table = 'rh_csv_rejects',"
                " rejects_scan = 'rh_csv_scans', columns = $columns))",
                {
                    **params,
                    "path": str(self.path),
                    "delim": self.delimiter,
                    "columns": {f"c{i}": "VARCHAR" for i in range(len(self.header))},
                },
            )
            errors = conn.execute(
                "SELECT line, list(error_type::VARCHAR ORDER BY column_idx),"
                " first(csv_line), first(error_message)"
                " FROM rh_csv_rejects GROUP BY line ORDER BY line"
            ).fetchall()
        except duckdb.Error as exc:
            raise UnreadableFile(f"{self.path.name}: not readable as CSV: {exc}") from None
        rejects = self._rejects(errors)
        (rows,) = conn.execute("SELECT count(*) FROM raw_batch").fetchone()
        if rejects:
            self._renumber(conn, rows, rejects)
        stage_parse_rejects(conn, rejects)
        self.records_read = int(rows) + len(rejects)

    def _rejects(self, errors: list[tuple]) -> list[ParseReject]:
        # the reader's copy of a line loses bytes it cannot decode: quote the file's own line
        lines = _lines(self.path, {int(line) for line, *_ in errors}) if errors else {}
        return [
            ParseReject(
                record_number=int(line) - 1,
                record={"csv_line": lines.get(int(line), csv_line)},
                reasons=[_reason(t, line, message) for t in dict.fromkeys(types)],
            )
            for line, types, csv_line, message in errors
        ]

    @staticmethod
    def _renumber(conn: duckdb.DuckDBPyConnection, rows: int, rejects: list[ParseReject]) -> None:
        """Good rows keep file order; their record numbers are the ones rejects did not take.

        (A record is a data line; a quoted field spanning lines shifts the numbers after it.)
        """
        taken = np.array([r.record_number for r in rejects], dtype=np.int64)
        numbers = np.setdiff1d(np.arange(1, rows + len(rejects) + 1, dtype=np.int64), taken)
        mapping = pa.table({"ordinal": np.arange(1, rows + 1, dtype=np.int64), "number": numbers})
        conn.register("record_numbers", mapping)
        conn.execute(
            "CREATE OR REPLACE TEMP TABLE raw_batch AS"
            " SELECT m.number AS record_number, r.* EXCLUDE (record_number)"
            " FROM raw_batch r JOIN record_numbers m ON m.ordinal = r.record_number"
        )
        conn.unregister("record_numbers")


def _json_path_key(key: str) -> str:
    """A map key as a quoted JSON path member."""
    return '"' + key.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _lines(path: Path, wanted: set[int]) -> dict[int, str]:
    """The given (1-based) lines of a file, decoded leniently, read in one pass."""
    found = {}
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            if number in wanted:
                found[number] = raw.rstrip(b"\r\n").decode("utf-8", errors="replace")
                if len(found) == len(wanted):
                    break
    return found


def _reason(error_type: str, line: int, message: str) -> str:
    code = _ERROR_CODES.get(error_type, "malformed_csv")
    counts = _COLUMN_COUNTS.search(message or "")
    if code == "ragged_row" and counts:
        return f"{code}: line {line}: expected {counts[1]} fields, found {counts[2]}"
    return f"{code}: line {line}: {message}"
