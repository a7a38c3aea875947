"""Daily inventory snapshots of every environment, derived from the deployment history.

What an environment runs at a capture is the last successful deployment that finished before
it, so inventory and deployment log always agree; the scenarios then add what deployments do
not show (a config change by hand, a database upgraded in pre-production, a service torn down
in staging). Config and dependencies follow from (service, version, environment), and the image
digest is a hash of (service, version), except for the ``latest``-tagged service whose every
build has its own digest.

Inventory covers only the last :data:`INVENTORY_WEEKS` weeks: a daily snapshot of 4
environments is ~20× the rows of the deployment log per week, and drift is about the present.
"""

from __future__ import annotations

import hashlib
import json
from bisect import bisect_right
from collections.abc import Iterator

from assets.sample.catalogue import CHAIN, UNPINNED, Service
from assets.sample.clock import DAY, Clock
from assets.sample.history import ServiceHistory

INVENTORY_WEEKS = 16
CAPTURE_HOUR = 6
REGISTRY = "registry.example.com:5000"
CONFIG_COLUMNS = ("config.replicas", "config.log_level", "config.feature_flags", "config.db_url")
DEPENDENCY_COLUMNS = ("dep.postgres", "dep.redis", "dep.base_image")
HEADER = (
    "captured_at",
    "environment",
    "service",
    "version",
    "image",
    "config_hash",
    *CONFIG_COLUMNS,
    *DEPENDENCY_COLUMNS,
)
PREPRODUCTION_SIZED = ("dev", "test")  # one replica, debug logs in dev
POSTGRES_VERSION = "16.4"
REDIS_VERSION = "7.2"
FEATURE_FLAGS = (
    "new-checkout",
    "fast-search",
    "dark-mode",
    "one-click-pay",
    "beta-recs",
    "passkeys",
    "bulk-export",
    "smart-retry",
)
#: base images by runtime, oldest first: a build uses the one of its era
BASE_IMAGES = {
    "python": ("python:3.10-slim", "python:3.11-slim", "python:3.12-slim"),
    "jvm": ("eclipse-temurin:17-jre", "eclipse-temurin:21-jre"),
    "node": ("node:18-alpine", "node:20-alpine", "node:22-alpine"),
    "go": ("gcr.io/distroless/static-debian11", "gcr.io/distroless/static-debian12"),
}


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def image_digest(service: Service, version: str, build: int) -> str:
    """The image digest: one per (service, version), one per build for a mutable tag."""
    if service.versioning == UNPINNED:
        return _sha256(f"{service.name}:{version}:{build}")
    return _sha256(f"{service.name}:{version}")


def feature_flags(service: Service, version: str) -> str:
    """Flags switched on in a version (0–3 of them), comma-separated."""
    digest = hashlib.sha256(f"{service.name}:{version}".encode()).digest()
    chosen = {FEATURE_FLAGS[b % len(FEATURE_FLAGS)] for b in digest[1 : 1 + digest[0] % 4]}
    return ",".join(sorted(chosen))


def capture_times(clock: Clock) -> list[int]:
    """One capture per day at 06:00 UTC over the last :data:`INVENTORY_WEEKS` weeks."""
    days = min(INVENTORY_WEEKS, clock.weeks) * 7
    last = clock.at(0, CAPTURE_HOUR)
    return [last - (days - 1 - i) * DAY for i in range(days)]


class _Records:
    """Inventory records (without ``captured_at``), cached: most states repeat day after day."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.cache: dict[tuple, tuple[str, ...]] = {}

    def get(
        self, history: ServiceHistory, env: str, version: str, build: int, active: tuple[int, ...]
    ) -> tuple[str, ...]:
        service = history.service
        key = (service.index, env, build, active)
        record = self.cache.get(key)
        if record is None:
            record = self._build(history, env, version, build, active)
            self.cache[key] = record
        return record

    def _build(
        self, history: ServiceHistory, env: str, version: str, build: int, active: tuple[int, ...]
    ) -> tuple[str, ...]:
        service = history.service
        images = BASE_IMAGES[service.runtime]
        era = self.clock.progress(history.built_at[build])
        schema = service.base.replace("-", "_")
        values = {
            "config.replicas": "1" if env in PREPRODUCTION_SIZED else str(service.replicas),
            "config.log_level": "debug" if env == "dev" else "info",
            "config.feature_flags": feature_flags(service, version),
            # namespace-local DNS: the same URL resolves to each environment's own database
            "config.db_url": f"postgres://{service.name}-db:5432/{schema}"
            if service.uses_postgres
            else "",
            "dep.postgres": POSTGRES_VERSION if service.uses_postgres else "",
            "dep.redis": REDIS_VERSION if service.uses_redis else "",
            "dep.base_image": images[min(len(images) - 1, int(era * len(images)))],
        }
        for index in active:
            override = service.scenario.overrides[index]
            values[override.column] = override.value
        config = {c.removeprefix("config."): values[c] for c in CONFIG_COLUMNS if values[c]}
        config_hash = _sha256(json.dumps(config, sort_keys=True))[:16]
        digest = image_digest(service, version, build)
        image = f"{REGISTRY}/{service.team}/{service.name}:{version}@sha256:{digest}"
        columns = (*CONFIG_COLUMNS, *DEPENDENCY_COLUMNS)
        return (env, service.name, version, image, config_hash, *(values[c] for c in columns))


def inventory_snapshots(
    histories: list[ServiceHistory], clock: Clock
) -> Iterator[tuple[int, list[tuple[str, ...]]]]:
    """Per capture time, the records of every environment (chain order, then service name)."""
    ordered = sorted(histories, key=lambda h: h.service.name)
    finished = {
        (h.service.index, env): [entry[0] for entry in h.timelines[env]]
        for h in ordered
        for env in CHAIN
    }
    records = _Records(clock)
    for captured in capture_times(clock):
        rows: list[tuple[str, ...]] = []
        for env in CHAIN:
            for history in ordered:
                service = history.service
                position = bisect_right(finished[(service.index, env)], captured) - 1
                if position < 0:
                    continue  # not deployed there yet
                scenario = service.scenario
                if any(a.environment == env and a.since <= captured for a in scenario.absences):
                    continue
                _, version, build = history.timelines[env][position]
                active = tuple(
                    i for i, o in enumerate(scenario.overrides) if o.active(env, captured)
                )
                rows.append(records.get(history, env, version, build, active))
        yield captured, rows
