"""Dagster assets of the reporting domain: the weekly pages and the archive."""

import dagster as dg

from assets.delivery.assets import week_range
from assets.delivery.marts import clear_pending_weeks
from assets.reporting.build import archive_entries, iso_week
from assets.reporting.builds import publish_recorded
from assets.settings import Settings
from assets.warehouse import Warehouse
from reports.publish import publish_archive

WEEKLY_REPORT = dg.AssetKey(["reports", "weekly_report"])
ARCHIVE = dg.AssetKey(["reports", "archive"])


def build_reporting_assets(
    partitions: dg.PartitionsDefinition, upstream: list[dg.AssetKey]
) -> list[dg.AssetsDefinition]:
    """The weekly report (partitioned like the marts) and the archive page."""

    @dg.asset(
        key=WEEKLY_REPORT,
        group_name="reporting",
        partitions_def=partitions,
        backfill_policy=dg.BackfillPolicy.single_run(),
        deps=upstream,
        kinds={"html", "plotly"},
    )
    def weekly_report(
        context: dg.AssetExecutionContext,
        warehouse: dg.ResourceParam[Warehouse],
        settings: dg.ResourceParam[Settings],
    ) -> dg.MaterializeResult:
        """The weekly release-health page, reports_dir/<YYYY>-W<ww>/index.html, for each week
        of the partition range: KPI cards, delivery trend, release calendar and cadence,
        release risk, environment consistency, problem services, data quality, definitions."""
        pages = []
        weeks = week_range(context).weeks
        with warehouse.connection() as conn:
            for week in weeks:
                # recorded with the lake snapshot it read, so it can be rebuilt as built
                published = publish_recorded(conn, settings, week)
                context.log.info(f"{iso_week(week)}: {published.path}")
                pages.append(str(published.path))
            # these weeks are up to date now: take them off the queue of a normal run
            clear_pending_weeks(conn, weeks)
        return dg.MaterializeResult(
            metadata={"pages": len(pages), "latest": dg.MetadataValue.path(pages[-1])}
        )

    @dg.asset(key=ARCHIVE, group_name="reporting", deps=[WEEKLY_REPORT], kinds={"html"})
    def archive(
        warehouse: dg.ResourceParam[Warehouse], settings: dg.ResourceParam[Settings]
    ) -> dg.MaterializeResult:
        """reports_dir/index.html: every published week, newest first, with its headline
        numbers (deployments, deploy days, change failure rate, lead time, overall tier)."""
        with warehouse.connection() as conn:
            entries = archive_entries(conn, settings.reports_path)
        path = publish_archive(entries, settings.reports_path)
        return dg.MaterializeResult(
            metadata={"weeks": len(entries), "path": dg.MetadataValue.path(str(path))}
        )

    return [weekly_report, archive]
