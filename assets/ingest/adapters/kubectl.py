"""``kubectl get deployments|statefulsets|daemonsets|replicasets|pods -A -o json|yaml``.

One inventory record per workload. The export may be a ``kind: List`` (what kubectl prints), an
API list such as ``DeploymentList`` whose items omit their kind, a bare ``{"items": [...]}``,
a single object, or YAML with several such documents.

* **service**: label ``app.kubernetes.io/name`` (on the workload, else its pod template); for a
  pod, else label ``app``, else the workload that owns it; else the object's name.
* **version**: label ``app.kubernetes.io/version``, else the tag of the main container's image
  (the first non-init container); a pod's spec may omit the tag the runtime reports, so its
  container status is read next; a digest-only image gives its short digest; an untagged
  image gives ``latest`` (what the runtime pulled).
* **image**: the main container's image as written, with the ``@sha256:`` digest a pod's
  ``status.containerStatuses[].imageID`` reports appended when the spec carries none.
* **environment**: ``--environment``, else ``kubernetes.namespace_environments[namespace]``,
  else ``kubernetes.cluster_environments[cluster]`` (the cluster is ``metadata.clusterName``
  when present, else the file name without extension, since kubectl output does not name its
  cluster and users name the file after the context), else the namespace.
* **config**: ``replicas`` plus the main container's literal env vars as ``env.<NAME>``
  (``valueFrom`` vars are skipped: their values live in Secrets and ConfigMaps, not here).
* **dependencies**: every other container and init container, ``{container name: version}``.

Pods of Jobs and CronJobs are runs of a task, not services (each run would otherwise add a
"service" named after the run): a pod owned by a ``Job``/``CronJob``, labelled
``batch.kubernetes.io/job-name`` or ``job-name``, or named like a CronJob's run
(``<name>-<8+ digit schedule time>[-<5 characters>]``) without a Deployment-style
``pod-template-hash``, is skipped and counted as ``job_pod``.

Objects of other kinds (Services, ConfigMaps in ``kubectl get all``) are not inventory and are
ignored. A Pod or ReplicaSet whose owning workload is in the same export is represented by that
owner, and a Deployment's scaled-to-zero ReplicaSets are old revisions kept for rollback, so
neither is counted again (``kubectl get all`` would otherwise report each service three times).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assets.ingest.adapters.records import (
    as_list,
    as_mapping,
    as_text,
    blank_record,
    capture_time,
    environment_of,
    image_of,
    version_of_image,
)
from assets.ingest.kinds import INVENTORY

if TYPE_CHECKING:
    from assets.ingest.readers import ReadOptions

SOURCE = "kubectl"
WORKLOAD_KINDS = frozenset({"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Pod"})
NAME_LABEL = "app.kubernetes.io/name"
VERSION_LABEL = "app.kubernetes.io/version"
_POD_APP_LABEL = "app"
_TEMPLATE_HASH_LABEL = "pod-template-hash"
_IMAGE_ID_SCHEME = re.compile(r"^[a-z-]+://")
_IMAGE_ID_ONLY = re.compile(r"^sha256:[0-9a-f]{64}$")
JOB_OWNER_KINDS = frozenset({"Job", "CronJob"})
JOB_NAME_LABELS = ("batch.kubernetes.io/job-name", "job-name")
SKIPPED_JOB_POD = "job_pod"
# a CronJob names each Job ``<cronjob>-<scheduled time in minutes>`` and the Job names its pod
# ``<job>-<5 random characters>``
_CRONJOB_RUN_NAME = re.compile(r"-\d{8,}(-[a-z0-9]{5})?$")


def is_kubectl_object(obj: Mapping[str, Any]) -> bool:
    """Whether ``obj`` is a workload as kubectl prints it (``apiVersion`` and a workload kind)."""
    return "apiVersion" in obj and obj.get("kind") in WORKLOAD_KINDS


def is_kubectl_list(obj: Mapping[str, Any]) -> bool:
    """Whether ``obj`` is a Kubernetes list (``kind: List`` or ``<Kind>List``) with ``items``."""
    kind = obj.get("kind")
    return (
        "apiVersion" in obj
        and isinstance(kind, str)
        and kind.endswith("List")
        and isinstance(obj.get("items"), list)
    )


def kubectl_objects(document: Any) -> list[tuple[str | None, Any]]:
    """``(kind, object)`` for every object in the export, lists flattened.

    API lists such as ``DeploymentList`` omit ``kind`` on their items; it is implied by the
    list's kind, so it is filled in here rather than lost.
    """
    if isinstance(document, list):
        return [pair for entry in document for pair in kubectl_objects(entry)]
    if isinstance(document, Mapping) and isinstance(document.get("items"), list):
        list_kind = document.get("kind")
        implied = (
            list_kind.removesuffix("List")
            if isinstance(list_kind, str) and list_kind.endswith("List") and list_kind != "List"
            else None
        )
        return [
            ((item.get("kind") or implied) if isinstance(item, Mapping) else None, item)
            for item in document["items"]
        ]
    kind = document.get("kind") if isinstance(document, Mapping) else None
    return [(kind, document)]


def parse_kubectl_objects(document: Any, path: Path, options: ReadOptions) -> list[dict[str, Any]]:
    """Canonical inventory records from a kubectl export (see the module docstring)."""
    from assets.ingest.readers import UnreadableFile

    objects = kubectl_objects(document)
    present = {
        (kind, _metadata(obj).get("namespace"), _metadata(obj).get("name"))
        for kind, obj in objects
        if kind in WORKLOAD_KINDS and isinstance(obj, Mapping)
    }
    captured_at = capture_time(options)
    records: list[dict[str, Any]] = []
    other_kinds: Counter[str] = Counter()
    for kind, obj in objects:
        if not isinstance(obj, Mapping):
            # not an object at all: keep it as an empty record so quarantine shows it
            record = blank_record(INVENTORY)
            record["captured_at"] = captured_at
            record["kubernetes"] = {"item": obj}
            records.append(record)
        elif kind == "Pod" and is_job_pod(obj):
            options.skipped[SKIPPED_JOB_POD] += 1
        elif kind in WORKLOAD_KINDS or kind is None:
            # an object without a kind is read as a workload: if it is not one, its missing
            # fields get it rejected with reasons instead of it vanishing
            if not _represented_by_owner(kind, obj, present):
                records.append(_inventory_record(kind, obj, path, options, captured_at))
        else:
            other_kinds[str(kind)] += 1
    if not records and other_kinds:
        found = ", ".join(f"{kind} ({count})" for kind, count in sorted(other_kinds.items()))
        raise UnreadableFile(
            f"{path.name}: kubectl output holds no workloads"
            f" ({', '.join(sorted(WORKLOAD_KINDS))}); found {found}"
        )
    return records


def is_job_pod(obj: Mapping[str, Any]) -> bool:
    """Whether a pod is a run of a Job or CronJob (see the module docstring)."""
    metadata = _metadata(obj)
    owners = [as_mapping(owner) for owner in as_list(metadata.get("ownerReferences"))]
    if any(owner.get("kind") in JOB_OWNER_KINDS for owner in owners):
        return True
    labels = as_mapping(metadata.get("labels"))
    if any(as_text(labels.get(label)) for label in JOB_NAME_LABELS):
        return True
    name = as_text(metadata.get("name")) or ""
    return (
        not owners and _TEMPLATE_HASH_LABEL not in labels and bool(_CRONJOB_RUN_NAME.search(name))
    )


def _metadata(obj: Any) -> Mapping[str, Any]:
    return as_mapping(obj.get("metadata")) if isinstance(obj, Mapping) else {}


def _owner_workload(kind: str | None, metadata: Mapping[str, Any]) -> tuple[str, str] | None:
    """The (kind, name) of the workload that owns a Pod or ReplicaSet, if any.

    A Deployment's pods are owned by a ReplicaSet named ``<deployment>-<pod-template-hash>``;
    cutting the hash names the Deployment, which is what people call the service.
    """
    labels = as_mapping(metadata.get("labels"))
    for owner in as_list(metadata.get("ownerReferences")):
        owner = as_mapping(owner)
        owner_kind, owner_name = as_text(owner.get("kind")), as_text(owner.get("name"))
        if not owner_kind or not owner_name:
            continue
        template_hash = as_text(labels.get(_TEMPLATE_HASH_LABEL))
        if kind == "Pod" and owner_kind == "ReplicaSet" and template_hash:
            suffix = f"-{template_hash}"
            if owner_name.endswith(suffix):
                return "Deployment", owner_name.removesuffix(suffix)
        return owner_kind, owner_name
    return None


def _represented_by_owner(kind: str | None, obj: Mapping[str, Any], present: set[tuple]) -> bool:
    metadata = _metadata(obj)
    namespace = metadata.get("namespace")
    for owner in as_list(metadata.get("ownerReferences")):
        owner = as_mapping(owner)
        if (owner.get("kind"), namespace, owner.get("name")) in present:
            return True
    owner = _owner_workload(kind, metadata)
    if owner and (owner[0], namespace, owner[1]) in present:
        return True
    replicas = as_mapping(obj.get("spec")).get("replicas")
    return kind == "ReplicaSet" and owner is not None and owner[0] == "Deployment" and replicas == 0


def _container_statuses(obj: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    status = as_mapping(obj.get("status"))
    statuses = as_list(status.get("containerStatuses")) + as_list(
        status.get("initContainerStatuses")
    )
    return {
        str(entry["name"]): entry
        for entry in statuses
        if isinstance(entry, Mapping) and as_text(entry.get("name"))
    }


def _status_digest(status: Mapping[str, Any]) -> str | None:
    """The registry digest a container status reports in ``imageID``, if it names one.

    Runtimes write ``docker.io/x@sha256:...`` or ``docker-pullable://x@sha256:...``; a bare
    ``sha256:...`` is the local image id, not a registry digest, so it is not used.
    """
    image_id = as_text(status.get("imageID"))
    if not image_id or "@" not in image_id:
        return None
    parsed = image_of(_IMAGE_ID_SCHEME.sub("", image_id))
    return parsed.digest if parsed else None


def _container_version(container: Mapping[str, Any], status: Mapping[str, Any]) -> str | None:
    image = image_of(container.get("image"))
    if image is None:
        return None
    if image.tag:
        return image.tag
    status_image_text = as_text(status.get("image"))
    status_image = (
        image_of(status_image_text)
        if status_image_text and not _IMAGE_ID_ONLY.match(status_image_text)
        else None
    )
    if status_image and status_image.tag:
        return status_image.tag
    digest = image.digest or _status_digest(status)
    if digest:
        return version_of_image(replace(image, digest=digest))
    return version_of_image(image)


def _image_text(container: Mapping[str, Any], status: Mapping[str, Any]) -> str | None:
    text = as_text(container.get("image"))
    image = image_of(text)
    digest = _status_digest(status)
    if text and image and image.digest is None and digest:
        return f"{text}@{digest}"
    return text


def _literal_env(container: Mapping[str, Any]) -> dict[str, Any]:
    env: dict[str, Any] = {}
    for entry in as_list(container.get("env")):
        entry = as_mapping(entry)
        name = as_text(entry.get("name"))
        if name and "value" in entry and "valueFrom" not in entry:
            env[f"env.{name}"] = entry["value"]
    return env


def _inventory_record(
    kind: str | None,
    obj: Mapping[str, Any],
    path: Path,
    options: ReadOptions,
    captured_at: str | None,
) -> dict[str, Any]:
    metadata = _metadata(obj)
    labels = as_mapping(metadata.get("labels"))
    spec = as_mapping(obj.get("spec"))
    if kind == "Pod":
        pod_spec, template_labels = spec, {}
    else:
        template = as_mapping(spec.get("template"))
        pod_spec = as_mapping(template.get("spec"))
        template_labels = as_mapping(as_mapping(template.get("metadata")).get("labels"))
    containers = [c for c in as_list(pod_spec.get("containers")) if isinstance(c, Mapping)]
    init_containers = [c for c in as_list(pod_spec.get("initContainers")) if isinstance(c, Mapping)]
    statuses = _container_statuses(obj)
    name = as_text(metadata.get("name"))
    namespace = as_text(metadata.get("namespace"))
    owner = _owner_workload(kind, metadata) if kind == "Pod" else None
    workload = owner[1] if owner else name

    service = as_text(labels.get(NAME_LABEL)) or as_text(template_labels.get(NAME_LABEL))
    if not service and kind == "Pod":
        service = as_text(labels.get(_POD_APP_LABEL)) or workload
    service = service or name

    main = containers[0] if containers else None
    main_status = statuses.get(str(main.get("name")), {}) if main else {}
    version = as_text(labels.get(VERSION_LABEL)) or as_text(template_labels.get(VERSION_LABEL))
    if not version and main is not None:
        version = _container_version(main, main_status)

    config: dict[str, Any] = {}
    # the reader keeps numbers as written text; replicas is an integer by the Kubernetes API
    replicas = as_text(spec.get("replicas"))
    if kind != "Pod" and replicas is not None and replicas.isascii() and replicas.isdigit():
        config["replicas"] = int(replicas)
    if main is not None:
        config |= _literal_env(main)
    dependencies: dict[str, Any] = {}
    for index, container in enumerate(containers[1:] + init_containers, start=1):
        key = as_text(container.get("name")) or f"container-{index}"
        dependencies[key] = _container_version(container, statuses.get(key, {}))

    record = blank_record(INVENTORY)
    record |= {
        "captured_at": captured_at,
        "environment": environment_of(
            options, namespace, (as_text(metadata.get("clusterName")), path.stem)
        ),
        "service": service,
        "version": version,
        "image": _image_text(main, main_status) if main is not None else None,
        "config": config,
        "dependencies": dependencies,
    }
    record["kubernetes"] = {"kind": kind, "namespace": namespace, "name": workload}
    return record
