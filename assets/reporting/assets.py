"""Dagster assets of the reporting domain: the weekly pages, the archive and the BI copy."""

import datetime as dt
import inspect
from collections.abc import Iterable, Iterator
from zoneinfo import ZoneInfo

import dagster as dg

from assets.delivery.assets import week_range
from assets.delivery.marts import clear_pending_weeks, pending_weeks
from assets.reporting.bi import publish_marts
from assets.reporting.publishing import publish_archive_page, publish_week
from assets.settings import Settings
from assets.warehouse import Warehouse
from assets.weeks import iso_week

WEEKLY_REPORT = dg.AssetKey(["reports", "weekly_report"])
#: the work queue of a normal run, emptied of a run's weeks by the weekly report's step
PENDING_WEEKS = dg.AssetKey(["raw", "pending_weeks"])
ARCHIVE = dg.AssetKey(["reports", "archive"])
BI_PUBLISH = dg.AssetKey(["reports", "bi_publish"])
#: the metadata of a BI publish step when ``publish.postgres`` is not set
NOT_CONFIGURED = "not configured"
#: a run tag: publish the week under way too (its page says its numbers are partial)
PARTIAL_WEEK_TAG = "release-health/partial-week"
#: the metadata key of the observation recorded for a week that was not published
NOT_PUBLISHED = "not_published"


def refused_weeks(observations: Iterable[dg.DagsterEvent]) -> dict[dt.date, str]:
    """The weeks a weekly report step refused, each with the reason it gave."""
    refused = {}
    for event in observations:
        observation = event.asset_observation_data.asset_observation
        if observation.asset_key == WEEKLY_REPORT and NOT_PUBLISHED in observation.metadata:
            reason = observation.metadata["reason"].value
            refused[dt.date.fromisoformat(observation.partition)] = str(reason)
    return refused


