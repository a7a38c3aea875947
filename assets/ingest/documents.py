"""JSON and YAML text parsed into values of text, within the configured limits.

Values are text as written: a JSON number keeps its literal text (``1.10`` stays ``1.10``) and
every YAML scalar is its source text (``010``, ``no``, ``1e3``, ``2026-01-02`` stay as they
are); only YAML's null (``~``, ``null``, an empty value) becomes None, so a missing field stays
missing. JSON ``true``/``false`` stay booleans; the readers write them as ``true``/``false``.

The work one input can cause is bounded before it is done:

* nesting deeper than ``limits.max_depth`` fails with ``too_deep``, found for JSON by one
  linear scan of the brackets outside strings before parsing, and for YAML on the parser's
  event stream, which is built into values without recursion;
* a YAML anchor or alias fails with ``yaml_alias`` unless ``limits.yaml_aliases`` is true, and
  then aliases may repeat at most :data:`MAX_ALIAS_NODES` nodes (``too_large``), so an alias
  bomb of a few hundred bytes cannot expand to billions of values.

Paginated API output reads like one response: ``gh api --paginate`` writes its pages back to
back (arrays ``[...][...]``, or objects ``{"total_count": .., "workflow_runs": [..]}{...}``)
and ``--slurp`` writes one array of pages; :func:`join_pages` turns either into the single
array or object that one unpaginated response would have been.

A key that appears twice in one object is not resolved silently: the parse keeps a note of
every mapping holding a repeated key (:attr:`Parsed.duplicates`) and the reader quarantines
the record that contains it.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import yaml

from assets.settings import Limits

#: Nodes that YAML aliases may repeat in one file (each alias counts every node it stands for).
MAX_ALIAS_NODES = 1_000_000

# a JSON string, possibly unterminated (the parser stops there, so the rest is inside it)
_JSON_STRING = re.compile(rb'"(?:[^"\\]++|\\.?)*+(?:"|\Z)', re.DOTALL)
_OPENERS = b"[{"
_CLOSERS = b"]}"
# keep only brackets, then map an opener to +1 and a closer to -1 (as signed bytes)
_NOT_BRACKETS = bytes(b for b in range(256) if b not in _OPENERS + _CLOSERS)
_BRACKET_STEPS = bytes.maketrans(_OPENERS + _CLOSERS, b"\x01\x01\xff\xff")
# YAML 1.1 null, as SafeLoader resolves an untagged plain scalar
_YAML_NULL = re.compile(r"^(?:~|null|Null|NULL|)$")
_YAML_NULL_TAG = "tag:yaml.org,2002:null"
_YAML_MERGE_KEY = "<<"
_LIBYAML_DEPTH_PROBLEM = "maximum nesting depth"
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when it is installed
#: Keys under which paginated APIs put a page's records (kubectl, GitHub Actions, Jenkins,
#: PagerDuty, Opsgenie, Jira, GitHub/GitLab Deployments saved as an object).
PAGE_KEYS = frozenset(
    {"items", "workflow_runs", "builds", "incidents", "data", "issues", "deployments"}
)
#: Keys that must agree between pages of one response (a List's kind names its items' kind).
_PAGE_IDENTITY_KEYS = ("kind", "apiVersion")
_JSON_WHITESPACE = re.compile(r"[ \t\n\r]*")


class DocumentError(ValueError):
    """Text that cannot be parsed within the limits: ``code`` is the reason code."""

    def __init__(self, code: str, detail: str, *, several_values: bool = False) -> None:
        super().__init__(f"{code}: {detail}")
        self.code = code
        self.detail = detail
        #: JSON text holding several values one after another (JSON Lines under ``.json``)
        self.several_values = several_values


@dataclass
class Parsed:
    """A parsed document and what the parse noticed about it."""

    value: Any
    #: ``id(mapping) -> (mapping, keys it holds more than once)``; the mapping is kept so
    #: its id cannot be reused by another object
    duplicates: dict[int, tuple[Any, list[str]]] = field(default_factory=dict)
    #: whether JSON ``NaN``/``Infinity`` appeared (valid for Python, not for strict JSON)
    constants: bool = False


# -- JSON ------------------------------------------------------------------------------------


def nesting_depth(data: bytes) -> int:
    """The deepest nesting of JSON arrays and objects in ``data``, brackets in strings aside.

    Linear and without recursion: strings are cut out by a regular expression, the brackets
    left become steps of +1/-1 and the depth is the largest running sum.
    """
    if data.count(b"[") + data.count(b"{") == 0:
        return 0
    steps = _JSON_STRING.sub(b"", data).translate(_BRACKET_STEPS, _NOT_BRACKETS)
    if not steps:
        return 0
    signed = pa.Array.from_buffers(pa.int8(), len(steps), [None, pa.py_buffer(steps)])
    return max(0, pc.max(pc.cumulative_sum(signed.cast(pa.int32()))).as_py())


def check_json_depth(data: bytes, max_depth: int) -> None:
    """Raise ``too_deep`` when ``data`` nests JSON arrays/objects deeper than ``max_depth``."""
    # fewer brackets than the limit cannot nest past it: most records skip the scan
    if data.count(b"[") + data.count(b"{") <= max_depth:
        return
    depth = nesting_depth(data)
    if depth > max_depth:
        raise DocumentError("too_deep", f"nests {depth} levels, {_too_deep(max_depth)}")


def _too_deep(max_depth: int) -> str:
    return f"nesting deeper than limits.max_depth ({max_depth})"


def parse_json(data: bytes, text: str, max_depth: int) -> Parsed:
    """Parse one JSON value, numbers kept as their literal text.

    ``data`` are the bytes ``text`` was decoded from (scanned for depth before parsing).
    """
    check_json_depth(data, max_depth)
    parsed = Parsed(None)

    def pairs_to_dict(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        result = dict(pairs)
        if len(result) != len(pairs):
            counts = Counter(key for key, _ in pairs)
            repeated = [key for key, count in counts.items() if count > 1]
            parsed.duplicates[id(result)] = (result, repeated)
        return result

    def constant(name: str) -> str:
        parsed.constants = True
        return name

    decoder = json.JSONDecoder(
        parse_int=str, parse_float=str, parse_constant=constant, object_pairs_hook=pairs_to_dict
    )
    try:
        parsed.value = decoder.decode(text)
    except json.JSONDecodeError as exc:
        if exc.msg != "Extra data":
            raise DocumentError(
                "invalid_json", f"line {exc.lineno}, column {exc.colno}: {exc.msg}"
            ) from None
        pages = join_pages(_decode_values(text, decoder))
        if pages is None:  # not pages of one response: one JSON value per line, maybe
            raise DocumentError(
                "invalid_json",
                f"line {exc.lineno}, column {exc.colno}: {exc.msg}",
                several_values=True,
            ) from None
        parsed.value = pages
    except RecursionError:
        # only reachable when limits.max_depth is set above what the interpreter can follow
        raise DocumentError("too_deep", _too_deep(max_depth)) from None
    if SURROGATE_ESCAPE.search(text) and not _encodable(parsed.value):
        raise DocumentError(
            "invalid_encoding", "a lone surrogate escape (\\ud800-\\udfff) is not text"
        )
    return parsed


#: a ``\uD800``-``\uDFFF`` escape: valid JSON, but alone (unpaired) it is no character
SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")


def _encodable(value: Any) -> bool:
    """Whether every string in a parsed value is text (no lone surrogates); iterative."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                return False
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return True


