"""CSV files, parsed by DuckDB straight into the warehouse connection.

The header is read in Python (to find the delimiter, map column names and check that the
required fields are there); the body is read by DuckDB's CSV reader into ``raw_batch`` with
generated column names ``c0, c1, ...`` renamed to the kind's fields. Rows the reader rejects
(ragged, badly quoted, not UTF-8, longer than ``limits.max_line_bytes``) become parse rejects
with their line. Names taken from the file only ever reach SQL as bound parameters.

Every record is accounted for by a byte scan of its own (:func:`scan_layout`), which sets
``records_counted``: the loader fails the file when DuckDB read a different number.

What the scan finds that DuckDB would lose or misread is handled before DuckDB sees the file:

* a quote opened and never closed: the rows before it load; the record it starts and every
  line after it are quarantined ``unclosed_quote``, one record per line;
* a run of NUL bytes ending the file (an interrupted write): the rows before it load; the run
  is one quarantined ``nul_bytes`` record;
* line ends mixed within the file (``\\r\\n``, ``\\n``, lone ``\\r``): DuckDB reads a copy with
  every line end outside quotes written as ``\\n`` (values inside quotes are left as written);
* a path holding ``*``, ``?`` or ``[``: DuckDB would expand it as a pattern, so it gets the path
  with those characters escaped (or a private copy).

Header rules: a BOM, quoted names and CR, LF or CRLF line ends read like a clean header. A
column whose name is empty (a spreadsheet's trailing comma) is ignored while its cells are
empty; a value in it is kept in ``extra`` under ``column <n>`` (n = its 1-based position), so
nothing is lost and the row still loads. Names the kind does not know go to ``extra`` under
their own text; a name repeated there is kept as ``<name> (column <n>)``.
"""

from __future__ import annotations

import csv
import io
import re
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

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
from assets.settings import Limits

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
_LINE_BREAK = re.compile(rb"\r\n|\r|\n")
_BOM = b"\xef\xbb\xbf"
#: how much of a quarantined line is kept when the line is over the limit
PREVIEW_CHARS = 200


# -- the header ------------------------------------------------------------------------------


def header_end(data: bytes) -> tuple[int | None, bool]:
    """(offset just past the first line end outside quotes or None, whether a quote is open)."""
    in_quote = False
    for match in re.finditer(rb'["\r\n]', data):
        if match.group() == b'"':
            in_quote = not in_quote
        elif not in_quote:
            at = match.start()
            return (at + 2 if data[at : at + 2] == b"\r\n" else at + 1), False
    return None, in_quote


def read_header(line: bytes, path: Path) -> tuple[list[str], str]:
    """The header's column names and the delimiter (the most frequent of , ; tab |).

    ``line`` is the header record (BOM and line end may still be on it).
    """
    try:
        text = line.decode("utf-8-sig").rstrip("\r\n")
    except UnicodeDecodeError as exc:
        raise UnreadableFile(
            f"{path.name}: invalid_encoding: the header line is not UTF-8 (byte {exc.start + 1});"
            " save the file as UTF-8"
        ) from None
    delimiter = max(DELIMITERS, key=text.count)
    if not text.count(delimiter):
        delimiter = ","
    # newline="" keeps a quoted name's own line breaks for the csv module to read
    return next(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter), []), delimiter


def _header_line(path: Path, head: bytes, limits: Limits) -> bytes:
    """The header record's bytes, reading no more than the line limit allows."""
    wanted = limits.max_line_bytes + len(_BOM) + len(b"\r\n")
    end, open_quote = header_end(head[:wanted])
    if end is None and len(head) < wanted:
        with path.open("rb") as handle:
            head = handle.read(wanted)
        end, open_quote = header_end(head)
    if open_quote and len(head) < wanted:
        raise UnreadableFile(
            f"{path.name}: unclosed_quote: line 1 (the header) opens a quote it never closes"
        )
    line = head[:end] if end is not None else head
    if len(line.removeprefix(_BOM).rstrip(b"\r\n")) > limits.max_line_bytes:
        raise UnreadableFile(
            f"{path.name}: line_too_long: line 1 (the header) is longer than"
            f" limits.max_line_bytes ({limits.max_line_bytes} bytes)"
        )
    return line


def peek_header(path: Path, head: bytes, limits: Limits) -> list[str]:
    """The header's column names, read as :meth:`CsvBatch.open` reads them."""
    return read_header(_header_line(path, head, limits), path)[0]


