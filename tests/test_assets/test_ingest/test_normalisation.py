"""What a deployment row becomes in staging: aliases, team fallback, UTC instants, extras.

Expected values are worked out by hand in the comments beside them.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import duckdb
import pytest

from assets.ingest.loader import FileReport, ingest_file
from assets.settings import Settings
from assets.warehouse import connect

HEADER = "deployment_id,service,environment,version,status,started_at"
UTC = dt.UTC


def utc(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=UTC)


def load_one(conn: duckdb.DuckDBPyConnection, path: Path, settings: Settings) -> FileReport:
    (report,) = ingest_file(conn, path, settings)
    return report


def column_by_id(conn: duckdb.DuckDBPyConnection, column: str) -> dict[str, Any]:
    rows = conn.execute(f"SELECT deployment_id, {column} FROM staging.deployments").fetchall()
    return dict(rows)


def quarantine_size(conn: duckdb.DuckDBPyConnection) -> int:
    (count,) = conn.execute("SELECT count(*) FROM quarantine.rejected_rows").fetchone()
    return count


# -- aliases -----------------------------------------------------------------------------------


def test_environment_aliases_are_case_insensitive_and_unknown_environments_are_kept(
    warehouse: duckdb.DuckDBPyConnection, settings: Settings, write_input
) -> None:
    environments = {
        "d01": ("production", "prod"),
        "d02": ("Production", "prod"),
        "d03": ("prd", "prod"),
        "d04": ("PRD", "prod"),
        "d05": ("prod", "prod"),
        "d06": ("stg", "staging"),
        "d07": ("STG", "staging"),
        "d08": ("stage", "staging"),
        "d09": ("qa", "test"),
        "d10": ("sandbox", "sandbox"),  # outside the chain: kept, not rejected
        "d11": ("Canary", "canary"),
    }
    lines = [
        f"{i},api,{given},1.0,succeeded,2024-03-04T10:00:00Z"
        for i, (given, _) in environments.items()
    ]
    path = write_input("deployments.csv", "\n".join([HEADER, *lines]) + "\n")

    report = load_one(warehouse, path, settings)

    assert report.rows_accepted == len(environments)
    assert column_by_id(warehouse, "environment") == {
        i: expected for i, (_, expected) in environments.items()
    }
    assert quarantine_size(warehouse) == 0


def test_configured_environment_alias_applies(
    warehouse: duckdb.DuckDBPyConnection, make_settings, write_input
) -> None:
    settings = make_settings(environments={"aliases": {"Live": "prod", "uat": "staging"}})
    path = write_input(
        "deployments.csv",
        f"{HEADER}\n"
        "d1,api,LIVE,1.0,succeeded,2024-03-04T10:00:00Z\n"
        "d2,api,UAT,1.0,succeeded,2024-03-04T10:00:00Z\n",
    )

    load_one(warehouse, path, settings)

    # a configured key matches whatever its case in the config and in the data
    assert column_by_id(warehouse, "environment") == {"d1": "prod", "d2": "staging"}


def test_status_aliases(
    warehouse: duckdb.DuckDBPyConnection, settings: Settings, write_input
) -> None:
    statuses = {
        "d1": ("success", "succeeded"),
        "d2": ("failure", "failed"),
        "d3": ("error", "failed"),
        "d4": ("rollback", "rolled_back"),
        "d5": ("aborted", "cancelled"),
        "d6": ("SUCCESS", "succeeded"),
        "d7": ("Failed", "failed"),
        "d8": ("cancelled", "cancelled"),
    }
    lines = [f"{i},api,prod,1.0,{given},2024-03-04T10:00:00Z" for i, (given, _) in statuses.items()]
    path = write_input("deployments.csv", "\n".join([HEADER, *lines]) + "\n")

    load_one(warehouse, path, settings)

    assert column_by_id(warehouse, "status") == {i: want for i, (_, want) in statuses.items()}
    assert quarantine_size(warehouse) == 0


def test_service_aliases_and_team_fallback(
    warehouse: duckdb.DuckDBPyConnection, make_settings, write_input
) -> None:
    settings = make_settings(
        services={"teams": {"api": "core", "web": "frontend"}, "aliases": {"api-svc": "api"}}
    )
    path = write_input(
        "deployments.csv",
        f"{HEADER},team\n"
        "d1,api,prod,1.0,succeeded,2024-03-04T10:00:00Z,\n"  # no team: from services.teams
        "d2,api,prod,1.0,succeeded,2024-03-04T10:00:00Z,payments\n"  # given team wins
        "d3,api-svc,prod,1.0,succeeded,2024-03-04T10:00:00Z,\n"  # alias, then team of 'api'
        "d4,billing,prod,1.0,succeeded,2024-03-04T10:00:00Z,\n"  # not in config: unknown
        "d5,web,prod,1.0,succeeded,2024-03-04T10:00:00Z,  \n",  # blank team counts as none
    )

    load_one(warehouse, path, settings)

    rows = warehouse.execute(
        "SELECT deployment_id, service, team FROM staging.deployments ORDER BY 1"
    ).fetchall()
    assert rows == [
        ("d1", "api", "core"),
        ("d2", "api", "payments"),
        ("d3", "api", "core"),
        ("d4", "billing", "unknown"),
        ("d5", "web", "frontend"),
    ]


def test_team_is_unknown_without_configuration(
    warehouse: duckdb.DuckDBPyConnection, settings: Settings, write_input
) -> None:
    path = write_input(
        "deployments.csv", f"{HEADER}\nd1,api,prod,1.0,succeeded,2024-03-04T10:00:00Z\n"
    )

    load_one(warehouse, path, settings)

    assert column_by_id(warehouse, "team") == {"d1": "unknown"}


# -- timestamps --------------------------------------------------------------------------------


def test_timestamps_with_zone_are_honoured_and_naive_ones_read_in_source_timezone(
    warehouse: duckdb.DuckDBPyConnection, make_settings, write_input
) -> None:
    settings = make_settings(source_timezone="Europe/Berlin")
    cases = {
        "z": ("2024-03-04T10:00:00Z", utc(2024, 3, 4, 10, 0)),
        "plus2": ("2024-03-04T10:00:00+02:00", utc(2024, 3, 4, 8, 0)),
        "minus5": ("2024-03-04T10:00:00-05:00", utc(2024, 3, 4, 15, 0)),
        # an offset beats source_timezone: 10:00 at +05:30 is 04:30 UTC
        "plus530": ("2024-07-15T10:00:00+05:30", utc(2024, 7, 15, 4, 30)),
        # naive, Berlin winter time (CET, UTC+1): 10:00 local is 09:00 UTC
        "winter": ("2024-01-15T10:00:00", utc(2024, 1, 15, 9, 0)),
        # naive, Berlin summer time (CEST, UTC+2): 10:00 local is 08:00 UTC
        "summer": ("2024-07-15T10:00:00", utc(2024, 7, 15, 8, 0)),
        # the last Sunday of March 2024 (31st) switches at 01:00 UTC: 03:30 local is CEST
        "after_switch": ("2024-03-31 03:30:00", utc(2024, 3, 31, 1, 30)),
        "fraction": ("2024-03-04T10:00:00.250Z", dt.datetime(2024, 3, 4, 10, 0, 0, 250000, UTC)),
    }
    lines = [f"{i},api,prod,1.0,succeeded,{text}" for i, (text, _) in cases.items()]
    path = write_input("deployments.csv", "\n".join([HEADER, *lines]) + "\n")

    load_one(warehouse, path, settings)

    assert column_by_id(warehouse, "started_at") == {i: want for i, (_, want) in cases.items()}


def test_naive_timestamps_default_to_utc(
    warehouse: duckdb.DuckDBPyConnection, settings: Settings, write_input
) -> None:
    path = write_input("deployments.csv", f"{HEADER}\nd1,api,prod,1.0,succeeded,2024-07-15 10:00\n")

    load_one(warehouse, path, settings)

    assert column_by_id(warehouse, "started_at") == {"d1": utc(2024, 7, 15, 10, 0)}


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("2024-03-04T10:00Z", id="minutes_precision"),
        pytest.param("2024-03-04T10:00:00z", id="lowercase_z"),
    ],
)
def test_valid_iso_timestamps_with_zone_designator_parse(
    warehouse: duckdb.DuckDBPyConnection, settings: Settings, write_input, text: str
) -> None:
    path = write_input("deployments.csv", f"{HEADER}\nd1,api,prod,1.0,succeeded,{text}\n")

    load_one(warehouse, path, settings)

    assert column_by_id(warehouse, "started_at") == {"d1": utc(2024, 3, 4, 10, 0)}


def test_explicit_utc_suffix_is_not_read_in_source_timezone(
    warehouse: duckdb.DuckDBPyConnection, make_settings, write_input
) -> None:
    settings = make_settings(source_timezone="Europe/Berlin")
    path = write_input(
        "deployments.csv", f"{HEADER}\nd1,api,prod,1.0,succeeded,2024-03-04 10:00:00 UTC\n"
    )

    load_one(warehouse, path, settings)

    # either read as the UTC instant it names, or rejected; never 09:00 UTC
    assert column_by_id(warehouse, "started_at") in ({"d1": utc(2024, 3, 4, 10, 0)}, {})


def test_duration_seconds_from_started_and_finished(
    warehouse: duckdb.DuckDBPyConnection, settings: Settings, write_input
) -> None:
    path = write_input(
        "deployments.csv",
        f"{HEADER},finished_at\n"
        # 10:00:00 to 10:05:30 is 5 * 60 + 30 = 330 s
        "d1,api,prod,1.0,succeeded,2024-03-04T10:00:00Z,2024-03-04T10:05:30Z\n"
        # 10:00 at +02:00 is 08:00 UTC; to 08:01:00.5 UTC is 60.5 s
        "d2,api,prod,1.0,succeeded,2024-03-04T10:00:00+02:00,2024-03-04T08:01:00.500Z\n"
        # finished at the very start: 0 s, allowed (finished_at >= started_at)
        "d3,api,prod,1.0,succeeded,2024-03-04T10:00:00Z,2024-03-04T10:00:00Z\n"
        "d4,api,prod,1.0,succeeded,2024-03-04T10:00:00Z,\n",
    )

    load_one(warehouse, path, settings)

    assert column_by_id(warehouse, "duration_seconds") == {
        "d1": 330.0,
        "d2": 60.5,
        "d3": 0.0,
        "d4": None,
    }


# -- other columns -----------------------------------------------------------------------------


def test_optional_fields_are_typed_and_change_type_defaults_to_regular(
    warehouse: duckdb.DuckDBPyConnection, settings: Settings, write_input
) -> None:
    path = write_input(
        "deployments.csv",
        f"{HEADER},change_count,change_type,first_commit_at,commit_sha,triggered_by\n"
        "d1,api,prod,1.0,succeeded,2024-03-04T10:00:00Z,0,HOTFIX,2024-03-01T08:00:00Z,abc123,"
        "ana\n"
        "d2,api,prod,1.0,succeeded,2024-03-04T10:00:00Z,12,,,,\n",
    )

    load_one(warehouse, path, settings)

    rows = warehouse.execute(
        "SELECT deployment_id, change_count, change_type, first_commit_at, commit_sha,"
        " triggered_by FROM staging.deployments ORDER BY 1"
    ).fetchall()
    assert rows == [
        ("d1", 0, "hotfix", utc(2024, 3, 1, 8, 0), "abc123", "ana"),
        ("d2", 12, "regular", None, None, None),
    ]


def test_unknown_columns_are_kept_in_extra(
    warehouse: duckdb.DuckDBPyConnection, settings: Settings, write_input
) -> None:
    path = write_input(
        "deployments.csv",
        f"{HEADER},pipeline,Region\n"
        "d1,api,prod,1.0,succeeded,2024-03-04T10:00:00Z,ci-7,eu-west\n"
        "d2,api,prod,1.0,succeeded,2024-03-04T10:00:00Z,,\n",
    )

    load_one(warehouse, path, settings)

    extras = {i: json.loads(text) for i, text in column_by_id(warehouse, "extra").items()}
    # the header is kept as written; an empty cell is kept as null, not dropped
    assert extras == {
        "d1": {"pipeline": "ci-7", "Region": "eu-west"},
        "d2": {"pipeline": None, "Region": None},
    }


# -- CSV and JSON Lines give the same rows ----------------------------------------------------

CSV_TEXT = (
    "deployment_id,service,environment,version,status,started_at,finished_at,team,change_count,"
    "first_commit_at,change_type,region,pipeline\n"
    "d1,api,PRD,1.4.0,success,2024-03-04T10:00:00+01:00,2024-03-04T09:03:00Z,core,3,"
    "2024-03-01T12:00:00Z,hotfix,eu,ci-7\n"
    "d2,web,stg,2024.03.1,rollback,2024-03-04T11:00:00Z,,,,,,us,ci-8\n"
)
JSONL_RECORDS = [
    {
        "deployment_id": "d1",
        "service": "api",
        "environment": "PRD",
        "version": "1.4.0",
        "status": "success",
        "started_at": "2024-03-04T10:00:00+01:00",
        "finished_at": "2024-03-04T09:03:00Z",
        "team": "core",
        "change_count": 3,
        "first_commit_at": "2024-03-01T12:00:00Z",
        "change_type": "hotfix",
        "region": "eu",
        "pipeline": "ci-7",
    },
    {
        "deployment_id": "d2",
        "service": "web",
        "environment": "stg",
        "version": "2024.03.1",
        "status": "rollback",
        "started_at": "2024-03-04T11:00:00Z",
        "region": "us",
        "pipeline": "ci-8",
    },
]


def staged_rows(conn: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    """Every staging column except the ones that name the file or the load time."""
    cursor = conn.execute(
        "SELECT * EXCLUDE (source_file, loaded_at) FROM staging.deployments ORDER BY deployment_id"
    )
    names = [column[0] for column in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def load_both_formats(
    tmp_path: Path, settings: Settings, write_input
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The staging rows of CSV_TEXT and of JSONL_RECORDS, each loaded into its own warehouse."""
    loaded = []
    for name, content in [
        ("deployments.csv", CSV_TEXT),
        ("deployments.jsonl", "".join(json.dumps(r) + "\n" for r in JSONL_RECORDS)),
    ]:
        conn = connect(tmp_path / f"{name}.duckdb")
        try:
            load_one(conn, write_input(name, content), settings)
            loaded.append(staged_rows(conn))
        finally:
            conn.close()
    return loaded[0], loaded[1]


