"""Dagster assets of the delivery domain: change-failure outcomes and the weekly marts.

The weekly marts share one weekly partitions definition (Monday start, reporting time zone)
and a single-run backfill policy, so a backfill over years is one run that rebuilds the
range set-based in DuckDB, and a normal run rebuilds only the weeks it is given.
"""

import dagster as dg

from assets.delivery.marts import (
    changed_since,
    classify_change_failures,
    load_benchmarks,
    rebuild_mart,
)
from assets.settings import Settings
from assets.table_metadata import column_schema_metadata
from assets.warehouse import MARTS_POOL, Warehouse
from assets.weeks import WeekRange, partition_weeks

OUTCOMES = dg.AssetKey(["staging", "deployment_outcomes"])
_MART_DESCRIPTIONS = {
    "delivery_weekly": "Per production service and week: deployments, successes, failures, "
    "change failures and rate, deploy days, median lead time, recovery and duration, changes "
    "shipped, off-hours and weekend deployments. Quiet weeks between a service's first and last "
    "week are rows of zeros.",
    "delivery_summary": "Per week, for the organisation and each team: the four keys for the "
    "week and over the trailing window, with their tiers under the configured benchmark.",
    "release_windows": "Production deployments and change failures by local weekday and hour "
    "over the trailing window ending with each week.",
    "batch_risk": "Change failure rate by batch size (change_count bucket) over the trailing "
    "window ending with each week.",
    "cadence": "Weekly successful production deployments per team, rolling 4-week mean and OLS "
    "trend over the trailing window, labelled accelerating, steady or slowing.",
}


def week_range(context: dg.AssetExecutionContext) -> WeekRange:
    """The weeks of the partition (or partition range) being materialised."""
    window = context.partition_time_window
    return partition_weeks(window.start, window.end)


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
        description=_MART_DESCRIPTIONS[table],
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
            columns = column_schema_metadata(conn, "marts", table)
        return dg.MaterializeResult(
            metadata={
                "weeks": f"{weeks.first} .. {weeks.last}",
                "rows_written": written,
                **columns,
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