def build_reporting_assets(
    partitions: dg.PartitionsDefinition, upstream: list[dg.AssetKey]
) -> list[dg.AssetsDefinition]:
    """The weekly report (partitioned like the marts) and the queue it empties, the archive
    page and the BI copy of the marts (``upstream``)."""

    def publish_weeks(
        context: dg.AssetExecutionContext,
        warehouse: dg.ResourceParam[Warehouse],
        settings: dg.ResourceParam[Settings],
    ) -> Iterator[dg.MaterializeResult | dg.AssetMaterialization | dg.AssetObservation]:
        """The weekly release-health page, reports_dir/<YYYY>-W<ww>/index.html, for each week
        of the partition range: KPI cards, delivery trend, release calendar and cadence,
        release risk, environment consistency, problem services, data quality, definitions.
        A week with no data, a future week and the week under way (unless the run is tagged
        release-health/partial-week) are not published: each is recorded as an observation
        saying why, and only the published weeks are materialised."""
        weeks = week_range(context).weeks
        partial = context.run.tags.get(PARTIAL_WEEK_TAG) == "true"
        today = dt.datetime.now(tz=ZoneInfo(settings.timezone)).date()
        pages: dict[dt.date, str] = {}
        with warehouse.connection() as conn:
            for week in weeks:
                # recorded with the lake snapshot it read, so it can be rebuilt as built
                outcome = publish_week(conn, settings, week, today, allow_partial=partial)
                check = outcome.check
                if outcome.published is None:
                    context.log.warning(f"{check.message}: not published")
                    yield dg.AssetObservation(
                        asset_key=WEEKLY_REPORT,
                        partition=week.isoformat(),
                        metadata={NOT_PUBLISHED: check.state, "reason": check.message},
                    )
                    continue
                if check.state == "partial":
                    context.log.warning(check.message)
                context.log.info(f"{iso_week(week)}: {outcome.published.path}")
                pages[week] = str(outcome.published.path)
            if len(pages) == len(weeks):
                yield dg.MaterializeResult(
                    asset_key=WEEKLY_REPORT,
                    metadata={
                        "pages": len(pages),
                        "latest": dg.MetadataValue.path(pages[weeks[-1]]),
                    },
                )
                return
            for week, page in pages.items():
                yield dg.AssetMaterialization(
                    asset_key=WEEKLY_REPORT,
                    partition=week.isoformat(),
                    metadata={"pages": 1, "latest": dg.MetadataValue.path(page)},
                )
            if pages:
                # the archive step is skipped when this step materialises only some weeks
                publish_archive_page(conn, settings)

    # one step for both: the queue is emptied after the pages were published, and also when
    # some weeks were refused, when the report's own output is skipped (and with it any
    # step that depends on it)
    @dg.multi_asset(
        name="weekly_report",
        specs=[
            dg.AssetSpec(
                WEEKLY_REPORT,
                group_name="reporting",
                description=inspect.cleandoc(publish_weeks.__doc__ or ""),
                deps=upstream,
                kinds={"html", "plotly"},
                # weeks refused are not materialised: nothing was published for them
                skippable=True,
            ),
            dg.AssetSpec(
                PENDING_WEEKS,
                group_name="reporting",
                description="raw.pending_weeks, the weeks whose facts changed since the weekly "
                "marts last ran (queued by ingest, forget and staging/deployment_outcomes): the "
                "run's weeks leave it once their marts and report were rebuilt, refused weeks "
                "included.",
                deps=[WEEKLY_REPORT],
                kinds={"duckdb"},
                metadata={"dagster/table_name": "raw.pending_weeks"},
            ),
        ],
        partitions_def=partitions,
        backfill_policy=dg.BackfillPolicy.single_run(),
    )
    def weekly_report(
        context: dg.AssetExecutionContext,
        warehouse: dg.ResourceParam[Warehouse],
        settings: dg.ResourceParam[Settings],
    ) -> Iterator[dg.MaterializeResult | dg.AssetMaterialization | dg.AssetObservation]:
        """Publishes the weeks of the partition range, then takes them off the queue."""
        yield from publish_weeks(context, warehouse, settings)
        weeks = week_range(context).weeks
        with warehouse.connection() as conn:
            # the marts and pages of these weeks are up to date now
            clear_pending_weeks(conn, weeks)
            queued = len(pending_weeks(conn))
        yield dg.MaterializeResult(
            asset_key=PENDING_WEEKS,
            metadata={"weeks_cleared": len(weeks), "weeks_still_queued": queued},
        )

    @dg.asset(key=ARCHIVE, group_name="reporting", deps=[WEEKLY_REPORT], kinds={"html"})
    def archive(
        warehouse: dg.ResourceParam[Warehouse], settings: dg.ResourceParam[Settings]
    ) -> dg.MaterializeResult:
        """reports_dir/index.html: every published week, newest first, with its headline
        numbers (deployments, deploy days, change failure rate, lead time, overall tier)."""
        with warehouse.connection() as conn:
            path, weeks = publish_archive_page(conn, settings)
        return dg.MaterializeResult(
            metadata={"weeks": weeks, "path": dg.MetadataValue.path(str(path))}
        )

    # after the marts it copies, not after the pages: a run that refuses a week (the one
    # under way) skips the archive step, and the BI copy must still be refreshed
    @dg.asset(key=BI_PUBLISH, group_name="reporting", deps=upstream, kinds={"postgres"})
    def bi_publish(
        context: dg.AssetExecutionContext,
        warehouse: dg.ResourceParam[Warehouse],
        settings: dg.ResourceParam[Settings],
    ) -> dg.MaterializeResult:
        """Every marts.* table copied into the PostgreSQL schema publish.schema of
        publish.postgres (swapped in with one transaction), readable by publish.reader_role;
        when publish.postgres is not set, nothing is copied and the metadata says so."""
        if not settings.publish.postgres:
            context.log.info("publish.postgres is not set: no BI copy")
            return dg.MaterializeResult(metadata={"status": NOT_CONFIGURED, "tables": 0})
        with warehouse.connection() as conn:
            copied = publish_marts(conn, settings)
        schema = settings.publish.schema_name
        context.log.info(f"published {len(copied)} mart table(s) to the BI schema {schema}")
        return dg.MaterializeResult(
            metadata={
                "status": "published",
                "schema": schema,
                "tables": len(copied),
                "rows": dg.MetadataValue.json(copied),
            }
        )

    return [weekly_report, archive, bi_publish]
