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
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa

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
from assets.ingest.calendar_reader import read_ics
from assets.ingest.csv_reader import CsvBatch, peek_header
from assets.ingest.documents import (
    DocumentError,
    Parsed,
    parse_json,
    parse_yaml,
    repeated_keys,
    unslurp,
)
from assets.ingest.kinds import Kind, kind_named
from assets.settings import Limits, Settings

__all__ = ["ReadOptions", "RecordBatch", "UnreadableFile", "detect_format", "read_file"]

FORMATS = ("csv", "jsonl", "json", "yaml", "ics")
EXTENSIONS = {
    ".csv": "csv",
    ".tsv": "csv",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "json",
    ".yaml": "yaml",
    ".yml": "yaml",
    ".ics": "ics",
    ".ical": "ics",
}


@dataclass
class ReadOptions:
    """What a reader needs besides the bytes: config plus the CLI's per-call overrides."""

    settings: Settings
    environment: str | None = None
    captured_at: str | None = None
    file_mtime: dt.datetime | None = None
    #: filled by the adapters while reading: entries skipped as not records, by reason code
    skipped: Counter[str] = field(default_factory=Counter)


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
    if data.lstrip(b"\xef\xbb\xbf \t\r\n")[:15].upper() == b"BEGIN:VCALENDAR":
        return "ics"
    return "csv"


def _json_object(text: str | None) -> dict[str, Any] | None:
    """The JSON object a text holds, else None."""
    if text is None:
        return None
    try:
        value = json.loads(text)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def _json_type(value: Any) -> str:
    """A parsed value's type as JSON and YAML name it (numbers arrive as their text)."""
    if isinstance(value, str):
        return "a single value"
    return {bool: "a boolean", int: "a number", float: "a number"}.get(type(value), "a value")


def _check_text(data: bytes, path: Path) -> None:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in data[:4096]:
        raise UnreadableFile(
            f"{path.name}: invalid_encoding: not UTF-8 text (looks like UTF-16 or binary);"
            " save it as UTF-8"
        )


def _as_text(value: Any) -> str | None:
    """A JSON/YAML scalar or structure as the text a CSV cell would hold.

    The parsers already give numbers and YAML scalars as their written text; booleans (JSON
    ``true``/``false``) and values an adapter computed are written out here.
    """
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


class SeveralJsonValues(UnreadableFile):
    """A ``.json`` file holding several JSON values one after another: JSON Lines."""


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
    texts: Mapping[int, str] | None = None,
) -> RecordBatch:
    """Turn ``(record_number, mapping)`` pairs into a :class:`RecordBatch` of text columns.

    ``texts`` holds, by record number, a record's own JSON text where the file has one (a
    JSON Lines line): it is kept as the record as read, numbers exactly as written.
    """
    texts = texts or {}
    numbers: list[int] = []
    columns: dict[str, list[str | None]] = {name: [] for name in kind.fields}
    extras: list[str | None] = []
    originals: list[str] = []
    prefixes = dict(kind.map_fields)
    for number, record in records:
        numbers.append(number)
        original = texts.get(number)
        originals.append(original if original is not None else json.dumps(_jsonable(record)))
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
            present = {k: v for k, v in entries.items() if v is not None}
            existing = _json_object(row.get(target))
            if row.get(target) is None or existing is not None:
                # map.<key> fields join a map given whole (theirs win); a map field that is
                # not an object is rejected by the contract with its record kept
                row[target] = json.dumps({**(existing or {}), **present}, sort_keys=True)
        for name, values in columns.items():
            values.append(row.get(name))
        extras.append(json.dumps(extra, sort_keys=True, separators=(",", ":")) if extra else None)
    arrays = {NUMBER_COLUMN: pa.array(numbers, type=pa.int64())}
    arrays |= {name: pa.array(values, type=pa.string()) for name, values in columns.items()}
    arrays[EXTRA_COLUMN] = pa.array(extras, type=pa.string())
    arrays[RECORD_COLUMN] = pa.array(originals, type=pa.string())
    return ArrowBatch(kind, fmt, source, table=pa.table(arrays), rejects=rejects or [])


#: characters of an over-long line kept in quarantine, so the record stays readable
LINE_PREVIEW_CHARS = 200
# a line holding something other than whitespace (the independent count of JSON Lines records)
_NON_BLANK_LINE = re.compile(rb"[^\r\n]*[^\s][^\r\n]*")


def count_json_lines(data: bytes) -> int:
    """Records in a JSON Lines file counted from its bytes: lines that are not blank."""
    return len(_NON_BLANK_LINE.findall(data))


def _line_reject(number: int, line: str, code: str, detail: str) -> ParseReject:
    return ParseReject(number, {"line": line}, [f"{code}: line {number}: {detail}"])


def _repeated_reasons(keys: list[str], where: str) -> list[str]:
    return [f"duplicate_key: {key} appears more than once in {where}" for key in keys]


