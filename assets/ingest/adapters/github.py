"""GitHub Deployments API exports (``GET /repos/{owner}/{repo}/deployments`` and statuses).

Accepted shapes: a list of deployment objects, each optionally carrying its ``statuses`` list
(``GET .../deployments/{id}/statuses``); or ``{"deployments": [...], "statuses": [...]}`` where
each status names its deployment by ``deployment_url``, ``deployment_id`` or ``deployment.id``.

* **status**: the latest *final* state (by ``created_at``, then status id): ``success`` →
  succeeded, ``failure``/``error`` → failed. ``inactive`` only means a later deployment to the
  environment superseded this one, so it is not a finish and the earlier success stands.
  Statuses but none final (queued, pending, in_progress) → ``in_progress``, which the contract
  rejects as not final, so a deployment still running is visible in quarantine rather than
  counted. No statuses at all → no status (rejected as missing).
* **started_at** = ``created_at``; **finished_at** = the final status's ``created_at``.
* **environment**: ``--environment``, else the final status's ``environment`` (a status may
  move the deployment), else the deployment's.
* **service**: ``payload.service``, else the repository name from ``repository_url`` (or from
  the deployment's own URL).
* **version**: ``payload.version``, else ``ref`` when it is a release tag, else the commit
  (12 characters) when the ref is a branch, else ``ref``.
* **deployment_id** = ``github:<id>``; **commit_sha** = ``sha``; **triggered_by** =
  ``creator.login``.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assets.ingest.adapters.records import (
    as_list,
    as_mapping,
    as_text,
    blank_record,
    format_timestamp,
    is_commit_sha,
    is_version_tag,
    short_sha,
)
from assets.ingest.kinds import DEPLOYMENTS

if TYPE_CHECKING:
    from assets.ingest.readers import ReadOptions

SOURCE = "github"
FINAL_STATES = {"success": "succeeded", "failure": "failed", "error": "failed"}
NOT_FINAL = "in_progress"
_DEPLOYMENT_URL = re.compile(r"/deployments/(\d+)/?$")
_REPOSITORY_URL = re.compile(r"/repos/[^/]+/([^/]+)")


def is_github_deployment(obj: Mapping[str, Any]) -> bool:
    """Whether ``obj`` is a GitHub deployment object."""
    return "statuses_url" in obj or {"task", "sha", "ref"} <= obj.keys()


def github_deployments(document: Any) -> tuple[list[Any], list[Any]]:
    """``(deployments, statuses)`` of an export; statuses listed beside the deployments."""
    if isinstance(document, Mapping) and isinstance(document.get("deployments"), list):
        return list(document["deployments"]), as_list(document.get("statuses"))
    if isinstance(document, list):
        return list(document), []
    return [document], []


def _status_owner(status: Mapping[str, Any]) -> str | None:
    owner = as_text(status.get("deployment_id")) or as_text(
        as_mapping(status.get("deployment")).get("id")
    )
    if owner:
        return owner
    match = _DEPLOYMENT_URL.search(as_text(status.get("deployment_url")) or "")
    return match[1] if match else None


def _ordered(statuses: list[Any]) -> list[Mapping[str, Any]]:
    """Statuses oldest first, each once (the API lists them newest first)."""
    unique: dict[Any, Mapping[str, Any]] = {}
    for position, status in enumerate(statuses):
        if isinstance(status, Mapping):
            unique.setdefault(status.get("id", f"position-{position}"), status)

    def order(status: Mapping[str, Any]) -> tuple[str, int]:
        # ids arrive as the text the export wrote; they order numerically
        status_id = as_text(status.get("id")) or ""
        return (
            format_timestamp(status.get("created_at")) or "",
            int(status_id) if status_id.isascii() and status_id.isdigit() else 0,
        )

    return sorted(unique.values(), key=order)


def _payload(deployment: Mapping[str, Any]) -> Mapping[str, Any]:
    payload = deployment.get("payload")
    if isinstance(payload, str):  # older API versions return the payload as JSON text
        try:
            payload = json.loads(payload)
        except json.JSONDecodeError:
            return {}
    return as_mapping(payload)


def _repository_name(deployment: Mapping[str, Any]) -> str | None:
    for key in ("repository_url", "url", "statuses_url"):
        match = _REPOSITORY_URL.search(as_text(deployment.get(key)) or "")
        if match:
            return match[1]
    return None


def _version(ref: str | None, sha: str | None) -> str | None:
    if is_version_tag(ref):
        return ref
    if sha and is_commit_sha(sha):
        return short_sha(sha)
    return ref


def parse_github_deployments(
    document: Any, path: Path, options: ReadOptions
) -> list[dict[str, Any]]:
    """Canonical deployment records from a GitHub Deployments export."""
    deployments, listed = github_deployments(document)
    statuses_of: dict[str, list[Any]] = defaultdict(list)
    for status in listed:
        # a status whose deployment is not in the file describes nothing we can record
        if isinstance(status, Mapping) and (owner := _status_owner(status)):
            statuses_of[owner].append(status)
    records = []
    for deployment in deployments:
        record = blank_record(DEPLOYMENTS)
        if not isinstance(deployment, Mapping):
            record["github"] = {"deployment": deployment}
            records.append(record)
            continue
        deployment_id = as_text(deployment.get("id"))
        statuses = _ordered(
            as_list(deployment.get("statuses")) + statuses_of.get(deployment_id or "", [])
        )
        states = [as_text(s.get("state")) for s in statuses]
        finals = [s for s in statuses if as_text(s.get("state")) in FINAL_STATES]
        final = finals[-1] if finals else None
        if final is not None:
            status = FINAL_STATES[as_text(final.get("state")) or ""]
        else:
            status = NOT_FINAL if statuses else None
        payload = _payload(deployment)
        ref, sha = as_text(deployment.get("ref")), as_text(deployment.get("sha"))
        record |= {
            "deployment_id": f"github:{deployment_id}" if deployment_id else None,
            "service": as_text(payload.get("service")) or _repository_name(deployment),
            "environment": options.environment
            or as_text(as_mapping(final).get("environment"))
            or as_text(deployment.get("environment")),
            "version": as_text(payload.get("version")) or _version(ref, sha),
            "status": status,
            "started_at": format_timestamp(deployment.get("created_at")),
            "finished_at": format_timestamp(final.get("created_at")) if final else None,
            "commit_sha": sha,
            "triggered_by": as_text(as_mapping(deployment.get("creator")).get("login")),
        }
        record["github"] = {
            "ref": ref,
            "task": as_text(deployment.get("task")),
            "state": states[-1] if states else None,
        }
        records.append(record)
    return records