def _decode_values(text: str, decoder: json.JSONDecoder) -> list[Any]:
    """Every JSON value of ``text`` written back to back; empty if one of them is not JSON."""
    values: list[Any] = []
    index = _JSON_WHITESPACE.match(text, 0).end()
    while index < len(text):
        try:
            value, index = decoder.raw_decode(text, index)
        except json.JSONDecodeError:
            return []
        values.append(value)
        index = _JSON_WHITESPACE.match(text, index).end()
    return values


def _page_keys(value: Any) -> frozenset[str]:
    if not isinstance(value, dict):
        return frozenset()
    return frozenset(key for key in PAGE_KEYS if isinstance(value.get(key), list))


def join_pages(values: list[Any]) -> Any | None:
    """The one response that paginated output stands for, or None if ``values`` are not pages.

    Arrays join into one array. Objects are pages when each holds its records in a list under
    the same :data:`PAGE_KEYS` and they agree on ``kind``/``apiVersion``: their lists join and
    the first page's other fields stay (a later page's ``total_count`` says the same).
    """
    if not values:
        return None
    if all(isinstance(value, list) for value in values):
        return [item for value in values for item in value]
    keys = _page_keys(values[0])
    identity = [tuple(v.get(k) for k in _PAGE_IDENTITY_KEYS) for v in values if isinstance(v, dict)]
    if (
        not keys
        or len(identity) != len(values)
        or any(_page_keys(value) != keys for value in values)
        or len(set(identity)) != 1
    ):
        return None
    joined = dict(values[0])
    # every list the pages share joins (a saved ``statuses`` list beside ``deployments``)
    shared = [k for k, v in joined.items() if isinstance(v, list)]
    for key in shared:
        joined[key] = [
            item for value in values if isinstance(value.get(key), list) for item in value[key]
        ]
    return joined