def test_json_lines_equivalent_to_csv_give_the_same_values(
    tmp_path: Path, settings: Settings, write_input
) -> None:
    from_csv, from_jsonl = load_both_formats(tmp_path, settings, write_input)

    # d1: 10:00 at +01:00 is 09:00 UTC, finished 09:03 UTC: 180 s
    expected = [
        {
            "deployment_id": "d1",
            "service": "api",
            "team": "core",
            "environment": "prod",
            "version": "1.4.0",
            "status": "succeeded",
            "started_at": utc(2024, 3, 4, 9, 0),
            "finished_at": utc(2024, 3, 4, 9, 3),
            "duration_seconds": 180.0,
            "change_count": 3,
            "first_commit_at": utc(2024, 3, 1, 12, 0),
            "commit_sha": None,
            "change_type": "hotfix",
            "triggered_by": None,
            "is_rollback": False,
            "is_change_failure": False,
            "failure_reason": None,
            "source": "canonical",
            "extra": {"region": "eu", "pipeline": "ci-7"},
        },
        {
            "deployment_id": "d2",
            "service": "web",
            "team": "unknown",
            "environment": "staging",
            "version": "2024.03.1",
            "status": "rolled_back",
            "started_at": utc(2024, 3, 4, 11, 0),
            "finished_at": None,
            "duration_seconds": None,
            "change_count": None,
            "first_commit_at": None,
            "commit_sha": None,
            "change_type": "regular",
            "triggered_by": None,
            "is_rollback": False,
            "is_change_failure": False,
            "failure_reason": None,
            "source": "canonical",
            "extra": {"region": "us", "pipeline": "ci-8"},
        },
    ]
    for rows in (from_csv, from_jsonl):
        # the extra JSON compared as a value; row_hash is checked by the strict test below
        values = [{**row, "extra": json.loads(row["extra"])} for row in rows]
        assert [{k: v for k, v in row.items() if k != "row_hash"} for row in values] == expected