def _column_keys(header: list[str]) -> list[str]:
    """A distinct key per column: its name, ``column <n>`` when it has none, and
    ``<name> (column <n>)`` when the name was taken by an earlier column."""
    keys: list[str] = []
    for position, name in enumerate(header, start=1):
        key = name if name.strip() else f"column {position}"
        if key in keys:
            key = f"{name} (column {position})"
        while key in keys:  # only a header built to collide gets here
            key += "'"
        keys.append(key)
    return keys


@dataclass
class CsvBatch(RecordBatch):
    """A CSV file of one kind, staged by DuckDB's reader (see the module docstring)."""

    path: Path | None = None
    header: list[str] = field(default_factory=list)
    delimiter: str = ","
    limits: Limits = field(default_factory=Limits)
    #: per header column: ("field", name) | ("map", field, key) | ("extra", key)
    #: | ("unnamed", key) (no name: in ``extra`` only when it holds a value)
    roles: list[tuple[str, ...]] = field(default_factory=list)

    @classmethod
    def open(
        cls,
        path: Path,
        head: bytes,
        kind: Kind,
        column_map: dict[str, str],
        limits: Limits | None = None,
        source: str = "canonical",
    ) -> CsvBatch:
        """Read and check the header; the body is read by :meth:`materialize`."""
        limits = limits or Limits()
        header, delimiter = read_header(_header_line(path, head, limits), path)
        names = [canonical_name(name, column_map) for name in header]
        missing = [name for name in kind.required if name not in names]
        if missing:
            raise UnreadableFile(
                f"{path.name}: missing_column: no column for required field(s) {', '.join(missing)}"
                f" (header: {', '.join(header)}); rename them or map them with column_map"
            )
        fields = [name for name in names if name in kind.fields]
        if len(set(fields)) != len(fields):
            raise UnreadableFile(
                f"{path.name}: duplicate_column: the header names a field twice: {header}"
            )
        prefixes = dict(kind.map_fields)
        roles: list[tuple[str, ...]] = []
        for original, name, key in zip(header, names, _column_keys(header), strict=True):
            target = next((f for f, p in prefixes.items() if name.startswith(p)), None)
            if not original.strip():
                roles.append(("unnamed", key))
            elif name in kind.fields:
                roles.append(("field", name))
            elif target:
                roles.append(("map", target, original.strip()[len(prefixes[target]) :]))
            else:
                roles.append(("extra", key))
        batch = cls(kind=kind, format="csv", source=source, path=path, limits=limits)
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

    def _extra_select(self, params: dict[str, Any]) -> str:
        """``extra``: unknown columns (nulls kept), unnamed ones only where they hold a value."""
        parts = []
        for role, name in (("extra", "extra_keys"), ("unnamed", "unnamed_keys")):
            entries = sorted(self._columns(role), key=lambda e: e[1])
            if not entries:
                continue
            params[name] = [key for _, key in entries]
            mapping = f"map(${name}, [{', '.join(f'c{i}' for i, _ in entries)}])"
            if role == "unnamed":
                mapping = (
                    f"map_from_entries(list_filter(map_entries({mapping}),"
                    " e -> e.value IS NOT NULL))"
                )
            parts.append(mapping)
        if not parts:
            return "CAST(NULL AS VARCHAR) AS extra"
        if "unnamed_keys" not in params:
            return f"CAST(to_json({parts[0]}) AS VARCHAR) AS extra"
        merged = parts[0] if len(parts) == 1 else f"map_concat({', '.join(parts)})"
        return f"NULLIF(CAST(to_json({merged}) AS VARCHAR), '{{}}') AS extra"

    def _named_select(self) -> tuple[str, dict[str, Any]]:
        params: dict[str, Any] = {}
        positions = {r[1]: i for i, r in enumerate(self.roles) if r[0] == "field"}
        selects = []
        for name in self.kind.fields:
            map_entries = self._columns("map", name)
            if name in positions and map_entries:
                # a map column and map.<key> columns: the keys join the map (theirs win); a
                # column that is not a JSON object is rejected whole, its record kept
                column, entries = (
                    f"c{positions[name]}",
                    self._map_json(map_entries, f"map_{name}", params),
                )
                selects.append(
                    f"CASE WHEN json_valid({column}) AND json_type({column}) = 'OBJECT'"
                    f" THEN CAST(json_merge_patch({column}, {entries}) AS VARCHAR)"
                    f' ELSE {column} END AS "{name}"'
                )
            elif name in positions:
                selects.append(f'c{positions[name]} AS "{name}"')
            elif map_entries:
                selects.append(f'{self._map_json(map_entries, f"map_{name}", params)} AS "{name}"')
            else:
                selects.append(f'CAST(NULL AS VARCHAR) AS "{name}"')
        selects.append(self._extra_select(params))
        return ", ".join(selects), params

    def _record_expression(self) -> tuple[str, dict[str, Any]]:
        """The record as read, rebuilt from ``raw_batch r`` (header order, column keys).

        Values kept as JSON text are looked up by key as a bound parameter, never through a
        JSON path (a name like ``*`` would be a wildcard there).
        """
        keys = _column_keys(self.header)
        named: list[str] = []
        unnamed: list[str] = []
        params: dict[str, Any] = {"record_header": [], "record_unnamed": []}
        for i, role in enumerate(self.roles):
            if role[0] == "field":
                value = f'r."{role[1]}"'
            else:
                column = role[1] if role[0] == "map" else "extra"
                params[f"record_key_{i}"] = role[-1]
                value = f"CAST(CAST(r.{column} AS JSON) AS MAP(VARCHAR, VARCHAR))[$record_key_{i}]"
            target = unnamed if role[0] == "unnamed" else named
            params["record_unnamed" if role[0] == "unnamed" else "record_header"].append(keys[i])
            target.append(value)
        record = f"map($record_header, [{', '.join(named)}])"
        if unnamed:
            record = (
                f"map_concat({record}, map_from_entries(list_filter(map_entries("
                f"map($record_unnamed, [{', '.join(unnamed)}])), e -> e.value IS NOT NULL)))"
            )
        else:
            del params["record_unnamed"]
        return f"to_json({record})", params

    # -- reading -------------------------------------------------------------------------------

    def materialize(self, conn: duckdb.DuckDBPyConnection) -> None:
        layout = scan_layout(self.path)
        tail = self._tail_rejects(layout)
        self.records_counted = layout.body_records + len(tail)
        with tempfile.TemporaryDirectory(prefix="rh-csv-") as private:
            source = self._source(conn, layout, Path(private))
            errors = self._read_body(conn, source)
        rejects = self._rejects(errors, layout)
        (rows,) = conn.execute("SELECT count(*) FROM raw_batch").fetchone()
        read = int(rows) + len(rejects)
        for number, reject in enumerate(tail, start=read + 1):
            reject.record_number = number
        if rejects:
            self._renumber(conn, int(rows), rejects)
        stage_parse_rejects(conn, rejects + tail)
        self.records_read = read + len(tail)

    def _source(self, conn: duckdb.DuckDBPyConnection, layout: CsvLayout, private: Path) -> str:
        """The path DuckDB reads: the file itself, escaped, or a private copy of its body."""
        mixed = len(layout.line_ends) > 1
        text = str(self.path)
        if not mixed and layout.body_end == layout.size:
            if not any(c in text for c in GLOB_CHARACTERS):
                return text
            # DuckDB reads a path as a glob pattern: [c] matches exactly the character c
            escaped = re.sub(r"([*?\[])", r"[\1]", text)
            found = conn.execute("SELECT file FROM glob($pattern)", {"pattern": escaped})
            if found.fetchall() == [(text,)]:
                return escaped
        target = private / "body.csv"
        _write_body(self.path, layout, target, normalise=mixed)
        return str(target)

    def _read_body(self, conn: duckdb.DuckDBPyConnection, source: str) -> list[tuple]:
        """DuckDB reads the body into ``raw_batch``; its rejected lines, grouped by line.

        The rows are read in parallel into ``raw_batch``, which keeps the file's order, and
        then numbered from their position in it (``rowid``): numbering them as they are read
        (``row_number() OVER ()``) would make the read one thread, and copying them into a
        numbered table would write every row twice.
        """
        select, params = self._named_select()
        try:
            # DuckDB appends to these tables: an earlier file's rejects must not count here
            conn.execute("DROP TABLE IF EXISTS temp.rh_csv_rejects")
            conn.execute("DROP TABLE IF EXISTS temp.rh_csv_scans")
            conn.execute(
                "CREATE OR REPLACE TEMP TABLE raw_batch AS"
                f" SELECT CAST(NULL AS BIGINT) AS record_number, {select}"
                " FROM read_csv($path, all_varchar = true, header = true, delim = $delim,"
                " quote = '\"', escape = '\"', null_padding = false, auto_detect = false,"
                " max_line_size = $max_line, store_rejects = true,"
                " rejects_table = 'rh_csv_rejects', rejects_scan = 'rh_csv_scans',"
                " columns = $columns)",
                {
                    **params,
                    "path": source,
                    "delim": self.delimiter,
                    "max_line": self.limits.max_line_bytes,
                    "columns": {f"c{i}": "VARCHAR" for i in range(len(self.header))},
                },
            )
            conn.execute("UPDATE raw_batch SET record_number = rowid + 1")
            return conn.execute(
                "SELECT line, list(error_type::VARCHAR ORDER BY column_idx),"
                " first(error_message) FROM rh_csv_rejects GROUP BY line ORDER BY line"
            ).fetchall()
        except duckdb.Error as exc:
            raise UnreadableFile(f"{self.path.name}: not readable as CSV: {exc}") from None

    def _rejects(self, errors: list[tuple], layout: CsvLayout) -> list[ParseReject]:
        """DuckDB's rejected lines as records of the scan, quoting the file's own bytes."""
        rejects = []
        with self.path.open("rb") as handle:
            for line, types, message in errors:
                index = int(np.searchsorted(layout.ordinals, int(line)))
                if index == len(layout.ordinals) or layout.ordinals[index] != int(line):
                    raise UnreadableFile(
                        f"{self.path.name}: record_count_mismatch: the CSV reader rejected"
                        f" row {line}, which the record scan does not hold"
                    )
                start, end = int(layout.starts[index]), int(layout.ends[index])
                length = end - start
                handle.seek(start)
                raw = handle.read(min(length, self.limits.max_line_bytes))
                text = raw.decode("utf-8", errors="replace")
                if length > self.limits.max_line_bytes:
                    text = text[:PREVIEW_CHARS] + "…"
                physical = int(layout.lines[index])
                reasons = [
                    self._reason(kind, physical, message, length) for kind in dict.fromkeys(types)
                ]
                rejects.append(ParseReject(index + 1, {"csv_line": text}, reasons))
        return rejects

    def _reason(self, error_type: str, line: int, message: str, length: int) -> str:
        code = _ERROR_CODES.get(error_type, "malformed_csv")
        counts = _COLUMN_COUNTS.search(message or "")
        if code == "ragged_row" and counts:
            return f"{code}: line {line}: expected {counts[1]} fields, found {counts[2]}"
        if code == "line_too_long":
            return (
                f"{code}: line {line}: {length} bytes, over limits.max_line_bytes"
                f" ({self.limits.max_line_bytes})"
            )
        return f"{code}: line {line}: {message}"

    def _tail_rejects(self, layout: CsvLayout) -> list[ParseReject]:
        """Records DuckDB never sees: an unclosed quote's lines and a NUL run ending the file."""
        rejects = []
        if layout.unclosed:
            start, first_line, quote = layout.unclosed
            stop = layout.nul_run[0] if layout.nul_run else layout.size
            with self.path.open("rb") as handle:
                handle.seek(start)
                region = handle.read(stop - start)
            pieces = []
            line, offset = first_line, 0
            for match in _LINE_BREAK.finditer(region):
                pieces.append((line, offset, region[offset : match.start()]))
                line, offset = line + 1, match.end()
            pieces.append((line, offset, region[offset:]))
            pieces = [piece for piece in pieces if piece[2]]
            opened = max(
                ((n, quote - start - o + 1) for n, o, _ in pieces if o <= quote - start),
                default=(first_line, 1),
            )
            for n, _, raw in pieces:
                text = raw.decode("utf-8", errors="replace")
                if len(raw) > self.limits.max_line_bytes:
                    text = text[:PREVIEW_CHARS] + "…"
                where = f"the quote opened on line {opened[0]}, column {opened[1]}"
                reason = (
                    f"unclosed_quote: line {n}: {where} is never closed; the {len(pieces)}"
                    " line(s) from here to the end were not read as CSV"
                    if n == pieces[0][0]
                    else f"unclosed_quote: line {n}: inside {where}, never closed"
                )
                rejects.append(ParseReject(0, {"csv_line": text}, [reason]))
        if layout.nul_run:
            start, line = layout.nul_run
            count = layout.size - start
            rejects.append(
                ParseReject(
                    0,
                    {"csv_line": f"<{count} NUL bytes>"},
                    [
                        f"nul_bytes: line {line}: the file ends in {count} NUL bytes (from byte"
                        f" {start + 1}), as a write cut short leaves it"
                    ],
                )
            )
        return rejects

    @staticmethod
    def _renumber(conn: duckdb.DuckDBPyConnection, rows: int, rejects: list[ParseReject]) -> None:
        """Good rows keep file order; their record numbers are the ones rejects did not take."""
        taken = np.array([r.record_number for r in rejects], dtype=np.int64)
        everything = np.arange(1, max(rows + len(rejects), int(taken.max())) + 1, dtype=np.int64)
        numbers = np.setdiff1d(everything, taken)[:rows]
        mapping = pa.table({"ordinal": np.arange(1, rows + 1, dtype=np.int64), "number": numbers})
        conn.register("record_numbers", mapping)
        conn.execute(
            "CREATE OR REPLACE TEMP TABLE raw_batch AS"
            " SELECT m.number AS record_number, r.* EXCLUDE (record_number)"
            " FROM raw_batch r JOIN record_numbers m ON m.ordinal = r.record_number"
        )
        conn.unregister("record_numbers")


