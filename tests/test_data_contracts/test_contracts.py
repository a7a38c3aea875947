"""The suites load; their SQL form and Great Expectations agree; the contract check of record."""

from __future__ import annotations

import datetime as dt
import json
from enum import Enum
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from assets.ingest.contract import validate_batch, validate_batches
from assets.ingest.kinds import kind_named
from assets.ingest.loader import FileReport, ingest_file
from assets.settings import Settings
from data_contracts import load_suite
from data_contracts.sql import duplicate_state, row_reasons
from data_contracts.suite import SUITES_DIR, Suite
from data_contracts.validate import (
    _batch_definition,
    _gx_suite,
    validate_frame,
    validation_shortcuts,
)

NOT_NULL = "[expect_column_values_to_not_be_null]"
IN_SET = "[expect_column_values_to_be_in_set]"
PAIR = "[expect_column_pair_values_a_to_be_greater_than_b]"
BETWEEN = "[expect_column_values_to_be_between]"
T0 = "2024-03-04T10:00:00Z"
#: the suites' parameters, fixed here (the loader derives them from settings and the clock)
PARAMETERS = {
    "min_timestamp": dt.datetime(2000, 1, 1, tzinfo=dt.UTC),
    "max_timestamp": dt.datetime(2030, 1, 1, tzinfo=dt.UTC),
}
EARLY = "1999-12-31T23:59:59Z"
LATE = "2200-01-01T00:00:00Z"


# -- the suite files ---------------------------------------------------------------------------

SUITE_SHAPES = {
    # name: (expectations, row expectations, key columns, reason codes)
    "calendar": (
        9,
        8,
        ["event_id"],
        {
            "missing_required_field",
            "unparseable_timestamp",
            "timestamp_out_of_range",
            "ends_before_start",
            "unknown_event_kind",
            "conflicting_duplicate_id",
        },
    ),
    "deployments": (
        18,
        17,
        ["deployment_id"],
        {
            "missing_required_field",
            "unparseable_timestamp",
            "timestamp_out_of_range",
            "unknown_status",
            "unknown_change_type",
            "not_an_integer",
            "negative_change_count",
            "finished_before_started",
            "conflicting_duplicate_id",
        },
    ),
    "incidents": (
        9,
        8,
        ["incident_id"],
        {
            "missing_required_field",
            "unparseable_timestamp",
            "timestamp_out_of_range",
            "resolved_before_opened",
            "conflicting_duplicate_id",
        },
    ),
    "inventory": (
        10,
        9,
        ["captured_at", "environment", "service"],
        {
            "missing_required_field",
            "unparseable_timestamp",
            "timestamp_out_of_range",
            "malformed_digest",
            "config_not_a_map",
            "dependencies_not_a_map",
            "conflicting_duplicate_id",
        },
    ),
}


def test_there_is_one_suite_per_input_kind() -> None:
    assert sorted(p.stem for p in SUITES_DIR.glob("*.json")) == sorted(SUITE_SHAPES)


@pytest.mark.parametrize("name", sorted(SUITE_SHAPES))
def test_every_suite_loads(name: str) -> None:
    document = json.loads((SUITES_DIR / f"{name}.json").read_text(encoding="utf-8"))
    total, row_level, key, reasons = SUITE_SHAPES[name]

    suite = load_suite(name)

    assert document["name"] == suite.name == name
    assert len(document["expectations"]) == len(suite.expectations) == total
    assert len(suite.row_expectations) == row_level
    assert suite.key_columns == key
    assert {e.reason for e in suite.expectations} == reasons
    # every expectation says which input field it is about
    assert all(e.meta.get("field") for e in suite.expectations)
    assert suite.to_gx_dict()["expectations"] == document["expectations"]


# -- SQL predicates and Great Expectations agree ----------------------------------------------


def frame_of(
    rows: list[dict[str, Any]], timestamps: tuple[str, ...], integers: tuple[str, ...] = ()
) -> pd.DataFrame:
    """A candidate frame as the loader builds it: tz-aware UTC timestamps, nullable integers."""
    frame = pd.DataFrame(rows)
    for column in timestamps:
        frame[column] = pd.to_datetime(frame[column], utc=True)
    for column in integers:
        frame[column] = frame[column].astype("Int64")
    return frame


