"""The Dagster definitions: the graph loads and materialises against a temporary warehouse."""

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import dagster as dg

from assets.delivery.marts import BENCHMARKS_FILE
from assets.warehouse import connect
from pipelines.definitions import build_definitions
from pipelines.runner import run_pipeline

W01, W02, W03 = dt.date(2024, 1, 1), dt.date(2024, 1, 8), dt.date(2024, 1, 15)
EXPECTED_ASSETS = {
    "staging/deployments",
    "staging/incidents",
    "staging/inventory",
    "staging/calendar",
    "staging/incident_attribution",
    "staging/deployment_outcomes",
    "marts/benchmark_tiers",
    "marts/freeze_violations",
    "marts/release_plan",
    "marts/delivery_weekly",
    "marts/delivery_summary",
    "marts/release_windows",
    "marts/batch_risk",
    "marts/cadence",
    "marts/environment_matrix",
    "marts/drift",
    "marts/promotion_lag",
    "reports/weekly_report",
    "raw/pending_weeks",
    "reports/archive",
    "reports/bi_publish",
}


def test_graph_groups_descriptions_and_blocking_checks(inbox_settings):
    defs = build_definitions(inbox_settings)
    graph = defs.resolve_asset_graph()
    keys = {key.to_user_string() for key in graph.get_all_asset_keys()}
    assert keys == EXPECTED_ASSETS
    groups = {key.to_user_string(): graph.get(key).group_name for key in graph.get_all_asset_keys()}
    assert groups["staging/deployments"] == "ingest"
    assert groups["marts/cadence"] == "delivery"
    assert groups["marts/drift"] == "drift"
    assert groups["reports/archive"] == "reporting"
    for key in graph.get_all_asset_keys():
        assert graph.get(key).description, f"{key.to_user_string()} has no description"
    checks = {
        (key.asset_key.to_user_string(), key.name): graph.get_check_spec(key).blocking
        for key in graph.asset_check_keys
    }
    for kind in ("deployments", "incidents", "inventory", "calendar"):
        assert checks[(f"staging/{kind}", "contract")] is True
        assert checks[(f"staging/{kind}", "reconciliation")] is True
    weekly = graph.get(dg.AssetKey(["marts", "delivery_weekly"]))
    # the week holding contracts.min_timestamp (default 2000-01-01, a Saturday)
    assert weekly.partitions_def.get_first_partition_key() == "1999-12-27"


def test_incident_attribution_and_deployment_outcomes_each_write_one_staging_table(
    inbox_settings,
):
    graph = build_definitions(inbox_settings).resolve_asset_graph()
    attribution = graph.get(dg.AssetKey(["staging", "incident_attribution"]))
    outcomes = graph.get(dg.AssetKey(["staging", "deployment_outcomes"]))
    assert attribution.key in outcomes.parent_keys
    assert dg.AssetKey(["marts", "delivery_weekly"]) in outcomes.child_keys
    with connect(inbox_settings.warehouse_path) as conn:
        rows = conn.execute(
            "SELECT table_schema || '.' || table_name, column_name FROM information_schema.columns"
            " WHERE table_schema = 'staging'"
        ).fetchall()
    columns = {(table, column) for table, column in rows}
    tables = {
        "staging/deployments": "staging.deployments",
        "staging/incidents": "staging.incidents",
    }
    written = {}
    for node in (attribution, outcomes):
        table = node.metadata["dagster/table_name"]
        tables[node.key.to_user_string()] = table
        written[table] = {c.name for c in node.metadata["dagster/column_schema"].columns}
    assert written == {
        "staging.incidents": {"attributed_deployment_id"},
        "staging.deployments": {"is_rollback", "is_change_failure", "failure_reason"},
    }
    for node in (attribution, outcomes):
        lineage = node.metadata["dagster/column_lineage"].deps_by_column
        assert set(lineage) == written[node.metadata["dagster/table_name"]]
        for deps in lineage.values():
            for dep in deps:
                assert dep.asset_key in node.parent_keys
                assert (tables[dep.asset_key.to_user_string()], dep.column_name) in columns
    failure = outcomes.metadata["dagster/column_lineage"].deps_by_column["failure_reason"]
    assert dg.TableColumnDep(attribution.key, "attributed_deployment_id") in failure


