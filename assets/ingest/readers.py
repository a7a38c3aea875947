"""Reading input files into record batches of text, one batch per kind of record found.

A reader never judges values: it turns a file into rows of text in the kind's canonical
columns and leaves validation to the data contract. What it cannot read as a record (a ragged
CSV row, a JSON line that is not an object, bytes that are not UTF-8) becomes a
:class:`ParseReject` with its record number, so the row reaches quarantine instead of
vanishing. A file that cannot be read at all raises :class:`UnreadableFile`.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import yaml

from assets.ingest.kinds import Kind, kind_named
from assets.settings import Settings

FORMATS = ("csv", "jsonl", "json", "yaml")
EXTENSIONS = {
    ".csv": "csv",
    ".tsv": "csv",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "json",
    ".yaml": "yaml",
    ".yml": "yaml",
}
_CSV_DELIMITERS = (",", ";", "\t", "|")
_CSV_ERRORS = {
    "TOO MANY COLUMNS": "ragged_row",
    "MISSING COLUMNS": "ragged_row",
    "INVALID ENCODING": "invalid_encoding",
    "UNQUOTED VALUE": "malformed_csv",
    "INVALID STATE": "malformed_csv",
    "LINE SIZE OVER MAXIMUM": "line_too_long",
}
_COLUMN_COUNTS = re.compile(r"Expected Number of Columns: (\d+) Found: (\d+)")
RECORD_COLUMN = "__record"
NUMBER_COLUMN = "record_number"
EXTRA_COLUMN = "extra"


class UnreadableFile(Exception):
    """The file as a whole cannot be read (wrong encoding, not CSV/JSON/YAML, no usable header)."""


@dataclass
class ParseReject:
    record_number: int
    record: Any
    reasons: list[str]


@dataclass
class ReadOptions:
    """What a reader needs besides the bytes: config plus the CLI's per-call overrides."""

    settings: Settings
    environment: str | None = None
    captured_at: str | None = None
    file_mtime: dt.datetime | None = None


@dataclass
class RecordBatch:
    """One file's records of one kind, as text columns ready for the kind's SQL.

    ``table`` holds ``record_number``, every canonical field of the kind (string), ``extra``
    (JSON text of unknown fields, or null) and ``__record`` (JSON text of the record as read,
    used only for rows that go to quarantine).
    """

    kind: Kind
    format: str
    source: str
    table: pa.Table
    rejects: list[ParseReject] = field(default_factory=list)

    @property
    def records_read(self) -> int:
        return self.table.num_rows + len(self.rejects)


def detect_format(path: Path, data: bytes, forced: str | None = None) -> str:
    """The input format: forced, else from the extension, else from the first bytes."""
    if forced:
        if forced not in FORMATS:
            raise ValueError(f"unknown format {forced!r}; expected one of {', '.join(FORMATS)}")
        return forced
    by_extension = EXTENSIONS.get(path.suffix.lower())
    if by_extension:
        return by_extension
    head = data.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
    if head in (b"{", b"["):
        return "json"
    return "csv"


def canonical_name(name: str, column_map: Mapping[str, str]) -> str:
    """A column name as the kind knows it: mapped by ``column_map``, else normalised."""
    stripped = name.strip().lstrip("\ufeff")
    if stripped in column_map:
        return column_map[stripped]
    lowered = stripped.lower()
    if lowered in column_map:
        return column_map[lowered]
    return lowered.replace(" ", "_").replace("-", "_")


def _check_text(data: bytes, path: Path) -> None:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in data[:4096]:
        raise UnreadableFile(f"{path.name}: not UTF-8 text (looks like UTF-16 or binary)")


def _as_text(value: Any) -> str | None:
    """A JSON/YAML scalar or structure as the text a CSV cell would hold."""
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, int | float):
        return (
            repr(value) if isinstance(value, float) and not value.is_integer() else str(int(value))
        )
    return json.dumps(value, default=str, sort_keys=True)


def _jsonable(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str))


# -- building batches from records ----------------------------------------------------------


