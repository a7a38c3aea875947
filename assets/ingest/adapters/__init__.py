"""Native exports (kubectl, helm, Argo CD, Flux, GitHub, GitHub Actions, GitLab, Jenkins, and the
incident tools PagerDuty, Opsgenie, Jira and GitLab incidents) turned into canonical records;
``json_map`` for the rest.

Detection is conservative: a document is native only when its first object carries keys
that only that tool writes, and never when it carries a canonical identity field, so a list of
canonical records is always read as records. Each format's rules are in its module. A document
that is an object list of no known format fails naming every format tried.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assets.ingest.adapters import (
    argocd,
    flux,
    github,
    github_actions,
    gitlab,
    gitlab_incidents,
    helm,
    jenkins,
    jira,
    json_map,
    kubectl,
    opsgenie,
    pagerduty,
)

if TYPE_CHECKING:
    from assets.ingest.readers import ReadOptions
    from assets.settings import JsonMap, Settings

#: Fields only canonical records have; an object carrying one is never a native export.
CANONICAL_MARKERS = frozenset({"deployment_id", "incident_id", "captured_at", "event_id"})
NativeBatches = dict[str, tuple[str, list[dict[str, Any]]]]

# Checked in this order: Argo CD Applications come first because they share kubectl's
# apiVersion/kind layout, and kubectl objects before the loosely keyed API formats.
_DETECTORS: tuple[tuple[str, Callable[[Mapping[str, Any]], bool]], ...] = (
    (argocd.SOURCE, argocd.is_argocd_application),
    (flux.SOURCE, flux.is_flux_object),
    (kubectl.SOURCE, kubectl.is_kubectl_object),
    (helm.SOURCE, helm.is_helm_release),
    (github.SOURCE, github.is_github_deployment),
    (gitlab.SOURCE, gitlab.is_gitlab_deployment),
    (github_actions.SOURCE, github_actions.is_workflow_run),
    (jenkins.SOURCE, jenkins.is_jenkins_build),
)
_KINDS = {
    kubectl.SOURCE: ("inventory",),
    helm.SOURCE: ("inventory",),
    argocd.SOURCE: ("inventory", "deployments"),
    github.SOURCE: ("deployments",),
    gitlab.SOURCE: ("deployments",),
    flux.SOURCE: ("inventory",),
    github_actions.SOURCE: ("deployments",),
    jenkins.SOURCE: ("deployments",),
}
_DESCRIPTIONS = {
    kubectl.SOURCE: "kubectl output",
    helm.SOURCE: "helm list output",
    argocd.SOURCE: "an Argo CD application list",
    github.SOURCE: "a GitHub Deployments export",
    gitlab.SOURCE: "a GitLab Deployments export",
    flux.SOURCE: "Flux HelmRelease/Kustomization objects",
    github_actions.SOURCE: "GitHub Actions workflow runs",
    jenkins.SOURCE: "a Jenkins job export",
}
_PARSERS: dict[str, Callable[[Any, Path, ReadOptions], list[dict[str, Any]]]] = {
    flux.SOURCE: flux.parse_flux_objects,
    github_actions.SOURCE: github_actions.parse_workflow_runs,
    jenkins.SOURCE: jenkins.parse_jenkins_builds,
}
_CONTAINER_KEYS = ("items", "deployments", "workflow_runs", "builds")


IncidentParser = Callable[[Any, Path, "ReadOptions"], list[dict[str, Any]]]
# Incident tools, recognised by the response that wraps their records (or by a record).
# Checked after the tools above, in this order; each holds incidents only.
_INCIDENT_SOURCES: tuple[tuple[str, Callable[[Any], bool], IncidentParser, str], ...] = (
    (
        pagerduty.SOURCE,
        pagerduty.is_pagerduty_export,
        pagerduty.parse_pagerduty_incidents,
        pagerduty.DESCRIPTION,
    ),
    (
        opsgenie.SOURCE,
        opsgenie.is_opsgenie_export,
        opsgenie.parse_opsgenie_incidents,
        opsgenie.DESCRIPTION,
    ),
    (jira.SOURCE, jira.is_jira_export, jira.parse_jira_issues, jira.DESCRIPTION),
    (
        gitlab_incidents.SOURCE,
        gitlab_incidents.is_gitlab_incident_export,
        gitlab_incidents.parse_gitlab_incidents,
        gitlab_incidents.DESCRIPTION,
    ),
)
_INCIDENT_PARSERS = {source: parse for source, _, parse, _ in _INCIDENT_SOURCES}
_KINDS |= {source: ("incidents",) for source, *_ in _INCIDENT_SOURCES}
_DESCRIPTIONS |= {source: description for source, *_, description in _INCIDENT_SOURCES}
#: the CSV layouts recognised by their header: source -> (description, kinds)
CSV_FORMATS = {pagerduty.SOURCE: ("a PagerDuty incidents CSV", ("incidents",))}


def _first_object(entries: list[Any]) -> Mapping[str, Any] | None:
    return next((entry for entry in entries if isinstance(entry, Mapping)), None)


def _detect_object(obj: Mapping[str, Any] | None) -> str | None:
    if obj is None or CANONICAL_MARKERS & obj.keys():
        return None
    return next((name for name, detect in _DETECTORS if detect(obj)), None)


def detect_native_format(document: Any) -> str | None:
    """The tool that wrote ``document`` (``kubectl``, ``helm``, ...), or None for records."""
    tool = _detect_tool(document)
    if tool is not None:
        return tool
    if isinstance(document, Mapping | list) and not _canonical(document):
        return next((name for name, detect, *_ in _INCIDENT_SOURCES if detect(document)), None)
    return None


def _canonical(document: Any) -> bool:
    """Whether the first record of ``document`` (a list or a page of one) is canonical."""
    entries: Any = document
    if isinstance(document, Mapping):
        entries = next((v for v in document.values() if isinstance(v, list)), [document])
    first = _first_object(entries) if isinstance(entries, list) else None
    return first is not None and bool(CANONICAL_MARKERS & first.keys())


def _detect_tool(document: Any) -> str | None:
    """The deployment or inventory tool that wrote ``document``, or None."""
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
        if flux.is_flux_list(document):
            return flux.SOURCE
        first = _first_object(document["items"])
        return argocd.SOURCE if first and argocd.is_argocd_application(first) else kubectl.SOURCE
    if jenkins.is_jenkins_job(document):
        return jenkins.SOURCE
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

    mapped = json_map.matching_map(document, options.settings)
    if mapped is not None:
        return parse_with_map(document, kind_name, path, options, *mapped)
    source = detect_native_format(document)
    if source is None:
        return None
    kinds = _KINDS[source]
    if kind_name not in kinds:
        raise UnreadableFile(
            f"{path.name}: {_DESCRIPTIONS[source]} holds {' and '.join(kinds)}, not {kind_name};"
            f" move it to a {kinds[0]}/ folder or pass --kind {kinds[0]}"
        )
    if source in _INCIDENT_PARSERS:
        found = {"incidents": _INCIDENT_PARSERS[source](document, path, options)}
    elif source == argocd.SOURCE:
        inventory, deployments = argocd.parse_argocd_applications(document, path, options)
        found = {"inventory": inventory, "deployments": deployments}
    elif source == kubectl.SOURCE:
        found = {"inventory": kubectl.parse_kubectl_objects(document, path, options)}
    elif source == helm.SOURCE:
        found = {"inventory": helm.parse_helm_list(document, path, options)}
    elif source in _PARSERS:
        found = {kinds[0]: _PARSERS[source](document, path, options)}
    elif source == github.SOURCE:
        found = {"deployments": github.parse_github_deployments(document, path, options)}
    else:
        found = {"deployments": gitlab.parse_gitlab_deployments(document, path, options)}
    # the asked-for kind comes first and is always reported, even when empty; another kind is
    # reported only when the export holds some (Argo CD apps without history have no deploys)
    ordered = [kind_name] + [kind for kind in kinds if kind != kind_name]
    return {kind: (source, found[kind]) for kind in ordered if kind == kind_name or found[kind]}


def parse_with_map(
    document: Any,
    kind_name: str,
    path: Path,
    options: ReadOptions,
    name: str,
    spec: JsonMap,
) -> NativeBatches:
    """The records of ``document`` through the ``json_map`` named ``name``."""
    from assets.ingest.readers import UnreadableFile

    if spec.kind != kind_name:
        raise UnreadableFile(
            f"{path.name}: json_map {name} holds {spec.kind}, not {kind_name};"
            f" move it to a {spec.kind}/ folder or pass --kind {spec.kind}"
        )
    source = json_map.source_of(name, spec)
    return {kind_name: (source, json_map.parse_mapped(document, name, spec, path, options))}


def fallback_map(document: Any, kind_name: str, settings: Settings) -> tuple[str, JsonMap] | None:
    """The ``json_map`` without ``match`` that reads ``document`` as ``kind_name``, if any."""
    return json_map.fallback_map(document, kind_name, settings)


def formats_tried(kind_name: str, settings: Settings) -> list[str]:
    """What a JSON/YAML file of ``kind_name`` may be, in the words a message uses."""
    tried = [f"canonical {kind_name} records"]
    tried += [_DESCRIPTIONS[source] for source, kinds in _KINDS.items() if kind_name in kinds]
    tried += [
        f"json_map {name}" for name, spec in settings.json_map.items() if spec.kind == kind_name
    ]
    return tried
