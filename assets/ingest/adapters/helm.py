"""``helm list -A -o json|yaml``: one inventory record per release.

* **service** = release ``name``; **version** = ``app_version``, else the chart version (charts
  that package no application leave ``app_version`` empty).
* **dependencies** = ``{chart name: chart version}``, split from ``chart`` (``<name>-<version>``).
* **environment**: ``--environment``, else the configured namespace or cluster mapping (the
  cluster is the file name without extension, as for kubectl), else the release namespace.
* **captured_at**: ``--captured-at``, else the file's modification time. ``updated`` is when the
  release last changed, not when the list was taken: using it would give every release its own
  capture time and break the file into one-release snapshots, making every other service look
  missing. It is kept, as ISO-8601, with ``namespace``, ``chart``, ``revision`` and ``status``
  under the record's ``helm`` key (stored in ``extra``), not in ``config``: a release's revision
  counter and deploy time differ between environments without any configuration differing.
* **image** and **config** stay empty: ``helm list`` shows neither.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assets.ingest.adapters.records import (
    as_text,
    blank_record,
    capture_time,
    environment_of,
    format_timestamp,
)
from assets.ingest.kinds import INVENTORY

if TYPE_CHECKING:
    from assets.ingest.readers import ReadOptions

SOURCE = "helm"
RELEASE_KEYS = frozenset({"name", "chart", "app_version", "revision"})
# Chart names are lowercase letters, digits and dashes (no dots) and chart versions are SemVer,
# so the version starts at the first dash followed by a dotted number (``cert-manager-v1.2.0``,
# ``foo-2-1.0.0``, ``app-1.0.0-rc-1``); a lone ``-<digit>`` suffix is the fallback.
_CHART_DOTTED = re.compile(r"^(?P<name>.+?)-(?P<version>v?\d+\.\d+.*)$")
_CHART_LOOSE = re.compile(r"^(?P<name>.+)-(?P<version>v?\d[^-]*)$")
# Go's default time format: ``2016-01-16 00:00:00 +0000 UTC``, with optional fractional seconds
# (nanoseconds) and a trailing zone abbreviation or monotonic clock reading.
_GO_TIME = re.compile(
    r"^(?P<date>\d{4}-\d\d-\d\d) (?P<time>\d\d:\d\d:\d\d)(?:\.(?P<fraction>\d+))?"
    r" (?P<sign>[+-])(?P<hours>\d\d)(?P<minutes>\d\d)(?: .*)?$"
)
_MICROSECOND_DIGITS = 6


def is_helm_release(obj: Mapping[str, Any]) -> bool:
    """Whether ``obj`` is a release as ``helm list -o json`` prints it."""
    return obj.keys() >= RELEASE_KEYS


def split_chart(chart: str | None) -> tuple[str | None, str | None]:
    """``(name, version)`` of a ``helm list`` chart column such as ``cert-manager-v1.2.0``."""
    if not chart:
        return None, None
    match = _CHART_DOTTED.match(chart) or _CHART_LOOSE.match(chart)
    if match is None:
        return chart, None
    return match["name"], match["version"]


def parse_go_time(text: str | None) -> str | None:
    """A Go ``time.Time`` string as ISO-8601 with offset, or None if it is not one."""
    match = _GO_TIME.match(text.strip()) if text else None
    if match is None:
        return None
    fraction = (match["fraction"] or "")[:_MICROSECOND_DIGITS]
    seconds = f"{match['time']}.{fraction}" if fraction else match["time"]
    return f"{match['date']}T{seconds}{match['sign']}{match['hours']}:{match['minutes']}"


def parse_helm_list(document: Any, path: Path, options: ReadOptions) -> list[dict[str, Any]]:
    """Canonical inventory records from ``helm list -o json|yaml`` output."""
    releases = document if isinstance(document, list) else [document]
    captured_at = capture_time(options)
    records = []
    for release in releases:
        record = blank_record(INVENTORY)
        record["captured_at"] = captured_at
        if not isinstance(release, Mapping):
            record["helm"] = {"release": release}
            records.append(record)
            continue
        namespace = as_text(release.get("namespace"))
        chart = as_text(release.get("chart"))
        chart_name, chart_version = split_chart(chart)
        updated = format_timestamp(release.get("updated"))
        record |= {
            "environment": environment_of(options, namespace, (path.stem,)),
            "service": as_text(release.get("name")),
            "version": as_text(release.get("app_version")) or chart_version,
            "dependencies": {chart_name: chart_version} if chart_name and chart_version else {},
        }
        record["helm"] = {
            "namespace": namespace,
            "chart": chart,
            "revision": as_text(release.get("revision")),
            "status": as_text(release.get("status")),
            "updated": parse_go_time(updated) or updated,
        }
        records.append(record)
    return records