def test_json_lines_equivalent_to_csv_give_identical_rows(
    tmp_path: Path, settings: Settings, write_input
) -> None:
    from_csv, from_jsonl = load_both_formats(tmp_path, settings, write_input)

    assert from_jsonl == from_csv


def test_text_is_trimmed_exactly_as_trim_does_for_every_character(
    warehouse: duckdb.DuckDBPyConnection,
) -> None:
    """rh_text skips trim where it cannot change a value; with every Unicode character alone,
    first and last in a value, it must still equal nullif(trim(value), '')."""
    differing, trimmed = warehouse.execute(
        """
        WITH characters AS (
            SELECT chr(CAST(i AS INTEGER)) AS c FROM range(1, 1114112) t(i)
            WHERE i < 55296 OR i > 57343  -- surrogates are no characters
        ),
        values AS (
            SELECT unnest([c, c || 'a', 'a' || c, c || 'ab' || c, 'a' || c || 'b']) AS v
            FROM characters
            UNION ALL SELECT unnest(['', '  ', 'a b', 'é', ' é ', '1.0 ', NULL])
        )
        SELECT count(*) FILTER (rh_text(v) IS DISTINCT FROM nullif(trim(v), '')),
               count(*) FILTER (rh_text(v) IS DISTINCT FROM v)
        FROM values
        """
    ).fetchone()
    assert differing == 0
    # the 17 space separators trim takes, alone (NULL), first, last and both: 4 * 17; and
    # '', '  ' (NULL), ' é ' and '1.0 ' (NULL is NULL both ways)
    assert trimmed == 4 * 17 + 4
