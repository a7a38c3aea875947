"""GitLab Deployments API exports (``GET /projects/:id/deployments``).

* **status**: ``success`` → succeeded, ``failed`` → failed, ``canceled`` → cancelled;
  ``created``, ``running`` and ``blocked`` (waiting for approval) → ``in_progress``, which the
  contract rejects as not final. Any other state (``skipped``) is passed on unchanged so the
  contract rejects it naming the value.
* **started_at**: the job's ``deployable.started_at``, else the deployment's ``created_at``
  (a manual job is created long before anyone starts it, so the job's ``created_at`` is not
  used). **finished_at** (final states only): ``finished_at``, else the job's
  ``finished_at``, else ``updated_at`` (when the status last changed).
* **service**: a ``service`` or ``project`` key (exports enriched per project), else the
  project path in ``deployable.pipeline.web_url`` (the segment before ``/-/``), else the file
  name without extension (exports are usually saved per project).
* **version**: ``ref`` when the job ran for a tag or the ref is a release tag, else the commit
  (12 characters), else ``ref``.
* **environment**: ``--environment``, else ``environment.name``.
* **deployment_id** = ``gitlab:<id>``; **commit_sha** = ``sha``; **triggered_by** =
  ``user.username``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

from assets.ingest.adapters.records import (
    as_mapping,
    as_text,
    blank_record,
    format_timestamp,
    is_commit_sha,
    is_true,
    is_version_tag,
    short_sha,
)
from assets.ingest.kinds import DEPLOYMENTS

if TYPE_CHECKING:
    from assets.ingest.readers import ReadOptions

SOURCE = "gitlab"
NOT_FINAL = "in_progress"
STATUSES = {
    "success": "succeeded",
    "failed": "failed",
    "canceled": "cancelled",
    "created": NOT_FINAL,
    "running": NOT_FINAL,
    "blocked": NOT_FINAL,
}
_FINAL = {"succeeded", "failed", "cancelled"}
# before GitLab 12 pipeline URLs had no "/-/" separator: <project>/pipelines/<id>
_LEGACY_PIPELINE_PATH = re.compile(r"^(?P<project>.+)/pipelines/\d+/?$")


def is_gitlab_deployment(obj: Mapping[str, Any]) -> bool:
    """Whether ``obj`` is a GitLab deployment object."""
    return "iid" in obj and ("deployable" in obj or isinstance(obj.get("environment"), Mapping))


def gitlab_deployments(document: Any) -> list[Any]:
    """The deployment objects of an export: a list, ``{"deployments": [...]}``, or one object."""
    if isinstance(document, Mapping) and isinstance(document.get("deployments"), list):
        return list(document["deployments"])
    return list(document) if isinstance(document, list) else [document]


def project_of_pipeline_url(url: str | None) -> str | None:
    """The project name in a pipeline URL (``.../group/checkout-api/-/pipelines/7``)."""
    if not url:
        return None
    url_path = urlparse(url).path
    if "/-/" in url_path:
        project_path = url_path.split("/-/", 1)[0]
    elif legacy := _LEGACY_PIPELINE_PATH.match(url_path):
        project_path = legacy["project"]
    else:
        return None
    return as_text(project_path.rstrip("/").rsplit("/", 1)[-1])


def _named(value: Any, *keys: str) -> str | None:
    """Text of ``value``, or of its first present key when it is an object."""
    if isinstance(value, Mapping):
        return next((text for key in keys if (text := as_text(value.get(key)))), None)
    return as_text(value)


def parse_gitlab_deployments(
    document: Any, path: Path, options: ReadOptions
) -> list[dict[str, Any]]:
    """Canonical deployment records from a GitLab Deployments export."""
    records = []
    for deployment in gitlab_deployments(document):
        record = blank_record(DEPLOYMENTS)
        if not isinstance(deployment, Mapping):
            record["gitlab"] = {"deployment": deployment}
            records.append(record)
            continue
        deployable = as_mapping(deployment.get("deployable"))
        pipeline = as_mapping(deployable.get("pipeline"))
        state = as_text(deployment.get("status"))
        status = STATUSES.get(state.lower(), state) if state else None
        finished_at = None
        if status in _FINAL:
            finished_at = (
                format_timestamp(deployment.get("finished_at"))
                or format_timestamp(deployable.get("finished_at"))
                or format_timestamp(deployment.get("updated_at"))
            )
        ref, sha = as_text(deployment.get("ref")), as_text(deployment.get("sha"))
        tagged = is_true(deployment.get("tag")) or is_true(deployable.get("tag"))
        if tagged or is_version_tag(ref):
            version = ref
        else:
            version = short_sha(sha) if sha and is_commit_sha(sha) else ref
        deployment_id = as_text(deployment.get("id"))
        user = as_mapping(deployment.get("user")) or as_mapping(deployable.get("user"))
        record |= {
            "deployment_id": f"gitlab:{deployment_id}" if deployment_id else None,
            "service": as_text(deployment.get("service"))
            or _named(deployment.get("project"), "path", "name")
            or project_of_pipeline_url(as_text(pipeline.get("web_url")))
            or path.stem,
            "environment": options.environment or _named(deployment.get("environment"), "name"),
            "version": version,
            "status": status,
            "started_at": format_timestamp(deployable.get("started_at"))
            or format_timestamp(deployment.get("created_at")),
            "finished_at": finished_at,
            "commit_sha": sha,
            "triggered_by": as_text(user.get("username")),
        }
        record["gitlab"] = {
            "iid": as_text(deployment.get("iid")),
            "ref": ref,
            "status": state,
            "pipeline": as_text(pipeline.get("web_url")),
        }
        records.append(record)
    return records
