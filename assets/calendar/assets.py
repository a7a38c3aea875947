"""Dagster assets of the release-calendar domain: freeze violations and the release plan."""

import dagster as dg

from assets.calendar.marts import CALENDAR_MARTS, rebuild_calendar_mart
from assets.delivery.assets import OUTCOMES, week_range
from assets.marts import mart_spec
from assets.settings import Settings
from assets.table_metadata import mart_metadata
from assets.warehouse import MARTS_POOL, Warehouse

CALENDAR_EVENTS = dg.AssetKey(["staging", "calendar"])


def build_calendar_mart(table: str, partitions: dg.PartitionsDefinition) -> dg.AssetsDefinition:
    """A weekly-partitioned calendar mart rebuilt for its week range."""

    @dg.asset(
        key=dg.AssetKey(["marts", table]),
        group_name="calendar",
        description=mart_spec(table).asset_description,
        metadata=mart_metadata(table),
        partitions_def=partitions,
        backfill_policy=dg.BackfillPolicy.single_run(),
        deps=[CALENDAR_EVENTS, OUTCOMES],
        kinds={"duckdb"},
        pool=MARTS_POOL,
    )
    def calendar_mart(
        context: dg.AssetExecutionContext,
        warehouse: dg.ResourceParam[Warehouse],
        settings: dg.ResourceParam[Settings],
    ) -> dg.MaterializeResult:
        weeks = week_range(context)
        with warehouse.connection() as conn:
            written = rebuild_calendar_mart(conn, table, weeks, settings)
        return dg.MaterializeResult(
            metadata={
                "weeks": f"{weeks.first} .. {weeks.last}",
                "rows_written": written,
                **mart_metadata(table),
            }
        )

    return calendar_mart


def build_calendar_assets(partitions: dg.PartitionsDefinition) -> list[dg.AssetsDefinition]:
    """The calendar domain's marts for a weekly partitions definition."""
    return [build_calendar_mart(table, partitions) for table in CALENDAR_MARTS]
