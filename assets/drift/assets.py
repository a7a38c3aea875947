"""Dagster assets of the drift domain: environment matrix, drift and promotion lag."""

import datetime as dt

import dagster as dg

from assets.drift.marts import DRIFT_MARTS, build_drift_marts
from assets.marts import mart_spec
from assets.settings import Settings
from assets.table_metadata import mart_metadata
from assets.warehouse import MARTS_POOL, Warehouse

_DEPS = [dg.AssetKey(["staging", "inventory"]), dg.AssetKey(["staging", "deployments"])]


def _mart(table: str) -> dg.AssetSpec:
    return dg.AssetSpec(
        ["marts", table],
        group_name="drift",
        deps=_DEPS,
        kinds={"duckdb"},
        description=mart_spec(table).asset_description,
        metadata=mart_metadata(table),
    )


DRIFT_SPECS = [_mart(table) for table in DRIFT_MARTS]


@dg.multi_asset(specs=DRIFT_SPECS, name="drift_marts", pool=MARTS_POOL)
def drift_marts(warehouse: dg.ResourceParam[Warehouse], settings: dg.ResourceParam[Settings]):
    """Brings the three drift marts up to date in one pass (they share their states): the
    snapshot days from the first day whose facts changed."""
    with warehouse.connection() as conn:
        counts = build_drift_marts(conn, settings)
        recomputed_from = counts.pop("recomputed_from")
        kinds = dict(
            conn.execute(
                "SELECT drift_kind, count(*) FROM marts.drift"
                " WHERE as_of = (SELECT max(as_of) FROM marts.drift) GROUP BY ALL ORDER BY ALL"
            ).fetchall()
        )
    for spec in DRIFT_SPECS:
        table = spec.key.path[-1]
        metadata = {"dagster/row_count": counts[table], **mart_metadata(table)}
        if table == "drift":
            metadata["latest_kinds"] = dg.MetadataValue.json(kinds)
        if table != "promotion_lag":  # recomputed whole
            metadata["recomputed_from"] = (
                dt.date.fromordinal(recomputed_from).isoformat()
                if recomputed_from
                else "nothing changed"
            )
        yield dg.MaterializeResult(asset_key=spec.key, metadata=metadata)
