"""Jenkins job JSON (``/job/<name>/api/json?tree=builds[...]``): each build is a deployment.

Accepted shapes: the job object ``{"_class": ..., "builds": [...]}`` (``name``/``fullName``
when the tree asks for them), a bare list of builds, or one build. Field names are those of
Jenkins' remote access API: ``number``, ``result``, ``timestamp`` and ``duration`` (both in
milliseconds), ``building``, ``url``, ``changeSets[].items[]`` (Pipeline jobs; freestyle jobs
write one ``changeSet``) with ``commitId`` and ``timestamp``.

* **job**: the object's ``fullName``/``name``, else the job path in the build ``url``
  (``/job/apps/job/orders-deploy/12/`` → ``apps/orders-deploy``). Config
  ``jenkins.jobs.<job>`` (the full path or the last name) gives **service** and
  **environment**; builds of a job not configured are skipped and counted
  (``job_not_configured``), and a file with no configured job fails naming its jobs.
* **deployment_id** = ``jenkins:<job>:<number>``.
* **status**: ``building: true`` → ``in_progress`` (not final, rejected by the contract);
  ``result`` SUCCESS → succeeded, FAILURE → failed, UNSTABLE → failed (the deploy job ran
  into errors it did not stop at: not a clean change), ABORTED → cancelled; anything else
  (``NOT_BUILT``) kept as written, so the contract rejects it with its value.
* **started_at** = ``timestamp``; **finished_at** = ``timestamp + duration`` of a finished
  build (both read from their literal digits, as UTC).
* **version**: a custom ``displayName`` that is a release tag, else the built commit
  (``actions[].lastBuiltRevision.SHA1``), else the newest change's ``commitId``, 12 characters.
* **change_count** = the changes listed; **first_commit_at** = the oldest change's time (the
  batch size and lead time of the deployment); **commit_sha** = the built commit;
  **triggered_by** = the ``userId`` of a user cause, else the first cause's description.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assets.ingest.adapters.records import (
    as_list,
    as_mapping,
    as_text,
    blank_record,
    is_commit_sha,
    is_true,
    is_version_tag,
    short_sha,
)
from assets.ingest.kinds import DEPLOYMENTS

if TYPE_CHECKING:
    from assets.ingest.readers import ReadOptions

SOURCE = "jenkins"
RESULTS = {
    "SUCCESS": "succeeded",
    "FAILURE": "failed",
    "UNSTABLE": "failed",
    "ABORTED": "cancelled",
}
NOT_FINAL = "in_progress"
SKIPPED_BUILD = "job_not_configured"
MILLISECONDS_PER_SECOND = 1000
_JOB_IN_URL = re.compile(r"((?:/job/[^/]+)+)/\d+/?$")
_DIGITS = re.compile(r"^-?\d+$")


def is_jenkins_build(obj: Mapping[str, Any]) -> bool:
    """Whether ``obj`` is a build as the Jenkins JSON API prints it."""
    return {"number", "timestamp"} <= obj.keys() and ("result" in obj or "building" in obj)


def is_jenkins_job(document: Any) -> bool:
    """Whether ``document`` is a job object whose ``builds`` are Jenkins builds."""
    if not isinstance(document, Mapping) or not isinstance(document.get("builds"), list):
        return False
    builds = [b for b in document["builds"] if isinstance(b, Mapping)]
    marked = str(document.get("_class", "")).startswith(("hudson.", "org.jenkinsci.", "jenkins."))
    return marked or (bool(builds) and is_jenkins_build(builds[0]))


def jenkins_builds(document: Any) -> tuple[str | None, list[Any]]:
    """``(job name, builds)`` of an export: a job object, a bare list of builds, or one build."""
    if isinstance(document, Mapping) and isinstance(document.get("builds"), list):
        job = as_text(document.get("fullName")) or as_text(document.get("name"))
        return job, list(document["builds"])
    if isinstance(document, list):
        return None, list(document)
    return None, [document]


def job_of_url(url: str | None) -> str | None:
    """The job path of a build URL: ``.../job/a/job/b/12/`` → ``a/b``."""
    match = _JOB_IN_URL.search(url or "")
    if match is None:
        return None
    return "/".join(part for part in match[1].split("/job/") if part)


def from_epoch_ms(value: Any, plus_ms: Any = None) -> str | None:
    """Milliseconds since the epoch (as the literal digits) as ISO-8601 UTC; text that is not
    a whole number is returned as written, so the contract rejects it by its value."""
    text = as_text(value)
    if text is None or not _DIGITS.match(text):
        return text
    extra = as_text(plus_ms)
    total = int(text) + (int(extra) if extra and _DIGITS.match(extra) else 0)
    try:
        moment = dt.datetime.fromtimestamp(total / MILLISECONDS_PER_SECOND, tz=dt.UTC)
    except (OverflowError, OSError, ValueError):
        return text  # out of any calendar: the contract names it
    return moment.isoformat()


def _changes(build: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    sets = [*as_list(build.get("changeSets")), build.get("changeSet")]
    return [
        item
        for change_set in sets
        for item in as_list(as_mapping(change_set).get("items"))
        if isinstance(item, Mapping)
    ]


def _built_commit(build: Mapping[str, Any], changes: list[Mapping[str, Any]]) -> str | None:
    for action in as_list(build.get("actions")):
        sha = as_text(as_mapping(as_mapping(action).get("lastBuiltRevision")).get("SHA1"))
        if sha:
            return sha
    # changes are listed oldest first: the last one is what was built
    ids = [as_text(item.get("commitId")) or as_text(item.get("id")) for item in changes]
    return next((sha for sha in reversed(ids) if sha), None)


def _triggered_by(build: Mapping[str, Any]) -> str | None:
    causes = [
        as_mapping(cause)
        for action in as_list(build.get("actions"))
        for cause in as_list(as_mapping(action).get("causes"))
    ]
    for cause in causes:
        user = as_text(cause.get("userId")) or as_text(cause.get("userName"))
        if user:
            return user
    return next((d for cause in causes if (d := as_text(cause.get("shortDescription")))), None)


def _configured(job: str | None, jobs: Mapping[str, Any]) -> Any:
    if not job:
        return None
    return jobs.get(job) or jobs.get(job.rsplit("/", 1)[-1])


def parse_jenkins_builds(document: Any, path: Path, options: ReadOptions) -> list[dict[str, Any]]:
    """Canonical deployment records from a Jenkins job export (see the module docstring)."""
    from assets.ingest.readers import UnreadableFile

    job_name, builds = jenkins_builds(document)
    jobs = options.settings.jenkins.jobs
    job_of = {
        id(build): job_name or job_of_url(as_text(build.get("url")))
        for build in builds
        if isinstance(build, Mapping)
    }
    if not any(_configured(job, jobs) for job in job_of.values()):
        found = sorted({job for job in job_of.values() if job})
        raise UnreadableFile(
            f"{path.name}: job_not_configured: Jenkins builds of {', '.join(found) or 'a job'}"
            " with no service and environment configured; set jenkins.jobs.<job>:"
            " {service: ..., environment: ...}"
        )
    records = []
    for build in builds:
        record = blank_record(DEPLOYMENTS)
        if not isinstance(build, Mapping):
            record["jenkins"] = {"build": build}
            records.append(record)
            continue
        job = job_of[id(build)]
        target = _configured(job, jobs)
        if target is None:
            options.skipped[SKIPPED_BUILD] += 1
            continue
        number = as_text(build.get("number"))
        building = is_true(build.get("building"))
        result = as_text(build.get("result"))
        changes = _changes(build)
        commit = _built_commit(build, changes)
        display = as_text(build.get("displayName"))
        change_times = [t for item in changes if (t := from_epoch_ms(item.get("timestamp")))]
        record |= {
            "deployment_id": f"{SOURCE}:{job}:{number}" if number else None,
            "service": target.service,
            "environment": options.environment or target.environment,
            "version": display
            if is_version_tag(display)
            else (short_sha(commit) if commit and is_commit_sha(commit) else commit),
            "status": NOT_FINAL if building else RESULTS.get(result or "", result),
            "started_at": from_epoch_ms(build.get("timestamp")),
            "finished_at": None
            if building
            else from_epoch_ms(build.get("timestamp"), build.get("duration")),
            "change_count": str(len(changes)) if changes else None,
            "first_commit_at": min(change_times) if change_times else None,
            "commit_sha": commit,
            "triggered_by": _triggered_by(build),
        }
        record["jenkins"] = {
            "job": job,
            "number": number,
            "result": result,
            "building": building,
            "url": as_text(build.get("url")),
        }
        records.append(record)
    return records
