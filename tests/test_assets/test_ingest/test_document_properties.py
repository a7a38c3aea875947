"""Properties of the JSON, JSON Lines and YAML readers, over generated records and nestings.

* Whatever text a field holds, the reader stages exactly that text, whichever way the file
  was written (JSON Lines, a JSON array, YAML dumped by ``yaml.safe_dump``, YAML with plain
  unquoted scalars wherever YAML allows one), and every record is accounted for.
* The depth check agrees with a reference: any nesting up to ``limits.max_depth`` parses, any
  deeper fails ``too_deep``.
"""

from __future__ import annotations

import io
import itertools
import json
from pathlib import Path
from typing import Any

import duckdb
import pytest
import yaml
from hypothesis import assume, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from assets.ingest.documents import DocumentError, parse_json, parse_yaml
from assets.ingest.kinds import kind_named
from assets.ingest.readers import ReadOptions, read_file
from assets.settings import Limits, Settings
from tests.test_assets.test_ingest.test_bad_inputs import assert_counts, load_one

FIELDS = ("deployment_id", "service", "version", "team", "triggered_by", "commit_sha")
#: text that YAML 1.1 or JSON would read as something other than text
TRICKY = [
    "1.10",
    "010",
    "0x1F",
    "0o17",
    "1_000",
    "1e3",
    "-0",
    ".inf",
    "-.Inf",
    ".NaN",
    "no",
    "yes",
    "on",
    "off",
    "y",
    "n",
    "true",
    "False",
    "null",
    "Null",
    "~",
    "2026-01-02",
    "2026-01-02 10:00:00",
    "12:30:00",
    "<<",
    "=",
    "a: b",
    "key:value",
    "# not a comment",
    "'quoted'",
    '"double"',
    "  leading spaces",
    "trailing space ",
    "ünïcödé ✓",
    "日本語",
    "[1, 2]",
    "{a: 1}",
    "&anchor",
    "*alias",
    "!tag",
    "back\\slash",
]
text_values = st.one_of(
    st.sampled_from(TRICKY),
    st.text(
        alphabet=st.characters(
            blacklist_categories=("Cs", "Cc"), blacklist_characters="\u2028\u2029\x85\ufeff"
        ),
        max_size=12,
    ),
)
records_strategy = st.lists(
    st.fixed_dictionaries({name: text_values for name in FIELDS}), min_size=1, max_size=6
)
FORMATS = ("jsonl", "json", "yaml-dumped", "yaml-plain")
#: the depth limit the nesting properties run against (small, so deeper cases stay small)
SMALL_DEPTH = 6
_EMITTER = yaml.emitter.Emitter(io.StringIO())
_YAML_NULL = {"", "~", "null", "Null", "NULL"}


def plain_yaml_allowed(value: str) -> bool:
    """Whether ``value`` may be written as a plain (unquoted) YAML scalar and read back as
    the same text: the emitter's own analysis, less values YAML reads as null."""
    analysis = _EMITTER.analyze_scalar(value)
    return analysis.allow_block_plain and not analysis.multiline and value not in _YAML_NULL


def yaml_plain(records: list[dict[str, str]]) -> str:
    """YAML with every value unquoted where YAML allows it, quoted by safe_dump otherwise."""
    lines = []
    for record in records:
        for position, (key, value) in enumerate(record.items()):
            if plain_yaml_allowed(value):
                written = value
            else:
                written = yaml.safe_dump(value, default_style='"', width=10**6).strip()
            lines.append(f"{'- ' if position == 0 else '  '}{key}: {written}")
    return "\n".join(lines) + "\n"


def write(records: list[dict[str, str]], fmt: str, ascii_only: bool) -> tuple[str, str]:
    """``(file suffix, text)`` of ``records`` written in ``fmt``."""
    if fmt == "jsonl":
        return ".jsonl", "".join(json.dumps(r, ensure_ascii=ascii_only) + "\n" for r in records)
    if fmt == "json":
        return ".json", json.dumps(records, ensure_ascii=ascii_only, indent=1)
    if fmt == "yaml-dumped":
        return ".yaml", yaml.safe_dump(records, allow_unicode=not ascii_only, sort_keys=False)
    return ".yaml", yaml_plain(records)


_files = itertools.count()


def fresh_file(tmp_path: Path, suffix: str, text: str) -> Path:
    """A new file under ``tmp_path`` (each hypothesis example gets its own)."""
    path = tmp_path / "inbox" / "deployments" / f"case{next(_files)}{suffix}"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode())
    return path


def staged_batch(path: Path, settings: Settings) -> Any:
    fmt = "jsonl" if path.suffix == ".jsonl" else path.suffix.lstrip(".")
    (batch,) = read_file(
        path, path.read_bytes()[:4096], kind_named("deployments"), fmt, ReadOptions(settings)
    )
    return batch