def sql_verdict(suite: Suite, frame: pd.DataFrame) -> dict[int, list[str]]:
    """The reasons the suite's SQL form gives each failing row, run in DuckDB over ``frame``."""
    reasons = row_reasons(suite, parameters=PARAMETERS)
    with duckdb.connect() as conn:
        conn.register("frame", frame)
        rows = conn.execute(
            f"SELECT record_number, {reasons.expression} FROM frame ORDER BY record_number",
            reasons.params,
        ).fetchall()
    return {int(number): sorted(found) for number, found in rows if found}


def gx_verdict(suite: Suite, frame: pd.DataFrame) -> dict[int, list[str]]:
    result = validate_frame(suite, frame, index_column="record_number", parameters=PARAMETERS)
    assert result.errors == []
    return {number: sorted(found) for number, found in result.failures.items()}


def deployment(number: int, **changes: Any) -> dict[str, Any]:
    row = {
        "record_number": number,
        "deployment_id": f"d{number}",
        "service": "api",
        "environment": "prod",
        "version": "1.0",
        "status": "succeeded",
        "started_at__text": T0,
        "started_at": T0,
        "finished_at__text": None,
        "finished_at": None,
        "first_commit_at__text": None,
        "first_commit_at": None,
        "change_type": "regular",
        "change_count__text": None,
        "change_count": None,
    }
    return {**row, **changes}


DEPLOYMENT_ROWS = [
    deployment(1, deployment_id=None),
    deployment(2, service=None),
    deployment(3, environment=None),
    deployment(4, version=None),
    deployment(5, status=None),
    deployment(6, started_at__text=None, started_at=None),
    deployment(7, started_at__text="yesterday", started_at=None),
    deployment(8, finished_at__text="later"),
    deployment(9, first_commit_at__text="last week"),
    deployment(10, status="deployed"),
    deployment(11, change_type="bugfix"),
    deployment(12, change_count__text="3.5"),
    deployment(13, change_count__text="-2", change_count=-2),
    deployment(14, finished_at__text="2024-03-04T09:00:00Z", finished_at="2024-03-04T09:00:00Z"),
    deployment(15, status="deployed", change_type="bugfix"),
    # passes everything: finished exactly at the start, zero changes
    deployment(16, finished_at__text=T0, finished_at=T0, change_count__text="0", change_count=0),
    deployment(17, started_at__text=EARLY, started_at=EARLY),
    deployment(18, finished_at__text=LATE, finished_at=LATE),
    deployment(19, first_commit_at__text="1900-01-01", first_commit_at="1900-01-01T00:00:00Z"),
    # both bounds are inclusive
    deployment(
        20,
        started_at__text="2000-01-01T00:00:00Z",
        started_at="2000-01-01T00:00:00Z",
        finished_at__text="2030-01-01T00:00:00Z",
        finished_at="2030-01-01T00:00:00Z",
    ),
]
DEPLOYMENT_VERDICT = {
    1: [f"missing_required_field: deployment_id=null {NOT_NULL}"],
    2: [f"missing_required_field: service=null {NOT_NULL}"],
    3: [f"missing_required_field: environment=null {NOT_NULL}"],
    4: [f"missing_required_field: version=null {NOT_NULL}"],
    5: [f"missing_required_field: status=null {NOT_NULL}"],
    6: [f"missing_required_field: started_at=null {NOT_NULL}"],
    7: [f"unparseable_timestamp: started_at='yesterday' {NOT_NULL}"],
    8: [f"unparseable_timestamp: finished_at='later' {NOT_NULL}"],
    9: [f"unparseable_timestamp: first_commit_at='last week' {NOT_NULL}"],
    10: [f"unknown_status: status='deployed' {IN_SET}"],
    11: [f"unknown_change_type: change_type='bugfix' {IN_SET}"],
    12: [f"not_an_integer: change_count='3.5' {NOT_NULL}"],
    13: ["negative_change_count: change_count='-2' [expect_column_values_to_be_between]"],
    14: [f"finished_before_started: finished_at='2024-03-04T09:00:00Z' {PAIR}"],
    15: sorted(
        [
            f"unknown_status: status='deployed' {IN_SET}",
            f"unknown_change_type: change_type='bugfix' {IN_SET}",
        ]
    ),
    17: [f"timestamp_out_of_range: started_at='{EARLY}' {BETWEEN}"],
    18: [f"timestamp_out_of_range: finished_at='{LATE}' {BETWEEN}"],
    19: [f"timestamp_out_of_range: first_commit_at='1900-01-01' {BETWEEN}"],
}


