"""Pre-production versus production drift (README: Drift): classifying one pair of states.

A *state* is what one environment runs for a service as of a day (version, image digest,
config, dependencies). :func:`classify_drift` compares the baseline's state with
production's and says which kind of drift it is, how many versions production is behind and
how many changes wait. The SQL around it finds the states and the runs across days; this
module holds the rules, so they can be tested on their own.
"""

from __future__ import annotations

import bisect
import datetime as dt
import fnmatch
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from assets.drift.versions import classify_version, compare_versions, versions_between


class DriftKind(StrEnum):
    IN_SYNC = "in_sync"
    BEHIND = "behind"
    AHEAD = "ahead"
    MISSING_IN_PRODUCTION = "missing_in_production"
    MISSING_IN_BASELINE = "missing_in_baseline"
    CONFIG = "config"
    DEPENDENCY = "dependency"
    UNORDERED = "unordered"
    MUTABLE_TAG = "mutable_tag"


@dataclass(frozen=True)
class State:
    """What one environment runs for a service (None fields are unknown)."""

    version: str
    digest: str | None = None
    config: Mapping[str, object] | None = None
    dependencies: Mapping[str, object] | None = None
    config_hash: str | None = None


@dataclass
class ServiceHistory:
    """Per version of one service: first successful deployment (any orderable moment: the
    marts use epoch microseconds), and the baseline's batches."""

    first_seen: dict[str, dt.datetime | int] = field(default_factory=dict)
    baseline_changes: dict[str, int | None] = field(default_factory=dict)
    #: each baseline version's first arrival in the baseline (as first_seen is given)
    baseline_at: dict[str, dt.datetime | int] = field(default_factory=dict)
    _between: dict[tuple[str, str], list[str]] = field(default_factory=dict, repr=False)
    #: the baseline's versions as (precedence, text) when all are semver of one flavour, in
    #: the baseline's order until sorted; [] when they are not
    _semver: list[tuple[tuple, str]] | None = field(default=None, repr=False)
    _flavour: str | None = field(default=None, repr=False)
    #: the sort keys of the sorted ``_semver``, for bisection (None: not sorted yet)
    _keys: list[tuple] | None = field(default=None, repr=False)
    _scans: int = field(default=0, repr=False)

    def versions_between(self, older: str, newer: str) -> list[str]:
        """The baseline's versions after ``older`` up to ``newer`` (cached per pair).

        When every baseline version is a semver of one flavour (the common case), they are
        picked by precedence: by a scan for the first few questions about a service (a week's
        build asks one or two), by bisection of a sorted index after that; otherwise each
        candidate is compared.
        """
        if (older, newer) not in self._between:
            self._between[older, newer] = self._picked(older, newer)
        return self._between[older, newer]

    def _picked(self, older: str, newer: str) -> list[str]:
        ends = classify_version(older), classify_version(newer)
        semvers = self._semvers()
        if not semvers or not all(
            e.precedence is not None and e.flavour == self._flavour for e in ends
        ):
            return versions_between(older, newer, self.baseline_changes, self.first_seen)
        low, high = ends[0].precedence, ends[1].precedence
        if self._keys is None and self._scans < _SCANS_BEFORE_SORTING:
            self._scans += 1
            return [text for _, text in sorted(v for v in semvers if low < v[0] <= high)]
        if self._keys is None:
            semvers.sort()
            self._keys = [key for key, _ in semvers]
        start = bisect.bisect_right(self._keys, low)
        return [text for _, text in semvers[start : bisect.bisect_right(self._keys, high)]]

    def _semvers(self) -> list[tuple[tuple, str]]:
        if self._semver is None:
            infos = [classify_version(v) for v in self.baseline_changes]
            flavours = {info.flavour for info in infos}
            if infos and len(flavours) == 1 and all(i.precedence for i in infos):
                self._flavour = flavours.pop()
                self._semver = [(i.precedence, i.text) for i in infos]
            else:
                self._flavour, self._semver = None, []
        return self._semver


#: how many questions about one service's versions are answered by a scan of them before
#: they are sorted once (a scan costs about as much as a sort's few comparisons per version)
_SCANS_BEFORE_SORTING = 8


