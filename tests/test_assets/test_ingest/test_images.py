"""Image references split into registry, repository, tag and digest."""

from __future__ import annotations

import dataclasses

import pytest

from assets.ingest.images import ImageReference, parse_image_reference

DIGEST = "sha256:0fcfc9231fa11b473973a68c0394e7c85e2117a9ba7a9476897c07e40d718ffa"
NGINX_DIGEST = "sha256:b3aba22b1da80e7acfc52b115cae1d4c687172cbf2b742d5b502419c25ff340e"


@pytest.mark.parametrize(
    ("ref", "registry", "repository", "tag", "digest"),
    [
        ("busybox", "docker.io", "library/busybox", None, None),
        ("busybox:1.36", "docker.io", "library/busybox", "1.36", None),
        ("itaysk/cyan", "docker.io", "itaysk/cyan", None, None),
        ("docker.io/itaysk/cyan:latest", "docker.io", "itaysk/cyan", "latest", None),
        (f"docker.io/itaysk/cyan@{DIGEST}", "docker.io", "itaysk/cyan", None, DIGEST),
        ("docker.io/nginx:1.25", "docker.io", "library/nginx", "1.25", None),
        ("index.docker.io/library/redis:7", "docker.io", "library/redis", "7", None),
        ("localhost:5000/app:1.2", "localhost:5000", "app", "1.2", None),
        ("localhost:5000/app", "localhost:5000", "app", None, None),
        ("localhost/app:dev", "localhost", "app", "dev", None),
        (f"app@{DIGEST}", "docker.io", "library/app", None, DIGEST),
        (f"app:2.0@{DIGEST}", "docker.io", "library/app", "2.0", DIGEST),
        ("postgres:9.2-alpine", "docker.io", "library/postgres", "9.2-alpine", None),
        (
            "gcr.io/google.com/cloudsdktool/cloud-sdk:326.0.0-alpine",
            "gcr.io",
            "google.com/cloudsdktool/cloud-sdk",
            "326.0.0-alpine",
            None,
        ),
        (
            f"registry.k8s.io/ingress-nginx/controller:v1.9.5@{NGINX_DIGEST}",
            "registry.k8s.io",
            "ingress-nginx/controller",
            "v1.9.5",
            NGINX_DIGEST,
        ),
        (
            "europe-west1-docker.pkg.dev/elementor-website/docker-europe-west1/ba-kits-api"
            ":v1.1.14-master-79e1a8a",
            "europe-west1-docker.pkg.dev",
            "elementor-website/docker-europe-west1/ba-kits-api",
            "v1.1.14-master-79e1a8a",
            None,
        ),
        (
            "quay.io/mittwald/kubernetes-replicator:v2.9.2",
            "quay.io",
            "mittwald/kubernetes-replicator",
            "v2.9.2",
            None,
        ),
        (
            "registry.example.com:8443/team/app:1.0",
            "registry.example.com:8443",
            "team/app",
            "1.0",
            None,
        ),
        (
            "  redislabs/redisinsight:1.14.0\n",
            "docker.io",
            "redislabs/redisinsight",
            "1.14.0",
            None,
        ),
    ],
)
def test_parse_image_reference(
    ref: str, registry: str, repository: str, tag: str | None, digest: str | None
) -> None:
    assert parse_image_reference(ref) == ImageReference(registry, repository, tag, digest)


@pytest.mark.parametrize(
    "ref",
    [
        "",
        "   ",
        "app:",
        ":1.0",
        "app@sha256:nothex",
        "app@",
        "registry.example.com/",
        "app name:1.0",
        "team//app:1.0",
    ],
)
def test_malformed_references_raise_naming_the_reference(ref: str) -> None:
    with pytest.raises(ValueError, match="image reference"):
        parse_image_reference(ref)


def test_parts_rebuild_a_fully_qualified_reference() -> None:
    image = parse_image_reference(f"app:2.0@{DIGEST}")
    assert image.reference == f"docker.io/library/app:2.0@{DIGEST}"
    assert parse_image_reference("localhost:5000/app").reference == "localhost:5000/app"


def test_name_and_short_digest() -> None:
    image = parse_image_reference(f"registry.k8s.io/ingress-nginx/controller@{NGINX_DIGEST}")
    assert image.name == "controller"
    assert image.short_digest == "sha256:b3aba22b1da8"
    assert parse_image_reference("busybox").short_digest is None


def test_references_are_frozen() -> None:
    image = parse_image_reference("busybox")
    with pytest.raises(dataclasses.FrozenInstanceError):
        image.tag = "latest"  # type: ignore[misc]