# -- values as written ------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
@given(records=records_strategy, ascii_only=st.booleans())
def test_reader_stages_every_field_as_written(
    tmp_path: Path, settings: Settings, fmt: str, records: list[dict[str, str]], ascii_only: bool
) -> None:
    suffix, text = write(records, fmt, ascii_only)
    path = fresh_file(tmp_path, suffix, text)

    batch = staged_batch(path, settings)

    assert batch.rejects == []
    assert batch.records_counted == len(records)
    assert batch.table.column("record_number").to_pylist() == list(range(1, len(records) + 1))
    for name in FIELDS:
        assert batch.table.column(name).to_pylist() == [r[name] for r in records], name


json_numbers = st.from_regex(
    r"-?(0|[1-9][0-9]{0,30})(\.[0-9]{1,20})?([eE][+-]?[0-9]{1,3})?", fullmatch=True
)


@given(numbers=st.lists(json_numbers, min_size=1, max_size=5))
def test_json_numbers_are_staged_as_their_literal_text(
    tmp_path: Path, settings: Settings, numbers: list[str]
) -> None:
    lines = [f'{{"deployment_id": "d{i}", "version": {n}}}' for i, n in enumerate(numbers)]
    path = fresh_file(tmp_path, ".jsonl", "\n".join(lines))

    batch = staged_batch(path, settings)

    assert batch.table.column("version").to_pylist() == numbers
    assert batch.records_counted == len(numbers)


@pytest.mark.parametrize("fmt", ["jsonl", "yaml-plain"])
@hypothesis_settings(max_examples=15)
@given(records=records_strategy)
def test_loaded_records_keep_their_text_in_staging(
    warehouse: duckdb.DuckDBPyConnection,
    tmp_path: Path,
    settings: Settings,
    fmt: str,
    records: list[dict[str, str]],
) -> None:
    # required fields must hold text after staging trims it; ids must be unique to be kept
    usable = [
        r
        | {
            "deployment_id": f"{i}-{r['deployment_id']}",
            "environment": "prod",
            "status": "succeeded",
            "started_at": "2024-03-04T10:00:00Z",
        }
        for i, r in enumerate(records)
        if r["service"].strip() and r["version"].strip()
    ]
    assume(usable)
    suffix, text = write(usable, fmt, ascii_only=False)
    path = fresh_file(tmp_path, suffix, text)

    load_one(warehouse, path, settings)

    ids = [r["deployment_id"].strip() for r in usable]
    rows = warehouse.execute(
        "SELECT deployment_id, service, version, team, triggered_by, commit_sha"
        " FROM staging.deployments WHERE list_contains($ids, deployment_id)"
        " ORDER BY deployment_id",
        {"ids": ids},
    ).fetchall()
    # staging trims surrounding blanks and reads blank as missing, for every format alike;
    # a record naming no team gets the team "unknown"
    expected = [
        (
            r["deployment_id"].strip(),
            r["service"].strip(),
            r["version"].strip(),
            r["team"].strip() or "unknown",
            r["triggered_by"].strip() or None,
            r["commit_sha"].strip() or None,
        )
        for r in usable
    ]
    assert rows == sorted(expected)
    assert_counts(warehouse, path, read=len(usable), accepted=len(usable), rejected=0)


# -- depth ------------------------------------------------------------------------------------


def reference_depth(value: Any) -> int:
    """Nesting of lists and dicts, the obvious recursive way (values here are shallow)."""
    if isinstance(value, list):
        return 1 + max((reference_depth(v) for v in value), default=0)
    if isinstance(value, dict):
        return 1 + max((reference_depth(v) for v in value.values()), default=0)
    return 0


leaves = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.sampled_from(["[", "{", "]]", '"[', "\\[", 'a\\"[{', "1.10", "x"]),
)
nested = st.recursive(
    leaves,
    lambda children: st.one_of(
        st.lists(children, max_size=3),
        st.dictionaries(st.sampled_from(["a", "b[", "{c"]), children, max_size=3),
    ),
    max_leaves=40,
)


def wrap(value: Any, levels: int) -> Any:
    for _ in range(levels):
        value = [value]
    return value


@given(value=nested, extra=st.integers(min_value=0, max_value=SMALL_DEPTH))
def test_json_depth_check_agrees_with_the_reference(value: Any, extra: int) -> None:
    value = wrap(value, extra)
    text = json.dumps(value)

    if reference_depth(value) <= SMALL_DEPTH:
        assert parse_json(text.encode(), text, SMALL_DEPTH).value == json.loads(text, parse_int=str)
    else:
        with pytest.raises(DocumentError) as error:
            parse_json(text.encode(), text, SMALL_DEPTH)
        assert error.value.code == "too_deep"


@pytest.mark.parametrize("flow", [False, True])
@given(value=nested, extra=st.integers(min_value=0, max_value=SMALL_DEPTH))
def test_yaml_depth_check_agrees_with_the_reference(value: Any, extra: int, flow: bool) -> None:
    value = wrap(value, extra)
    text = yaml.safe_dump(value, default_flow_style=flow)
    limits = Limits(max_depth=SMALL_DEPTH)

    if reference_depth(value) <= SMALL_DEPTH:
        (document,) = parse_yaml(text, limits).value
        assert reference_depth(document) == reference_depth(value)
    else:
        with pytest.raises(DocumentError) as error:
            parse_yaml(text, limits)
        assert error.value.code == "too_deep"
