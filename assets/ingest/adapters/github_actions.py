"""GitHub Actions workflow runs (``GET /repos/{owner}/{repo}/actions/runs``) as deployments.

Accepted shapes: the response ``{"total_count": N, "workflow_runs": [...]}`` (several pages back
to back, or an array of pages, read as one), a bare list of runs, or one run. Field names are
GitHub's REST ones.

Only runs of the workflows named in config ``github_actions.deploy_workflows`` are deployments:
a workflow matches by its run ``name`` or by ``path`` (``.github/workflows/deploy.yml``, with or
without the ``@ref`` suffix GitHub appends for reusable workflows, or just the file name). Runs
of other workflows (tests, linters) are skipped and counted as ``not_a_deploy_workflow``.

* **deployment_id** = ``github_actions:<id>``: a re-run (``run_attempt`` 2) keeps the run's id,
  so it updates the earlier attempt instead of counting twice.
* **status**: only a ``completed`` run is final; ``conclusion`` ``success`` → succeeded,
  ``failure``/``timed_out``/``startup_failure`` → failed, ``cancelled`` → cancelled; any other
  conclusion (``skipped``, ``neutral``, ``action_required``, ``stale``) is kept as written, so
  the contract rejects it with its value. A run not completed (``queued``, ``in_progress``,
  ``waiting``, ...) gets ``in_progress``, which the contract rejects as not final.
* **started_at** = ``run_started_at`` (else ``created_at``); **finished_at** = ``updated_at``
  of a completed run (the last change of a finished run is its finish).
* **environment**: ``--environment``, else the environment configured for the workflow.
* **service**: the repository's ``name`` (``repository.name``, else the name in
  ``repository_url``/``url``), mapped through ``services.aliases`` like every service.
* **version**: ``head_branch`` when it is a release tag (a run triggered by a tag push), else
  the ``head_sha`` cut to 12 characters; **commit_sha** = ``head_sha``; **triggered_by** =
  ``triggering_actor.login``, else ``actor.login``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assets.ingest.adapters.records import (
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

SOURCE = "github_actions"
RUN_KEYS = frozenset({"head_sha", "run_number", "workflow_id"})
COMPLETED = "completed"
CONCLUSIONS = {
    "success": "succeeded",
    "failure": "failed",
    "timed_out": "failed",
    "startup_failure": "failed",
    "cancelled": "cancelled",
}
NOT_FINAL = "in_progress"
SKIPPED_RUN = "not_a_deploy_workflow"
_REPOSITORY_URL = re.compile(r"/repos/[^/]+/([^/]+)")


def is_workflow_run(obj: Mapping[str, Any]) -> bool:
    """Whether ``obj`` is a workflow run as the Actions REST API returns it."""
    return obj.keys() >= RUN_KEYS


def workflow_runs(document: Any) -> list[Any]:
    """The runs of an export: ``{"workflow_runs": [...]}``, a bare list, or one run."""
    if isinstance(document, Mapping) and isinstance(document.get("workflow_runs"), list):
        return list(document["workflow_runs"])
    if isinstance(document, list):
        return list(document)
    return [document]


def _workflow_keys(run: Mapping[str, Any]) -> list[str]:
    """The names config may use for a run's workflow: its name, path, and path's file name."""
    keys = []
    name = as_text(run.get("name"))
    if name:
        keys.append(name)
    path = as_text(run.get("path"))
    if path:
        bare = path.split("@", 1)[0]  # reusable/dynamic workflows carry ``@refs/heads/main``
        keys.extend([path, bare, bare.rsplit("/", 1)[-1]])
    return keys


def deploy_environment(run: Mapping[str, Any], workflows: Mapping[str, str]) -> str | None:
    """The environment configured for the run's workflow, or None if it does not deploy."""
    return next((workflows[key] for key in _workflow_keys(run) if key in workflows), None)


def _repository_name(run: Mapping[str, Any]) -> str | None:
    name = as_text(as_mapping(run.get("repository")).get("name"))
    if name:
        return name
    for key in ("repository_url", "url", "html_url"):
        match = _REPOSITORY_URL.search(as_text(run.get(key)) or "")
        if match:
            return match[1]
    return None


def _status(run: Mapping[str, Any]) -> str | None:
    status = as_text(run.get("status"))
    if status is None:
        return None
    if status != COMPLETED:
        return NOT_FINAL
    conclusion = as_text(run.get("conclusion"))
    return CONCLUSIONS.get(conclusion or "", conclusion)


def parse_workflow_runs(document: Any, path: Path, options: ReadOptions) -> list[dict[str, Any]]:
    """Canonical deployment records from workflow runs (see the module docstring).

    Raise ``UnreadableFile`` when no deploy workflow is configured: every run would be skipped,
    so the message names the workflows the file holds, ready to configure.
    """
    from assets.ingest.readers import UnreadableFile

    runs = workflow_runs(document)
    workflows = options.settings.github_actions.deploy_workflows
    if not workflows:
        names = sorted({key for run in runs if isinstance(run, Mapping) for key in _names(run)})
        raise UnreadableFile(
            f"{path.name}: no_deploy_workflows: GitHub Actions runs, but no workflow is configured"
            " as a deployment; set github_actions.deploy_workflows (workflow name or path ->"
            f" environment); this file's workflows: {', '.join(names) or 'none'}"
        )
    records = []
    for run in runs:
        record = blank_record(DEPLOYMENTS)
        if not isinstance(run, Mapping):
            record["github_actions"] = {"run": run}
            records.append(record)
            continue
        environment = deploy_environment(run, workflows)
        if environment is None:
            options.skipped[SKIPPED_RUN] += 1
            continue
        run_id = as_text(run.get("id"))
        head_sha = as_text(run.get("head_sha"))
        branch = as_text(run.get("head_branch"))
        status = _status(run)
        completed = as_text(run.get("status")) == COMPLETED
        actor = as_text(as_mapping(run.get("triggering_actor")).get("login")) or as_text(
            as_mapping(run.get("actor")).get("login")
        )
        record |= {
            "deployment_id": f"{SOURCE}:{run_id}" if run_id else None,
            "service": _repository_name(run),
            "environment": options.environment or environment,
            "version": branch
            if is_version_tag(branch)
            else (short_sha(head_sha) if head_sha and is_commit_sha(head_sha) else head_sha),
            "status": status,
            "started_at": format_timestamp(run.get("run_started_at"))
            or format_timestamp(run.get("created_at")),
            "finished_at": format_timestamp(run.get("updated_at")) if completed else None,
            "commit_sha": head_sha,
            "triggered_by": actor,
        }
        record["github_actions"] = {
            "workflow": as_text(run.get("name")),
            "path": as_text(run.get("path")),
            "run_number": as_text(run.get("run_number")),
            "run_attempt": as_text(run.get("run_attempt")),
            "event": as_text(run.get("event")),
            "head_branch": branch,
            "status": as_text(run.get("status")),
            "conclusion": as_text(run.get("conclusion")),
            "html_url": as_text(run.get("html_url")),
        }
        records.append(record)
    return records


def _names(run: Mapping[str, Any]) -> list[str]:
    keys = _workflow_keys(run)
    return keys[:1] + [k for k in keys[1:2] if "/" in k]  # the name and the path, for the hint
