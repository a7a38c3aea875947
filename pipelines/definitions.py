"""The composition root: every domain's assets, checks, jobs, schedule and sensor.

``dagster dev -w workspace.yaml`` loads ``defs`` from here, built from the configuration found
the usual way (``--config`` is not available there: use ``RELEASE_HEALTH_CONFIG``).
"""

from __future__ import annotations

import dagster as dg

from assets.delivery.assets import build_delivery_assets
from assets.ingest.assets import staging_assets
from pipelines.config import Settings, load_settings
from pipelines.partitions import weekly_partitions
from pipelines.resources import WarehouseResource


def build_definitions(settings: Settings) -> dg.Definitions:
    """All definitions for one configuration."""
    weeks = weekly_partitions(settings.timezone)
    assets = [
        *staging_assets,
        *build_delivery_assets(weeks, settings.metrics.trailing_weeks),
    ]
    return dg.Definitions(
        assets=assets,
        resources={
            "warehouse": WarehouseResource(location=str(settings.warehouse_path)),
            "settings": settings,
        },
        executor=dg.in_process_executor,
    )


defs = build_definitions(load_settings())
