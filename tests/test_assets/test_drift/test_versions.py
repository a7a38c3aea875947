"""Version classification and ordering: every expectation below is written out by hand."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from assets.drift.versions import (
    VersionKind,
    classify_version,
    compare_versions,
    newest,
    versions_between,
)


def _day(month: int, day: int) -> datetime:
    return datetime(2024, month, day, 12, 0, tzinfo=UTC)


#: first successful deployment of each version text to any environment
FIRST_SEEN = {
    "1.0.7": _day(3, 1),
    "1.0.8": _day(2, 20),  # deployed before 1.0.7 (a backport order): value order still wins
    "1.0.7-master-e89a132": _day(3, 5),
    "7ff399b": _day(3, 2),
    "e89a132": _day(3, 4),
    "abc1234": _day(3, 4),  # same instant as e89a132
    "1.27-alpine3.19": _day(2, 1),
    "1.26-bookworm": _day(2, 10),
    "latest": _day(1, 1),
    "stable": _day(1, 15),
    "2024.03.1": _day(3, 10),
    "1.2.3": _day(3, 11),
    "main.123": _day(3, 12),
    "main.124": _day(3, 13),
    "1.2.3.4": _day(3, 14),
    "1.2.3.5": _day(3, 9),
}

ORDER_WITHOUT_HISTORY = [
    # plain semver and the leading v
    ("1.2.3", "1.2.3", 0),
    ("v1.2.3", "1.2.3", 0),
    ("V2.0.0", "v1.9.9", 1),
    ("1.2.3", "1.2.10", -1),
    ("1.10.0", "1.9.0", 1),
    # the pre-release chain
    ("1.0.0-alpha", "1.0.0-alpha.1", -1),
    ("1.0.0-alpha.1", "1.0.0-beta", -1),
    ("1.0.0-beta", "1.0.0-rc.1", -1),
    ("1.0.0-rc.1", "1.0.0", -1),
    ("1.0.0-beta.2", "1.0.0-beta.11", -1),
    ("1.0.0-alpha", "0.9.9", 1),
    ("1.0.0-1", "1.0.0", -1),
    ("1.2.0-M1", "1.2.0", -1),
    ("2.0.0-canary.3", "2.0.0-beta.1", 1),
    # build metadata is ignored
    ("1.0.0+a", "1.0.0+b", 0),
    ("1.0.0+build.5", "1.0.1", -1),
    # branch and sha builds are not pre-releases
    ("1.0.7-master-e89a132", "1.0.7", None),
    ("2.3.0-main.45", "2.3.0", None),
    ("1.2.3-develop-abc1234", "1.2.2", None),
    ("1.4.0-feature-login", "1.4.0-rc.1", None),
    ("1.2.3-20240315", "1.2.3", None),
    ("v1.2.3-4-gabc1234", "v1.2.3", None),
    ("1.2.3-SNAPSHOT", "1.2.3", None),
    # two components read as patch 0
    ("1.27", "1.27.0", 0),
    ("1.27", "1.26.9", 1),
    ("v1.27", "1.27.1", -1),
    # flavours: by value only within the same flavour
    ("1.27-alpine3.19", "1.26-alpine3.19", 1),
    ("1.27-alpine3.19", "1.26-bookworm", None),
    ("1.27-alpine3.19", "1.27", None),
    ("1.25.3-bookworm", "1.25.10-bookworm", -1),
    ("3.11-slim", "3.12-slim", -1),
    ("1.2.4-debian-12-r1", "1.2.3-debian-12-r1", 1),
    ("1.2.3-debian-12-r4", "1.2.3-debian-12-r5", None),
    ("1.0.0-rc.1-alpine", "1.0.0-alpine", -1),
    # calver, by value within one pattern
    ("2024.03.1", "2024.03.2", -1),
    ("2024.3", "2024.03", 0),
    ("2024.3.0", "2024.3", 0),
    ("2024.10", "2024.9.5", 1),
    ("24.04", "22.04", 1),
    ("24.04", "24.04.1", -1),
    ("2024-03-15", "2024-02-29", 1),
    ("20240315", "20240316", -1),
    ("2024.03.15-1", "2024.03.15", 1),
    ("2024.03.15-2", "2024.03.15-10", -1),
    ("2024.3.0-rc1", "2024.3.0", -1),
    ("2024.03.1-alpine", "2024.03.2-alpine", -1),
    ("2024.03.1-alpine", "2024.03.2", None),
    # different calver patterns, calver against semver
    ("2024-03-15", "20240315", None),
    ("2024.03.15", "2024-03-15", None),
    ("2024.03.1", "1.2.3", None),
    ("24.04", "24.4", None),
    # builds, unpinned and other have no value
    ("7ff399b", "e89a132", None),
    ("main.123", "main.124", None),
    ("latest", "stable", None),
    ("latest", "latest", 0),
    ("latest", "1.2.3", None),
    ("stable-alpine", "stable-bookworm", None),
    ("1.2.3.4", "1.2.3.5", None),
]

ORDER_WITH_HISTORY = [
    ("1.0.7-master-e89a132", "1.0.7", 1),
    ("7ff399b", "e89a132", -1),
    ("e89a132", "abc1234", None),
    ("7ff399b", "0badc0de", None),
    ("1.27-alpine3.19", "1.26-bookworm", -1),
    ("latest", "stable", -1),
    ("latest", "latest", 0),
    ("2024.03.1", "1.2.3", -1),
    ("main.123", "main.124", -1),
    ("1.2.3.4", "1.2.3.5", 1),
    ("1.0.7", "1.0.8", -1),
    ("1.0.8", "1.0.9", -1),
]


def _reversed(expected: int | None) -> int | None:
    return None if expected is None else -expected


@pytest.mark.parametrize(("a", "b", "expected"), ORDER_WITHOUT_HISTORY)
def test_compare_versions_without_history(a: str, b: str, expected: int | None) -> None:
    assert compare_versions(a, b) == expected
    assert compare_versions(b, a) == _reversed(expected)


@pytest.mark.parametrize(("a", "b", "expected"), ORDER_WITH_HISTORY)
def test_compare_versions_with_first_seen(a: str, b: str, expected: int | None) -> None:
    assert compare_versions(a, b, FIRST_SEEN) == expected
    assert compare_versions(b, a, FIRST_SEEN) == _reversed(expected)


CLASSIFICATION = [
    ("1.2.3", VersionKind.SEMVER, None),
    ("v1.2.3", VersionKind.SEMVER, None),
    ("1.27", VersionKind.SEMVER, None),
    ("24.4", VersionKind.SEMVER, None),
    ("1.0.0-rc.1", VersionKind.SEMVER, None),
    ("1.0.0+build.5", VersionKind.SEMVER, None),
    ("1.27-alpine3.19", VersionKind.SEMVER, "alpine3.19"),
    ("1.25.3-bookworm", VersionKind.SEMVER, "bookworm"),
    ("3.11-slim", VersionKind.SEMVER, "slim"),
    ("8.0-jammy", VersionKind.SEMVER, "jammy"),
    ("1.2.3-debian-12-r4", VersionKind.SEMVER, "debian-12-r4"),
    ("1.0.0-rc.1-alpine", VersionKind.SEMVER, "alpine"),
    ("1.0.7-master-e89a132", VersionKind.BUILD, None),
    ("2.3.0-main.45", VersionKind.BUILD, None),
    ("1.2.3-develop-abc1234", VersionKind.BUILD, None),
    ("1.4.0-feature-login", VersionKind.BUILD, None),
    ("1.2.3-20240315", VersionKind.BUILD, None),
    ("7ff399b", VersionKind.BUILD, None),
    ("g7ff399b", VersionKind.BUILD, None),
    ("sha-7ff399b", VersionKind.BUILD, None),
    ("e89a132c0f7d4a3b9e1f2a6b8c4d0e5f7a9b1c3d", VersionKind.BUILD, None),
    ("7ff399b-master", VersionKind.BUILD, None),
    ("master-7ff399b", VersionKind.BUILD, None),
    ("main.123", VersionKind.BUILD, None),
    ("20241399", VersionKind.BUILD, None),
    ("2024.03.1", VersionKind.CALVER, None),
    ("2024.3", VersionKind.CALVER, None),
    ("24.04", VersionKind.CALVER, None),
    ("2024-03-15", VersionKind.CALVER, None),
    ("20240315", VersionKind.CALVER, None),
    ("2024.03.15-1", VersionKind.CALVER, None),
    ("2024.03.1-alpine", VersionKind.CALVER, "alpine"),
    ("latest", VersionKind.UNPINNED, None),
    ("LATEST", VersionKind.UNPINNED, None),
    ("stable", VersionKind.UNPINNED, None),
    ("edge", VersionKind.UNPINNED, None),
    ("main", VersionKind.UNPINNED, None),
    ("master", VersionKind.UNPINNED, None),
    ("nightly", VersionKind.UNPINNED, None),
    ("dev", VersionKind.UNPINNED, None),
    ("lts", VersionKind.UNPINNED, None),
    ("current", VersionKind.UNPINNED, None),
    ("", VersionKind.UNPINNED, None),
    ("stable-alpine", VersionKind.UNPINNED, "alpine"),
    ("1.2.3.4", VersionKind.OTHER, None),
    ("16", VersionKind.OTHER, None),
    ("1.2.3rc1", VersionKind.OTHER, None),
    ("1.02.3", VersionKind.OTHER, None),
    ("alpine", VersionKind.OTHER, None),
]


@pytest.mark.parametrize(("text", "kind", "flavour"), CLASSIFICATION)
def test_classify_version(text: str, kind: VersionKind, flavour: str | None) -> None:
    info = classify_version(text)
    assert (info.text, info.kind, info.flavour) == (text, kind, flavour)


def test_classify_none_is_unpinned() -> None:
    assert classify_version(None).kind == VersionKind.UNPINNED


@pytest.mark.parametrize(
    ("text", "pattern"),
    [
        ("2024.03.1", "YYYY.N"),
        ("24.04.1", "YY.0M"),
        ("2024-03-15", "YYYY-MM-DD"),
        ("20240315.2", "YYYYMMDD"),
    ],
)
def test_calver_pattern(text: str, pattern: str) -> None:
    assert classify_version(text).pattern == pattern


def test_versions_between_semver_by_value() -> None:
    candidates = [
        "1.1.0",
        "1.2.0",
        "1.3.0",
        "1.2.1",
        "1.3.0-rc.1",
        "1.4.0",
        "1.5.0",
        "1.3.0",
        "latest",
        "2024.03.1",
        "1.3.0-bookworm",
    ]
    assert versions_between("1.2.0", "1.4.0", candidates) == [
        "1.2.1",
        "1.3.0-rc.1",
        "1.3.0",
        "1.4.0",
    ]


def test_versions_between_builds_by_first_seen() -> None:
    first_seen = {
        "aaa1111": _day(3, 1),
        "bbb2222": _day(3, 2),
        "ccc3333": _day(3, 3),
        "ddd4444": _day(3, 4),
        "eee5555": _day(3, 5),
    }
    candidates = ["eee5555", "ccc3333", "bbb2222", "aaa1111", "ddd4444", "fff6666"]
    assert versions_between("aaa1111", "ddd4444", candidates, first_seen) == [
        "bbb2222",
        "ccc3333",
        "ddd4444",
    ]


def test_versions_between_leaves_out_what_cannot_be_ordered_against_both_ends() -> None:
    # abc1234 is after 1.2.0 by first_seen, but 1.4.0 has no first deployment to compare with
    first_seen = {"1.2.0": _day(3, 1), "abc1234": _day(3, 2)}
    candidates = ["abc1234", "1.3.0", "def5678"]
    assert versions_between("1.2.0", "1.4.0", candidates, first_seen) == ["1.3.0"]


def test_versions_between_keeps_the_flavour() -> None:
    candidates = ["1.27-alpine3.19", "1.27.1-bookworm", "1.27.1-alpine3.19", "1.26-alpine3.19"]
    assert versions_between("1.26-alpine3.19", "1.27.2-alpine3.19", candidates) == [
        "1.27-alpine3.19",
        "1.27.1-alpine3.19",
    ]


def test_versions_between_empty_when_not_behind() -> None:
    assert versions_between("1.4.0", "1.4.0", ["1.3.0", "1.4.0"]) == []
    assert versions_between("1.4.0", "1.2.0", ["1.3.0"]) == []


def test_newest_semver() -> None:
    assert newest(["1.2.0", "1.10.0", "1.9.3", "1.10.0-rc.1"]) == "1.10.0"


def test_newest_builds_by_first_seen() -> None:
    assert newest(["e89a132", "7ff399b", "abc1234"], FIRST_SEEN) is None  # a tie at the top
    assert newest(["e89a132", "7ff399b"], FIRST_SEEN) == "e89a132"


def test_newest_none_when_unordered_or_empty() -> None:
    assert newest([]) is None
    assert newest(["1.2.0", "abc1234"]) is None
    assert newest(["1.0.0", "1.0.0"]) == "1.0.0"