def incident(number: int, **changes: Any) -> dict[str, Any]:
    row = {
        "record_number": number,
        "incident_id": f"i{number}",
        "service": "api",
        "environment": "prod",
        "opened_at__text": T0,
        "opened_at": T0,
        "resolved_at__text": None,
        "resolved_at": None,
    }
    return {**row, **changes}


INCIDENT_ROWS = [
    incident(1, incident_id=None),
    incident(2, service=None),
    incident(3, opened_at__text=None, opened_at=None),
    incident(4, opened_at__text="noon", opened_at=None),
    incident(5, resolved_at__text="soon"),
    incident(6, resolved_at__text="2024-03-04T09:00:00Z", resolved_at="2024-03-04T09:00:00Z"),
    incident(7, resolved_at__text="2024-03-04T12:00:00Z", resolved_at="2024-03-04T12:00:00Z"),
    incident(8, opened_at__text=EARLY, opened_at=EARLY),
    incident(9, resolved_at__text=LATE, resolved_at=LATE),
]
INCIDENT_VERDICT = {
    1: [f"missing_required_field: incident_id=null {NOT_NULL}"],
    2: [f"missing_required_field: service=null {NOT_NULL}"],
    3: [f"missing_required_field: opened_at=null {NOT_NULL}"],
    4: [f"unparseable_timestamp: opened_at='noon' {NOT_NULL}"],
    5: [f"unparseable_timestamp: resolved_at='soon' {NOT_NULL}"],
    6: [f"resolved_before_opened: resolved_at='2024-03-04T09:00:00Z' {PAIR}"],
    8: [f"timestamp_out_of_range: opened_at='{EARLY}' {BETWEEN}"],
    9: [f"timestamp_out_of_range: resolved_at='{LATE}' {BETWEEN}"],
}

DIGEST = "sha256:" + "0123456789abcdef" * 4


def snapshot_row(number: int, **changes: Any) -> dict[str, Any]:
    row = {
        "record_number": number,
        "captured_at__text": T0,
        "captured_at": T0,
        "environment": "prod",
        "service": f"svc{number}",  # distinct, so the compound key is unique
        "version": "1.0",
        "image": f"registry/app@{DIGEST}",
        "image_digest": DIGEST,
        "config__text": '{"replicas": 2}',
        "config": '{"replicas": 2}',
        "dependencies__text": None,
        "dependencies": None,
    }
    return {**row, **changes}


INVENTORY_ROWS = [
    snapshot_row(1, captured_at__text=None, captured_at=None),
    snapshot_row(2, captured_at__text="this morning", captured_at=None),
    snapshot_row(3, environment=None),
    snapshot_row(4, service=None),
    snapshot_row(5, version=None),
    snapshot_row(6, image="registry/app@sha256:abc", image_digest="sha256:abc"),
    snapshot_row(7, config__text="[1, 2]", config=None),
    snapshot_row(8, dependencies__text='"redis"', dependencies=None),
    snapshot_row(9, image="registry/app:1.0", image_digest=None),  # no digest is fine
    snapshot_row(10, captured_at__text=LATE, captured_at=LATE),
]
INVENTORY_VERDICT = {
    1: [f"missing_required_field: captured_at=null {NOT_NULL}"],
    2: [f"unparseable_timestamp: captured_at='this morning' {NOT_NULL}"],
    3: [f"missing_required_field: environment=null {NOT_NULL}"],
    4: [f"missing_required_field: service=null {NOT_NULL}"],
    5: [f"missing_required_field: version=null {NOT_NULL}"],
    6: ["malformed_digest: image='registry/app@sha256:abc' [expect_column_values_to_match_regex]"],
    7: [f"config_not_a_map: config='[1, 2]' {NOT_NULL}"],
    8: [f"dependencies_not_a_map: dependencies='\"redis\"' {NOT_NULL}"],
    10: [f"timestamp_out_of_range: captured_at='{LATE}' {BETWEEN}"],
}

