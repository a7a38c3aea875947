"""Messy JSON, JSON Lines and YAML: values stay as written and every record is accounted for.

Each case was seen going wrong: YAML and JSON re-typed values (``1.10`` became ``1.1``), deep
nesting crashed the parser, a few hundred bytes of YAML aliases expanded without bound, and
repeated keys silently kept the last value. Expected values are written out by hand.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import duckdb
import pytest

from assets.ingest.documents import MAX_ALIAS_NODES
from assets.ingest.kinds import kind_named
from assets.ingest.readers import ReadOptions, read_file
from assets.settings import Settings
from tests.test_assets.test_ingest.test_bad_inputs import (
    assert_counts,
    codes,
    load_one,
    quarantined,
    staged,
    stored_file,
)

STARTED = "2024-03-04T10:00:00Z"
#: bytes of input the depth check must get through quickly
TEN_MB = 10 * 1024 * 1024
#: seconds a file of TEN_MB may take to be refused
TIME_BOUND = 2.0
DEPTH_LIMIT = 64
TOO_DEEP = f"nesting deeper than limits.max_depth ({DEPTH_LIMIT})"
ALIAS_ERROR = "YAML aliases are not allowed; set limits.yaml_aliases: true to allow them"
BILLION_LAUGHS = "\n".join(
    [
        'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]',
        *(
            f"{name}: &{name} [{','.join([f'*{previous}'] * 9)}]"
            for previous, name in zip("abcdefgh", "bcdefghi", strict=True)
        ),
    ]
)


def staged_rows(conn: duckdb.DuckDBPyConnection, *columns: str) -> list[tuple[Any, ...]]:
    """The named columns of staging.deployments, ordered by deployment id."""
    names = ", ".join(columns)
    return conn.execute(
        f"SELECT deployment_id, {names} FROM staging.deployments ORDER BY deployment_id"
    ).fetchall()


def yaml_record(deployment_id: str, **fields: str) -> str:
    """One YAML list item of a deployment; field values are written unquoted, as given."""
    base = {
        "deployment_id": deployment_id,
        "service": "api",
        "environment": "prod",
        "version": "1.0",
        "status": "succeeded",
        "started_at": f'"{STARTED}"',
    }
    lines = [f"{key}: {value}" for key, value in (base | fields).items()]
    return "- " + "\n  ".join(lines) + "\n"


def json_line(deployment_id: str, **fields: str) -> str:
    """One JSON object; field values are JSON text, given as written."""
    base = {
        "deployment_id": f'"{deployment_id}"',
        "service": '"api"',
        "environment": '"prod"',
        "version": '"1.0"',
        "status": '"succeeded"',
        "started_at": f'"{STARTED}"',
    }
    return "{" + ", ".join(f'"{key}": {value}' for key, value in (base | fields).items()) + "}"


def read(path: Path, settings: Settings, fmt: str, kind: str = "deployments") -> Any:
    """The one batch ``read_file`` makes of ``path``, materialised nowhere."""
    (batch,) = read_file(
        path, path.read_bytes()[:4096], kind_named(kind), fmt, ReadOptions(settings)
    )
    return batch


# -- values as written ------------------------------------------------------------------------


def test_yaml_scalars_stay_as_written(
    warehouse: duckdb.DuckDBPyConnection, settings: Settings, write_input
) -> None:
    path = write_input(
        "deployments.yaml",
        yaml_record("d1", version="1.10")
        + yaml_record("d2", version="010")
        + yaml_record("d3", version="0x1F", service="no")
        + yaml_record("d4", version="1e3", service="yes")
        + yaml_record("d5", version=".inf", triggered_by="~")
        + yaml_record("d6", version="2026-01-02", commit_sha="1234567")
        + yaml_record("d7", version="'1.10'", triggered_by="on"),
    )

    load_one(warehouse, path, settings)

    assert staged_rows(warehouse, "service", "version", "triggered_by", "commit_sha") == [
        ("d1", "api", "1.10", None, None),
        ("d2", "api", "010", None, None),
        ("d3", "no", "0x1F", None, None),
        ("d4", "yes", "1e3", None, None),
        ("d5", "api", ".inf", None, None),
        ("d6", "api", "2026-01-02", None, "1234567"),
        ("d7", "api", "1.10", "on", None),
    ]
    assert_counts(warehouse, path, read=7, accepted=7, rejected=0)


def test_yaml_null_and_empty_values_stay_missing(
    warehouse: duckdb.DuckDBPyConnection, make_settings, write_input
) -> None:
    settings = make_settings(contracts={"max_reject_ratio": 1.0})  # two of three bad on purpose
    path = write_input(
        "deployments.yaml",
        yaml_record("d1", service="~") + yaml_record("d2", service="") + yaml_record("d3"),
    )

    load_one(warehouse, path, settings)

    assert [(n, codes(reasons)) for n, _, reasons in quarantined(warehouse, path)] == [
        (1, ["missing_required_field"]),
        (2, ["missing_required_field"]),
    ]
    assert staged(warehouse) == ["d3"]
    assert_counts(warehouse, path, read=3, accepted=1, rejected=2)


def test_json_numbers_keep_their_literal_text(
    warehouse: duckdb.DuckDBPyConnection, settings: Settings, write_input
) -> None:
    path = write_input(
        "deployments.json",
        "["
        + ",\n".join(
            [
                json_line("d1", version="1.10", change_count="3"),
                json_line("d2", version="1e3", commit_sha="12345678901234567890123"),
                json_line("d3", version="-0", triggered_by="true"),
                json_line("d4", version="2.50", service='"no"'),
            ]
        )
        + "]",
    )

    load_one(warehouse, path, settings)

    assert staged_rows(warehouse, "service", "version", "change_count", "commit_sha") == [
        ("d1", "api", "1.10", 3, None),
        ("d2", "api", "1e3", None, "12345678901234567890123"),
        ("d3", "api", "-0", None, None),
        ("d4", "no", "2.50", None, None),
    ]
    assert warehouse.execute(
        "SELECT triggered_by FROM staging.deployments WHERE deployment_id = 'd3'"
    ).fetchall() == [("true",)]
    assert_counts(warehouse, path, read=4, accepted=4, rejected=0)


def test_json_line_numbers_stay_as_written_and_quarantine_keeps_the_line(
    warehouse: duckdb.DuckDBPyConnection, settings: Settings, write_input
) -> None:
    bad = json_line("d1", version="1.10", status='"deployed"', change_count="2")
    path = write_input("deployments.jsonl", bad + "\n" + json_line("d2", version="3.10") + "\n")

    load_one(warehouse, path, settings)

    assert staged_rows(warehouse, "version") == [("d2", "3.10")]
    (row,) = warehouse.execute(
        "SELECT record_number, CAST(record AS VARCHAR) FROM quarantine.rejected_rows"
    ).fetchall()
    assert row == (1, bad)  # the record as written: 1.10 is not shown as 1.1
    assert_counts(warehouse, path, read=2, accepted=1, rejected=1)


# -- nesting depth ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content"),
    [
        pytest.param("deep.json", "[" * 100_000 + "]" * 100_000, id="json"),
        pytest.param("deep.json", "[" * 100_000, id="json-unclosed"),
        pytest.param("deep.yaml", "[" * 100_000 + "]" * 100_000, id="yaml-flow"),
        pytest.param(
            "deep.yaml",
            "".join(f"{'  ' * level}k{level}:\n" for level in range(70)) + "  " * 70 + "x\n",
            id="yaml-block",
        ),
    ],
)
def test_deep_nesting_fails_the_file_too_deep(
    warehouse: duckdb.DuckDBPyConnection,
    settings: Settings,
    write_input,
    name: str,
    content: str,
) -> None:
    path = write_input(name, content)

    load_one(warehouse, path, settings)

    row = stored_file(warehouse, path)
    assert row["status"] == "failed"
    assert row["error"].startswith(f"{name}: too_deep: ")
    assert row["error"].endswith(TOO_DEEP)


def test_json_nesting_at_the_limit_loads_and_one_deeper_fails(
    warehouse: duckdb.DuckDBPyConnection, settings: Settings, write_input
) -> None:
    # the record list is level 1 and each record level 2: 62 more levels reach 64
    nested = "[" * 62 + "]" * 62
    at_limit = write_input("at_limit.json", "[" + json_line("d1", deep=nested) + "]")
    over = write_input("over.json", "[" + json_line("d2", deep="[" + nested + "]") + "]")

    load_one(warehouse, at_limit, settings)
    load_one(warehouse, over, settings)

    assert staged(warehouse) == ["d1"]
    assert (
        stored_file(warehouse, over)["error"] == f"over.json: too_deep: nests 65 levels, {TOO_DEEP}"
    )


def test_deep_json_line_is_quarantined_and_the_others_load(
    warehouse: duckdb.DuckDBPyConnection, settings: Settings, write_input
) -> None:
    deep = '{"a": ' + "[" * 100 + "]" * 100 + "}"
    path = write_input(
        "deployments.jsonl", json_line("d1") + "\n" + deep + "\n" + json_line("d3") + "\n"
    )

    load_one(warehouse, path, settings)

    assert quarantined(warehouse, path) == [
        (2, {"line": deep}, [f"too_deep: line 2: nests 101 levels, {TOO_DEEP}"])
    ]
    assert staged(warehouse) == ["d1", "d3"]
    assert_counts(warehouse, path, read=3, accepted=2, rejected=1)


def test_ten_megabytes_of_brackets_are_refused_quickly(
    warehouse: duckdb.DuckDBPyConnection, settings: Settings, write_input
) -> None:
    deep_json = write_input("deep.json", "[" * TEN_MB)
    deep_yaml = write_input("deep.yaml", "[" * TEN_MB + "\n")  # not the same file as above

    started = time.perf_counter()
    load_one(warehouse, deep_json, settings)
    load_one(warehouse, deep_yaml, settings)
    elapsed = time.perf_counter() - started

    assert codes([stored_file(warehouse, deep_json)["error"].split(": ", 1)[1]]) == ["too_deep"]
    assert codes([stored_file(warehouse, deep_yaml)["error"].split(": ", 1)[1]]) == ["too_deep"]
    assert elapsed < 2 * TIME_BOUND  # two files


# -- YAML aliases -----------------------------------------------------------------------------


def test_yaml_alias_bomb_fails_when_aliases_are_off(
    warehouse: duckdb.DuckDBPyConnection, settings: Settings, write_input
) -> None:
    path = write_input("bomb.yaml", BILLION_LAUGHS)

    load_one(warehouse, path, settings)

    row = stored_file(warehouse, path)
    assert row["status"] == "failed"
    assert row["error"] == f"bomb.yaml: yaml_alias: line 1: {ALIAS_ERROR}"


def test_yaml_alias_bomb_is_bounded_when_aliases_are_on(
    warehouse: duckdb.DuckDBPyConnection, make_settings, write_input
) -> None:
    path = write_input("bomb.yaml", BILLION_LAUGHS)

    started = time.perf_counter()
    load_one(warehouse, path, make_settings(limits={"yaml_aliases": True}))

    assert time.perf_counter() - started < TIME_BOUND
    # levels a..f repeat 9 + 90 + ... nodes; level g's aliases pass the bound on line 7
    assert stored_file(warehouse, path)["error"] == (
        f"bomb.yaml: too_large: line 7: aliases repeat more than {MAX_ALIAS_NODES:,} nodes"
    )


def test_yaml_anchor_alone_fails_when_aliases_are_off(
    warehouse: duckdb.DuckDBPyConnection, settings: Settings, write_input
) -> None:
    path = write_input("anchored.yaml", yaml_record("d1") + yaml_record("d2", service="&s api"))

    load_one(warehouse, path, settings)

    assert (
        stored_file(warehouse, path)["error"] == f"anchored.yaml: yaml_alias: line 8: {ALIAS_ERROR}"
    )
    assert staged(warehouse) == []


def test_yaml_aliases_and_merge_keys_load_when_allowed(
    warehouse: duckdb.DuckDBPyConnection, make_settings, write_input
) -> None:
    path = write_input(
        "deployments.yaml",
        "defaults: &defaults\n"
        "  service: api\n"
        "  environment: prod\n"
        "  status: succeeded\n"
        f'  started_at: "{STARTED}"\n'
        "items:\n"
        "  - <<: *defaults\n"
        "    deployment_id: d1\n"
        "    version: 1.10\n"
        "  - <<: *defaults\n"
        "    deployment_id: d2\n"
        "    service: web\n"
        "    version: 010\n",
    )

    load_one(warehouse, path, make_settings(limits={"yaml_aliases": True}))

    assert staged_rows(warehouse, "service", "environment", "version") == [
        ("d1", "api", "prod", "1.10"),
        ("d2", "web", "prod", "010"),
    ]
    assert_counts(warehouse, path, read=2, accepted=2, rejected=0)


# -- file size and line length ----------------------------------------------------------------


@pytest.mark.parametrize("name", ["big.json", "big.jsonl", "big.yaml", "big.csv"])
def test_file_over_max_file_bytes_fails_file_too_large(
    warehouse: duckdb.DuckDBPyConnection, make_settings, write_input, name: str
) -> None:
    path = write_input(name, "x" * 2000)

    load_one(warehouse, path, make_settings(limits={"max_file_bytes": 1000}))

    row = stored_file(warehouse, path)
    assert row["status"] == "failed"
    assert row["error"] == (
        f"{name}: file_too_large: 2,000 bytes, more than limits.max_file_bytes (1,000)"
    )


def test_json_line_over_max_line_bytes_is_quarantined_and_the_rest_load(
    warehouse: duckdb.DuckDBPyConnection, make_settings, write_input
) -> None:
    long_line = json_line("d2", triggered_by='"' + "x" * 3000 + '"')
    path = write_input(
        "deployments.jsonl", "\n".join([json_line("d1"), long_line, json_line("d3")]) + "\n"
    )

    load_one(warehouse, path, make_settings(limits={"max_line_bytes": 2048}))

    ((number, record, reasons),) = quarantined(warehouse, path)
    assert (number, reasons) == (
        2,
        [
            f"line_too_long: line 2: {len(long_line):,} bytes,"
            " longer than limits.max_line_bytes (2,048)"
        ],
    )
    assert record == {"line": long_line[:200] + "…"}
    assert staged(warehouse) == ["d1", "d3"]
    assert_counts(warehouse, path, read=3, accepted=2, rejected=1)


# -- counting records -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "counted"),
    [
        pytest.param("{a}\n\n  \n{b}\n", 2, id="blank-lines"),
        pytest.param("{a}\r\n{b}\r\n{c}", 3, id="crlf-no-final-newline"),
        pytest.param("{a}\r{b}\r{c}\r", 3, id="cr-only"),
        pytest.param("\t\n", 0, id="only-blank"),
    ],
)
def test_json_lines_are_counted_from_the_bytes(
    settings: Settings, write_input, content: str, counted: int
) -> None:
    lines = [json_line(f"d{i}") for i in range(3)]
    text = content.replace("{a}", lines[0]).replace("{b}", lines[1]).replace("{c}", lines[2])
    path = write_input("deployments.jsonl", text)

    batch = read(path, settings, "jsonl")

    assert batch.records_counted == counted
    assert batch.table.num_rows + len(batch.rejects) == counted


def test_cr_only_json_lines_load_every_record(
    warehouse: duckdb.DuckDBPyConnection, settings: Settings, write_input
) -> None:
    path = write_input("deployments.jsonl", "\r".join(json_line(f"d{i}") for i in range(1, 4)))

    load_one(warehouse, path, settings)

    assert staged(warehouse) == ["d1", "d2", "d3"]
    assert_counts(warehouse, path, read=3, accepted=3, rejected=0)


def test_json_and_yaml_record_lists_are_counted(settings: Settings, write_input) -> None:
    as_json = write_input("deployments.json", f"[{json_line('d1')}, 7, {json_line('d3')}]")
    as_yaml = write_input("deployments.yaml", yaml_record("d1") + "- 7\n")

    assert read(as_json, settings, "json").records_counted == 3
    assert read(as_yaml, settings, "yaml").records_counted == 2


# -- repeated keys ----------------------------------------------------------------------------


def test_json_line_repeating_a_key_is_quarantined(
    warehouse: duckdb.DuckDBPyConnection, settings: Settings, write_input
) -> None:
    repeated = '{"deployment_id": "d1", "service": "a", "service": "b", "environment": "prod"}'
    path = write_input("deployments.jsonl", repeated + "\n" + json_line("d2") + "\n")

    load_one(warehouse, path, settings)

    assert quarantined(warehouse, path) == [
        (1, {"line": repeated}, ["duplicate_key: service appears more than once in line 1"])
    ]
    assert staged(warehouse) == ["d2"]
    assert_counts(warehouse, path, read=2, accepted=1, rejected=1)


def test_json_record_repeating_a_nested_key_is_quarantined(
    warehouse: duckdb.DuckDBPyConnection, settings: Settings, write_input
) -> None:
    nested = json_line("d1", build='[{"id": 1, "id": 2}]')
    path = write_input("deployments.json", f"[{json_line('d0')}, {nested}]")

    load_one(warehouse, path, settings)

    ((number, record, reasons),) = quarantined(warehouse, path)
    assert (number, record["deployment_id"], reasons) == (
        2,
        "d1",
        ["duplicate_key: id appears more than once in record 2"],
    )
    assert staged(warehouse) == ["d0"]
    assert_counts(warehouse, path, read=2, accepted=1, rejected=1)


def test_yaml_record_repeating_a_key_is_quarantined(
    warehouse: duckdb.DuckDBPyConnection, settings: Settings, write_input
) -> None:
    path = write_input(
        "deployments.yaml", yaml_record("d1") + yaml_record("d2") + "  version: 2.0\n"
    )

    load_one(warehouse, path, settings)

    ((number, _, reasons),) = quarantined(warehouse, path)
    assert (number, reasons) == (2, ["duplicate_key: version appears more than once in record 2"])
    assert staged(warehouse) == ["d1"]
    assert_counts(warehouse, path, read=2, accepted=1, rejected=1)


def test_repeated_key_holding_the_record_list_fails_the_file(
    warehouse: duckdb.DuckDBPyConnection, settings: Settings, write_input
) -> None:
    path = write_input(
        "deployments.json", f'{{"items": [{json_line("d1")}], "items": [{json_line("d2")}]}}'
    )

    load_one(warehouse, path, settings)

    assert stored_file(warehouse, path)["error"] == (
        "deployments.json: duplicate_key: items appears more than once in one object of the file"
    )
    assert staged(warehouse) == []


# -- native exports with numbers as text -----------------------------------------------------


def test_helm_list_revision_and_versions_arrive_as_written(
    warehouse: duckdb.DuckDBPyConnection, settings: Settings, write_input
) -> None:
    path = write_input(
        "prod.json",
        '[{"name": "api", "namespace": "prod", "revision": 12, "updated": "2024-03-04'
        ' 10:00:00.1 +0000 UTC", "status": "deployed", "chart": "api-1.10.0",'
        ' "app_version": 1.10}]',
        kind="inventory",
    )

    load_one(warehouse, path, settings)

    assert warehouse.execute(
        "SELECT service, version, dependencies::VARCHAR, extra->>'$.helm.revision'"
        " FROM staging.inventory"
    ).fetchall() == [("api", "1.10", '{"api": "1.10.0"}', "12")]


def test_github_statuses_order_by_numeric_id_given_as_number(settings: Settings) -> None:
    from assets.ingest.adapters.github import parse_github_deployments

    document = {
        "deployments": [
            {"id": "7", "sha": "a" * 40, "ref": "v1.2.0", "task": "deploy", "statuses_url": "u"}
        ],
        "statuses": [
            {"id": "10", "deployment_id": "7", "state": "failure", "created_at": STARTED},
            {"id": "9", "deployment_id": "7", "state": "success", "created_at": STARTED},
        ],
    }

    (record,) = parse_github_deployments(document, Path("x.json"), ReadOptions(settings))

    # same time: id 10 is the later status, though "10" < "9" as text
    assert (record["deployment_id"], record["status"]) == ("github:7", "failed")


def test_gitlab_yaml_tag_flag_as_text_keeps_the_ref_as_version(
    warehouse: duckdb.DuckDBPyConnection, settings: Settings, write_input
) -> None:
    path = write_input(
        "checkout.yaml",
        "- id: 41\n"
        "  iid: 3\n"
        "  ref: release-candidate\n"
        "  sha: 0123456789abcdef0123456789abcdef01234567\n"
        "  tag: true\n"
        "  status: success\n"
        f"  created_at: {STARTED}\n"
        f"  finished_at: {STARTED}\n"
        "  environment: {name: prod}\n"
        "  deployable: {}\n",
    )

    load_one(warehouse, path, settings)

    assert staged_rows(warehouse, "service", "version", "started_at::VARCHAR") == [
        ("gitlab:41", "checkout", "release-candidate", "2024-03-04 10:00:00+00")
    ]
