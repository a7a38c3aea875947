"""Argo CD applications (``argocd app list -o json`` or ``GET /api/v1/applications``).

Each Application gives one inventory record and one deployment per ``status.history`` entry.

* **environment**: label ``argocd.environment_label`` (default ``env``), else the environment of
  the longest matching ``argocd.name_prefixes`` entry, else ``--environment``, else the
  configured namespace or cluster mapping of ``spec.destination`` (cluster = destination
  ``name`` or ``server``), else the destination namespace. One export usually spans several
  environments, so what the application itself says comes before the command-line fallback.
* **service**: label ``app.kubernetes.io/name``, else the name without the matched prefix, else
  the Helm ``releaseName`` (what ``helm list`` and ``kubectl`` call the same service; fleets
  often name applications ``<cluster>-<service>``), else the application name.
* **version** (``argocd.version_from: image``, the default): when Argo CD reports images
  (``status.summary.images``), the tag of the application's main image (chosen as below): with
  Argo CD Image Updater the image tag is what was deployed, while the target revision stays
  the config repository's branch or commit. Otherwise, and always with ``version_from:
  revision``: ``spec.source.targetRevision`` when it is a release tag of a git source (not a
  branch such as ``master`` or ``feature/x``; a Helm-repository source's targetRevision is the
  chart version), else the Helm parameter ``image.tag``, else the tag of the application's
  image, else the chart version, else the synced commit (12 characters).
* An application with no sync history and no images (health ``Missing``: never deployed)
  runs nothing, so it has no inventory row; it is counted as skipped ``never_deployed``.
* **image**: from ``status.summary.images``, which lists every image the application's live
  resources use, including old ReplicaSets' tags. The image is chosen deterministically:
  among images whose repository name matches the service, release or application name (all
  images when none matches), the one whose tag equals the version, else the first listed.
  Images of other repositories become **dependencies** ``{repository name: tag}``; Helm
  parameters become **config** ``helm.<parameter>`` (value files are per-environment by design
  and are not config values).
* **captured_at**: ``--captured-at``, else the latest ``status.reconciledAt`` in the file, else
  the file's modification time. One export is one snapshot: per-application reconcile times
  would split it into one-service snapshots and make every other service look missing; the
  list cannot have been taken before its latest reconciliation, so that is the closest bound.

History entries are successful syncs: deployment id ``argocd:<application>:<history id>``,
started ``deployStartedAt`` (else ``deployedAt``), finished ``deployedAt``, version by the same
rule as above applied to the entry's source (release tag, else ``image.tag``, else the synced
revision, 12 characters for a commit), ``commit_sha`` = the revision when it is a commit.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assets.ingest.adapters.records import (
    as_list,
    as_mapping,
    as_text,
    blank_record,
    format_timestamp,
    image_of,
    is_commit_sha,
    is_true,
    is_version_tag,
    mapped_environment,
    short_sha,
    version_of_image,
)
from assets.ingest.images import ImageReference
from assets.ingest.kinds import DEPLOYMENTS, INVENTORY

if TYPE_CHECKING:
    from assets.ingest.readers import ReadOptions

SOURCE = "argocd"
NAME_LABEL = "app.kubernetes.io/name"
IMAGE_TAG_PARAMETERS = ("image.tag", "global.image.tag")
_SUCCEEDED = "succeeded"
NEVER_DEPLOYED = "never_deployed"


def is_argocd_application(obj: Mapping[str, Any]) -> bool:
    """Whether ``obj`` is an Argo CD Application (API list items carry no ``kind``)."""
    if obj.get("kind") == "Application" and str(obj.get("apiVersion", "")).startswith("argoproj"):
        return True
    spec, status = as_mapping(obj.get("spec")), as_mapping(obj.get("status"))
    has_source = isinstance(spec.get("source"), Mapping) or isinstance(spec.get("sources"), list)
    return has_source and isinstance(spec.get("destination"), Mapping) and "sync" in status


def argocd_applications(document: Any) -> list[Any]:
    """The Application objects of an export: a bare list, ``{"items": [...]}``, or one object."""
    if isinstance(document, list):
        return [app for entry in document for app in argocd_applications(entry)]
    if isinstance(document, Mapping) and isinstance(document.get("items"), list):
        return list(document["items"])
    return [document]


def parse_argocd_applications(
    document: Any, path: Path, options: ReadOptions
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Canonical ``(inventory, deployments)`` records from an Argo CD application list."""
    applications = argocd_applications(document)
    captured_at = options.captured_at or _latest_reconcile(applications)
    if captured_at is None and options.file_mtime:
        captured_at = options.file_mtime.isoformat()
    inventory: list[dict[str, Any]] = []
    deployments: list[dict[str, Any]] = []
    for app in applications:
        if not isinstance(app, Mapping):
            record = blank_record(INVENTORY)
            record["captured_at"] = captured_at
            record["argocd"] = {"application": app}
            inventory.append(record)
            continue
        identity = _identify(app, options)
        status = as_mapping(app.get("status"))
        images = as_list(as_mapping(status.get("summary")).get("images"))
        if not as_list(status.get("history")) and not images:
            options.skipped[NEVER_DEPLOYED] += 1  # nothing runs: no version to record
            continue
        inventory.append(
            _inventory_record(app, identity, captured_at, options.settings.argocd.version_from)
        )
        deployments.extend(_history_records(app, identity))
    return inventory, deployments