#: per suite, a frame (as the loader builds it) breaking every row expectation, and its verdict
AGREEMENT_CASES = [
    pytest.param(
        "deployments",
        frame_of(
            DEPLOYMENT_ROWS, ("started_at", "finished_at", "first_commit_at"), ("change_count",)
        ),
        DEPLOYMENT_VERDICT,
        id="deployments",
    ),
    pytest.param(
        "incidents",
        frame_of(INCIDENT_ROWS, ("opened_at", "resolved_at")),
        INCIDENT_VERDICT,
        id="incidents",
    ),
    pytest.param(
        "inventory", frame_of(INVENTORY_ROWS, ("captured_at",)), INVENTORY_VERDICT, id="inventory"
    ),
]


@pytest.mark.parametrize(("name", "frame", "expected"), AGREEMENT_CASES)
def test_sql_predicates_and_gx_agree_row_by_row(
    name: str, frame: pd.DataFrame, expected: dict[int, list[str]]
) -> None:
    suite = load_suite(name)
    # the frame breaks every row expectation of the suite at least once
    broken = {
        reason.split(" [")[0].split("=")[0] for found in expected.values() for reason in found
    }
    assert len(broken) == len(suite.row_expectations)

    assert sql_verdict(suite, frame) == expected
    assert gx_verdict(suite, frame) == expected


#: per expectation of the deployments suite, in suite order, the rows of DEPLOYMENT_ROWS that
#: break it: one each, but two unknown statuses (10, 15), two unknown change types (11, 15), and
#: none for the key (the frame's deployment ids are unique)
DEPLOYMENT_UNEXPECTED = [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 1, 1, 1, 0]


@pytest.mark.parametrize("listed", ["none", "one", "all"])
def test_gx_names_every_failing_row_whichever_expectations_it_was_asked_to_list(
    listed: str,
) -> None:
    """Listing rows is asked only for the expectations expected to fail; the others are
    counted, and one that counts a failing row is run again to list it."""
    suite = load_suite("deployments")
    frame = frame_of(
        DEPLOYMENT_ROWS, ("started_at", "finished_at", "first_commit_at"), ("change_count",)
    )
    unknown_status = next(
        p for p, e in enumerate(suite.expectations) if e.reason == "unknown_status"
    )
    positions = {"none": (), "one": (unknown_status,), "all": range(len(suite.expectations))}

    result = validate_frame(suite, frame, "record_number", PARAMETERS, listed=positions[listed])

    assert {number: sorted(found) for number, found in result.failures.items()} == (
        DEPLOYMENT_VERDICT
    )
    # GX's document (what Data Docs render) holds every expectation once, in suite order
    results = result.document["results"]
    assert [item["expectation_config"]["type"] for item in results] == [
        e.type for e in suite.expectations
    ]
    assert [item["result"]["unexpected_count"] for item in results] == DEPLOYMENT_UNEXPECTED
    assert result.document["statistics"] == {
        "evaluated_expectations": 18,
        "successful_expectations": 1,
        "unsuccessful_expectations": 17,
        "success_percent": 100 / 18,
    }
    assert result.document["success"] is False


@pytest.mark.parametrize(("name", "frame", "expected"), AGREEMENT_CASES)
def test_gx_results_are_the_same_with_the_check_s_shortcuts_or_without(
    name: str, frame: pd.DataFrame, expected: dict[int, list[str]]
) -> None:
    """The check spares GX work it repeats within a validation (configurations rebuilt, rows
    filtered again by a row condition, ids of plain values converted value by value); GX's
    results, rows listed and all, are the ones it gives doing that work every time."""
    suite = load_suite(name)
    batch = _batch_definition(suite.name).get_batch(batch_parameters={"dataframe": frame})
    every = _gx_suite(json.dumps(suite.to_gx_dict()), tuple(range(len(suite.expectations))))

    def results() -> tuple[list[dict[str, Any]], dict[str, Any]]:
        outcome = batch.validate(
            every,
            result_format={
                "result_format": "COMPLETE",
                "unexpected_index_column_names": ["record_number"],
            },
            expectation_parameters=PARAMETERS,
        ).to_json_dict()
        return outcome["results"], outcome["statistics"]

    without = results()
    with validation_shortcuts():
        shortened = results()

    assert shortened == without
    # the frame breaks every row expectation, so rows are listed in both
    listed = {
        row["record_number"]
        for item in shortened[0]
        for row in item["result"].get("unexpected_index_list") or []
    }
    assert listed == set(expected)


