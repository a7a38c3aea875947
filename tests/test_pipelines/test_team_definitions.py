"""Descriptions, column schemas, the marts pool and one inbox sensor per team folder."""

from __future__ import annotations

import datetime as dt

import dagster as dg
import pytest

from assets.ingest.assets import INBOX_TAG
from assets.settings import ConfigError, parse_settings
from assets.warehouse import connect
from pipelines.definitions import build_definitions
from pipelines.runner import run_pipeline
from tests.test_pipelines.conftest import DEPLOYMENTS

PAYMENTS_FILE = """\
deployment_id,service,team,environment,version,status,started_at,finished_at
p1,ledger,payments,prod,010,succeeded,2024-01-02T10:00:00Z,2024-01-02T10:05:00Z
p2,ledger,payments,prod,1.10,succeeded,2024-01-03T10:00:00Z,2024-01-03T10:05:00Z
"""


@pytest.fixture
def team_settings(tmp_path):
    """Two teams' inboxes beside the main one; a deployments file in each team folder."""
    for team, text in (("payments", PAYMENTS_FILE), ("search", DEPLOYMENTS)):
        folder = tmp_path / team / "deployments"
        folder.mkdir(parents=True)
        (folder / f"{team}.csv").write_text(text)
    return parse_settings(
        {
            "warehouse": "w.duckdb",
            "inbox_dir": "inbox",
            "reports_dir": "reports",
            "inboxes": {"payments": "payments", "search": str(tmp_path / "search")},
        },
        base_dir=tmp_path,
    )


def test_checks_schedule_and_sensors_have_descriptions(team_settings):
    defs = build_definitions(team_settings)
    graph = defs.resolve_asset_graph()
    for key in graph.asset_check_keys:
        assert graph.get_check_spec(key).description, f"{key} has no description"
    schedule = defs.resolve_schedule_def("weekly_report_schedule")
    assert "Monday 06:00" in schedule.description
    names = {sensor.name: sensor.description for sensor in defs.sensors}
    assert set(names) == {"inbox_sensor", "inbox_sensor_payments", "inbox_sensor_search"}
    assert all(names.values())
    assert str(team_settings.base_dir) + "/payments" in names["inbox_sensor_payments"]


def test_mart_steps_share_the_marts_pool(team_settings):
    graph = build_definitions(team_settings).resolve_asset_graph()
    pools = {
        key.to_user_string(): graph.get(key).pools
        for key in graph.get_all_asset_keys()
        if key.path[0] == "marts"
    }
    # five weekly delivery marts, benchmark_tiers, three drift marts, two calendar marts
    assert len(pools) == 11
    assert all(pool == {"marts"} for pool in pools.values()), pools


def test_a_team_sensor_ingests_that_team_folder_only(team_settings):
    defs = build_definitions(team_settings)
    instance = dg.DagsterInstance.ephemeral()
    payments = defs.resolve_sensor_def("inbox_sensor_payments")
    tick = payments.evaluate_tick(dg.build_sensor_context(instance=instance))
    (request,) = tick.run_requests
    assert request.job_name == "ingest"
    assert request.tags[INBOX_TAG] == "payments"
    assert request.run_key.startswith("inbox-payments-")
    result = defs.resolve_job_def("ingest").execute_in_process(instance=instance, tags=request.tags)
    assert result.success
    with connect(team_settings.warehouse_path) as conn:
        rows = conn.execute(
            "SELECT deployment_id, version FROM staging.deployments ORDER BY 1"
        ).fetchall()
    # the search team's file waits for its own sensor; versions stay as written
    assert rows == [("p1", "010"), ("p2", "1.10")]
    again = payments.evaluate_tick(dg.build_sensor_context(instance=instance, cursor=tick.cursor))
    assert not again.run_requests
    # the team sensors never ask for weekly runs: the main inbox_sensor does, once
    search = defs.resolve_sensor_def("inbox_sensor_search")
    (search_request,) = search.evaluate_tick(
        dg.build_sensor_context(instance=instance)
    ).run_requests
    assert search_request.job_name == "ingest"


def test_a_cli_run_reads_every_team_inbox_and_tables_carry_their_columns(team_settings):
    instance = dg.DagsterInstance.ephemeral()
    outcome = run_pipeline(team_settings, today=dt.date(2024, 1, 24), instance=instance)
    assert outcome.success, outcome.problems
    with connect(team_settings.warehouse_path) as conn:
        (count,) = conn.execute("SELECT count(*) FROM staging.deployments").fetchone()
    assert count == 2 + 9  # payments: p1, p2; search: a1-a5, s1, w1-w3
    event = instance.get_latest_materialization_event(dg.AssetKey(["staging", "deployments"]))
    schema = event.asset_materialization.metadata["dagster/column_schema"].schema
    columns = {column.name: column for column in schema.columns}
    assert list(columns)[:3] == ["deployment_id", "service", "team"]
    assert columns["version"].type == "VARCHAR"
    assert not columns["version"].constraints.nullable
    weekly = instance.get_latest_materialization_event(dg.AssetKey(["marts", "delivery_weekly"]))
    mart_columns = weekly.asset_materialization.metadata["dagster/column_schema"].schema.columns
    assert "week_start" in {column.name for column in mart_columns}
    files = instance.get_latest_materialization_event(dg.AssetKey(["staging", "incidents"]))
    assert files.asset_materialization.metadata["dagster/column_schema"].schema.columns


@pytest.mark.parametrize(
    ("inboxes", "message"),
    [
        ({"pay-ments": "p"}, "inboxes: team name 'pay-ments' may hold only letters"),
        ({"payments": ""}, "inboxes.payments: expected a folder"),
        ({"a": "x", "b": "x"}, "inboxes: two teams share one inbox folder"),
        (["payments"], "inboxes: Input should be a valid dictionary"),
    ],
)
def test_inboxes_config_is_validated(inboxes, message):
    with pytest.raises(ConfigError) as error:
        parse_settings({"inboxes": inboxes})
    assert str(error.value).startswith(message)
