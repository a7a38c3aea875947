"""``json_map``: any JSON export read as canonical records through the user's JMESPath map.

A map (config ``json_map: {<name>: {kind, records, fields, match, source}}``) selects the list
of records with ``records`` (evaluated on the whole document) and fills each canonical field
with its expression in ``fields`` (evaluated on one record). A map with ``match`` applies to
every file where that expression is truthy, before any built-in format; a map without one
applies only to a file of its kind that no built-in format recognises.

Values are kept as written: text stays text, a JSON number keeps its literal text, and a
field whose expression finds nothing is left empty for the data contract to judge. The record
as selected is kept beside the fields, so a rejected row shows what the export held.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jmespath

from assets.ingest.adapters.records import blank_record
from assets.ingest.kinds import kind_named

if TYPE_CHECKING:
    from assets.ingest.readers import ReadOptions
    from assets.settings import JsonMap, Settings

#: the key under which each record keeps what the export held
ORIGINAL_KEY = "json_map_record"


def source_of(name: str, spec: JsonMap) -> str:
    """The ``source`` a map's records are stored under."""
    return spec.source or name


def matching_map(document: Any, settings: Settings) -> tuple[str, JsonMap] | None:
    """The first configured map whose ``match`` is truthy for ``document``."""
    for name, spec in settings.json_map.items():
        if spec.match is not None and jmespath.search(spec.match, document):
            return name, spec
    return None


def fallback_map(document: Any, kind_name: str, settings: Settings) -> tuple[str, JsonMap] | None:
    """The first map without ``match``, of ``kind_name``, whose ``records`` finds a list of
    records in ``document``."""
    for name, spec in settings.json_map.items():
        if spec.match is None and spec.kind == kind_name:
            found = jmespath.search(spec.records, document)
            if isinstance(found, list) and found:
                return name, spec
    return None


def parse_mapped(
    document: Any, name: str, spec: JsonMap, path: Path, options: ReadOptions
) -> list[dict[str, Any]]:
    """Canonical records of ``document`` through the map ``name``.

    Raise ``UnreadableFile`` when ``records`` does not select a list.
    """
    from assets.ingest.readers import UnreadableFile

    found = jmespath.search(spec.records, document)
    if found is None:
        found = []
    if not isinstance(found, list):
        raise UnreadableFile(
            f"{path.name}: json_map_records: json_map {name}: records ({spec.records!r})"
            f" selects a {type(found).__name__}, not a list of records"
        )
    kind = kind_named(spec.kind)
    records = []
    for item in found:
        record = blank_record(kind)
        for field, expression in spec.fields.items():
            record[field] = jmespath.search(expression, item) if isinstance(item, Mapping) else None
        if options.environment and "environment" in record:
            record["environment"] = options.environment
        record[ORIGINAL_KEY] = item
        records.append(record)
    return records
