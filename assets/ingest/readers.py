"""Reading input files into record batches of text, one batch per kind of record found.

A reader never judges values: it turns a file into rows of text in the kind's canonical
columns and leaves validation to the data contract. What it cannot read as a record (a ragged
CSV row, a JSON line that is not an object, bytes that are not UTF-8) becomes a
:class:`ParseReject` with its record number, so the row reaches quarantine instead of
vanishing. A file that cannot be read at all raises :class:`UnreadableFile`.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import yaml

from assets.ingest.batches import (
    EXTRA_COLUMN,
    NUMBER_COLUMN,
    RECORD_COLUMN,
    ArrowBatch,
    ParseReject,
    RecordBatch,
    UnreadableFile,
    canonical_name,
)
from assets.ingest.csv_reader import CsvBatch
from assets.ingest.kinds import Kind, kind_named
from assets.settings import Settings

__all__ = ["ReadOptions", "RecordBatch", "UnreadableFile", "detect_format", "read_file"]

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


@dataclass
class ReadOptions:
    """What a reader needs besides the bytes: config plus the CLI's per-call overrides."""

    settings: Settings
    environment: str | None = None
    captured_at: str | None = None
    file_mtime: dt.datetime | None = None


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
    return ArrowBatch(kind, fmt, source, table=pa.table(arrays), rejects=rejects or [])


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
    path: Path, head: bytes, kind: Kind, fmt: str, options: ReadOptions
) -> list[RecordBatch]:
    """Read one file into batches (usually one; an Argo CD export yields two kinds).

    ``head`` is the start of the file: a CSV body is read by DuckDB from the path, other
    formats are parsed whole.
    """
    limit, size = options.settings.limits.max_file_bytes, path.stat().st_size
    if limit is not None and size > limit:
        raise UnreadableFile(
            f"{path.name}: file_too_large: {size} bytes, over limits.max_file_bytes ({limit})"
        )
    _check_text(head, path)
    if fmt == "csv":
        # the header is checked now; DuckDB reads the body when the batch is loaded
        return [
            CsvBatch.open(path, head, kind, options.settings.column_map, options.settings.limits)
        ]
    data = path.read_bytes()
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
