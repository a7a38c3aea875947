"""PagerDuty incidents: the REST API's ``GET /incidents`` and the web UI's incident CSV.

**REST** (``{"incidents": [...], "limit", "offset", "more", "total"}``; one file per page, the
pages back to back, or an array of pages):

* **incident_id** = ``incident_number`` (the ``#1234`` people quote), else ``id``;
* **service** = ``service.summary`` (the service's name; ``services.aliases`` then applies);
* **opened_at** = ``created_at``;
* **resolved_at**, only for ``status: resolved``: ``resolved_at``, else
  ``last_status_change_at`` (the change that resolved it). ``triggered`` and ``acknowledged``
  incidents are open: no resolution time, whatever else the export says;
* **severity** = ``priority.summary`` (the account's priority name, ``P1`` ...) when the
  incident has a priority, else ``urgency`` (``high``/``low``), as written;
* **environment**: not in PagerDuty; the default (production) applies.

**CSV** (the incidents report download: ``id, incident_number, description, service_id,
service_name, ..., created_on, resolved_on, ..., urgency``): recognised by its header; the
same fields under their CSV names (:data:`CSV_COLUMNS`). Every other column is kept in
``extra``.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assets.ingest.adapters.paging import empty_page, first_record, page_records
from assets.ingest.adapters.records import as_mapping, as_text, blank_record, format_timestamp
from assets.ingest.kinds import INCIDENTS

if TYPE_CHECKING:
    from assets.ingest.readers import ReadOptions

SOURCE = "pagerduty"
DESCRIPTION = "a PagerDuty incidents export (GET /incidents)"
PAGE_KEY = "incidents"
PAGING_KEYS = frozenset({"limit", "offset", "more", "total"})
RESOLVED = "resolved"
_INCIDENT_TYPES = ("incident", "incident_reference")

#: the CSV download's columns (lower case, spaces as underscores) -> canonical field; the
#: first of several candidates present in a header wins
CSV_COLUMNS: dict[str, tuple[str, ...]] = {
    "incident_id": ("incident_number", "id"),
    "service": ("service_name",),
    "opened_at": ("created_on",),
    "resolved_at": ("resolved_on",),
    "severity": ("priority", "urgency"),
}
#: columns only PagerDuty's download has together: the header is PagerDuty's
CSV_SIGNATURE = frozenset({"incident_number", "service_name", "created_on"})


def is_pagerduty_incident(obj: Mapping[str, Any]) -> bool:
    """Whether ``obj`` is a PagerDuty incident object."""
    return obj.get("type") in _INCIDENT_TYPES and (
        "incident_number" in obj or isinstance(obj.get("service"), Mapping)
    )


def is_pagerduty_export(document: Any) -> bool:
    """Whether ``document`` is a ``GET /incidents`` response (or pages, or its incidents)."""
    first = first_record(document, PAGE_KEY)
    if first is not None:
        return is_pagerduty_incident(first)
    return empty_page(document, PAGE_KEY, PAGING_KEYS)


def parse_pagerduty_incidents(
    document: Any, path: Path, options: ReadOptions
) -> list[dict[str, Any]]:
    """Canonical incident records from a PagerDuty ``GET /incidents`` export."""
    records = []
    for incident in page_records(document, PAGE_KEY):
        record = blank_record(INCIDENTS)
        if not isinstance(incident, Mapping):
            record["pagerduty"] = {"incident": incident}
            records.append(record)
            continue
        status = as_text(incident.get("status"))
        resolved_at = None
        if status == RESOLVED:
            resolved_at = format_timestamp(incident.get("resolved_at")) or format_timestamp(
                incident.get("last_status_change_at")
            )
        record |= {
            "incident_id": as_text(incident.get("incident_number")) or as_text(incident.get("id")),
            "service": as_text(as_mapping(incident.get("service")).get("summary")),
            "opened_at": format_timestamp(incident.get("created_at")),
            "resolved_at": resolved_at,
            "severity": as_text(as_mapping(incident.get("priority")).get("summary"))
            or as_text(incident.get("urgency")),
            "environment": options.environment,
        }
        record["pagerduty"] = {
            "id": as_text(incident.get("id")),
            "status": status,
            "title": as_text(incident.get("title")),
            "url": as_text(incident.get("html_url")),
        }
        records.append(record)
    return records


def _normalised(name: str) -> str:
    return name.strip().lstrip("\ufeff").lower().replace(" ", "_").replace("-", "_")


def csv_column_map(header: list[str]) -> dict[str, str] | None:
    """The column map that reads a PagerDuty incidents CSV as incident records (keys are the
    header's own names), or None when ``header`` is not PagerDuty's."""
    names = {_normalised(name): name for name in header if name.strip()}
    if not names.keys() >= CSV_SIGNATURE:
        return None
    column_map: dict[str, str] = {}
    for canonical, candidates in CSV_COLUMNS.items():
        chosen = next((names[c] for c in candidates if c in names), None)
        if chosen is not None:
            column_map[chosen.strip().lstrip("\ufeff")] = canonical
    # the canonical names themselves must not stand for a second column (``id`` is extra
    # when ``incident_number`` is the id)
    for normalised, name in names.items():
        if normalised in INCIDENTS.fields and name.strip() not in column_map:
            column_map[name.strip()] = f"pagerduty_{normalised}"
    return column_map
