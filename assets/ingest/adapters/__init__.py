"""Native exports (kubectl, helm, Argo CD, GitHub, GitLab) turned into canonical records.

Detection is conservative: a document is native only when its first object carries keys
that only that tool writes, and never when it carries a canonical identity field, so a list of
canonical records is always read as records. Each format's rules are in its module.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assets.ingest.adapters import argocd, github, gitlab, helm, kubectl

if TYPE_CHECKING:
    from assets.ingest.readers import ReadOptions

#: Fields only canonical records have; an object carrying one is never a native export.
CANONICAL_MARKERS = frozenset({"deployment_id", "incident_id", "captured_at", "event_id"})
NativeBatches = dict[str, tuple[str, list[dict[str, Any]]]]

# Checked in this order: Argo CD Applications come first because they share kubectl's
# apiVersion/kind layout, and kubectl objects before the loosely keyed API formats.
_DETECTORS: tuple[tuple[str, Callable[[Mapping[str, Any]], bool]], ...] = (
    (argocd.SOURCE, argocd.is_argocd_application),
    (kubectl.SOURCE, kubectl.is_kubectl_object),
    (helm.SOURCE, helm.is_helm_release),
    (github.SOURCE, github.is_github_deployment),
    (gitlab.SOURCE, gitlab.is_gitlab_deployment),
)
_KINDS = {
    kubectl.SOURCE: ("inventory",),
    helm.SOURCE: ("inventory",),
    argocd.SOURCE: ("inventory", "deployments"),
    github.SOURCE: ("deployments",),
    gitlab.SOURCE: ("deployments",),
}
_DESCRIPTIONS = {
    kubectl.SOURCE: "kubectl output",
    helm.SOURCE: "helm list output",
    argocd.SOURCE: "an Argo CD application list",
    github.SOURCE: "a GitHub Deployments export",
    gitlab.SOURCE: "a GitLab Deployments export",
}
_CONTAINER_KEYS = ("items", "deployments")


def _first_object(entries: list[Any]) -> Mapping[str, Any] | None:
    return next((entry for entry in entries if isinstance(entry, Mapping)), None)


def _detect_object(obj: Mapping[str, Any] | None) -> str | None:
    if obj is None or CANONICAL_MARKERS & obj.keys():
        return None
    return next((name for name, detect in _DETECTORS if detect(obj)), None)


def detect_native_format(document: Any) -> str | None:
    """The tool that wrote ``document`` (``kubectl``, ``helm``, ...), or None for records."""
    if isinstance(document, list):
        first = _first_object(document)
        if first is not None and isinstance(first.get("items"), list):
            return detect_native_format(first)  # YAML documents that each hold a list
        return _detect_object(first)
    if not isinstance(document, Mapping):
        return None
    if kubectl.is_kubectl_list(document):
        # a Kubernetes list is kubectl output even when empty or when items omit their kind
        if document.get("kind") == "ApplicationList":
            return argocd.SOURCE
        first = _first_object(document["items"])
        return argocd.SOURCE if first and argocd.is_argocd_application(first) else kubectl.SOURCE
    for key in _CONTAINER_KEYS:
        if isinstance(document.get(key), list):
            return _detect_object(_first_object(document[key]))
    return _detect_object(document)


def parse_native(
    document: Any, kind_name: str, path: Path, options: ReadOptions
) -> NativeBatches | None:
    """Canonical records of a native export as ``{kind: (source, records)}``; None if the
    document is not a native export. Raise ``UnreadableFile`` when the export cannot hold
    ``kind_name`` (helm output filed under deployments), naming both.
    """
    from assets.ingest.readers import UnreadableFile

    source = detect_native_format(document)
    if source is None:
        return None
    kinds = _KINDS[source]
    if kind_name not in kinds:
        raise UnreadableFile(
            f"{path.name}: {_DESCRIPTIONS[source]} holds {' and '.join(kinds)}, not {kind_name};"
            f" move it to a {kinds[0]}/ folder or pass --kind {kinds[0]}"
        )
    if source == argocd.SOURCE:
        inventory, deployments = argocd.parse_argocd_applications(document, path, options)
        found = {"inventory": inventory, "deployments": deployments}
    elif source == kubectl.SOURCE:
        found = {"inventory": kubectl.parse_kubectl_objects(document, path, options)}
    elif source == helm.SOURCE:
        found = {"inventory": helm.parse_helm_list(document, path, options)}
    elif source == github.SOURCE:
        found = {"deployments": github.parse_github_deployments(document, path, options)}
    else:
        found = {"deployments": gitlab.parse_gitlab_deployments(document, path, options)}
    # the asked-for kind comes first and is always reported, even when empty; another kind is
    # reported only when the export holds some (Argo CD apps without history have no deploys)
    ordered = [kind_name] + [kind for kind in kinds if kind != kind_name]
    return {kind: (source, found[kind]) for kind in ordered if kind == kind_name or found[kind]}
