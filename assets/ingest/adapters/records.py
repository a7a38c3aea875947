"""Building canonical records from native exports: the rules every adapter shares.

Adapters never judge values; they fill canonical fields as well as the export allows and
leave a field None when the export does not carry it, so the data contract rejects the record
with a reason instead of the adapter dropping it.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from assets.ingest.images import ImageReference, parse_image_reference
from assets.ingest.kinds import Kind

if TYPE_CHECKING:
    from assets.ingest.readers import ReadOptions

#: Hex characters kept when a commit sha stands in for a version.
SHORT_SHA_LENGTH = 12
#: What Docker pulls when a reference names no tag and no digest.
IMPLIED_TAG = "latest"
# A release tag: optional "v", at least major.minor, then any pre-release/build suffix. Branch
# names (main, master, HEAD, feature/x, release-1.2) and version ranges (1.2.*) do not match.
_VERSION_TAG = re.compile(r"^v?\d+(\.\d+)+([-+][0-9A-Za-z][0-9A-Za-z.+-]*)?$")
_COMMIT_SHA = re.compile(r"^[0-9a-f]{7,64}$")


def blank_record(kind: Kind) -> dict[str, Any]:
    """A record of ``kind`` with every canonical field present and empty."""
    return dict.fromkeys(kind.fields)


def as_mapping(value: Any) -> Mapping[str, Any]:
    """``value`` when it is a mapping, else an empty one (null or odd parts of an export)."""
    return value if isinstance(value, Mapping) else {}


def as_list(value: Any) -> list[Any]:
    """``value`` when it is a list, else an empty list."""
    return value if isinstance(value, list) else []


def as_text(value: Any) -> str | None:
    """A scalar as stripped text; None for null, empty text and structures."""
    if isinstance(value, bool) or value is None or isinstance(value, Mapping | list):
        return None
    text = str(value).strip()
    return text or None


def is_true(value: Any) -> bool:
    """Whether a flag is set: JSON ``true``, or ``true`` as YAML text (the reader keeps YAML
    scalars as written)."""
    return value is True or (isinstance(value, str) and value.strip().lower() == "true")


def format_timestamp(value: Any) -> str | None:
    """A timestamp as ISO-8601 text (YAML may already have parsed it into a datetime)."""
    if isinstance(value, dt.datetime):
        return value.isoformat()
    return as_text(value)


def capture_time(options: ReadOptions) -> str | None:
    """When a snapshot was taken: ``--captured-at``, else the file's modification time."""
    if options.captured_at:
        return options.captured_at
    return options.file_mtime.isoformat() if options.file_mtime else None


def environment_of(
    options: ReadOptions, namespace: str | None, clusters: tuple[str | None, ...] = ()
) -> str | None:
    """The environment of a namespace: ``--environment``, else the configured namespace or
    cluster mapping, else the namespace itself (many teams name namespaces after environments).
    """
    if options.environment:
        return options.environment
    return mapped_environment(options, namespace, clusters) or namespace


def mapped_environment(
    options: ReadOptions, namespace: str | None, clusters: tuple[str | None, ...] = ()
) -> str | None:
    """The environment configured for ``namespace`` or, failing that, for one of ``clusters``."""
    kubernetes = options.settings.kubernetes
    if namespace and namespace in kubernetes.namespace_environments:
        return kubernetes.namespace_environments[namespace]
    for cluster in clusters:
        if cluster and cluster in kubernetes.cluster_environments:
            return kubernetes.cluster_environments[cluster]
    return None


def is_version_tag(ref: str | None) -> bool:
    """Whether a git ref or image tag names a release (``2.28.685``, ``v1.9.5``), not a branch."""
    return bool(ref) and _VERSION_TAG.match(ref) is not None


def is_commit_sha(text: str | None) -> bool:
    """Whether ``text`` is a (possibly abbreviated) hexadecimal commit id."""
    return bool(text) and _COMMIT_SHA.match(text) is not None


def short_sha(sha: str) -> str:
    """A commit id cut to the length shown where a version is expected."""
    return sha[:SHORT_SHA_LENGTH]


def image_of(ref: Any) -> ImageReference | None:
    """The parsed image reference, or None when ``ref`` is missing or malformed."""
    text = as_text(ref)
    if text is None:
        return None
    try:
        return parse_image_reference(text)
    except ValueError:
        return None


def version_of_image(image: ImageReference) -> str:
    """The version an image reference shows: its tag, else its short digest, else ``latest``
    (the tag the runtime pulls for an untagged reference, and which drift treats as unpinned).
    """
    return image.tag or image.short_digest or IMPLIED_TAG
