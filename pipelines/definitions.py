"""The composition root: every domain's assets, checks, jobs, schedule and sensor.

``dagster dev -w workspace.yaml`` loads ``defs`` from here, built from the configuration found
the usual way (``--config`` is not available there: use ``RELEASE_HEALTH_CONFIG``). ``defs`` is
lazy: importing this module reads no configuration, so the command line (whose ``--config``
always wins) is never stopped by a broken ``release-health.yaml`` in the current folder.
"""

from __future__ import annotations

import datetime as dt
import warnings

import dagster as dg

from assets.calendar.assets import build_calendar_assets
from assets.delivery.assets import (
    ATTRIBUTION,
    BENCHMARK_TIERS,
    OUTCOMES,
    build_delivery_assets,
)
from assets.drift.assets import DRIFT_SPECS, drift_marts
from assets.ingest.assets import staging_assets
from assets.reporting.assets import (
    ARCHIVE,
    BI_PUBLISH,
    PENDING_WEEKS,
    WEEKLY_REPORT,
    build_reporting_assets,
)
from pipelines.automation import build_inbox_sensor, build_weekly_report_schedule
from pipelines.config import Settings, load_settings
from pipelines.partitions import first_data_week, weekly_partitions
from pipelines.resources import WarehouseResource

# single-run backfills are what make a years-long rebuild one set-based pass
warnings.filterwarnings("ignore", category=dg.BetaWarning)

INGEST_JOB = "ingest"
WEEKLY_JOB = "weekly"


def build_definitions(settings: Settings, first_week: dt.date | None = None) -> dg.Definitions:
    """All definitions for one configuration; the weekly partitions start at ``first_week``
    (default: the first week with data in the warehouse, see ``first_data_week``)."""
    first_week = first_week or first_data_week(settings)
    weeks = weekly_partitions(settings, first_week)
    delivery = build_delivery_assets(weeks, settings.metrics.trailing_weeks)
    calendar = build_calendar_assets(weeks)
    weekly_marts = [a.key for a in [*delivery, *calendar] if a.partitions_def is not None]
    marts = [*weekly_marts, BENCHMARK_TIERS, *(s.key for s in DRIFT_SPECS)]
    reporting = build_reporting_assets(weeks, marts)
    refresh = dg.AssetSelection.groups("ingest", "drift") | dg.AssetSelection.assets(
        ATTRIBUTION, OUTCOMES
    )
    ingest_job, weekly_job = (
        dg.define_asset_job(
            INGEST_JOB,
            selection=refresh,
            description="Load new inbox files, attribute incidents, classify deployments, "
            "rebuild the drift marts.",
        ),
        dg.define_asset_job(
            WEEKLY_JOB,
            selection=dg.AssetSelection.assets(
                BENCHMARK_TIERS, *weekly_marts, WEEKLY_REPORT, PENDING_WEEKS, ARCHIVE, BI_PUBLISH
            ),
            partitions_def=weeks,
            description="Rebuild the benchmark tiers, the weekly marts and reports of a week or "
            "a range of weeks (taking those weeks off raw.pending_weeks), the archive page, and "
            "the BI copy of the marts (publish.postgres).",
        ),
    )
    return dg.Definitions(
        assets=[*staging_assets, *delivery, *calendar, drift_marts, *reporting],
        jobs=[ingest_job, weekly_job],
        schedules=[build_weekly_report_schedule(weekly_job, settings.timezone)],
        sensors=[
            build_inbox_sensor(settings, ingest_job, weekly_job, first_week),
            *(
                build_inbox_sensor(settings, ingest_job, weekly_job, first_week, team)
                for team in settings.inboxes
            ),
        ],
        resources={
            "warehouse": WarehouseResource(
                location=settings.warehouse_target,
                lake_data_path=settings.lake_data_location,
                memory_limit=settings.memory_limit,
                wait_seconds=settings.warehouse_wait_seconds,
            ),
            "settings": settings,
        },
        executor=dg.in_process_executor,
    )


@dg.definitions
def defs() -> dg.Definitions:
    """The code location's definitions, built from the configuration when Dagster loads them."""
    return build_definitions(load_settings())