def batch_from_records(
    kind: Kind,
    records: Iterable[tuple[int, Mapping[str, Any]]],
    fmt: str,
    source: str,
    column_map: Mapping[str, str],
    rejects: list[ParseReject] | None = None,
) -> RecordBatch:
    """Turn ``(record_number, mapping)`` pairs into a :class:`RecordBatch` of text columns."""
    numbers: list[int] = []
    columns: dict[str, list[str | None]] = {name: [] for name in kind.fields}
    extras: list[str | None] = []
    originals: list[str] = []
    prefixes = dict(kind.map_fields)
    for number, record in records:
        numbers.append(number)
        originals.append(json.dumps(_jsonable(record), sort_keys=False))
        row: dict[str, str | None] = {}
        maps: dict[str, dict[str, Any]] = {}
        extra: dict[str, Any] = {}
        for key, value in record.items():
            name = canonical_name(str(key), column_map)
            if name in columns:
                row[name] = _as_text(value)
                continue
            for target, prefix in prefixes.items():
                if name.startswith(prefix):
                    maps.setdefault(target, {})[str(key).strip()[len(prefix) :]] = value
                    break
            else:
                extra[str(key)] = _jsonable(value)
        for target, entries in maps.items():
            if row.get(target) is None:
                row[target] = json.dumps(
                    {k: v for k, v in entries.items() if v is not None}, sort_keys=True
                )
        for name, values in columns.items():
            values.append(row.get(name))
        extras.append(json.dumps(extra, sort_keys=True, separators=(",", ":")) if extra else None)
    arrays = {NUMBER_COLUMN: pa.array(numbers, type=pa.int64())}
    arrays |= {name: pa.array(values, type=pa.string()) for name, values in columns.items()}
    arrays[EXTRA_COLUMN] = pa.array(extras, type=pa.string())
    arrays[RECORD_COLUMN] = pa.array(originals, type=pa.string())
    return RecordBatch(kind, fmt, source, pa.table(arrays), rejects or [])


# -- CSV -------------------------------------------------------------------------------------


def _csv_header(data: bytes, path: Path) -> tuple[list[str], str]:
    first_line = data.split(b"\n", 1)[0].rstrip(b"\r")
    try:
        text = first_line.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UnreadableFile(
            f"{path.name}: header line is not UTF-8 (byte {exc.start + 1}); save the file as UTF-8"
        ) from None
    delimiter = max(_CSV_DELIMITERS, key=text.count)
    if not text.count(delimiter):
        delimiter = ","
    header = next(csv.reader(io.StringIO(text), delimiter=delimiter), [])
    return header, delimiter


def read_csv(path: Path, data: bytes, kind: Kind, options: ReadOptions) -> RecordBatch:
    """Read a CSV file with DuckDB's parser; rows it cannot parse become rejects with reasons."""
    header, delimiter = _csv_header(data, path)
    names = [canonical_name(name, options.settings.column_map) for name in header]
    prefixes = tuple(prefix for _, prefix in kind.map_fields)
    if kind.map_fields and any(name.startswith(prefixes) for name in names):
        # inventory CSV with config.<key>/dep.<name> columns: gather them into maps per row
        return _read_csv_rows(path, data, kind, options, delimiter)
    missing = [name for name in kind.required if name not in names]
    if missing:
        raise UnreadableFile(
            f"{path.name}: no column for required field(s) {', '.join(missing)}"
            f" (header: {', '.join(header)}); rename them or map them with column_map"
        )
    if len(set(names)) != len(names):
        raise UnreadableFile(f"{path.name}: header names a column twice after mapping: {header}")
    with duckdb.connect() as con:
        try:
            table = con.execute(
                "SELECT * FROM read_csv($path, all_varchar = true, header = true, delim = $delim,"
                " quote = '\"', escape = '\"', store_rejects = true, null_padding = false,"
                " auto_detect = false, columns = $columns)",
                {
                    "path": str(path),
                    "delim": delimiter,
                    "columns": {f"c{i}": "VARCHAR" for i in range(len(header))},
                },
            ).to_arrow_table()
        except duckdb.Error as exc:
            raise UnreadableFile(f"{path.name}: not readable as CSV: {exc}") from None
        errors = con.execute(
            "SELECT line, list(error_type::VARCHAR ORDER BY column_idx) AS types,"
            " first(csv_line) AS csv_line, first(error_message) AS message"
            " FROM reject_errors GROUP BY line ORDER BY line"
        ).fetchall()
    # the parser's copy of a line loses bytes it cannot decode: quote the file's own line
    lines = data.split(b"\n") if errors else []
    rejects = [
        ParseReject(
            record_number=int(line) - 1,
            record={"csv_line": _line_text(lines, int(line), csv_line)},
            reasons=[_csv_reason(t, line, message) for t in dict.fromkeys(types)],
        )
        for line, types, csv_line, message in errors
    ]
    total = table.num_rows + len(rejects)
    if rejects:
        # good rows keep file order; their record numbers are those not taken by rejects
        taken = np.array([r.record_number for r in rejects], dtype=np.int64)
        numbers = np.setdiff1d(np.arange(1, total + 1, dtype=np.int64), taken)
    else:
        numbers = np.arange(1, total + 1, dtype=np.int64)
    return _csv_batch(kind, table, header, names, numbers, rejects, options)