def _write_body(path: Path, layout: CsvLayout, target: Path, *, normalise: bool) -> None:
    """Copy the bytes DuckDB should read; with ``normalise``, every line end outside quotes
    becomes ``\\n`` (one line end stays one, so DuckDB's line numbers stay the scan's)."""
    with path.open("rb") as source, target.open("xb") as out:
        if not normalise:
            source.seek(0)
            remaining = layout.body_end
            while remaining:
                chunk = source.read(min(SCAN_CHUNK_BYTES, remaining))
                out.write(chunk)
                remaining -= len(chunk)
            return
        for base, chunk in _chunks(source, layout.body_end):
            arr = np.frombuffer(chunk, dtype=np.uint8).copy()
            stop = base + len(chunk)
            lone = layout.lone_crs[(layout.lone_crs >= base) & (layout.lone_crs < stop)] - base
            arr[lone] = _LF
            dropped = layout.crlf_crs[(layout.crlf_crs >= base) & (layout.crlf_crs < stop)] - base
            keep = np.ones(len(arr), dtype=bool)
            keep[dropped] = False
            out.write(arr[keep].tobytes())


# -- the independent record count ------------------------------------------------------------

#: how much of a file the record scan holds in memory at once
SCAN_CHUNK_BYTES = 8 * 1024 * 1024
#: characters DuckDB expands in a path (a name holding one is still that one file)
GLOB_CHARACTERS = "*?["
_QUOTE, _LF, _CR = ord('"'), ord("\n"), ord("\r")
_NO_POSITIONS = np.zeros(0, dtype=np.int64)


