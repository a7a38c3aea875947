"""Jira incident tickets: the issue search (``GET /rest/api/2|3/search`` or ``/search/jql``:
``{"issues": [...], "startAt", "maxResults", "total"}`` or ``"nextPageToken"``).

Only incidents are read: issues whose type (``fields.issuetype.name``) is one of
``jira.incident_issue_types`` (default ``Incident``) or that carry one of
``jira.incident_labels``; other issues of the search are not incidents and are left out.

* **incident_id** = ``key`` (``OPS-123``);
* **service**: the field named by ``jira.service_field``: ``components`` -> the first
  component's ``name``; a custom field (``customfield_10042``) -> its text, its option's
  ``value`` (or ``name``), or the first of a list of those;
* **opened_at** = ``fields.created``; **resolved_at** = ``fields.resolutiondate`` (null while
  the issue is unresolved). Jira writes offsets as ``+0200``; they are read as ``+02:00``;
* **severity** = ``fields.priority.name`` (``Highest`` ... ``Lowest``, or the site's own), as
  written;
* **environment**: the default (production); Jira's ``environment`` field is free text.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assets.ingest.adapters.paging import empty_page, first_record, page_records
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

SOURCE = "jira"
DESCRIPTION = "a Jira issue search export (issues[])"
PAGE_KEY = "issues"
PAGING_KEYS = frozenset({"startAt", "maxResults", "total", "nextPageToken", "isLast"})
COMPONENTS = "components"
# Jira's offset without a colon (2024-05-01T10:15:30.000+0200): ISO-8601's basic form
_BASIC_OFFSET = re.compile(r"([+-]\d{2})(\d{2})$")


def is_jira_issue(obj: Mapping[str, Any]) -> bool:
    """Whether ``obj`` is a Jira issue (``key`` plus a ``fields`` object)."""
    return "key" in obj and isinstance(obj.get("fields"), Mapping)


def is_jira_export(document: Any) -> bool:
    """Whether ``document`` is a Jira issue search response (or pages of one)."""
    first = first_record(document, PAGE_KEY)
    if first is not None:
        return is_jira_issue(first)
    return empty_page(document, PAGE_KEY, PAGING_KEYS)


def jira_timestamp(value: Any) -> str | None:
    """A Jira timestamp with its offset written ``+hh:mm``."""
    text = format_timestamp(value)
    return _BASIC_OFFSET.sub(r"\1:\2", text) if text and "T" in text else text


def _named(value: Any) -> str | None:
    """Text of a field value: text, an option (``value``/``name``), or the first of a list."""
    if isinstance(value, list):
        return next((text for item in value if (text := _named(item))), None)
    if isinstance(value, Mapping):
        return as_text(value.get("value")) or as_text(value.get("name"))
    return as_text(value)


def _is_incident(fields: Mapping[str, Any], types: set[str], labels: set[str]) -> bool:
    issue_type = as_text(as_mapping(fields.get("issuetype")).get("name"))
    issue_labels = {text for label in as_list(fields.get("labels")) if (text := as_text(label))}
    return (issue_type is not None and issue_type.lower() in types) or bool(issue_labels & labels)


def parse_jira_issues(document: Any, path: Path, options: ReadOptions) -> list[dict[str, Any]]:
    """Canonical incident records from the incident issues of a Jira search export."""
    jira = options.settings.jira
    types = {name.lower() for name in jira.incident_issue_types}
    labels = set(jira.incident_labels)
    records = []
    for issue in page_records(document, PAGE_KEY):
        record = blank_record(INCIDENTS)
        if not isinstance(issue, Mapping):
            record["jira"] = {"issue": issue}
            records.append(record)
            continue
        fields = as_mapping(issue.get("fields"))
        if not _is_incident(fields, types, labels):
            continue
        record |= {
            "incident_id": as_text(issue.get("key")) or as_text(issue.get("id")),
            "service": _named(fields.get(jira.service_field)),
            "opened_at": jira_timestamp(fields.get("created")),
            "resolved_at": jira_timestamp(fields.get("resolutiondate")),
            "severity": as_text(as_mapping(fields.get("priority")).get("name")),
            "environment": options.environment,
        }
        record["jira"] = {
            "id": as_text(issue.get("id")),
            "summary": as_text(fields.get("summary")),
            "status": as_text(as_mapping(fields.get("status")).get("name")),
            "type": as_text(as_mapping(fields.get("issuetype")).get("name")),
        }
        records.append(record)
    return records