def _line_text(lines: list[bytes], line: int, fallback: str) -> str:
    if 0 < line <= len(lines):
        return lines[line - 1].rstrip(b"\r").decode("utf-8", errors="replace")
    return fallback


def _csv_reason(error_type: str, line: int, message: str) -> str:
    code = _CSV_ERRORS.get(error_type, "malformed_csv")
    counts = _COLUMN_COUNTS.search(message or "")
    if code == "ragged_row" and counts:
        return f"{code}: line {line}: expected {counts[1]} fields, found {counts[2]}"
    return f"{code}: line {line}: {message}"


def _csv_batch(
    kind: Kind,
    table: pa.Table,
    header: list[str],
    names: list[str],
    numbers: np.ndarray,
    rejects: list[ParseReject],
    options: ReadOptions,
) -> RecordBatch:
    rows = table.num_rows
    columns: dict[str, pa.Array] = {NUMBER_COLUMN: pa.array(numbers[:rows], type=pa.int64())}
    by_name = dict(zip(names, table.columns, strict=True))
    null_text = pa.nulls(rows, type=pa.string())
    for name in kind.fields:
        columns[name] = by_name.get(name, null_text)
    # sorted, so the JSON matches what the JSON readers write for the same record
    extra_names = sorted(
        ((i, h) for i, h in enumerate(header) if names[i] not in kind.fields),
        key=lambda item: item[1],
    )
    if extra_names and rows:
        struct = pa.StructArray.from_arrays(
            [table.column(i).combine_chunks() for i, _ in extra_names],
            names=[h for _, h in extra_names],
        )
        columns[EXTRA_COLUMN] = struct
    else:
        columns[EXTRA_COLUMN] = null_text
    if rows:
        columns[RECORD_COLUMN] = pa.StructArray.from_arrays(
            [column.combine_chunks() for column in table.columns], names=header
        )
    else:
        columns[RECORD_COLUMN] = null_text
    return RecordBatch(kind, "csv", "canonical", pa.table(columns), rejects)


def _read_csv_rows(
    path: Path, data: bytes, kind: Kind, options: ReadOptions, delimiter: str
) -> RecordBatch:
    """Row-by-row CSV reading, for inventory files whose map columns are gathered per row."""
    lines = data.split(b"\n")
    header_text = lines[0].rstrip(b"\r").decode("utf-8-sig")
    header = next(csv.reader([header_text], delimiter=delimiter))
    records: list[tuple[int, dict[str, Any]]] = []
    rejects: list[ParseReject] = []
    body = b"\n".join(lines[1:])
    try:
        text = body.decode("utf-8")
        bad_lines: set[int] = set()
    except UnicodeDecodeError:
        text = body.decode("utf-8", errors="replace")
        bad_lines = {number for number, raw in enumerate(lines[1:], start=1) if _not_utf8(raw)}
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    for number, cells in enumerate(reader, start=1):
        if not cells:
            continue
        line = ",".join(cells)
        if number in bad_lines:
            rejects.append(
                ParseReject(number, {"csv_line": line}, [f"invalid_encoding: line {number + 1}"])
            )
        elif len(cells) != len(header):
            rejects.append(
                ParseReject(
                    number,
                    {"csv_line": line},
                    [
                        f"ragged_row: line {number + 1}: expected {len(header)} fields,"
                        f" found {len(cells)}"
                    ],
                )
            )
        else:
            records.append(
                (number, {h: (c if c != "" else None) for h, c in zip(header, cells, strict=True)})
            )
    return batch_from_records(
        kind, records, "csv", "canonical", options.settings.column_map, rejects
    )


def _not_utf8(raw: bytes) -> bool:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return True
    return False


# -- JSON Lines, JSON, YAML ------------------------------------------------------------------


