"""Dagster assets of the delivery domain: change-failure outcomes and the weekly marts.

The weekly marts share one weekly partitions definition (Monday start, reporting time zone)
and a single-run backfill policy, so a backfill over years is one run that rebuilds the
range set-based in DuckDB, and a normal run rebuilds only the weeks it is given.
"""

import datetime as dt

import dagster as dg

from assets.delivery.marts import (
    WeekRange,
    changed_since,
    classify_change_failures,
    load_benchmarks,
    rebuild_mart,
)
from assets.marts import mart_spec
from assets.settings import Settings
from assets.table_metadata import mart_metadata
from assets.warehouse import MARTS_POOL, Warehouse

OUTCOMES = dg.AssetKey(["staging", "deployment_outcomes"])


def week_range(context: dg.AssetExecutionContext) -> WeekRange:
    """The weeks of the partition (or partition range) being materialised."""
    window = context.partition_time_window
    first = window.start.date()
    last = window.end.date() - dt.timedelta(days=7)
    return WeekRange(first, last)


@dg.asset(
    key=OUTCOMES,
    group_name="delivery",
    deps=[dg.AssetKey(["staging", "deployments"]), dg.AssetKey(["staging", "incidents"])],
    kinds={"duckdb"},
    pool=MARTS_POOL,
)
def deployment_outcomes(
    warehouse: dg.ResourceParam[Warehouse], settings: dg.ResourceParam[Settings]
) -> dg.MaterializeResult:
    """Classifies every deployment (README: Metrics): rollbacks detected from version history,
    change failures with their reason (failed, rolled_back, rolled_back_by_later_deploy,
    incident_linked, incident_attributed) written to staging.deployments, and each production
    incident's attributed_deployment_id written to staging.incidents. Weeks whose outcome
    changed are queued for the weekly marts."""
    with warehouse.connection() as conn:
        # only what the queued weeks can change; nothing queued means nothing new arrived
        since = changed_since(conn, settings)
        reasons = classify_change_failures(conn, settings, since) if since else {}
        (attributed, unattributed) = conn.execute(
            "SELECT count(attributed_deployment_id), count(*) - count(attributed_deployment_id)"
            " FROM staging.incidents WHERE environment = $production",
            {"production": settings.environments.production},
        ).fetchone()
    return dg.MaterializeResult(
        metadata={
            "change_failures": sum(reasons.values()),
            "failure_reasons": dg.MetadataValue.json(reasons),
            "incidents_attributed": int(attributed),
            "incidents_unattributed": int(unattributed),
        }
    )


def build_weekly_mart(
    table: str,
    partitions: dg.PartitionsDefinition,
    deps: list[dg.AssetDep | dg.AssetKey],
) -> dg.AssetsDefinition:
    """A weekly-partitioned mart rebuilt by ``marts.rebuild_mart`` for its week range."""

    @dg.asset(
        key=dg.AssetKey(["marts", table]),
        group_name="delivery",
        description=mart_spec(table).asset_description,
        metadata=mart_metadata(table),
        partitions_def=partitions,
        backfill_policy=dg.BackfillPolicy.single_run(),
        deps=deps,
        kinds={"duckdb"},
        # replacing a mart is serialised across runs (several writers share a lake)
        pool=MARTS_POOL,
    )
    def weekly_mart(
        context: dg.AssetExecutionContext,
        warehouse: dg.ResourceParam[Warehouse],
        settings: dg.ResourceParam[Settings],
    ) -> dg.MaterializeResult:
        weeks = week_range(context)
        with warehouse.connection() as conn:
            if table == "delivery_summary":
                load_benchmarks(conn)
            written = rebuild_mart(conn, table, weeks, settings)
        return dg.MaterializeResult(
            metadata={
                "weeks": f"{weeks.first} .. {weeks.last}",
                "rows_written": written,
                **mart_metadata(table),
            }
        )

    return weekly_mart


def build_delivery_assets(
    partitions: dg.PartitionsDefinition, trailing_weeks: int
) -> list[dg.AssetsDefinition]:
    """The delivery domain's assets for a weekly partitions definition."""
    trailing = dg.TimeWindowPartitionMapping(start_offset=-(trailing_weeks - 1))
    weekly = dg.AssetKey(["marts", "delivery_weekly"])
    return [
        deployment_outcomes,
        build_weekly_mart("delivery_weekly", partitions, [OUTCOMES]),
        build_weekly_mart("delivery_summary", partitions, [OUTCOMES]),
        build_weekly_mart("release_windows", partitions, [OUTCOMES]),
        build_weekly_mart("batch_risk", partitions, [OUTCOMES]),
        build_weekly_mart("cadence", partitions, [dg.AssetDep(weekly, partition_mapping=trailing)]),
    ]
