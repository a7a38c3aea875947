"""Property tests of the version order against a hand-written SemVer 2.0 precedence oracle.

The comparator uses the ``semver`` library, so the oracle here does not: it orders versions
from the numbers and identifiers the strategies generated them from, by the precedence rules
of SemVer 2.0 (section 11): major, minor and patch numerically; a pre-release is older than its
release; pre-release identifiers compare one by one, numbers numerically and below words, words
in ASCII order, and a shorter run of equal identifiers is older; build metadata is ignored.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cmp_to_key
from itertools import permutations

from hypothesis import assume, given
from hypothesis import strategies as st

from assets.drift.versions import VersionKind, classify_version, compare_versions

#: identifiers that start a pre-release as the module reads it (a word, optionally with digits)
PRERELEASE_WORDS = ("alpha", "beta", "rc", "pre", "preview", "canary", "a", "b", "m", "RC")
#: later identifiers: neither branch or build words nor 7+ hex characters (those make a build)
LATER_WORDS = ("alpha", "beta", "rc", "x", "y", "zz", "Beta", "next", "r")
#: small numbers collide often (equal versions, equal prefixes); some are longer than others
NUMBERS = st.integers(min_value=0, max_value=12) | st.integers(min_value=0, max_value=999_999)


@dataclass(frozen=True)
class Generated:
    """A semver version as generated: its text, and what the oracle orders it by."""

    text: str
    core: tuple[int, int, int]
    prerelease: tuple[int | str, ...]


def _identifier_key(identifier: int | str) -> tuple[int, int | str]:
    # numeric identifiers sort below alphanumeric ones; words in ASCII order
    return (0, identifier) if isinstance(identifier, int) else (1, identifier)


def oracle_key(version: Generated) -> tuple:
    """SemVer 2.0 precedence as a sort key (build metadata is not part of it)."""
    if not version.prerelease:
        return (version.core, 1)
    return (version.core, 0, tuple(_identifier_key(i) for i in version.prerelease))


def oracle_compare(a: Generated, b: Generated) -> int:
    ka, kb = oracle_key(a), oracle_key(b)
    return (ka > kb) - (ka < kb)


@st.composite
def prereleases(draw: st.DrawFn) -> tuple[int | str, ...]:
    """A pre-release's identifiers: a word (with up to 3 digits) or a number first."""
    if draw(st.booleans()):
        word = draw(st.sampled_from(PRERELEASE_WORDS))
        digits = draw(st.none() | st.integers(min_value=0, max_value=999))
        first: int | str = word if digits is None else f"{word}{digits}"
    else:
        first = draw(NUMBERS)
    later = draw(st.lists(st.sampled_from(LATER_WORDS) | NUMBERS, max_size=3))
    return (first, *later)


@st.composite
def semvers(draw: st.DrawFn, with_metadata: bool = True) -> Generated:
    """``[v]MAJOR.MINOR[.PATCH][-PRERELEASE][+METADATA]``, every number without leading zeros.

    Major stays below 1000 and the numbers have no leading zeros, so no version here reads as
    calver (a 4-digit year or ``YY.0M`` first).
    """
    major = draw(st.integers(min_value=0, max_value=999))
    minor, patch = draw(NUMBERS), draw(NUMBERS)
    two_components = patch == 0 and draw(st.booleans())
    core = f"{major}.{minor}" if two_components else f"{major}.{minor}.{patch}"
    prefix = draw(st.sampled_from(["", "", "v", "V"]))
    prerelease = draw(st.just(()) | prereleases())
    text = prefix + core
    if prerelease:
        text += "-" + ".".join(str(i) for i in prerelease)
    if with_metadata and draw(st.booleans()):
        metadata = draw(st.lists(st.from_regex(r"[0-9a-zA-Z-]{1,8}", fullmatch=True), min_size=1))
        text += "+" + ".".join(metadata)
    return Generated(text, (major, minor, patch), prerelease)


def _cmp(a: str, b: str) -> int | None:
    return compare_versions(a, b)


@given(semvers())
def test_generated_versions_classify_as_semver_with_the_text_as_written(v: Generated) -> None:
    info = classify_version(v.text)
    assert info.kind is VersionKind.SEMVER
    assert info.text == v.text
    assert info.flavour is None


@given(semvers(), semvers())
def test_semver_order_is_semver_precedence(a: Generated, b: Generated) -> None:
    assert _cmp(a.text, b.text) == oracle_compare(a, b)


@given(st.lists(semvers(), min_size=2, max_size=8))
def test_sorting_by_the_comparator_matches_the_oracle(versions: list[Generated]) -> None:
    ordered = sorted(versions, key=cmp_to_key(lambda x, y: _cmp(x.text, y.text)))
    assert [oracle_key(v) for v in ordered] == sorted(oracle_key(v) for v in versions)