def unslurp(document: Any) -> Any:
    """``gh api --paginate --slurp`` output (an array of pages) as the response it pages."""
    if not isinstance(document, list) or not document:
        return document
    if all(isinstance(page, list) for page in document) or all(
        _page_keys(page) for page in document
    ):
        joined = join_pages(document)
        return document if joined is None else joined
    return document


# -- YAML ------------------------------------------------------------------------------------


@dataclass
class _Collection:
    """A YAML mapping or sequence being built from events."""

    is_mapping: bool
    anchor: str | None
    items: list[Any] = field(default_factory=list)
    mapping: dict[Any, Any] = field(default_factory=dict)
    merges: list[Any] = field(default_factory=list)
    repeated: list[Any] = field(default_factory=list)
    #: nodes this collection stands for, itself included, aliases expanded
    size: int = 1
    key: Any = None
    has_key: bool = False
    merging: bool = False


def _line(event: yaml.Event) -> int:
    return event.start_mark.line + 1 if event.start_mark is not None else 0


def _scalar(event: yaml.ScalarEvent) -> str | None:
    """A scalar as its source text; None for YAML's null (so a missing value stays missing)."""
    if event.tag == _YAML_NULL_TAG:
        return None
    plain = not event.style and event.implicit[0]
    if plain and _YAML_NULL.match(event.value):
        return None
    return event.value


def _is_merge_key(event: yaml.Event) -> bool:
    return (
        isinstance(event, yaml.ScalarEvent)
        and not event.style
        and event.implicit[0]
        and event.value == _YAML_MERGE_KEY
    )


def _add_to(parent: _Collection, value: Any, size: int, event: yaml.Event) -> None:
    """Put a finished node into the collection being built."""
    parent.size += size
    if not parent.is_mapping:
        parent.items.append(value)
        return
    if not parent.has_key:
        if isinstance(value, dict | list):
            raise DocumentError("invalid_yaml", f"line {_line(event)}: a key must be a scalar")
        parent.key, parent.has_key, parent.merging = value, True, _is_merge_key(event)
        return
    if parent.merging:
        sources = value if isinstance(value, list) else [value]
        if not all(isinstance(source, dict) for source in sources):
            raise DocumentError(
                "invalid_yaml", f"line {_line(event)}: '<<' merges a mapping or a list of them"
            )
        parent.merges.extend(sources)
    else:
        if parent.key in parent.mapping:
            parent.repeated.append(parent.key)
        parent.mapping[parent.key] = value
    parent.has_key = parent.merging = False


def _finish(node: _Collection, duplicates: dict[int, tuple[Any, list[str]]]) -> Any:
    if not node.is_mapping:
        return node.items
    value = node.mapping
    if node.merges:
        # explicit keys win over merged ones, and an earlier merged mapping over a later one
        value = {}
        for source in reversed(node.merges):
            value.update(source)
        value.update(node.mapping)
    if node.repeated:
        keys = list(dict.fromkeys(str(key) for key in node.repeated))
        duplicates[id(value)] = (value, keys)
    return value