def test_a_kept_configuration_is_made_again_when_the_expectation_changes() -> None:
    import great_expectations as gx

    with validation_shortcuts():
        expectation = gx.expectations.ExpectColumnValuesToNotBeNull(column="service")
        first = expectation.configuration
        assert expectation.configuration is first
        expectation.column = "version"
        changed = expectation.configuration
    after = expectation.configuration

    assert first.kwargs["column"] == "service"
    assert changed.kwargs["column"] == "version"
    # outside the block GX builds it on every read, as it does without this module
    assert after is not expectation.configuration
    assert after.kwargs["column"] == "version"


def test_an_expectation_made_of_a_configuration_is_made_again_when_it_changes_in_place() -> None:
    from great_expectations.expectations.expectation_configuration import (
        ExpectationConfiguration,
    )

    configuration = ExpectationConfiguration(
        type="expect_column_values_to_be_in_set",
        kwargs={"column": "status", "value_set": ["failed"]},
    )
    with validation_shortcuts():
        first = configuration.to_domain_obj()
        assert configuration.to_domain_obj() is first
        configuration.kwargs["value_set"].append("succeeded")  # changed in place
        changed = configuration.to_domain_obj()

    assert changed is not first
    assert changed.value_set == ["failed", "succeeded"]
    assert configuration.to_domain_obj() is not configuration.to_domain_obj()


def test_rows_kept_by_a_row_condition_are_kept_per_frame_and_condition() -> None:
    from great_expectations.execution_engine import PandasExecutionEngine

    engine = PandasExecutionEngine()
    frame = pd.DataFrame({"status": ["failed", "succeeded", "failed"], "n": [1, 2, 3]})
    other = frame.copy()
    kwargs = {"condition_parser": "pandas"}
    failed, succeeded = 'status == "failed"', 'status == "succeeded"'

    with validation_shortcuts():
        first = engine._apply_row_condition_filter(frame, failed, kwargs)
        assert engine._apply_row_condition_filter(frame, failed, kwargs) is first
        assert list(engine._apply_row_condition_filter(frame, succeeded, kwargs)["n"]) == [2]
        assert engine._apply_row_condition_filter(other, failed, kwargs) is not first
    assert list(first["n"]) == [1, 3]
    # outside the block the frame is filtered on every call
    assert engine._apply_row_condition_filter(frame, failed, kwargs) is not first


class _Colour(Enum):
    RED = "red"


@pytest.mark.parametrize(
    "values",
    [
        {"column": "service", "batch_id": "frames-batch", "row_condition": None},
        {"column_list": ("a", "b"), "mostly": 0.95, "strict": True, "value_set": [1, 2.5]},
        {"nested": {"parser": "pandas", "keys": ["x"]}, "limit": 20},
        {"min_value": float("nan"), "column": "change_count"},  # NaN: GX writes null
        {"min_value": float("inf"), "column": "change_count"},
        {"value": np.int64(3), "column": "x"},
        {"value": dt.datetime(2026, 3, 1, tzinfo=dt.UTC), "column": "x"},
        {"value": _Colour.RED, "column": "x"},
        {"value": {1: "one"}, "column": "x"},  # GX writes the key as text
        {"value": {"a", "b"} - {"b"}, "column": "x"},
    ],
    ids=[
        "text",
        "lists",
        "nested",
        "nan",
        "infinity",
        "numpy",
        "datetime",
        "enum",
        "number-key",
        "set",
    ],
)
def test_a_metric_id_is_the_same_with_the_shortcut_or_without(values: dict[str, Any]) -> None:
    from great_expectations.core.id_dict import IDDict

    with validation_shortcuts():  # GX's context made, the shortcuts installed
        pass
    without = IDDict(values).to_id()
    with validation_shortcuts():
        shortened = IDDict(values).to_id()
        some = IDDict(values).to_id(id_keys=list(values)[:1])

    assert shortened == without
    assert some == f"{next(iter(values))}={next(iter(values.values()))!s}"