def test_whole_graph_materialises(inbox_settings):
    defs = build_definitions(inbox_settings)
    instance = dg.DagsterInstance.ephemeral()
    outcome = run_pipeline(inbox_settings, today=dt.date(2024, 1, 24), instance=instance)
    assert outcome.success, outcome.problems
    assert (outcome.weeks.first, outcome.weeks.last) == (W01, W03)
    # the report a reader wants (last complete week before 2024-01-24 is W03) comes last
    assert outcome.reports[-1] == inbox_settings.reports_path / "2024-W03" / "index.html"
    assert all(path.exists() for path in outcome.reports)
    assert (inbox_settings.reports_path / "index.html").exists()
    materialized = {
        key
        for key in EXPECTED_ASSETS
        if instance.get_latest_materialization_event(dg.AssetKey.from_user_string(key))
    }
    assert materialized == EXPECTED_ASSETS
    bi = instance.get_latest_materialization_event(dg.AssetKey(["reports", "bi_publish"]))
    # no publish.postgres in this config: the step records that nothing was copied
    assert bi.asset_materialization.metadata["status"].value == "not configured"
    with connect(inbox_settings.warehouse_path) as conn:
        (weeks,) = conn.execute(
            "SELECT count(DISTINCT week_start) FROM marts.delivery_summary"
        ).fetchone()
        (queued,) = conn.execute("SELECT count(*) FROM raw.pending_weeks").fetchone()
        kinds = dict(conn.execute("SELECT service, drift_kind FROM marts.drift").fetchall())
        tiers = conn.execute("SELECT benchmark, metric FROM marts.benchmark_tiers").fetchall()
        (untiered,) = conn.execute(
            "SELECT count(*) FROM marts.delivery_summary WHERE overall_tier IS NULL"
        ).fetchone()
    benchmarks = json.loads(BENCHMARKS_FILE.read_text(encoding="utf-8"))
    # the weekly run's marts/benchmark_tiers step loaded every tier before the summary used them
    assert len(tiers) == sum(
        len(spec["tiers"]) for b in benchmarks.values() for spec in b["metrics"].values()
    )
    assert untiered == 0
    assert weeks == 3
    assert queued == 0  # the weekly run consumed the queue
    assert kinds == {"api": "config", "web": "behind"}
    assert defs.resolve_job_def("weekly").partitions_def is not None


def test_dg_materialize_of_every_asset_for_one_week(inbox_settings):
    defs = build_definitions(inbox_settings)
    assets = list(defs.assets)
    result = dg.materialize(
        assets, resources=defs.resources, partition_key=W01.isoformat(), raise_on_error=True
    )
    assert result.success
    evaluations = {
        (e.asset_key.to_user_string(), e.check_name): e.passed
        for e in result.get_asset_check_evaluations()
    }
    assert evaluations[("staging/deployments", "contract")] is True
    assert evaluations[("staging/deployments", "reconciliation")] is True
    with connect(inbox_settings.warehouse_path) as conn:
        weeks = conn.execute("SELECT DISTINCT week_start FROM marts.delivery_weekly").fetchall()
    assert weeks == [(W01,)]


def test_workspace_loads_the_code_location(inbox_settings, tmp_path):
    config = tmp_path / "release-health.yaml"
    config.write_text(f"warehouse: {inbox_settings.warehouse_path}\n")
    root = Path(__file__).parents[2]
    result = subprocess.run(
        [
            str(Path(sys.executable).with_name("dagster")),
            "definitions",
            "validate",
            "-w",
            "workspace.yaml",
        ],
        cwd=root,
        env={**os.environ, "RELEASE_HEALTH_CONFIG": str(config)},
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "release_health" in result.stdout + result.stderr


def test_definitions_are_built_when_loaded_not_when_imported(tmp_path, monkeypatch):
    import importlib

    import pipelines.definitions

    monkeypatch.chdir(tmp_path)
    (tmp_path / "release-health.yaml").write_text("warehouse: [unclosed\n")
    lazy = importlib.reload(pipelines.definitions).defs  # the broken file is not read here
    assert not isinstance(lazy, dg.Definitions)

    (tmp_path / "good.yaml").write_text("warehouse: good.duckdb\n")
    monkeypatch.setenv("RELEASE_HEALTH_CONFIG", str(tmp_path / "good.yaml"))
    loaded = lazy()
    assert isinstance(loaded, dg.Definitions)
    assert loaded.resources["warehouse"].location == str(tmp_path / "good.duckdb")
    assert loaded.resources["warehouse"].wait_seconds == 60


def test_weeks_queued_before_the_first_production_deployment_are_not_rebuilt(inbox_settings):
    """An incident and a staging deployment older than any production deployment queue their
    weeks; the partitions start at the first production week (2024-W01), so the run starts
    there instead of failing on a week before the partitions."""
    inbox = inbox_settings.inbox_path
    (inbox / "incidents" / "older.csv").write_text(
        "incident_id,service,opened_at,resolved_at\n"
        "i0,api,2023-12-12T10:00:00Z,2023-12-12T11:00:00Z\n"
    )
    (inbox / "deployments" / "older.csv").write_text(
        "deployment_id,service,environment,version,status,started_at\n"
        "s0,api,staging,0.9,succeeded,2023-12-05T10:00:00Z\n"
    )

    outcome = run_pipeline(
        inbox_settings, today=dt.date(2024, 1, 24), instance=dg.DagsterInstance.ephemeral()
    )

    assert outcome.success, outcome.problems
    assert (outcome.weeks.first, outcome.weeks.last) == (W01, W03)