@dataclass(frozen=True)
class Verdict:
    kind: DriftKind
    versions_behind: int | None = None
    pending_changes: int | None = None
    #: config or dependency keys that differ (sorted)
    differing: tuple[str, ...] = ()
    #: every differing config key matches ``drift.ignore_config_keys``
    only_ignored: bool = False
    #: behind: the baseline's versions production waits for, oldest first
    waiting: tuple[str, ...] = ()


def differing_keys(a: Mapping[str, object] | None, b: Mapping[str, object] | None) -> list[str]:
    """Keys whose values differ between two maps (a key missing on one side differs)."""
    left, right = dict(a or {}), dict(b or {})
    return sorted(k for k in left.keys() | right.keys() if left.get(k) != right.get(k))


def is_ignored(key: str, patterns: Iterable[str]) -> bool:
    """Whether a config key matches one of the glob patterns of expected drift."""
    return any(fnmatch.fnmatchcase(key, pattern) for pattern in patterns)


def _same_artifact(baseline: State, target: State, first_seen: Mapping[str, dt.datetime]) -> bool:
    if baseline.digest and target.digest and baseline.digest == target.digest:
        return True  # the same image under two tags is the same artifact
    return compare_versions(target.version, baseline.version, first_seen) == 0


def production_relation(
    production_version: str | None,
    other_version: str | None,
    first_seen: Mapping[str, dt.datetime] | None = None,
) -> str:
    """How production's version stands against another environment's: in_sync, behind, ahead
    or unordered, always said of production.

    The drift list and the version matrix both take their word (and so their colour) from
    here, so a service is never "behind" in one place and "ahead" in the other.
    """
    order = compare_versions(production_version, other_version, first_seen)
    return {0: "in_sync", 1: "ahead", -1: "behind", None: "unordered"}[order]


def classify_drift(
    baseline: State | None,
    target: State | None,
    history: ServiceHistory,
    ignore_config_keys: Iterable[str],
) -> Verdict:
    """The drift of production (``target``) against the baseline, by the drift rules in the README.

    Order of the checks: missing on either side; the same artifact (same tag or digest) with a
    different digest behind one tag (mutable_tag), then differing config (config), then
    differing dependencies (dependency), else in_sync; different versions are behind, ahead or
    unordered by version order (semver/calver by value, others by first deployment).
    """
    if baseline is None and target is None:
        raise ValueError("a drift pair needs at least one state")
    if target is None:
        return Verdict(DriftKind.MISSING_IN_PRODUCTION)
    if baseline is None:
        return Verdict(DriftKind.MISSING_IN_BASELINE)
    patterns = list(ignore_config_keys)
    if _same_artifact(baseline, target, history.first_seen):
        if (
            baseline.version == target.version
            and baseline.digest
            and target.digest
            and baseline.digest != target.digest
        ):
            return Verdict(DriftKind.MUTABLE_TAG)
        if baseline.config is not None or target.config is not None:
            keys = differing_keys(baseline.config, target.config)
            if keys:
                ignored = all(is_ignored(k, patterns) for k in keys)
                return Verdict(DriftKind.CONFIG, differing=tuple(keys), only_ignored=ignored)
        elif (
            baseline.config_hash
            and target.config_hash
            and (baseline.config_hash != target.config_hash)
        ):
            return Verdict(DriftKind.CONFIG, differing=("config_hash",))
        keys = differing_keys(baseline.dependencies, target.dependencies)
        if keys:
            return Verdict(DriftKind.DEPENDENCY, differing=tuple(keys))
        return Verdict(DriftKind.IN_SYNC)
    standing = production_relation(target.version, baseline.version, history.first_seen)
    if standing == "unordered":
        return Verdict(DriftKind.UNORDERED)
    if standing == "ahead":
        return Verdict(DriftKind.AHEAD)
    waiting = history.versions_between(target.version, baseline.version)
    changes = [history.baseline_changes.get(v) for v in waiting]
    known = [c for c in changes if c is not None]
    return Verdict(
        DriftKind.BEHIND,
        versions_behind=len(waiting),
        pending_changes=sum(known) if known else None,
        waiting=tuple(waiting),
    )


def parse_map(text: str | None) -> dict[str, object] | None:
    """A JSON object stored as text, or None."""
    if text is None:
        return None
    value = json.loads(text)
    return value if isinstance(value, dict) else None
