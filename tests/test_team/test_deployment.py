"""The team-mode Dagster instance in a real PostgreSQL: deploy/dagster.yaml, set up by
``scripts/team-dagster home``, records the command line's runs in PostgreSQL."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import dagster as dg

from pipelines.cli import main
from tests.test_pipelines.conftest import DEPLOYMENTS, INCIDENTS, INVENTORY

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "team-dagster"
SETUP_TIMEOUT_SECONDS = 180
WEEKLY_REPORT = dg.AssetKey(["reports", "weekly_report"])


def test_cli_runs_are_recorded_in_the_postgres_instance(postgres, tmp_path, monkeypatch):
    postgres.database("team_instance")
    env = {**postgres.env(), "PGDATABASE": "team_instance", "PGPASSWORD": ""}
    home = tmp_path / "dagster-home"
    done = subprocess.run(
        [str(SCRIPT), "home"],
        env={**os.environ, **env, "DAGSTER_HOME": str(home)},
        capture_output=True,
        text=True,
        timeout=SETUP_TIMEOUT_SECONDS,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "grpc_server" in (home / "workspace.yaml").read_text()
    for kind, text in (
        ("deployments", DEPLOYMENTS),
        ("incidents", INCIDENTS),
        ("inventory", INVENTORY),
    ):
        (tmp_path / "inbox" / kind).mkdir(parents=True)
        (tmp_path / "inbox" / kind / f"{kind}.csv").write_text(text)
    (tmp_path / "release-health.yaml").write_text(
        "warehouse: w.duckdb\ninbox_dir: inbox\nreports_dir: reports\n"
    )
    monkeypatch.chdir(tmp_path)
    for name, value in {**env, "DAGSTER_HOME": str(home)}.items():
        monkeypatch.setenv(name, value)
    assert main(["run"]) == 0
    assert not (tmp_path / "dagster").exists()
    # the runs are rows of PostgreSQL, not files beside the warehouse
    jobs = postgres.psql("SELECT pipeline_name FROM runs ORDER BY 1", dbname="team_instance")
    assert jobs.splitlines() == ["ingest", "weekly"]
    limit = postgres.psql(
        "SELECT \"limit\" FROM concurrency_limits WHERE concurrency_key = 'marts'",
        dbname="team_instance",
    )
    assert limit == "1"
    with dg.DagsterInstance.get() as instance:
        assert type(instance.run_coordinator).__name__ == "QueuedRunCoordinator"
        config = instance.get_concurrency_config()
        assert config.run_queue_config.max_concurrent_runs == 2
        assert instance.run_monitoring_enabled
        assert instance.get_materialized_partitions(WEEKLY_REPORT) == {
            "2024-01-01",
            "2024-01-08",
            "2024-01-15",
        }