def read_jsonl(path: Path, data: bytes, kind: Kind, options: ReadOptions) -> RecordBatch:
    """One JSON object per line; blank lines are skipped, every other line is a record."""
    records: list[tuple[int, Mapping[str, Any]]] = []
    rejects: list[ParseReject] = []
    for number, raw in enumerate(data.split(b"\n"), start=1):
        if not raw.strip():
            continue
        try:
            text = raw.decode("utf-8-sig" if number == 1 else "utf-8")
        except UnicodeDecodeError as exc:
            preview = raw.decode("utf-8", errors="replace")
            rejects.append(
                ParseReject(
                    number,
                    {"line": preview},
                    [f"invalid_encoding: line {number}: byte {exc.start + 1} is not UTF-8"],
                )
            )
            continue
        try:
            value = json.loads(text)
        except json.JSONDecodeError as exc:
            rejects.append(
                ParseReject(number, {"line": text}, [f"invalid_json: line {number}: {exc.msg}"])
            )
            continue
        if not isinstance(value, dict):
            rejects.append(
                ParseReject(
                    number,
                    {"line": text},
                    [
                        f"not_an_object: line {number}: a JSON {type(value).__name__}"
                        " where an object was expected"
                    ],
                )
            )
            continue
        records.append((number, value))
    return batch_from_records(
        kind, records, "jsonl", "canonical", options.settings.column_map, rejects
    )


def load_document(path: Path, data: bytes, fmt: str) -> Any:
    """Parse a whole JSON or YAML document (YAML with several documents gives a list)."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UnreadableFile(f"{path.name}: not UTF-8 text (byte {exc.start + 1})") from None
    if fmt == "json":
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise UnreadableFile(
                f"{path.name}: not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"
            ) from None
    try:
        documents = [doc for doc in yaml.safe_load_all(text) if doc is not None]
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark else ""
        raise UnreadableFile(f"{path.name}: not valid YAML{where}") from None
    return documents[0] if len(documents) == 1 else documents


def records_of(document: Any) -> list[Any] | None:
    """The list of records in a canonical JSON/YAML document, or None if it has no such list."""
    if isinstance(document, list):
        return document
    if isinstance(document, dict):
        for key in ("items", "records", "deployments", "incidents", "inventory", "data"):
            if isinstance(document.get(key), list):
                return document[key]
        return [document]
    return None


def read_document(
    path: Path, data: bytes, kind: Kind, fmt: str, options: ReadOptions
) -> list[RecordBatch]:
    """A JSON/YAML file: a native export (kubectl, helm, Argo CD, GitHub, GitLab) or records."""
    from assets.ingest.adapters import parse_native

    document = load_document(path, data, fmt)
    native = parse_native(document, kind.name, path, options)
    if native is not None:
        return [
            batch_from_records(
                kind_named(kind_name),
                enumerate(records, start=1),
                fmt,
                source,
                {},  # adapters already emit canonical names; column_map is for user files
            )
            for kind_name, (source, records) in native.items()
        ]
    items = records_of(document)
    if items is None:
        raise UnreadableFile(
            f"{path.name}: expected a list of records or an object, found {type(document).__name__}"
        )
    records: list[tuple[int, Mapping[str, Any]]] = []
    rejects: list[ParseReject] = []
    for number, item in enumerate(items, start=1):
        if isinstance(item, dict):
            records.append((number, item))
        else:
            rejects.append(
                ParseReject(
                    number,
                    _jsonable(item),
                    [
                        f"not_an_object: record {number}: a {type(item).__name__}"
                        " where an object was expected"
                    ],
                )
            )
    return [
        batch_from_records(kind, records, fmt, "canonical", options.settings.column_map, rejects)
    ]


def read_file(
    path: Path, data: bytes, kind: Kind, fmt: str, options: ReadOptions
) -> list[RecordBatch]:
    """Read one file into batches (usually one; an Argo CD export yields two kinds)."""
    _check_text(data, path)
    if fmt == "csv":
        return [read_csv(path, data, kind, options)]
    if fmt == "jsonl":
        return [read_jsonl(path, data, kind, options)]
    if fmt == "json":
        try:
            json.loads(data.decode("utf-8-sig"))
        except json.JSONDecodeError as exc:
            if exc.msg == "Extra data":  # several JSON objects, one per line, under .json
                return [read_jsonl(path, data, kind, options)]
        except UnicodeDecodeError:
            pass
    return read_document(path, data, kind, fmt, options)
