"""Container image references split into registry, repository, tag and digest.

Inventories name images the way people write them (``busybox``, ``example/img:1.4.2``,
``localhost:5000/app:1.2``, ``app@sha256:...``). Comparing them across sources needs the parts
the container runtime would resolve: the registry (Docker Hub when none is written), the
repository (``library/`` prefixed for official Docker Hub images), the tag and the digest.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

DEFAULT_REGISTRY = "docker.io"
#: Docker Hub's legacy host names resolve to the same registry as ``docker.io``.
_DOCKER_HUB_ALIASES = frozenset({"docker.io", "index.docker.io", "registry-1.docker.io"})
_OFFICIAL_NAMESPACE = "library"
_DIGEST = re.compile(r"^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[0-9a-fA-F]{32,}$")
_TAG = re.compile(r"^[\w][\w.-]{0,127}$")
#: Hex characters kept when a digest stands in for a missing tag (``sha256:0fcfc9231fa1``).
SHORT_DIGEST_LENGTH = 12


@dataclass(frozen=True, slots=True)
class ImageReference:
    """One image reference, normalised the way a container runtime resolves it."""

    registry: str
    repository: str
    tag: str | None
    digest: str | None

    @property
    def name(self) -> str:
        """The last path segment of the repository (``redisinsight`` of ``redislabs/...``)."""
        return self.repository.rsplit("/", 1)[-1]

    @property
    def short_digest(self) -> str | None:
        """The digest cut to ``<algorithm>:<12 hex>``, readable where a tag would go."""
        if self.digest is None:
            return None
        algorithm, _, hex_part = self.digest.partition(":")
        return f"{algorithm}:{hex_part[:SHORT_DIGEST_LENGTH]}"

    @property
    def reference(self) -> str:
        """The fully qualified reference: ``registry/repository[:tag][@digest]``."""
        text = f"{self.registry}/{self.repository}"
        if self.tag:
            text += f":{self.tag}"
        if self.digest:
            text += f"@{self.digest}"
        return text


def _is_registry(component: str) -> bool:
    # the same rule the Docker CLI applies: a first path component is a host when it has a
    # dot (a domain), a colon (a port) or is literally localhost; otherwise it is a namespace
    return "." in component or ":" in component or component == "localhost"


def parse_image_reference(ref: str) -> ImageReference:
    """Split an image reference; raise ``ValueError`` naming the reference when it is malformed.

    ``busybox`` becomes ``docker.io/library/busybox`` with no tag (the runtime would pull
    ``latest``, but the reference does not say so, so ``tag`` stays None).
    """
    text = ref.strip() if isinstance(ref, str) else ""
    if not text or any(ch.isspace() for ch in text):
        raise ValueError(f"not an image reference: {ref!r}")
    name, at, digest = text.partition("@")
    if at and not _DIGEST.match(digest):
        raise ValueError(f"image reference {ref!r}: malformed digest {digest!r}")
    slash = name.rfind("/")
    colon = name.rfind(":")
    tag = None
    if colon > slash:  # a colon before the last slash belongs to a registry port
        name, tag = name[:colon], name[colon + 1 :]
        if not _TAG.match(tag):
            raise ValueError(f"image reference {ref!r}: malformed tag {tag!r}")
    first, sep, rest = name.partition("/")
    if sep and _is_registry(first):
        registry, repository = first, rest
    else:
        registry, repository = DEFAULT_REGISTRY, name
    if registry in _DOCKER_HUB_ALIASES:
        registry = DEFAULT_REGISTRY
        if "/" not in repository:
            repository = f"{_OFFICIAL_NAMESPACE}/{repository}"
    if not repository or repository.startswith("/") or repository.endswith("/") or "//" in name:
        raise ValueError(f"image reference {ref!r}: empty repository path")
    return ImageReference(registry, repository, tag or None, digest or None)