@dataclass
class CsvLayout:
    """Where a CSV file's records are, found by a byte scan that does not use DuckDB's reader.

    A record ends at a line end (``\\n``, ``\\r\\n`` or a lone ``\\r``) outside double quotes;
    the first record is the header; empty records (blank lines) are not records. The count of
    records is what a person counting rows would find, and what reconciliation checks the
    reader against.
    """

    size: int
    #: per data record: first byte, end (its line end excluded), DuckDB's ``line`` for it
    #: (1 + line ends outside quotes before it) and the physical line it starts on
    starts: np.ndarray
    ends: np.ndarray
    ordinals: np.ndarray
    lines: np.ndarray
    #: kinds of line end seen outside quotes
    line_ends: frozenset[str]
    #: DuckDB reads the bytes before this; what follows is an unclosed quote or a NUL run
    body_end: int
    #: lone CRs and the CRs of CRLF outside quotes (kept only when line ends are mixed)
    lone_crs: np.ndarray
    crlf_crs: np.ndarray
    #: an unterminated quoted record at the end: (its first byte, its line, the quote's offset)
    unclosed: tuple[int, int, int] | None = None
    #: a run of NUL bytes ending the file: (its first byte, its line)
    nul_run: tuple[int, int] | None = None

    @property
    def body_records(self) -> int:
        return len(self.starts)