def _latest_reconcile(applications: list[Any]) -> str | None:
    latest: dt.datetime | None = None
    for app in applications:
        text = format_timestamp(as_mapping(as_mapping(app).get("status")).get("reconciledAt"))
        try:
            moment = dt.datetime.fromisoformat(text) if text else None
        except ValueError:
            continue  # not a timestamp: another application's time still dates the file
        if moment is not None and moment.tzinfo is not None and (latest is None or moment > latest):
            latest = moment
    return latest.isoformat() if latest else None


def _primary_source(spec_or_entry: Mapping[str, Any]) -> Mapping[str, Any]:
    # multi-source applications list ``sources``; the first is the one that names the app
    source = spec_or_entry.get("source")
    if isinstance(source, Mapping):
        return source
    sources = [s for s in as_list(spec_or_entry.get("sources")) if isinstance(s, Mapping)]
    return sources[0] if sources else {}


def _helm(source: Mapping[str, Any]) -> Mapping[str, Any]:
    return as_mapping(source.get("helm"))


def _helm_parameters(source: Mapping[str, Any]) -> dict[str, Any]:
    parameters = {}
    for parameter in as_list(_helm(source).get("parameters")):
        parameter = as_mapping(parameter)
        name = as_text(parameter.get("name"))
        if name:
            parameters[name] = parameter.get("value")
    return parameters


def _source_version(source: Mapping[str, Any]) -> str | None:
    """A release tag of a git source, else the Helm ``image.tag`` parameter."""
    target = as_text(source.get("targetRevision"))
    if "chart" not in source and is_version_tag(target):
        return target
    parameters = _helm_parameters(source)
    for name in IMAGE_TAG_PARAMETERS:
        tag = as_text(parameters.get(name))
        if tag:
            return tag
    return None


def _identify(app: Mapping[str, Any], options: ReadOptions) -> dict[str, Any]:
    """Name, environment and service of an application (shared by both record kinds)."""
    metadata = as_mapping(app.get("metadata"))
    labels = as_mapping(metadata.get("labels"))
    spec = as_mapping(app.get("spec"))
    name = as_text(metadata.get("name"))
    prefix, prefix_environment = _matched_prefix(name, options.settings.argocd.name_prefixes)
    destination = as_mapping(spec.get("destination"))
    namespace = as_text(destination.get("namespace"))
    clusters = (as_text(destination.get("name")), as_text(destination.get("server")))
    environment = (
        as_text(labels.get(options.settings.argocd.environment_label))
        or prefix_environment
        or options.environment
        or mapped_environment(options, namespace, clusters)
        or namespace
    )
    release = as_text(_helm(_primary_source(spec)).get("releaseName"))
    unprefixed = name[len(prefix) :] if name and prefix else None
    service = as_text(labels.get(NAME_LABEL)) or unprefixed or release or name
    return {
        "name": name,
        "environment": environment,
        "service": service,
        "names": {n for n in (service, release, name) if n},
    }


def _matched_prefix(name: str | None, prefixes: Mapping[str, str]) -> tuple[str | None, str | None]:
    if not name:
        return None, None
    # the longest prefix wins, so "prod-eu-" is not read as "prod-"
    for prefix in sorted(prefixes, key=len, reverse=True):
        if name.startswith(prefix):
            return prefix, prefixes[prefix]
    return None, None


