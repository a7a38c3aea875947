"""GitLab incidents: the issues API (``GET /projects/:id/issues?issue_type=incident``), whose
incidents carry ``issue_type: "incident"`` / ``type: "INCIDENT"``.

Only incidents are read; other issues in the export are left out.

* **incident_id** = ``references.full`` (``group/checkout-api#12``), else the project path of
  ``web_url`` and ``#<iid>``, else ``iid``;
* **service**: a scoped label ``service::<name>`` (or ``service:<name>``), else the project
  name (the last segment of the project path in ``web_url``);
* **severity**: the incident's ``severity`` (``CRITICAL``, ``HIGH``, ``MEDIUM``, ``LOW``)
  unless it is ``UNKNOWN`` (not set), else a label ``severity::<value>``;
* **environment**: a label ``environment::<name>`` (or ``env::<name>``), else the default;
* **opened_at** = ``created_at``; **resolved_at** = ``closed_at`` of a ``closed`` incident
  (a reopened incident is open again, whatever ``closed_at`` still says).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

from assets.ingest.adapters.paging import page_records
from assets.ingest.adapters.records import (
    as_list,
    as_mapping,
    as_text,
    blank_record,
    format_timestamp,
)
from assets.ingest.kinds import INCIDENTS

if TYPE_CHECKING:
    from assets.ingest.readers import ReadOptions

SOURCE = "gitlab_incidents"
DESCRIPTION = "a GitLab incidents export (issues with issue_type incident)"
INCIDENT = "incident"
CLOSED = "closed"
NOT_SET = "unknown"
SERVICE_LABELS = ("service",)
SEVERITY_LABELS = ("severity",)
ENVIRONMENT_LABELS = ("environment", "env")


def is_gitlab_issue(obj: Mapping[str, Any]) -> bool:
    """Whether ``obj`` is a GitLab issue (of any type)."""
    return "iid" in obj and ("issue_type" in obj or "type" in obj) and "state" in obj


def is_gitlab_incident(obj: Mapping[str, Any]) -> bool:
    """Whether ``obj`` is a GitLab issue of the incident type."""
    issue_type = as_text(obj.get("issue_type")) or as_text(obj.get("type")) or ""
    return issue_type.lower() == INCIDENT


def _issues(document: Any) -> list[Any]:
    """The issues of an export: a list, an array of such lists (``--slurp``), or an object
    holding them under ``issues``."""
    if isinstance(document, Mapping):
        return page_records(document, "issues")
    if isinstance(document, list) and document and all(isinstance(p, list) for p in document):
        return [issue for page in document for issue in page]
    return list(document) if isinstance(document, list) else [document]


def is_gitlab_incident_export(document: Any) -> bool:
    """Whether ``document`` is a list of GitLab issues (or pages of them)."""
    issues = _issues(document)
    first = next((item for item in issues if isinstance(item, Mapping)), None)
    return first is not None and is_gitlab_issue(first)


def project_path(web_url: str | None) -> str | None:
    """The project path in an issue URL (``.../group/checkout-api/-/issues/12``)."""
    if not web_url:
        return None
    url_path = urlparse(web_url).path
    if "/-/" not in url_path:
        return None
    return as_text(url_path.split("/-/", 1)[0].strip("/"))


def label_value(labels: list[str], names: tuple[str, ...]) -> str | None:
    """The value of the first label ``<name>::<value>`` or ``<name>:<value>`` for ``names``."""
    for label in labels:
        for separator in ("::", ":"):
            name, found, value = label.partition(separator)
            if found and name.strip().lower() in names and value.strip():
                return value.strip()
    return None


def parse_gitlab_incidents(document: Any, path: Path, options: ReadOptions) -> list[dict[str, Any]]:
    """Canonical incident records from the incidents of a GitLab issues export."""
    records = []
    for issue in _issues(document):
        record = blank_record(INCIDENTS)
        if not isinstance(issue, Mapping):
            record["gitlab"] = {"issue": issue}
            records.append(record)
            continue
        if not is_gitlab_incident(issue):
            continue
        labels = [text for label in as_list(issue.get("labels")) if (text := as_text(label))]
        web_url = as_text(issue.get("web_url"))
        project = project_path(web_url)
        iid = as_text(issue.get("iid"))
        reference = as_text(as_mapping(issue.get("references")).get("full"))
        if reference is None and project and iid:
            reference = f"{project}#{iid}"
        severity = as_text(issue.get("severity"))
        if severity and severity.lower() == NOT_SET:
            severity = None
        state = as_text(issue.get("state"))
        record |= {
            "incident_id": reference or iid,
            "service": label_value(labels, SERVICE_LABELS)
            or (project.rsplit("/", 1)[-1] if project else None),
            "opened_at": format_timestamp(issue.get("created_at")),
            "resolved_at": format_timestamp(issue.get("closed_at")) if state == CLOSED else None,
            "severity": severity or label_value(labels, SEVERITY_LABELS),
            "environment": options.environment or label_value(labels, ENVIRONMENT_LABELS),
        }
        record["gitlab"] = {
            "id": as_text(issue.get("id")),
            "state": state,
            "title": as_text(issue.get("title")),
            "labels": labels,
        }
        records.append(record)
    return records
