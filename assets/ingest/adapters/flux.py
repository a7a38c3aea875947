"""Flux ``HelmRelease`` and ``Kustomization`` objects as inventory.

What ``kubectl get helmreleases -A -o yaml`` (or ``-o json``, or ``kustomizations``) prints: a
``kind: List``, an API list (``HelmReleaseList``), one object, or YAML with several documents.
Field names are those of the Flux APIs (``helm.toolkit.fluxcd.io/v2``,
``kustomize.toolkit.fluxcd.io/v1``, and the older beta versions).

HelmRelease (one record per release that was ever applied):

* **service** = the Helm release name: ``status.history[0].name`` (the latest release
  snapshot), else ``spec.releaseName``, else ``[spec.targetNamespace-]metadata.name`` (what Flux
  names the release by default) — the name ``helm list`` shows for the same release.
* **version** = the applied release's ``appVersion``, else its ``chartVersion``
  (``status.history[0]``, helm-controller v2); for v2beta1 objects without history,
  ``status.lastAppliedRevision`` (the chart version applied).
* **dependencies** = ``{chartName: chartVersion}``.

Kustomization:

* **service** = ``metadata.name``; **version** from ``status.lastAppliedRevision``
  (``<ref>@sha1:<commit>``, ``<tag>@sha256:<digest>`` for OCI, ``<branch>/<commit>`` before
  Flux 2.1): the ref when it is a release tag, else the commit or digest, 12 characters.

Both:

* **environment** as for kubectl: ``--environment``, else the configured namespace or cluster
  mapping of the namespace the release is installed in (``status.history[0].namespace``,
  ``spec.targetNamespace``, else ``metadata.namespace``; cluster = the file name without
  extension), else that namespace.
* **captured_at**: ``--captured-at``, else the file's modification time.
* An object never applied (no history, no applied revision: the first install failed or is
  pending) has no version anywhere: it yields no row and is counted ``never_applied``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assets.ingest.adapters.records import (
    as_list,
    as_mapping,
    as_text,
    blank_record,
    capture_time,
    environment_of,
    is_version_tag,
    short_sha,
)
from assets.ingest.kinds import INVENTORY

if TYPE_CHECKING:
    from assets.ingest.readers import ReadOptions

SOURCE = "flux"
HELM_GROUP = "helm.toolkit.fluxcd.io/"
KUSTOMIZE_GROUP = "kustomize.toolkit.fluxcd.io/"
FLUX_KINDS = {"HelmRelease": HELM_GROUP, "Kustomization": KUSTOMIZE_GROUP}
NEVER_APPLIED = "never_applied"
# ``main@sha1:<sha>``, ``v1.2.3@sha256:<digest>``; before Flux 2.1 ``main/<sha>``
_REVISION = re.compile(r"^(?:(?P<ref>.+?)@)?(?:(?P<algo>sha1|sha256):)?(?P<id>[0-9a-f]{7,64})$")
_LEGACY_REVISION = re.compile(r"^(?P<ref>.+)/(?P<id>[0-9a-f]{40})$")


def is_flux_object(obj: Mapping[str, Any]) -> bool:
    """Whether ``obj`` is a Flux HelmRelease or Kustomization."""
    group = FLUX_KINDS.get(str(obj.get("kind")))
    return group is not None and str(obj.get("apiVersion", "")).startswith(group)


def is_flux_list(document: Mapping[str, Any]) -> bool:
    """Whether a Kubernetes list holds Flux objects (``HelmReleaseList`` or a ``List`` of them)."""
    if document.get("kind") in {"HelmReleaseList", "KustomizationList"}:
        return True
    first = next((i for i in as_list(document.get("items")) if isinstance(i, Mapping)), None)
    return first is not None and is_flux_object(first)


def flux_objects(document: Any, implied: str | None = None) -> list[tuple[str | None, Any]]:
    """``(kind, object)`` of every object; API list items take the list's kind."""
    if isinstance(document, list):
        return [pair for entry in document for pair in flux_objects(entry)]
    if isinstance(document, Mapping) and isinstance(document.get("items"), list):
        list_kind = str(document.get("kind", ""))
        kind = (
            list_kind.removesuffix("List")
            if list_kind in {"HelmReleaseList", "KustomizationList"}
            else None
        )
        return [pair for item in document["items"] for pair in flux_objects(item, kind)]
    kind = as_text(document.get("kind")) if isinstance(document, Mapping) else None
    return [(kind or implied, document)]