def test_duplicate_state_labels_repeats_and_conflicts() -> None:
    suite = load_suite("deployments")
    frame = pd.DataFrame(
        {
            "record_number": [1, 2, 3, 4, 5, 6, 7],
            "deployment_id": ["d1", "d1", "d2", "d2", None, None, "d2"],
            "row_hash": ["h1", "h1", "h1", "h2", "h3", "h3", "h1"],
        }
    )
    with duckdb.connect() as conn:
        conn.register("frame", frame)
        labels = conn.execute(
            f"SELECT record_number, {duplicate_state(suite)} FROM frame ORDER BY record_number"
        ).fetchall()

    assert labels == [
        (1, "unique"),
        (2, "duplicate"),  # exact repeat of record 1
        (3, "unique"),
        (4, "conflict"),  # same id as record 3, other content
        (5, "unique"),  # no key: left to the row expectations
        (6, "unique"),
        (7, "duplicate"),  # exact repeat of record 3, even after the conflict
    ]


def test_validate_frame_reports_an_expectation_gx_could_not_evaluate() -> None:
    suite = load_suite("incidents")
    rows = [incident(1), incident(2)]
    frame = frame_of(rows, ("opened_at", "resolved_at")).drop(columns=["service"])

    result = validate_frame(suite, frame, index_column="record_number", parameters=PARAMETERS)

    assert result.success is False
    assert len(result.errors) == 1
    assert result.errors[0].startswith("expect_column_values_to_not_be_null: ")


def test_validate_batch_does_not_pass_a_batch_gx_could_not_evaluate() -> None:
    kind = kind_named("incidents")
    frame = frame_of([incident(1), incident(2)], ("opened_at", "resolved_at"))
    table = pa.Table.from_pandas(frame.drop(columns=["service"]), preserve_index=False)

    status, detail = validate_batch(kind, table, {}, PARAMETERS)

    assert status == "disagreed"
    assert detail["errors"] != []


# -- the contract check of record on loaded files ---------------------------------------------

HEADER = "deployment_id,service,environment,version,status,started_at"


def load_checked(
    conn: duckdb.DuckDBPyConnection, path: Path, settings: Settings
) -> tuple[FileReport, str]:
    """Load with the GX check; return the report and the contract_status stored for the file."""
    (report,) = ingest_file(conn, path, settings, validator=validate_batches)
    (stored,) = conn.execute(
        "SELECT contract_status FROM raw.ingested_files WHERE path = $path", {"path": str(path)}
    ).fetchone()
    return report, stored


def test_contract_passes_on_a_file_whose_bad_rows_were_quarantined(
    warehouse: duckdb.DuckDBPyConnection, settings: Settings, write_input
) -> None:
    path = write_input(
        "deployments.csv",
        f"{HEADER}\n"
        f"d1,api,prod,1.0,succeeded,{T0}\n"
        f"d1,api,prod,9.9,succeeded,{T0}\n"  # conflicting id: rejected by de-duplication
        f"d2,api,prod,1.0,deployed,{T0}\n"  # rejected by the suite
        f"d3,api,prod,1.0,succeeded,{T0}\n",
    )

    report, stored = load_checked(warehouse, path, settings)

    # 2 of 4 rejected is exactly the default max_reject_ratio 0.5: not more, so it passes
    assert (report.rows_read, report.rows_rejected) == (4, 2)
    assert report.contract_status == stored == "passed"
    detail = report.contract_detail
    assert detail is not None
    assert detail["agrees_with_quarantine"] is True
    assert (detail["rows"], detail["failing_rows"]) == (3, 1)  # the conflicting row is not sent
    assert detail["rows_validated"] == "every candidate row"
    assert detail["failed_expectations"] == ["unknown_status (status)"]
    assert (detail["only_in_gx"], detail["only_in_sql"]) == ([], [])
    assert "reject_ratio" not in detail


