"""Dagster assets of the drift domain: environment matrix, drift and promotion lag."""

import dagster as dg

from assets.drift.marts import build_drift_marts
from assets.settings import Settings
from assets.table_metadata import column_schema_metadata
from assets.warehouse import MARTS_POOL, Warehouse

_DEPS = [dg.AssetKey(["staging", "inventory"]), dg.AssetKey(["staging", "deployments"])]


def _mart(table: str, description: str) -> dg.AssetSpec:
    return dg.AssetSpec(
        ["marts", table], group_name="drift", deps=_DEPS, kinds={"duckdb"}, description=description
    )


DRIFT_SPECS = [
    _mart(
        "environment_matrix",
        "Per snapshot day, service and environment of the chain: the version it runs (latest "
        "inventory capture, or the last successful deployment where an environment has no "
        "inventory), its digest and since when.",
    ),
    _mart(
        "drift",
        "Per snapshot day and service: production against the baseline — drift kind, versions "
        "behind, pending changes, drift since and age, expected and why.",
    ),
    _mart(
        "promotion_lag",
        "Per service and version: first arrival in the baseline and in production, the lag, and "
        "whether it was promoted, is in flight, was skipped or bypassed the baseline.",
    ),
]


@dg.multi_asset(specs=DRIFT_SPECS, name="drift_marts", pool=MARTS_POOL)
def drift_marts(warehouse: dg.ResourceParam[Warehouse], settings: dg.ResourceParam[Settings]):
    """Rebuilds the three drift marts from staging in one pass (they share their states)."""
    with warehouse.connection() as conn:
        counts = build_drift_marts(conn, settings)
        kinds = dict(
            conn.execute(
                "SELECT drift_kind, count(*) FROM marts.drift"
                " WHERE as_of = (SELECT max(as_of) FROM marts.drift) GROUP BY ALL ORDER BY ALL"
            ).fetchall()
        )
        columns = {
            spec.key: column_schema_metadata(conn, "marts", spec.key.path[-1])
            for spec in DRIFT_SPECS
        }
    for spec in DRIFT_SPECS:
        table = spec.key.path[-1]
        metadata = {"dagster/row_count": counts[table], **columns[spec.key]}
        if table == "drift":
            metadata["latest_kinds"] = dg.MetadataValue.json(kinds)
        yield dg.MaterializeResult(asset_key=spec.key, metadata=metadata)