#: any version-like text: semver, calver, builds, channels, other, with or without flavours
VERSION_TEXT = (
    semvers().map(lambda v: v.text)
    | st.from_regex(r"[vV]?[0-9]{1,4}(\.[0-9]{1,3}){0,3}(-[a-z0-9.]{1,8}){0,2}", fullmatch=True)
    | st.from_regex(
        r"(19|20)[0-9]{2}[.-][01][0-9]([.-][0-3][0-9])?(-[0-9a-z]{1,4})?", fullmatch=True
    )
    | st.sampled_from(["latest", "stable-alpine", "7ff399b", "main.123", "1.2.3-SNAPSHOT", ""])
)


@given(VERSION_TEXT, VERSION_TEXT)
def test_order_is_antisymmetric(a: str, b: str) -> None:
    forward, backward = _cmp(a, b), _cmp(b, a)
    if forward is None:
        assert backward is None
    else:
        assert backward == -forward


def _transitive(a: str, b: str, c: str) -> None:
    """a <= b and b <= c imply a <= c, strictly when either step is strict."""
    ab, bc, ac = _cmp(a, b), _cmp(b, c), _cmp(a, c)
    if ab is None or bc is None or ab > 0 or bc > 0:
        return
    assert ac is not None and ac <= 0, (a, b, c)
    assert (ac < 0) == (ab < 0 or bc < 0), (a, b, c)


@given(semvers(), semvers(), semvers())
def test_semver_order_is_transitive(a: Generated, b: Generated, c: Generated) -> None:
    for x, y, z in permutations((a.text, b.text, c.text)):
        _transitive(x, y, z)


@given(st.lists(VERSION_TEXT, min_size=3, max_size=8, unique=True))
def test_value_order_is_transitive_over_any_texts(texts: list[str]) -> None:
    # without first_seen only value orders apply (the time order of first deployments may
    # disagree with them, by design: a value order is final)
    for x, y, z in permutations(texts, 3):
        _transitive(x, y, z)


@given(semvers(with_metadata=False))
def test_a_v_prefix_does_not_change_the_value(v: Generated) -> None:
    bare = v.text.lstrip("vV")
    assert _cmp("v" + bare, bare) == 0
    assert _cmp("V" + bare, "v" + bare) == 0


@given(semvers(with_metadata=False), semvers(with_metadata=False))
def test_a_v_prefix_does_not_change_the_order(a: Generated, b: Generated) -> None:
    assert _cmp("v" + a.text.lstrip("vV"), b.text.lstrip("vV")) == oracle_compare(a, b)


@given(
    semvers(with_metadata=False),
    st.lists(st.from_regex(r"[0-9a-zA-Z-]{1,8}", fullmatch=True), min_size=1, max_size=3),
)
def test_build_metadata_is_ignored(v: Generated, metadata: list[str]) -> None:
    assert _cmp(f"{v.text}+{'.'.join(metadata)}", v.text) == 0


@given(semvers(with_metadata=False), prereleases())
def test_a_prerelease_is_older_than_its_release(v: Generated, prerelease: tuple) -> None:
    release = v.text.partition("-")[0]
    candidate = f"{release}-{'.'.join(str(i) for i in prerelease)}"
    assert _cmp(candidate, release) == -1
    assert _cmp(release, candidate) == 1


@given(
    st.integers(min_value=0, max_value=999),
    st.integers(min_value=0, max_value=10_000),
    st.integers(min_value=0, max_value=10_000),
)
def test_components_compare_as_numbers_not_text(major: int, m: int, n: int) -> None:
    assume(m != n)
    expected = -1 if m < n else 1
    assert _cmp(f"{major}.{m}", f"{major}.{n}") == expected
    assert _cmp(f"{major}.{m}.0", f"{major}.{n}.0") == expected
    assert _cmp(f"{major}.0.{m}", f"{major}.0.{n}") == expected


def test_numeric_order_examples() -> None:
    assert _cmp("1.10", "1.9") == 1  # lexically "1.10" < "1.9"
    assert _cmp("1.9.0", "1.10.0") == -1
    assert _cmp("2.0.0-rc.10", "2.0.0-rc.9") == 1  # numeric identifiers numerically
    assert _cmp("2.0.0-rc10", "2.0.0-rc9") == -1  # alphanumeric identifiers in ASCII order


@given(
    st.integers(min_value=0, max_value=9),
    st.integers(min_value=0, max_value=99),
    st.integers(min_value=1, max_value=2),
)
def test_leading_zeros_are_kept_as_written_and_not_read_as_semver(
    major: int, minor: int, zeros: int
) -> None:
    padded = f"{major}.{'0' * zeros}{minor}"
    info = classify_version(padded)
    assert info.text == padded
    assert info.kind is not VersionKind.SEMVER
    # not the same version as the unpadded text, and without a value no order
    assert _cmp(padded, f"{major}.{minor}") is None
    assert _cmp(padded, padded) == 0
