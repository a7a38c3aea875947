"""Opsgenie incidents: the Incident API's list (``GET /v1/incidents``: ``{"data": [...],
"paging", "took", "requestId"}``) or one incident (``GET /v1/incidents/:id``: ``{"data": {}}``).

* **incident_id** = ``tinyId`` (the number Opsgenie shows), else ``id``;
* **service**: the first of ``impactedServices`` (service ids) named through the config's
  ``opsgenie.services`` (id -> name), else the id itself (``services.aliases`` may name it);
  further impacted services are kept in ``extra``;
* **opened_at** = ``impactStartDate`` when set, else ``createdAt``;
* **resolved_at**, only for ``status`` ``resolved``/``closed``: ``impactEndDate``, else
  ``updatedAt`` (the last change, which closed it). ``open`` incidents have none;
* **severity** = ``priority`` (``P1`` ... ``P5``), as written;
* **environment**: not in Opsgenie; the default (production) applies.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assets.ingest.adapters.paging import first_record, page_records
from assets.ingest.adapters.records import as_list, as_text, blank_record, format_timestamp
from assets.ingest.kinds import INCIDENTS

if TYPE_CHECKING:
    from assets.ingest.readers import ReadOptions

SOURCE = "opsgenie"
DESCRIPTION = "an Opsgenie incidents export (GET /v1/incidents)"
PAGE_KEY = "data"
CLOSED_STATUSES = frozenset({"resolved", "closed"})


def is_opsgenie_incident(obj: Mapping[str, Any]) -> bool:
    """Whether ``obj`` is an Opsgenie incident object."""
    return "tinyId" in obj and ("impactedServices" in obj or "message" in obj)


def _incidents(document: Any) -> list[Any]:
    if isinstance(document, Mapping) and isinstance(document.get(PAGE_KEY), Mapping):
        return [document[PAGE_KEY]]  # one incident: GET /v1/incidents/:id
    return page_records(document, PAGE_KEY)


def is_opsgenie_export(document: Any) -> bool:
    """Whether ``document`` is an Opsgenie incident list (or pages of one, or one incident)."""
    if isinstance(document, Mapping) and isinstance(document.get(PAGE_KEY), Mapping):
        return is_opsgenie_incident(document[PAGE_KEY])
    first = first_record(document, PAGE_KEY)
    return first is not None and is_opsgenie_incident(first)


def parse_opsgenie_incidents(
    document: Any, path: Path, options: ReadOptions
) -> list[dict[str, Any]]:
    """Canonical incident records from an Opsgenie Incident API export."""
    names = options.settings.opsgenie.services
    records = []
    for incident in _incidents(document):
        record = blank_record(INCIDENTS)
        if not isinstance(incident, Mapping):
            record["opsgenie"] = {"incident": incident}
            records.append(record)
            continue
        status = as_text(incident.get("status"))
        resolved_at = None
        if status and status.lower() in CLOSED_STATUSES:
            resolved_at = format_timestamp(incident.get("impactEndDate")) or format_timestamp(
                incident.get("updatedAt")
            )
        services = [text for s in as_list(incident.get("impactedServices")) if (text := as_text(s))]
        record |= {
            "incident_id": as_text(incident.get("tinyId")) or as_text(incident.get("id")),
            "service": names.get(services[0], services[0]) if services else None,
            "opened_at": format_timestamp(incident.get("impactStartDate"))
            or format_timestamp(incident.get("createdAt")),
            "resolved_at": resolved_at,
            "severity": as_text(incident.get("priority")),
            "environment": options.environment,
        }
        record["opsgenie"] = {
            "id": as_text(incident.get("id")),
            "status": status,
            "message": as_text(incident.get("message")),
            "impacted_services": services,
        }
        records.append(record)
    return records