def _nul_run_start(handle: BinaryIO, size: int) -> int:
    """Where the run of NUL bytes ending the file begins (``size`` when it ends otherwise)."""
    end = size
    while end > 0:
        step = min(SCAN_CHUNK_BYTES, end)
        handle.seek(end - step)
        block = handle.read(step)
        kept = len(block.rstrip(b"\x00"))
        if kept:
            return end - step + kept
        end -= step
    return 0


def _chunks(handle: BinaryIO, end: int) -> Iterator[tuple[int, bytes]]:
    """(offset, bytes) pieces of ``[0, end)``; a piece never ends between CR and LF."""
    handle.seek(0)
    offset = 0
    while offset < end:
        chunk = handle.read(min(SCAN_CHUNK_BYTES, end - offset))
        while chunk.endswith(b"\r") and offset + len(chunk) < end:
            chunk += handle.read(1)
        yield offset, chunk
        offset += len(chunk)


def scan_layout(path: Path, limits: Limits | None = None) -> CsvLayout:
    """Find every record of a CSV file in one streaming pass (numpy over 8 MB pieces)."""
    size = path.stat().st_size
    term_starts, term_ends, term_lines, lone_all, crlf_all = [], [], [], [], []
    kinds: set[str] = set()
    in_quote, breaks, last_quote = False, 0, -1
    with path.open("rb") as handle:
        end = _nul_run_start(handle, size)
        for base, chunk in _chunks(handle, end):
            arr = np.frombuffer(chunk, dtype=np.uint8)
            quotes = np.flatnonzero(arr == _QUOTE) if b'"' in chunk else _NO_POSITIONS
            line_ends = np.flatnonzero(arr == _LF)
            crlf = np.zeros(len(line_ends), dtype=bool)
            lone = _NO_POSITIONS
            if b"\r" in chunk:
                crs = np.flatnonzero(arr == _CR)
                follower = np.minimum(crs + 1, len(arr) - 1)
                paired = (arr[follower] == _LF) & (crs + 1 < len(arr))
                lone = crs[~paired]
                line_ends = np.union1d(line_ends, lone)
                crlf = np.isin(line_ends, crs[paired] + 1)
            outside = (np.searchsorted(quotes, line_ends) + in_quote) % 2 == 0
            ends_here = line_ends[outside]
            crlf_here = crlf[outside]
            is_cr = arr[ends_here] == _CR
            kinds.update(
                kind
                for kind, present in (
                    ("\r\n", crlf_here.any()),
                    ("\r", is_cr.any()),
                    ("\n", (~crlf_here & ~is_cr).any()),
                )
                if present
            )
            term_starts.append(base + ends_here - crlf_here)
            term_ends.append(base + ends_here + 1)
            # the line after a line end: every line end before it, plus one
            term_lines.append(breaks + np.flatnonzero(outside) + 2)
            lone_all.append(base + ends_here[is_cr])
            crlf_all.append(base + ends_here[crlf_here] - 1)
            breaks += len(line_ends)
            if len(quotes):
                in_quote ^= bool(len(quotes) % 2)
                last_quote = base + int(quotes[-1])
    starts = np.concatenate([[0], *term_ends]).astype(np.int64)
    stops = np.concatenate([*term_starts, [end]]).astype(np.int64)
    lines = np.concatenate([[1], *term_lines]).astype(np.int64)
    ordinals = np.arange(1, len(starts) + 1, dtype=np.int64)
    body_end = end
    unclosed = None
    if in_quote:
        # the last record never closes its quote: DuckDB reads what comes before it
        body_end = int(starts[-1])
        unclosed = (body_end, int(lines[-1]), last_quote)
        starts, stops, lines, ordinals = starts[:-1], stops[:-1], lines[:-1], ordinals[:-1]
    nul_run = (end, breaks + 1) if end < size else None
    data = (stops > starts) & (ordinals > 1)
    return CsvLayout(
        size=size,
        starts=starts[data],
        ends=stops[data],
        ordinals=ordinals[data],
        lines=lines[data],
        line_ends=frozenset(kinds),
        body_end=body_end,
        lone_crs=np.concatenate([_NO_POSITIONS, *lone_all]),
        crlf_crs=np.concatenate([_NO_POSITIONS, *crlf_all]),
        unclosed=unclosed,
        nul_run=nul_run,
    )
