"""The BI copy of the marts in PostgreSQL: complete, and read-only for the reader role."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import dagster as dg
import pytest

from assets.ingest.loader import ingest_paths
from assets.reporting.assets import BI_PUBLISH
from assets.reporting.bi import publish_marts
from pipelines.runner import run_pipeline
from tests.postgres import LocalPostgres, PostgresCommandError
from tests.test_lake.conftest import Lake

HEADER = "deployment_id,service,environment,version,status,started_at,finished_at\n"
ROLE = "release_health_reader"
SCHEMA = "release_health"


def test_reader_role_can_select_the_marts_and_cannot_write(
    make_lake: Callable[..., Lake],
    postgres: LocalPostgres,
    rebuild_marts: Callable[..., None],
    tmp_path: Path,
) -> None:
    bi_dsn = postgres.database(f"{tmp_path.name}_bi")
    bi_db = bi_dsn.split()[0].removeprefix("dbname=")
    lake = make_lake(publish={"postgres": bi_dsn})
    rows = [HEADER] + [
        f"d-{n},checkout,prod,1.{n}.0,succeeded,{dt.date(2026, 11, 2 + n):%Y-%m-%d}T10:00Z,\n"
        for n in range(4)
    ]
    inbox = lake.settings.inbox_path / "deployments" / "d.csv"
    inbox.parent.mkdir(parents=True)
    inbox.write_text("".join(rows), encoding="utf-8")
    with lake.connect() as conn:
        ingest_paths(conn, [inbox], lake.settings)
        rebuild_marts(conn, lake.settings)
        copied = publish_marts(conn, lake.settings)
        # published twice: the copy is replaced, not added to
        assert publish_marts(conn, lake.settings) == copied

    assert copied["delivery_weekly"] == 1
    assert set(copied) >= {"delivery_summary", "cadence", "drift", "environment_matrix"}
    as_reader = {"dbname": bi_db, "user": ROLE}
    assert (
        postgres.psql(
            "SELECT service, deployments FROM release_health.delivery_weekly", **as_reader
        )
        == "checkout|4"
    )
    with pytest.raises(PostgresCommandError, match="permission denied for table delivery_weekly"):
        postgres.psql("DELETE FROM release_health.delivery_weekly", **as_reader)
    with pytest.raises(PostgresCommandError, match="permission denied for schema release_health"):
        postgres.psql("CREATE TABLE release_health.mine (x int)", **as_reader)
    with pytest.raises(PostgresCommandError, match="must be owner of table delivery_weekly"):
        postgres.psql("DROP TABLE release_health.delivery_weekly", **as_reader)
    assert (
        postgres.psql(
            "SELECT count(*) FROM information_schema.schemata"
            " WHERE schema_name LIKE 'release_health%'",
            dbname=bi_db,
        )
        == "1"
    )


def test_the_weekly_job_publishes_the_marts_as_an_asset(
    make_lake: Callable[..., Lake], postgres: LocalPostgres, tmp_path: Path
) -> None:
    bi_dsn = postgres.database(f"{tmp_path.name}_bi_job")
    bi_db = bi_dsn.split()[0].removeprefix("dbname=")
    lake = make_lake(publish={"postgres": bi_dsn})
    rows = [HEADER] + [
        f"d-{n},checkout,prod,1.{n}.0,succeeded,{dt.date(2026, 11, 2 + n):%Y-%m-%d}T10:00Z,\n"
        for n in range(3)
    ]
    inbox = lake.settings.inbox_path / "deployments" / "d.csv"
    inbox.parent.mkdir(parents=True)
    inbox.write_text("".join(rows), encoding="utf-8")
    instance = dg.DagsterInstance.ephemeral()
    said: list[str] = []
    outcome = run_pipeline(
        lake.settings, today=dt.date(2026, 11, 18), instance=instance, log=said.append
    )

    assert outcome.success, outcome.problems
    # the copy is the weekly job's step, recorded like any asset, and the runner only says so
    event = instance.get_latest_materialization_event(BI_PUBLISH)
    metadata = event.asset_materialization.metadata
    assert metadata["status"].value == "published"
    assert metadata["rows"].value["delivery_weekly"] == 1
    assert f"published {metadata['tables'].value} mart table(s) to the BI schema {SCHEMA}" in said
    assert (
        postgres.psql(
            "SELECT service, deployments FROM release_health.delivery_weekly",
            dbname=bi_db,
            user=ROLE,
        )
        == "checkout|3"
    )