def parse_yaml(text: str, limits: Limits) -> Parsed:
    """Parse a YAML stream into the list of its documents, scalars as their source text.

    Built iteratively from the parser's events, so depth, anchors and alias expansion are
    checked as the events arrive, before any value they would create exists.
    """
    parsed = Parsed([])
    documents: list[Any] = parsed.value
    stack: list[_Collection] = []
    anchors: dict[str, tuple[Any, int | None]] = {}
    repeated_by_aliases = 0

    def place(value: Any, size: int, event: yaml.Event) -> None:
        if stack:
            _add_to(stack[-1], value, size, event)
        else:
            documents.append(value)

    for event in _yaml_events(text, limits.max_depth):
        anchor = getattr(event, "anchor", None)
        if anchor is not None and not limits.yaml_aliases:
            raise DocumentError(
                "yaml_alias",
                f"line {_line(event)}: YAML aliases are not allowed;"
                " set limits.yaml_aliases: true to allow them",
            )
        if isinstance(event, yaml.DocumentStartEvent):
            anchors.clear()  # an anchor names a node of its own document only
        elif isinstance(event, yaml.MappingStartEvent | yaml.SequenceStartEvent):
            if len(stack) >= limits.max_depth:
                raise DocumentError(
                    "too_deep", f"line {_line(event)}: {_too_deep(limits.max_depth)}"
                )
            stack.append(_Collection(isinstance(event, yaml.MappingStartEvent), event.anchor))
            if event.anchor is not None:
                anchors[event.anchor] = (None, None)  # open: an alias to it would recurse
        elif isinstance(event, yaml.MappingEndEvent | yaml.SequenceEndEvent):
            node = stack.pop()
            value = _finish(node, parsed.duplicates)
            if node.anchor is not None:
                anchors[node.anchor] = (value, node.size)
            place(value, node.size, event)
        elif isinstance(event, yaml.ScalarEvent):
            value = _scalar(event)
            if event.anchor is not None:
                anchors[event.anchor] = (value, 1)
            place(value, 1, event)
        elif isinstance(event, yaml.AliasEvent):
            if event.anchor not in anchors:
                raise DocumentError(
                    "invalid_yaml", f"line {_line(event)}: alias *{event.anchor} names no anchor"
                )
            value, size = anchors[event.anchor]
            if size is None:
                raise DocumentError(
                    "too_large",
                    f"line {_line(event)}: alias *{event.anchor} repeats a node that holds it",
                )
            repeated_by_aliases += size
            if repeated_by_aliases > MAX_ALIAS_NODES:
                raise DocumentError(
                    "too_large",
                    f"line {_line(event)}: aliases repeat more than {MAX_ALIAS_NODES:,} nodes",
                )
            place(value, size, event)
    return parsed


def _yaml_events(text: str, max_depth: int) -> Iterator[yaml.Event]:
    try:
        yield from yaml.parse(text, Loader=_YAML_LOADER)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"line {mark.line + 1}: " if mark is not None else ""
        if _LIBYAML_DEPTH_PROBLEM in (exc.problem or ""):
            # libyaml scans ahead and stops at its own nesting bound, deeper than ours
            raise DocumentError("too_deep", f"{where}{_too_deep(max_depth)}") from None
        raise DocumentError("invalid_yaml", f"{where}{exc.problem or 'not valid YAML'}") from None
    except yaml.YAMLError as exc:
        raise DocumentError("invalid_yaml", str(exc).splitlines()[0]) from None


# -- repeated keys ---------------------------------------------------------------------------


def repeated_keys(value: Any, duplicates: dict[int, tuple[Any, list[str]]]) -> list[str]:
    """Keys repeated in any mapping within ``value`` (iterative: nesting may be deep)."""
    if not duplicates:
        return []
    found: list[str] = []
    seen: set[int] = set()
    pending = [value]
    while pending:
        item = pending.pop()
        if not isinstance(item, dict | list) or id(item) in seen:
            continue
        seen.add(id(item))  # an aliased node is looked at once
        if id(item) in duplicates:
            found.extend(duplicates[id(item)][1])
        pending.extend(item.values() if isinstance(item, dict) else item)
    return list(dict.fromkeys(found))
