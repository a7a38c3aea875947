"""Runs of the command line are recorded in a persistent Dagster instance, so the Dagster UI
(``release-health dev``) shows the materialisations, checks and partitions the CLI produced."""

from __future__ import annotations

import dagster as dg
import pytest

from assets.settings import parse_settings
from pipelines.cli import main
from pipelines.config import dagster_home
from tests.test_pipelines.conftest import DEPLOYMENTS, INCIDENTS, INVENTORY
from tests.test_pipelines.test_definitions import EXPECTED_ASSETS

WEEKLY_REPORT = dg.AssetKey(["reports", "weekly_report"])
#: the inbox's production deployments fall in these three weeks of January 2024
DATA_WEEKS = {"2024-01-01", "2024-01-08", "2024-01-15"}


@pytest.fixture
def team_workspace(workspace, monkeypatch):
    """The CLI workspace with one file of each kind in its inbox and no DAGSTER_HOME."""
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    for kind, text in (
        ("deployments", DEPLOYMENTS),
        ("incidents", INCIDENTS),
        ("inventory", INVENTORY),
    ):
        (workspace / "inbox" / kind).mkdir(parents=True)
        (workspace / "inbox" / kind / f"{kind}.csv").write_text(text)
    return workspace


def test_instance_folder_defaults_beside_the_warehouse_and_dagster_home_wins(tmp_path):
    settings = parse_settings({"warehouse": "db/w.duckdb"}, base_dir=tmp_path)
    assert dagster_home(settings, env={}) == tmp_path / "db" / "dagster"
    assert dagster_home(settings, env={"DAGSTER_HOME": str(tmp_path / "x")}) == tmp_path / "x"
    lake = parse_settings({"warehouse": "ducklake:postgres:dbname=rh"}, base_dir=tmp_path)
    assert dagster_home(lake, env={}) == tmp_path / "data" / "dagster"


def test_cli_run_is_recorded_in_the_instance_beside_the_warehouse(team_workspace):
    assert main(["run"]) == 0
    home = team_workspace / "dagster"
    assert "enabled: false" in (home / "dagster.yaml").read_text()
    with dg.DagsterInstance.from_config(str(home)) as instance:
        runs = instance.get_runs()
        # the ingest run, then one run for the range of weeks
        assert sorted(run.job_name for run in runs) == ["ingest", "weekly"]
        assert all(run.status == dg.DagsterRunStatus.SUCCESS for run in runs)
        materialised = {
            key
            for key in EXPECTED_ASSETS
            if instance.get_latest_materialization_event(dg.AssetKey.from_user_string(key))
        }
        assert materialised == EXPECTED_ASSETS
        for kind in ("deployments", "incidents", "inventory"):
            for check in ("contract", "reconciliation"):
                record = instance.get_latest_asset_check_evaluation_record(
                    dg.AssetCheckKey(dg.AssetKey(["staging", kind]), check)
                )
                assert record is not None, f"staging/{kind}:{check} not recorded"
                assert record.event.asset_check_evaluation.passed
        assert instance.get_materialized_partitions(WEEKLY_REPORT) == DATA_WEEKS


def test_dagster_home_wins_over_the_default_folder(team_workspace, monkeypatch):
    home = team_workspace / "elsewhere"
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    assert main(["run"]) == 0
    assert not (team_workspace / "dagster").exists()
    with dg.DagsterInstance.from_config(str(home)) as instance:
        assert instance.get_materialized_partitions(WEEKLY_REPORT) == DATA_WEEKS


def test_dev_opens_the_ui_on_the_same_instance(team_workspace, monkeypatch):
    started = {}

    def execve(path, argv, env):
        started.update(path=path, argv=argv, env=env)

    monkeypatch.setattr("os.execve", execve)
    assert main(["--config", "release-health.yaml", "dev", "--port", "3999"]) == 0
    assert started["argv"][1:] == ["dev", "-m", "pipelines.definitions", "--port", "3999"]
    assert started["path"].endswith("/dagster")
    assert started["env"]["DAGSTER_HOME"] == str(team_workspace / "dagster")
    assert started["env"]["RELEASE_HEALTH_CONFIG"] == str(team_workspace / "release-health.yaml")
    assert (team_workspace / "dagster" / "dagster.yaml").exists()