def revision_version(revision: str | None) -> str | None:
    """The version a Flux source revision names: a release tag, else the commit/digest."""
    if not revision:
        return None
    match = _REVISION.match(revision) or _LEGACY_REVISION.match(revision)
    if match is None:
        return revision
    ref = match["ref"]
    if ref and is_version_tag(ref):
        return ref
    return short_sha(match["id"])


def _namespace(obj: Mapping[str, Any], latest: Mapping[str, Any]) -> str | None:
    spec, metadata = as_mapping(obj.get("spec")), as_mapping(obj.get("metadata"))
    return (
        as_text(latest.get("namespace"))
        or as_text(spec.get("targetNamespace"))
        or as_text(metadata.get("namespace"))
    )


def _helm_release(obj: Mapping[str, Any]) -> dict[str, Any] | None:
    metadata, spec = as_mapping(obj.get("metadata")), as_mapping(obj.get("spec"))
    status = as_mapping(obj.get("status"))
    history = [entry for entry in as_list(status.get("history")) if isinstance(entry, Mapping)]
    latest = history[0] if history else {}  # the newest snapshot comes first
    name = as_text(metadata.get("name"))
    target = as_text(spec.get("targetNamespace"))
    default_name = f"{target}-{name}" if target and name else name
    version = (
        as_text(latest.get("appVersion"))
        or as_text(latest.get("chartVersion"))
        or as_text(status.get("lastAppliedRevision"))
    )
    if version is None:
        return None
    chart = as_text(latest.get("chartName")) or as_text(
        as_mapping(as_mapping(spec.get("chart")).get("spec")).get("chart")
    )
    chart_version = as_text(latest.get("chartVersion")) or as_text(
        status.get("lastAppliedRevision")
    )
    return {
        "service": as_text(latest.get("name")) or as_text(spec.get("releaseName")) or default_name,
        "version": version,
        "namespace": _namespace(obj, latest),
        "dependencies": {chart: chart_version} if chart and chart_version else {},
        "flux": {
            "kind": "HelmRelease",
            "name": name,
            "namespace": as_text(metadata.get("namespace")),
            "release_revision": as_text(latest.get("version")),
            "release_status": as_text(latest.get("status")),
            "last_deployed": as_text(latest.get("lastDeployed")),
        },
    }


def _kustomization(obj: Mapping[str, Any]) -> dict[str, Any] | None:
    metadata, status = as_mapping(obj.get("metadata")), as_mapping(obj.get("status"))
    revision = as_text(status.get("lastAppliedRevision"))
    if revision is None:
        return None
    return {
        "service": as_text(metadata.get("name")),
        "version": revision_version(revision),
        "namespace": _namespace(obj, {}),
        "dependencies": {},
        "flux": {
            "kind": "Kustomization",
            "name": as_text(metadata.get("name")),
            "namespace": as_text(metadata.get("namespace")),
            "revision": revision,
        },
    }


def parse_flux_objects(document: Any, path: Path, options: ReadOptions) -> list[dict[str, Any]]:
    """Canonical inventory records from Flux objects (see the module docstring)."""
    captured_at = capture_time(options)
    records = []
    for kind, obj in flux_objects(document):
        record = blank_record(INVENTORY)
        record["captured_at"] = captured_at
        if not isinstance(obj, Mapping):
            record["flux"] = {"item": obj}
            records.append(record)
            continue
        found = _kustomization(obj) if kind == "Kustomization" else _helm_release(obj)
        if found is None:
            options.skipped[NEVER_APPLIED] += 1
            continue
        record |= {
            "environment": environment_of(
                options,
                found["namespace"],
                (as_text(as_mapping(obj.get("metadata")).get("clusterName")), path.stem),
            ),
            "service": found["service"],
            "version": found["version"],
            "config": {},
            "dependencies": found["dependencies"],
        }
        record["flux"] = found["flux"]
        records.append(record)
    return records