def _matches_service(image: ImageReference, names: set[str]) -> bool:
    return image.name in names or any(name.endswith(f"-{image.name}") for name in names)


def _choose_image(
    images: list[tuple[str, ImageReference]], version: str | None, names: set[str]
) -> tuple[str, ImageReference] | None:
    """The application's own image among those its resources run (see the module docstring)."""
    pool = [pair for pair in images if _matches_service(pair[1], names)] or images
    if version:
        for text, image in pool + images:
            if image.tag == version:
                return text, image
    return pool[0] if pool else None


def _inventory_record(
    app: Mapping[str, Any],
    identity: dict[str, Any],
    captured_at: str | None,
    version_from: str = "image",
) -> dict[str, Any]:
    spec, status = as_mapping(app.get("spec")), as_mapping(app.get("status"))
    source = _primary_source(spec)
    target = as_text(source.get("targetRevision"))
    chart = as_text(source.get("chart"))
    listed = [as_text(entry) for entry in as_list(as_mapping(status.get("summary")).get("images"))]
    images = [(text, image) for text in listed if text and (image := image_of(text)) is not None]
    version = _source_version(source)
    chosen = _choose_image(images, version, identity["names"])
    if version_from == "image" and chosen is not None:
        version = version_of_image(chosen[1])
    if version is None and chosen is not None:
        version = version_of_image(chosen[1])
    if version is None and chart:
        version = target
    sync = as_mapping(status.get("sync"))
    synced = as_text(sync.get("revision"))
    if version is None and is_commit_sha(synced):
        version = short_sha(synced)

    dependencies: dict[str, Any] = {}
    for _, image in images:
        if chosen is not None and image.repository == chosen[1].repository:
            continue
        key = image.name if image.name not in dependencies else image.repository
        dependencies.setdefault(key, version_of_image(image))
    if chart and target:
        dependencies[chart] = target
    config = {f"helm.{name}": value for name, value in _helm_parameters(source).items()}

    record = blank_record(INVENTORY)
    record |= {
        "captured_at": captured_at,
        "environment": identity["environment"],
        "service": identity["service"],
        "version": version,
        "image": chosen[0] if chosen else None,
        "config": config,
        "dependencies": dependencies,
    }
    record["argocd"] = {
        "application": identity["name"],
        "target_revision": target,
        "revision": synced,
        "sync_status": as_text(sync.get("status")),
        "health_status": as_text(as_mapping(status.get("health")).get("status")),
        "reconciled_at": format_timestamp(status.get("reconciledAt")),
    }
    return record


def _history_records(app: Mapping[str, Any], identity: dict[str, Any]) -> list[dict[str, Any]]:
    records = []
    name = identity["name"]
    for entry in as_list(as_mapping(app.get("status")).get("history")):
        record = blank_record(DEPLOYMENTS)
        record |= {"service": identity["service"], "environment": identity["environment"]}
        if not isinstance(entry, Mapping):
            record["argocd"] = {"application": name, "history": entry}
            records.append(record)
            continue
        history_id = as_text(entry.get("id"))
        revisions = [as_text(r) for r in as_list(entry.get("revisions"))]
        revision = as_text(entry.get("revision")) or next((r for r in revisions if r), None)
        source = _primary_source(entry)
        version = _source_version(source)
        if version is None and revision:
            version = short_sha(revision) if is_commit_sha(revision) else revision
        deployed_at = format_timestamp(entry.get("deployedAt"))
        initiated = as_mapping(entry.get("initiatedBy"))
        record |= {
            "deployment_id": f"argocd:{name}:{history_id}" if name and history_id else None,
            "version": version,
            "status": _SUCCEEDED,
            "started_at": format_timestamp(entry.get("deployStartedAt")) or deployed_at,
            "finished_at": deployed_at,
            "commit_sha": revision if is_commit_sha(revision) else None,
            "triggered_by": as_text(initiated.get("username"))
            or ("automated" if is_true(initiated.get("automated")) else None),
        }
        record["argocd"] = {
            "application": name,
            "revision": revision,
            "target_revision": as_text(source.get("targetRevision")),
        }
        records.append(record)
    return records