def read_jsonl(path: Path, data: bytes, kind: Kind, options: ReadOptions) -> RecordBatch:
    """One JSON object per line; blank lines are skipped, every other line is a record.

    Lines end at LF, CRLF or CR (JSON text never holds a raw line break). A line longer than
    ``limits.max_line_bytes``, nested deeper than ``limits.max_depth`` or repeating a key is
    quarantined with its reason; the other lines load. Numbers keep their literal text.
    """
    limits = options.settings.limits
    records: list[tuple[int, Mapping[str, Any]]] = []
    texts: dict[int, str] = {}
    rejects: list[ParseReject] = []
    for number, raw in enumerate(data.splitlines(), start=1):
        if not raw.strip():
            continue
        if len(raw) > limits.max_line_bytes:
            preview = raw[:LINE_PREVIEW_CHARS].decode("utf-8", errors="replace") + "…"
            rejects.append(
                _line_reject(
                    number,
                    preview,
                    "line_too_long",
                    f"{len(raw):,} bytes, longer than limits.max_line_bytes"
                    f" ({limits.max_line_bytes:,})",
                )
            )
            continue
        try:
            text = raw.decode("utf-8-sig" if number == 1 else "utf-8")
        except UnicodeDecodeError as exc:
            preview = raw.decode("utf-8", errors="replace")
            rejects.append(
                _line_reject(
                    number, preview, "invalid_encoding", f"byte {exc.start + 1} is not UTF-8"
                )
            )
            continue
        try:
            parsed = parse_json(raw, text, limits.max_depth)
        except DocumentError as exc:
            # the message of a parse error inside one line: its position is the line's
            detail = exc.detail.split(": ", 1)[-1] if exc.code == "invalid_json" else exc.detail
            rejects.append(_line_reject(number, text, exc.code, detail))
            continue
        value = parsed.value
        if not isinstance(value, dict):
            rejects.append(
                _line_reject(
                    number,
                    text,
                    "not_an_object",
                    f"a JSON {type(value).__name__} where an object was expected",
                )
            )
            continue
        repeated = repeated_keys(value, parsed.duplicates)
        if repeated:
            rejects.append(
                ParseReject(number, {"line": text}, _repeated_reasons(repeated, f"line {number}"))
            )
            continue
        records.append((number, value))
        if not parsed.constants:  # NaN/Infinity are not JSON the warehouse accepts as written
            texts[number] = text
    batch = batch_from_records(
        kind, records, "jsonl", "canonical", options.settings.column_map, rejects, texts
    )
    batch.records_counted = count_json_lines(data)
    return batch


def parse_document(path: Path, data: bytes, fmt: str, limits: Limits) -> Parsed:
    """Parse a whole JSON or YAML file (YAML with several documents gives a list).

    Paginated JSON (pages back to back, or an array of pages) reads as one response.

    A file that cannot be parsed within ``limits`` raises :class:`UnreadableFile` naming the
    file and the reason code.
    """
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UnreadableFile(
            f"{path.name}: invalid_encoding: byte {exc.start + 1} is not UTF-8"
        ) from None
    try:
        if fmt == "json":
            parsed = parse_json(data, text, limits.max_depth)
            parsed.value = unslurp(parsed.value)  # ``gh api --slurp``: an array of pages
            return parsed
        parsed = parse_yaml(text, limits)
    except DocumentError as exc:
        error = SeveralJsonValues if exc.several_values else UnreadableFile
        raise error(f"{path.name}: {exc}") from None
    documents = [doc for doc in parsed.value if doc is not None]
    parsed.value = documents[0] if len(documents) == 1 else documents
    return parsed


def load_document(path: Path, data: bytes, fmt: str, limits: Limits | None = None) -> Any:
    """The value of a whole JSON or YAML file (see :func:`parse_document`)."""
    return parse_document(path, data, fmt, limits or Limits()).value


def records_of(document: Any) -> list[Any] | None:
    """The list of records in a canonical JSON/YAML document, or None if it has no such list."""
    if isinstance(document, list):
        return document
    if isinstance(document, dict):
        for key in ("items", "records", "deployments", "incidents", "inventory", "events", "data"):
            if isinstance(document.get(key), list):
                return document[key]
        return [document]
    return None


def read_document(
    path: Path, data: bytes, kind: Kind, fmt: str, options: ReadOptions
) -> list[RecordBatch]:
    """A JSON/YAML file: a native export (kubectl, helm, Argo CD, GitHub, GitLab) or records.

    A record repeating a key is quarantined ``duplicate_key``; a repeated key outside the
    records (in a native export, or in the object that holds the record list) fails the file.
    """
    from assets.ingest.adapters import parse_native

    parsed = parse_document(path, data, fmt, options.settings.limits)
    document = parsed.value
    native = parse_native(document, kind.name, path, options)
    if native is not None:
        _refuse_repeated_keys(path, document, parsed)
        batches = [
            batch_from_records(
                kind_named(kind_name),
                enumerate(records, start=1),
                fmt,
                source,
                {},  # adapters already emit canonical names; column_map is for user files
            )
            for kind_name, (source, records) in native.items()
        ]
        # what the export held besides records is reported once, with the asked-for kind
        batches[0].records_skipped = dict(options.skipped)
        return batches
    items = records_of(document)
    if items is None:
        raise UnreadableFile(
            f"{path.name}: not_records: expected a list of records or an object,"
            f" found {_json_type(document)}"
        )
    if not _holds_fields(items, kind, options.settings.column_map):
        return _read_unknown(path, document, kind, fmt, options)
    wrapper = isinstance(document, dict) and not (len(items) == 1 and items[0] is document)
    if wrapper and id(document) in parsed.duplicates:  # e.g. two "items" lists: which one?
        _refuse_repeated_keys(path, document, parsed)
    records: list[tuple[int, Mapping[str, Any]]] = []
    rejects: list[ParseReject] = []
    for number, item in enumerate(items, start=1):
        if not isinstance(item, dict):
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
        elif repeated := repeated_keys(item, parsed.duplicates):
            rejects.append(
                ParseReject(
                    number, _jsonable(item), _repeated_reasons(repeated, f"record {number}")
                )
            )
        else:
            records.append((number, item))
    batch = batch_from_records(
        kind, records, fmt, "canonical", options.settings.column_map, rejects
    )
    batch.records_counted = len(items)  # the items of the file's record list
    return [batch]