def test_a_large_file_is_checked_on_a_stated_sample_plus_every_rejected_row(
    warehouse: duckdb.DuckDBPyConnection, make_settings, write_input
) -> None:
    settings = make_settings(contracts={"check_sample_rows": 1000})
    bad = {10, 11, 12}  # records 10 and 11 fall outside the sample, 12 inside it
    rows = [
        f"d{n},api,prod,1.0,{'deployed' if n in bad else 'succeeded'},{T0}" for n in range(1, 2501)
    ]
    path = write_input("deployments.csv", HEADER + "\n" + "\n".join(rows) + "\n")

    report, stored = load_checked(warehouse, path, settings)

    assert report.contract_status == stored == "passed"
    detail = report.contract_detail
    assert detail is not None
    # 2,500 candidates over 1,000 rows a sample: stride ceil(2500 / 1000) = 3. Records
    # 3, 6, .., 2499 are 833 rows; the rejected records 10 and 11 make 835.
    assert detail["rows"] == 835
    assert detail["rows_validated"] == (
        "a deterministic sample: every record whose record_number is divisible by 3,"
        " plus every row the quarantine rejected"
    )
    assert (detail["failing_rows"], detail["agrees_with_quarantine"]) == (3, True)
    assert report.rows_accepted == 2497  # the sample decides nothing about which rows load


def test_contract_fails_when_more_than_half_the_rows_are_rejected(
    warehouse: duckdb.DuckDBPyConnection, settings: Settings, write_input
) -> None:
    path = write_input(
        "deployments.csv",
        f"{HEADER}\n"
        f"d1,api,prod,1.0,deployed,{T0}\n"
        f"d2,api,prod,1.0,succeeded,yesterday\n"
        f"d3,api,prod,1.0,succeeded,{T0}\n",
    )

    report, stored = load_checked(warehouse, path, settings)

    assert report.contract_status == stored == "failed"
    detail = report.contract_detail
    assert detail is not None
    # 2 / 3 = 0.6667 > 0.5; the row-level verdicts still agree
    assert (detail["reject_ratio"], detail["max_reject_ratio"]) == (0.6667, 0.5)
    assert detail["agrees_with_quarantine"] is True
    assert report.rows_accepted == 1  # the good row still loads


def test_contract_uses_the_configured_max_reject_ratio(
    warehouse: duckdb.DuckDBPyConnection, make_settings, write_input
) -> None:
    settings = make_settings(contracts={"max_reject_ratio": 0.25})
    path = write_input(
        "deployments.csv",
        f"{HEADER}\n"
        f"d1,api,prod,1.0,deployed,{T0}\n"
        f"d2,api,prod,1.0,succeeded,{T0}\n"
        f"d3,api,prod,1.0,succeeded,{T0}\n",
    )

    report, stored = load_checked(warehouse, path, settings)

    assert report.contract_status == stored == "failed"
    assert report.contract_detail is not None
    assert report.contract_detail["reject_ratio"] == 0.3333  # 1 / 3 > 0.25


def test_contract_is_not_run_without_a_validator_or_rows(
    warehouse: duckdb.DuckDBPyConnection, settings: Settings, write_input
) -> None:
    header_only = write_input("header.csv", f"{HEADER}\n")

    report, stored = load_checked(warehouse, header_only, settings)

    assert (report.status, report.contract_status, stored) == ("empty", "not_run", "not_run")


def test_validate_batch_reports_a_disagreement() -> None:
    kind = kind_named("deployments")
    frame = frame_of(
        [deployment(1), deployment(2, status="deployed")],
        ("started_at", "finished_at", "first_commit_at"),
        ("change_count",),
    )
    # a quarantine verdict that missed record 2 and wrongly rejected record 1
    verdict = {1: ["unknown_status: status='succeeded' [expect_column_values_to_be_in_set]"]}

    status, detail = validate_batch(
        kind, pa.Table.from_pandas(frame, preserve_index=False), verdict, PARAMETERS
    )

    assert status == "disagreed"
    assert detail["agrees_with_quarantine"] is False
    assert detail["only_in_gx"] == [(2, "unknown_status")]
    assert detail["only_in_sql"] == [(1, "unknown_status")]
