"""Dagster assets of the delivery domain: deployment outcomes and the weekly marts.

Two assets classify what happened, each writing the columns of one staging table: incident
attribution (``staging.incidents.attributed_deployment_id``), then deployment outcomes
(``staging.deployments``' rollback and change-failure columns). The weekly marts share one
weekly partitions definition (Monday start, reporting time zone) and a single-run backfill
policy, so a backfill over years is one run that rebuilds the range set-based in DuckDB, and a
normal run rebuilds only the weeks it is given.
"""

from collections.abc import Iterator

import dagster as dg

from assets.delivery.marts import (
    changed_since,
    classify_change_failures,
    load_benchmarks,
    rebuild_mart,
)
from assets.marts import mart_spec
from assets.settings import Settings
from assets.table_metadata import mart_metadata
from assets.warehouse import MARTS_POOL, Warehouse
from assets.weeks import WeekRange, partition_weeks

DEPLOYMENTS = dg.AssetKey(["staging", "deployments"])
INCIDENTS = dg.AssetKey(["staging", "incidents"])
ATTRIBUTION = dg.AssetKey(["staging", "incident_attribution"])
OUTCOMES = dg.AssetKey(["staging", "deployment_outcomes"])
BENCHMARK_TIERS = dg.AssetKey(["marts", "benchmark_tiers"])
#: the staging.deployments columns a deployment's outcome is derived from
_HISTORY = ("deployment_id", "service", "environment", "version", "status", "change_type")


def _column_deps(key: dg.AssetKey, columns: tuple[str, ...]) -> list[dg.TableColumnDep]:
    return [dg.TableColumnDep(asset_key=key, column_name=column) for column in columns]


def _writes(table: str, columns: dict[str, str], lineage: dict[str, list]) -> dict:
    """Metadata of an asset that writes ``columns`` (name -> SQL type) of ``table`` in place:
    the table, those columns, and what each is derived from."""
    return {
        "dagster/table_name": table,
        "dagster/column_schema": dg.TableSchema(
            columns=[dg.TableColumn(name, data_type) for name, data_type in columns.items()]
        ),
        "dagster/column_lineage": dg.TableColumnLineage(deps_by_column=lineage),
    }


_ATTRIBUTION_WRITES = _writes(
    "staging.incidents",
    {"attributed_deployment_id": "VARCHAR"},
    {
        "attributed_deployment_id": [
            *_column_deps(INCIDENTS, ("deployment_id", "service", "environment", "opened_at")),
            *_column_deps(DEPLOYMENTS, (*_HISTORY, "started_at", "finished_at")),
        ]
    },
)
_FAILURE_DEPS = [
    *_column_deps(DEPLOYMENTS, (*_HISTORY, "started_at")),
    *_column_deps(INCIDENTS, ("deployment_id", "environment")),
    *_column_deps(ATTRIBUTION, ("attributed_deployment_id",)),
]
_OUTCOME_WRITES = _writes(
    "staging.deployments",
    {"is_rollback": "BOOLEAN", "is_change_failure": "BOOLEAN", "failure_reason": "VARCHAR"},
    {
        "is_rollback": _column_deps(DEPLOYMENTS, (*_HISTORY, "started_at")),
        "is_change_failure": _FAILURE_DEPS,
        "failure_reason": _FAILURE_DEPS,
    },
)


@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            ATTRIBUTION,
            group_name="delivery",
            deps=[DEPLOYMENTS, INCIDENTS],
            kinds={"duckdb"},
            metadata=_ATTRIBUTION_WRITES,
            description="Writes staging.incidents.attributed_deployment_id (README: Metrics):"
            " each production incident's own deployment_id when that deployment is known, else"
            " the latest successful, non-rollback production deployment of the same service"
            " that finished within incidents.attribution_window_hours before it opened.",
        ),
        dg.AssetSpec(
            OUTCOMES,
            group_name="delivery",
            deps=[DEPLOYMENTS, INCIDENTS, ATTRIBUTION],
            kinds={"duckdb"},
            metadata=_OUTCOME_WRITES,
            description="Writes the outcome columns of staging.deployments (README: Metrics):"
            " is_rollback, from version history, and is_change_failure with its failure_reason"
            " (failed, rolled_back, rolled_back_by_later_deploy, incident_linked,"
            " incident_attributed, as staging/incident_attribution attributed the incidents)."
            " Weeks whose outcome changed are queued for the weekly marts (raw.pending_weeks).",
        ),
    ],
    group_name="delivery",
    pool=MARTS_POOL,
)
def classify_outcomes(
    warehouse: dg.ResourceParam[Warehouse], settings: dg.ResourceParam[Settings]
) -> Iterator[dg.MaterializeResult]:
    """One pass over version history serves both writes (rollbacks decide which deployments
    an incident may be attributed to, and attributions decide change failures), so the two
    assets are materialised together, each naming the table and columns it writes. Only what
    the queued weeks can change is classified again; nothing queued means nothing new
    arrived."""
    with warehouse.connection() as conn:
        since = changed_since(conn, settings)
        reasons = classify_change_failures(conn, settings, since) if since else {}
        (attributed, unattributed) = conn.execute(
            "SELECT count(attributed_deployment_id), count(*) - count(attributed_deployment_id)"
            " FROM staging.incidents WHERE environment = $production",
            {"production": settings.environments.production},
        ).fetchone()
    yield dg.MaterializeResult(
        asset_key=ATTRIBUTION,
        metadata={
            "incidents_attributed": int(attributed),
            "incidents_unattributed": int(unattributed),
            **_ATTRIBUTION_WRITES,
        },
    )
    yield dg.MaterializeResult(
        asset_key=OUTCOMES,
        metadata={
            "change_failures": sum(reasons.values()),
            "failure_reasons": dg.MetadataValue.json(reasons),
            **_OUTCOME_WRITES,
        },
    )


@dg.asset(
    key=BENCHMARK_TIERS,
    group_name="delivery",
    description=mart_spec("benchmark_tiers").asset_description,
    kinds={"duckdb"},
    metadata=mart_metadata("benchmark_tiers"),
    pool=MARTS_POOL,
)
def benchmark_tiers(warehouse: dg.ResourceParam[Warehouse]) -> dg.MaterializeResult:
    """Replaces marts.benchmark_tiers with the thresholds of every benchmark in
    benchmarks.json (unpartitioned: the same for every week)."""
    with warehouse.connection() as conn:
        document = load_benchmarks(conn)
        (rows,) = conn.execute("SELECT count(*) FROM marts.benchmark_tiers").fetchone()
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": int(rows),
            "benchmarks": dg.MetadataValue.json(sorted(document)),
            **mart_metadata("benchmark_tiers"),
        }
    )


def week_range(context: dg.AssetExecutionContext) -> WeekRange:
    """The weeks of the partition (or partition range) being materialised."""
    window = context.partition_time_window
    return partition_weeks(window.start, window.end)


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
        classify_outcomes,
        benchmark_tiers,
        build_weekly_mart("delivery_weekly", partitions, [OUTCOMES]),
        build_weekly_mart("delivery_summary", partitions, [OUTCOMES, BENCHMARK_TIERS]),
        build_weekly_mart("release_windows", partitions, [OUTCOMES]),
        build_weekly_mart("batch_risk", partitions, [OUTCOMES]),
        build_weekly_mart("cadence", partitions, [dg.AssetDep(weekly, partition_mapping=trailing)]),
    ]