def _holds_fields(items: list[Any], kind: Kind, column_map: Mapping[str, str]) -> bool:
    """Whether any record names a field of ``kind`` (or there are no object records to judge):
    records that name none are no records of this kind but an export of unknown shape."""
    objects = [item for item in items if isinstance(item, Mapping)]
    return not objects or any(
        canonical_name(str(key), column_map) in kind.fields for item in objects for key in item
    )


def _read_unknown(
    path: Path, document: Any, kind: Kind, fmt: str, options: ReadOptions
) -> list[RecordBatch]:
    """A document no format recognised: a ``json_map`` without ``match`` may read it, else
    the file fails listing every format tried."""
    from assets.ingest.adapters import fallback_map, formats_tried, parse_with_map

    mapped = fallback_map(document, kind.name, options.settings)
    if mapped is None:
        raise UnreadableFile(
            f"{path.name}: unknown_format: its records name no {kind.name} field and no known"
            f" export matches; tried {'; '.join(formats_tried(kind.name, options.settings))}."
            " Map it with json_map in the config, or rename its fields with column_map"
        )
    native = parse_with_map(document, kind.name, path, options, *mapped)
    source, records = native[kind.name]
    return [batch_from_records(kind, enumerate(records, start=1), fmt, source, {})]


def _refuse_repeated_keys(path: Path, value: Any, parsed: Parsed) -> None:
    repeated = repeated_keys(value, parsed.duplicates)
    if repeated:
        raise UnreadableFile(
            f"{path.name}: {_repeated_reasons(repeated[:1], 'one object of the file')[0]}"
        )


def _check_size(path: Path, limits: Limits) -> None:
    """Fail a file larger than ``limits.max_file_bytes`` before any of it is read."""
    if limits.max_file_bytes is None:
        return
    size = path.stat().st_size
    if size > limits.max_file_bytes:
        raise UnreadableFile(
            f"{path.name}: file_too_large: {size:,} bytes, more than limits.max_file_bytes"
            f" ({limits.max_file_bytes:,})"
        )


def csv_layout(
    path: Path, head: bytes, kind: Kind, options: ReadOptions
) -> tuple[str, dict[str, str]]:
    """The source and column map of a CSV: a tool's own layout recognised by its header (a
    PagerDuty incidents download), else the user's ``column_map``.

    A tool's layout filed under another kind fails naming both.
    """
    from assets.ingest.adapters import CSV_FORMATS
    from assets.ingest.adapters.pagerduty import SOURCE as PAGERDUTY
    from assets.ingest.adapters.pagerduty import csv_column_map

    tool_map = csv_column_map(peek_header(path, head, options.settings.limits))
    if tool_map is None:
        return "canonical", options.settings.column_map
    description, kinds = CSV_FORMATS[PAGERDUTY]
    if kind.name not in kinds:
        raise UnreadableFile(
            f"{path.name}: {description} holds {kinds[0]}, not {kind.name};"
            f" move it to a {kinds[0]}/ folder or pass --kind {kinds[0]}"
        )
    return PAGERDUTY, tool_map


def read_file(
    path: Path, head: bytes, kind: Kind, fmt: str, options: ReadOptions
) -> list[RecordBatch]:
    """Read one file into batches (usually one; an Argo CD export yields two kinds).

    ``head`` is the start of the file: a CSV body is read by DuckDB from the path, other
    formats are parsed whole.
    """
    _check_size(path, options.settings.limits)
    _check_text(head, path)
    if fmt == "csv":
        # the header is checked now; DuckDB reads the body when the batch is loaded
        source, column_map = csv_layout(path, head, kind, options)
        return [CsvBatch.open(path, head, kind, column_map, options.settings.limits, source)]
    data = path.read_bytes()
    if fmt == "ics":
        return [read_ics(path, data, kind, options.settings)]
    if fmt == "jsonl":
        return [read_jsonl(path, data, kind, options)]
    try:
        return read_document(path, data, kind, fmt, options)
    except SeveralJsonValues:  # several JSON objects, one per line, under .json
        return [read_jsonl(path, data, kind, options)]
