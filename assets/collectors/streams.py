"""What each API is asked, page by page, and the page documents written for the adapters.

Each stream yields the documents to write, one per API page that held new records, in the
shape the matching adapter reads (the documented response shape; numbers as written):

* **GitHub deployments** (``GET /repos/{owner}/{repo}/deployments``, newest first, no time
  filter): pages are read until one reaches the cursor; each new deployment's statuses
  (``GET {statuses_url}``, all pages) are fetched, and the page is written as
  ``{"deployments": [...], "statuses": [...]}`` (each status names its ``deployment_url``).
  Cursor: ``created_at``; a deployment without a success/failure/error status is open.
* **GitHub Actions runs** (``GET /repos/{owner}/{repo}/actions/runs?created=>=T``): written as
  ``{"total_count": n, "workflow_runs": [...]}``. Cursor: ``created_at``; a run whose
  ``status`` is not ``completed`` is open.
* **GitLab deployments** (``GET /projects/:id/deployments?updated_after=T&order_by=updated_at
  &sort=asc``): the project (``GET /projects/:id``) is looked up once, and each deployment is
  written with ``project: {path, path_with_namespace}`` so the adapter names the service by
  the project. Cursor: ``updated_at`` (a deployment that finishes is updated, so none is open).
* **PagerDuty incidents** (``GET /incidents?since=T&until=now&sort_by=created_at:asc``, offset
  pagination while ``more``; without a cursor ``date_range=all``): written as
  ``{"incidents": [...], "limit": n, "offset": n, "more": b}``. A ``since`` further back than
  the API's longest range is asked in consecutive windows. Cursor: ``created_at``; an incident
  not ``resolved`` is open.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from assets.collectors.cursor import Cursor, api_time
from assets.collectors.http import MAX_PAGES, ApiClient, CollectorError

#: records asked for per page (the largest page each API allows)
GITHUB_PER_PAGE = 100
GITLAB_PER_PAGE = 100
PAGERDUTY_LIMIT = 100
#: PagerDuty refuses a since..until range longer than six months: ask in windows this long
PAGERDUTY_MAX_RANGE = dt.timedelta(days=179)
#: GitHub deployment states that end a deployment (``inactive`` does not)
GITHUB_FINAL_STATES = frozenset({"success", "failure", "error"})

GITHUB_API_VERSION = "2022-11-28"
PAGERDUTY_ACCEPT = "application/vnd.pagerduty+json;version=2"


def auth_headers(source: str, token: str) -> dict[str, str]:
    """The headers that carry ``token`` the way ``source``'s API documents it."""
    if source == "github":
        return {
            "Authorization": f"Bearer {token}",
            "Accept": "application/vnd.github+json",
            "X-GitHub-Api-Version": GITHUB_API_VERSION,
        }
    if source == "gitlab":
        return {"PRIVATE-TOKEN": token, "Accept": "application/json"}
    return {"Authorization": f"Token token={token}", "Accept": PAGERDUTY_ACCEPT}


@dataclass(frozen=True)
class Stream:
    """One scope of one source: what is pulled, into which inbox folder, under which name."""

    source: str
    #: ``<what>:<name>``, the key of its cursor, e.g. ``deployments:acme/checkout``
    scope: str
    kind: str
    #: the page files' name prefix (made safe when the file is named)
    prefix: str
    name: str


def streams_for(source: str, names: list[str]) -> list[Stream]:
    """Every stream a ``pull SOURCE`` runs for the configured repositories, projects or
    services (PagerDuty without services: one stream of all incidents)."""
    if source == "github":
        return [
            stream
            for repo in names
            for stream in (
                Stream(source, f"deployments:{repo}", "deployments", f"github-{repo}", repo),
                Stream(
                    source, f"workflow_runs:{repo}", "deployments", f"github-actions-{repo}", repo
                ),
            )
        ]
    if source == "gitlab":
        return [
            Stream(source, f"deployments:{project}", "deployments", f"gitlab-{project}", project)
            for project in names
        ]
    return [
        Stream(source, f"incidents:{service}", "incidents", f"pagerduty-{service}", service)
        for service in names or ["all"]
    ]


def _objects(document: Any, what: str, client: ApiClient) -> list[Mapping[str, Any]]:
    if not isinstance(document, list) or not all(isinstance(item, Mapping) for item in document):
        raise CollectorError(f"{client.source}: expected a list of {what}, got something else")
    return document


def _listed(document: Any, key: str, client: ApiClient) -> list[Mapping[str, Any]]:
    if not isinstance(document, Mapping):
        raise CollectorError(f"{client.source}: expected an object with {key}[], got a list")
    return _objects(document.get(key), key, client)


# -- GitHub ------------------------------------------------------------------------------------


