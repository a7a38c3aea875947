"""Version classification and ordering (README: Drift, version order).

Kinds. Each version string gets exactly one kind, tried in this order (case-insensitive):

* ``unpinned``: a moving tag. Empty text (or None); a release channel (``latest``, ``stable``,
  ``edge``, ``lts``, ``current``, ``mainline``, ``unstable``, ``next``, ``canary``, ``alpha``,
  ``beta``, ``preview``); a bare branch or build word (``main``, ``master``, ``dev``,
  ``develop``, ``nightly``, ... see ``BRANCH_WORDS``). A channel followed by a flavour that
  starts with a letter (``stable-alpine``, ``lts-alpine3.19``) is unpinned with that flavour.
* ``calver``: a 4-digit year (19xx or 20xx) first, in one of four patterns:
  ``YYYY.N[.N...]`` (``2024.3``, ``2024.03.1``), ``YYYY-MM-DD`` and ``YYYYMMDD`` (a real
  date, optionally followed by ``.N`` components), and ``YY.0M[.N...]`` (``24.04``, Ubuntu
  style: the month must have its leading zero, because ``24.4`` or ``22.10`` are just as
  likely semver-like; those are read as semver).
* ``semver``: ``MAJOR.MINOR[.PATCH]`` with an optional leading ``v``/``V``, no leading zeros.
  Two components are read with patch 0 (``1.27`` is ``1.27.0``); one component (``16``)
  and four or more (``1.2.3.4``) are ``other``.
* ``build``: a git sha (7-40 hex characters, optionally prefixed ``g`` or ``sha-``), or any
  version whose tokens (split at ``-``, ``.``, ``_``, ``/``, ``+``; after a semver or calver
  core, only the suffix before ``+``) include a branch or build word or a 7-40 hex run:
  ``7ff399b-master``, ``master-7ff399b``, ``main.123``, ``1.0.7-master-e89a132``,
  ``2.3.0-main.45``, ``1.4.0-feature-login``, ``v1.2.3-4-gabc1234``, ``1.2.3-SNAPSHOT``.
  These are NOT semver pre-releases of the version they start with. A digits-only run counts
  as hex, so ``1.2.3-20240315`` is a build stamp.
* ``other``: anything else (``1.2.3.4``, ``16``, ``1.2.3rc1``, ``alpine``).

Suffixes. After a semver or calver core, the part up to ``+`` is split at ``-`` and read left
to right. A leading run of pre-release parts forms the pre-release: a part that starts with a
pre-release word (``alpha``, ``beta``, ``rc``, ``pre``, ``preview``, ``milestone``,
``canary``, or the short ``a``, ``b``, ``m``) optionally followed by digits and ``.``
identifiers (``rc.1``, ``beta2``, ``M3``), or a numeric part (``1``, ``0.3.7``). On a calver
a numeric first part is a revision instead (``2024.03.15-1``). The remaining parts are the
flavour, a build variant (``alpine3.19``, ``bookworm``, ``slim``, ``debian-12-r4``). So
``1.0.0-rc.1-alpine`` is pre-release ``rc.1`` of flavour ``alpine``. Build metadata (``+...``)
is ignored for order.

Order (``compare_versions``):

1. Equal text compares 0.
2. Semver against semver of the same flavour: SemVer 2.0 precedence (``1.0.0-alpha <
   1.0.0-alpha.1 < 1.0.0-beta < 1.0.0-rc.1 < 1.0.0``; identifiers compare as SemVer says,
   so ``canary`` sorts after ``beta``). Calver against calver of the same pattern and
   flavour: components (trailing zeros dropped, so ``2024.3.0`` equals ``2024.3``), then
   revision, then pre-release (a release is newer than its pre-releases). Equal values compare
   0 even when spelled differently (``v1.2.3`` and ``1.2.3``, ``1.0.0+a`` and ``1.0.0+b``).
3. Everything else (builds, other, unpinned, semver against calver, different flavours or
   calver patterns) by ``first_seen``: the time of the first successful deployment of that
   exact text to any environment, when both texts have one. Equal times are unordered.
4. Otherwise the pair is unordered (None).

A value order, once it applies, is final: a semver deployed before an older semver is still
the newer one. Unpinned tags never have a value; whether the artifact behind a tag changed is
a digest question for the caller.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from functools import cmp_to_key, lru_cache

import semver


class VersionKind(StrEnum):
    """What a version string is, which decides how it can be ordered (module rules)."""

    SEMVER = "semver"
    CALVER = "calver"
    BUILD = "build"
    UNPINNED = "unpinned"
    OTHER = "other"


#: moving release channels: unpinned alone, or with a flavour (``stable-alpine``)
CHANNEL_WORDS = frozenset(
    {
        "latest",
        "stable",
        "edge",
        "lts",
        "current",
        "mainline",
        "unstable",
        "next",
        "canary",
        "alpha",
        "beta",
        "preview",
    }
)
#: branch and build words: unpinned alone; as a token of a longer version they make it a build
BRANCH_WORDS = frozenset(
    {
        "master",
        "main",
        "trunk",
        "develop",
        "devel",
        "dev",
        "feature",
        "feat",
        "release",
        "hotfix",
        "bugfix",
        "fix",
        "snapshot",
        "nightly",
        "head",
        "wip",
        "pr",
        "mr",
        "build",
    }
)
#: words that open a genuine pre-release part (``rc.1``, ``beta2``, ``M3``)
PRERELEASE_WORDS = ("alpha", "beta", "rc", "pre", "preview", "milestone", "canary", "a", "b", "m")

#: distinct version strings kept classified; a fleet has thousands, not millions
_CLASSIFY_CACHE_SIZE = 1 << 16

_TOKEN_SEPARATORS = re.compile(r"[-._/+]")
_HEX_RUN = re.compile(r"g?[0-9a-f]{7,40}")
_DATE = re.compile(
    r"(?P<year>(?:19|20)\d\d)(?P<sep>-?)(?P<month>\d\d)(?P=sep)(?P<day>\d\d)"
    r"(?P<more>(?:\.\d+)*)(?P<rest>[-+].*)?",
    re.DOTALL,
)
_DOTTED = re.compile(r"[vV]?(?P<core>\d+(?:\.\d+)+)(?P<rest>[-+].*)?", re.DOTALL)
_FOUR_DIGIT_YEAR = re.compile(r"(?:19|20)\d\d")
_TWO_DIGIT_YEAR = re.compile(r"[1-9]\d")
_PADDED_MONTH = re.compile(r"0[1-9]")
_PLAIN_NUMBER = re.compile(r"0|[1-9]\d*")
_PRERELEASE_PART = re.compile(
    r"(?:(?:" + "|".join(sorted(PRERELEASE_WORDS, key=len, reverse=True)) + r")\d*|\d+)"
    r"(?:\.[0-9a-z]+)*",
    re.IGNORECASE,
)
_FLAVOUR = re.compile(r"[0-9a-z]+(?:[._-][0-9a-z]+)*", re.IGNORECASE)
_BUILD_METADATA = re.compile(r"[0-9a-z-]+(?:\.[0-9a-z-]+)*", re.IGNORECASE)


@dataclass(frozen=True)
class VersionInfo:
    """A classified version: what :func:`compare_versions` orders by."""

    #: the text as given (None is kept as "")
    text: str
    kind: VersionKind
    #: the build variant named by the suffix (``alpine3.19`` in ``1.27-alpine3.19``)
    flavour: str | None = None
    #: semver: the parsed version, build metadata dropped
    semver_value: semver.Version | None = None
    #: calver: ``YYYY.N``, ``YY.0M``, ``YYYY-MM-DD`` or ``YYYYMMDD``; only equal patterns compare
    pattern: str | None = None
    #: calver: numeric components, trailing zeros dropped
    calver_value: tuple[int, ...] | None = None
    #: calver: the numeric suffix part (``1`` in ``2024.03.15-1``), 0 when there is none
    revision: int = 0
    #: semver or calver pre-release (``rc.1``), None for a release
    prerelease: str | None = None
    #: semver: a plain tuple ordered as SemVer 2.0 orders versions (fast to compare and sort)
    precedence: tuple | None = None


@lru_cache(maxsize=_CLASSIFY_CACHE_SIZE)
def classify_version(text: str | None) -> VersionInfo:
    """Classify a version string as semver, calver, build, unpinned or other (module rules)."""
    given = text or ""
    stripped = given.strip()
    lowered = stripped.lower()
    if not lowered or lowered in CHANNEL_WORDS or lowered in BRANCH_WORDS:
        return VersionInfo(given, VersionKind.UNPINNED)

    dated = _DATE.fullmatch(stripped)
    if dated and _is_date(dated["year"], dated["month"], dated["day"]):
        pattern = "YYYY-MM-DD" if dated["sep"] else "YYYYMMDD"
        components = [dated["year"], dated["month"], dated["day"], *dated["more"].split(".")[1:]]
        return _calver(given, pattern, components, dated["rest"] or "")

    dotted = _DOTTED.fullmatch(stripped)
    if dotted:
        components = dotted["core"].split(".")
        rest = dotted["rest"] or ""
        if _FOUR_DIGIT_YEAR.fullmatch(components[0]):
            return _calver(given, "YYYY.N", components, rest)
        if _TWO_DIGIT_YEAR.fullmatch(components[0]) and _PADDED_MONTH.fullmatch(components[1]):
            return _calver(given, "YY.0M", components, rest)
        if len(components) <= 3 and all(_PLAIN_NUMBER.fullmatch(c) for c in components):
            return _semver(given, components, rest)
    return _unversioned(given, stripped)


def compare_versions(
    a: str, b: str, first_seen: Mapping[str, datetime | int] | None = None
) -> int | None:
    """Order two versions: -1 if ``a`` is older than ``b``, 0 same, 1 newer, None unordered.

    ``first_seen`` maps a version text to its first successful deployment to any environment;
    it orders the pairs that have no value order (module rules, "Order").
    """
    if a == b:
        return 0
    by_value = _compare_values(classify_version(a), classify_version(b))
    if by_value is not None:
        return by_value
    if first_seen is None:
        return None
    seen_a, seen_b = first_seen.get(a), first_seen.get(b)
    if seen_a is None or seen_b is None or seen_a == seen_b:
        return None
    return -1 if seen_a < seen_b else 1


def newest(versions: Iterable[str], first_seen: Mapping[str, datetime] | None = None) -> str | None:
    """The version at least as new as every other one, or None when there is no such version.

    None for no versions, or when some version cannot be ordered against the candidate. Of
    several equal ones (``v1.2.3`` and ``1.2.3``) the first given wins.
    """
    distinct = list(dict.fromkeys(versions))
    if not distinct:
        return None
    best = distinct[0]
    for version in distinct[1:]:
        if compare_versions(version, best, first_seen) == 1:
            best = version
    if all(compare_versions(best, other, first_seen) in (0, 1) for other in distinct):
        return best
    return None


def versions_between(
    older: str,
    newer: str,
    candidates: Iterable[str],
    first_seen: Mapping[str, datetime] | None = None,
) -> list[str]:
    """Distinct candidates newer than ``older`` and not newer than ``newer``, oldest first.

    A candidate that cannot be ordered against both ends is left out. Candidates that cannot
    be ordered against each other keep their text order.
    """
    between = [
        candidate
        for candidate in dict.fromkeys(candidates)
        if compare_versions(candidate, older, first_seen) == 1
        and compare_versions(candidate, newer, first_seen) in (-1, 0)
    ]

    def order(a: str, b: str) -> int:
        return compare_versions(a, b, first_seen) or 0

    return sorted(sorted(between), key=cmp_to_key(order))


def _is_date(year: str, month: str, day: str) -> bool:
    try:
        date(int(year), int(month), int(day))
    except ValueError:
        return False
    return True


def _build_tokens(text: str) -> bool:
    """True when a token of ``text`` is a branch or build word or a 7-40 hex run."""
    return any(
        token in BRANCH_WORDS or _HEX_RUN.fullmatch(token)
        for token in _TOKEN_SEPARATORS.split(text.lower())
    )


def _read_suffix(rest: str) -> tuple[list[str], str | None] | None:
    """Split what follows a version core into pre-release parts and flavour.

    None when the suffix is malformed; build metadata after ``+`` is validated and dropped.
    The caller has already ruled out a build suffix.
    """
    suffix, plus, metadata = rest.partition("+")
    if plus and not _BUILD_METADATA.fullmatch(metadata):
        return None
    if not suffix:
        return [], None
    suffix = suffix[1:]
    if not _FLAVOUR.fullmatch(suffix):
        return None
    parts = suffix.split("-")
    lead = 0
    while lead < len(parts) and _PRERELEASE_PART.fullmatch(parts[lead]):
        lead += 1
    return parts[:lead], "-".join(parts[lead:]) or None


def _suffix_is_build(rest: str) -> bool:
    return _build_tokens(rest.partition("+")[0])


def _semver(given: str, components: list[str], rest: str) -> VersionInfo:
    if _suffix_is_build(rest):
        return VersionInfo(given, VersionKind.BUILD)
    read = _read_suffix(rest)
    if read is None:
        return VersionInfo(given, VersionKind.OTHER)
    prerelease_parts, flavour = read
    prerelease = "-".join(prerelease_parts) or None
    major, minor, patch = [*components, "0"][:3]
    try:
        value = semver.Version.parse(
            f"{major}.{minor}.{patch}" + (f"-{prerelease}" if prerelease else "")
        )
    except ValueError:
        return VersionInfo(given, VersionKind.OTHER)
    return VersionInfo(
        given,
        VersionKind.SEMVER,
        flavour,
        semver_value=value,
        prerelease=prerelease,
        precedence=_precedence(value),
    )


def _precedence(value: semver.Version) -> tuple:
    """SemVer 2.0 precedence as a plain tuple: numeric identifiers before alphanumeric ones,
    a shorter pre-release before a longer one it prefixes, every pre-release before the
    release."""
    if value.prerelease is None:
        return (value.major, value.minor, value.patch, 1, ())
    parts = tuple(
        (0, int(part), "") if part.isdigit() else (1, 0, part)
        for part in value.prerelease.split(".")
    )
    return (value.major, value.minor, value.patch, 0, parts)


def _calver(given: str, pattern: str, components: list[str], rest: str) -> VersionInfo:
    if _suffix_is_build(rest):
        return VersionInfo(given, VersionKind.BUILD)
    read = _read_suffix(rest)
    if read is None:
        return VersionInfo(given, VersionKind.OTHER)
    parts, flavour = read
    revision = 0
    if parts and parts[0].isdigit():
        revision = int(parts[0])
        parts = parts[1:]
    values = [int(c) for c in components]
    while values and values[-1] == 0:
        values.pop()
    return VersionInfo(
        given,
        VersionKind.CALVER,
        flavour,
        pattern=pattern,
        calver_value=tuple(values),
        revision=revision,
        prerelease="-".join(parts) or None,
    )


def _unversioned(given: str, stripped: str) -> VersionInfo:
    if _build_tokens(stripped):
        return VersionInfo(given, VersionKind.BUILD)
    channel, hyphen, flavour = stripped.partition("-")
    if (
        hyphen
        and channel.lower() in CHANNEL_WORDS
        and flavour[:1].isalpha()
        and _FLAVOUR.fullmatch(flavour)
    ):
        return VersionInfo(given, VersionKind.UNPINNED, flavour)
    return VersionInfo(given, VersionKind.OTHER)


def _compare_values(a: VersionInfo, b: VersionInfo) -> int | None:
    """The value order of two versions, or None when they have no common value scale."""
    if a.flavour != b.flavour:
        return None
    if a.precedence is not None and b.precedence is not None:
        return _sign(a.precedence, b.precedence)
    if a.calver_value is not None and b.calver_value is not None and a.pattern == b.pattern:
        by_number = _sign((a.calver_value, a.revision), (b.calver_value, b.revision))
        return by_number or _compare_prereleases(a.prerelease, b.prerelease)
    return None


def _compare_prereleases(a: str | None, b: str | None) -> int:
    """SemVer pre-release precedence; no pre-release (a release) is newest."""
    if a == b:
        return 0
    if a is None or b is None:
        return 1 if a is None else -1
    return semver.Version(0, prerelease=a).compare(semver.Version(0, prerelease=b))


def _sign(a: tuple, b: tuple) -> int:
    return (a > b) - (a < b)