def github_deployments(client: ApiClient, repo: str, cursor: Cursor) -> Iterator[Any]:
    """Pages of a repository's deployments newer than the cursor, with their statuses."""
    path = f"/repos/{repo}/deployments"
    for _, document in client.link_pages(path, {"per_page": GITHUB_PER_PAGE}):
        deployments = _objects(document, "deployments", client)
        new = [d for d in deployments if cursor.keep(d.get("created_at"))]
        statuses: list[Mapping[str, Any]] = []
        for deployment in new:
            url = deployment.get("statuses_url") or f"{path}/{deployment.get('id')}/statuses"
            own: list[Mapping[str, Any]] = []
            for _, page in client.link_pages(str(url), {"per_page": GITHUB_PER_PAGE}):
                own += _objects(page, "deployment statuses", client)
            is_open = not any(status.get("state") in GITHUB_FINAL_STATES for status in own)
            cursor.see(deployment.get("created_at"), is_open=is_open)
            statuses += own
        if new:
            yield {"deployments": new, "statuses": statuses}
        if len(new) < len(deployments):
            return  # newest first: the rest is at or before the cursor


def github_workflow_runs(client: ApiClient, repo: str, cursor: Cursor) -> Iterator[Any]:
    """Pages of a repository's Actions workflow runs created after the cursor."""
    params: dict[str, Any] = {"per_page": GITHUB_PER_PAGE}
    if cursor.since is not None:
        params["created"] = f">={api_time(cursor.since)}"
    for _, document in client.link_pages(f"/repos/{repo}/actions/runs", params):
        runs = _listed(document, "workflow_runs", client)
        new = [run for run in runs if cursor.keep(run.get("created_at"))]
        for run in new:
            cursor.see(run.get("created_at"), is_open=run.get("status") != "completed")
        if new:
            yield {"total_count": document.get("total_count"), "workflow_runs": new}


# -- GitLab ------------------------------------------------------------------------------------


def gitlab_deployments(client: ApiClient, project: str, cursor: Cursor) -> Iterator[Any]:
    """Pages of a project's deployments updated after the cursor, oldest update first."""
    encoded = quote(project, safe="")
    found = client.json(f"/projects/{encoded}")
    if not isinstance(found, Mapping):
        raise CollectorError(f"gitlab: expected the project {project}, got something else")
    named = {
        "id": found.get("id"),
        "path": found.get("path"),
        "path_with_namespace": found.get("path_with_namespace"),
    }
    params: dict[str, Any] = {
        "per_page": GITLAB_PER_PAGE,
        "order_by": "updated_at",
        "sort": "asc",
    }
    if cursor.since is not None:
        params["updated_after"] = api_time(cursor.since)
    for _, document in client.link_pages(f"/projects/{encoded}/deployments", params):
        deployments = _objects(document, "deployments", client)
        new = [d for d in deployments if cursor.keep(d.get("updated_at"))]
        for deployment in new:
            cursor.see(deployment.get("updated_at"))
        if new:
            yield [
                {**deployment, "project": deployment.get("project", named)} for deployment in new
            ]


# -- PagerDuty ---------------------------------------------------------------------------------


def _windows(since: dt.datetime | None, now: dt.datetime) -> list[dict[str, str]]:
    if since is None:
        return [{"date_range": "all"}]
    windows, start = [], since
    while True:
        end = min(now, start + PAGERDUTY_MAX_RANGE)
        windows.append({"since": api_time(start), "until": api_time(end)})
        if end >= now:
            return windows
        start = end


def _whole_number(value: Any, default: int) -> int:
    text = str(value) if value is not None else ""
    return int(text) if text.isascii() and text.isdigit() else default


def pagerduty_incidents(client: ApiClient, service: str, cursor: Cursor) -> Iterator[Any]:
    """Pages of incidents created after the cursor (of one service, or of all)."""
    for window in _windows(cursor.since, cursor.now):
        offset = 0
        for _ in range(MAX_PAGES):
            params: list[tuple[str, Any]] = [
                *window.items(),
                ("limit", PAGERDUTY_LIMIT),
                ("offset", offset),
                ("total", "false"),
                ("time_zone", "UTC"),
                ("sort_by", "created_at:asc"),
            ]
            if service != "all":
                params.append(("service_ids[]", service))
            document = client.json("/incidents", params)
            incidents = _listed(document, "incidents", client)
            new = [i for i in incidents if cursor.keep(i.get("created_at"))]
            for incident in new:
                cursor.see(incident.get("created_at"), is_open=incident.get("status") != "resolved")
            if new:
                yield {
                    "incidents": new,
                    "limit": document.get("limit"),
                    "offset": document.get("offset"),
                    "more": document.get("more"),
                }
            if document.get("more") is not True or not incidents:
                break
            offset = _whole_number(document.get("offset"), offset) + len(incidents)
        else:
            raise CollectorError(f"pagerduty: more than {MAX_PAGES} pages; narrow it with --since")


def fetch(client: ApiClient, stream: Stream, cursor: Cursor) -> Iterator[Any]:
    """The page documents of one stream."""
    what = stream.scope.split(":", 1)[0]
    if stream.source == "github" and what == "deployments":
        return github_deployments(client, stream.name, cursor)
    if stream.source == "github":
        return github_workflow_runs(client, stream.name, cursor)
    if stream.source == "gitlab":
        return gitlab_deployments(client, stream.name, cursor)
    return pagerduty_incidents(client, stream.name, cursor)
