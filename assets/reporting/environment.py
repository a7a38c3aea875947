"""The environment-consistency part of the weekly report, from the drift marts."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import duckdb
import pandas as pd

from assets.drift.drift import production_relation
from assets.settings import Settings
from assets.warehouse import query_frame, run_sql, sql_file
from reports.model import EnvironmentSection, KpiCard

#: drift kinds that concern the artifact or its settings rather than its version
_SAME_VERSION_KINDS = {"config", "dependency", "mutable_tag"}


def report_frame(
    conn: duckdb.DuckDBPyConnection, name: str, params: dict[str, Any]
) -> pd.DataFrame:
    """The result of ``assets/reporting/sql/<name>.sql`` as a frame."""
    return query_frame(conn, sql_file(__file__, name), params)


def relation(row: Mapping[str, Any], production: str, baseline: str) -> str:
    """How production stands against one environment's version (the matrix cell's colour)."""
    if pd.isna(row["production_version"]):
        return "not_compared"
    kind = row["drift_kind"]
    if row["environment"] in (production, baseline) and kind in _SAME_VERSION_KINDS:
        return str(kind)
    if row["environment"] == production:
        return "in_sync"
    same_digest = (
        isinstance(row["image_digest"], str) and row["image_digest"] == row["production_digest"]
    )
    if same_digest:
        return "in_sync"
    # said of production, as the drift list says it: a newer staging cell is production "behind"
    return production_relation(row["production_version"], row["version"])


def build_environment_section(
    conn: duckdb.DuckDBPyConnection, settings: Settings, week_start: dt.date, weeks: int
) -> EnvironmentSection:
    """Matrix, drift list, aging, opened/closed, promotion lag and bypasses for one week."""
    environments = settings.environments
    section = EnvironmentSection(
        environments=list(environments.chain),
        baseline=environments.baseline,
        production=environments.production,
    )
    params = {
        "week_start": week_start,
        "weeks": weeks,
        "tz": settings.timezone,
        "chain": list(environments.chain),
        "production": environments.production,
    }
    (as_of,) = run_sql(conn, sql_file(__file__, "drift_as_of"), params).fetchone()
    if as_of is None:
        return section
    params["as_of"] = as_of
    section.as_of = as_of
    matrix = report_frame(conn, "environment_matrix", params)
    matrix["relation"] = [  # plain dicts: a Series per row costs far more than the rule
        relation(row, environments.production, environments.baseline)
        for row in matrix.to_dict("records")
    ]
    section.matrix = matrix[["service", "environment", "version", "relation", "since"]]
    section.drift = report_frame(conn, "drift_list", params)
    section.aging = report_frame(conn, "drift_aging", params)
    changes = report_frame(conn, "drift_changes", params)
    section.opened = changes[changes["change"] == "opened"].drop(columns="change")
    section.closed = changes[changes["change"] == "closed"].drop(columns="change")
    lags = report_frame(conn, "promotion_lag", params)
    section.promotion_lag = lags[["service", "version", "lag_hours", "state"]]
    section.bypassed = lags[lags["state"] == "bypassed_baseline"][
        ["service", "version", "production_at"]
    ]
    return section


def consistency_cards(
    conn: duckdb.DuckDBPyConnection, settings: Settings, week_start: dt.date, weeks: int
) -> list[KpiCard]:
    """The 'median promotion lag' (faster) and 'services drifting unexpectedly' cards."""
    series = report_frame(
        conn,
        "consistency_weeks",
        {"week_start": week_start, "weeks": weeks, "tz": settings.timezone},
    )

    def values(column: str) -> list[float | None]:
        return [None if pd.isna(v) else float(v) for v in series[column]]

    def card(key: str, group: str, label: str, column: str, unit: str) -> KpiCard:
        history = values(column)
        return KpiCard(
            key=key,
            group=group,  # type: ignore[arg-type]
            label=label,
            value=history[-1] if history else None,
            unit=unit,  # type: ignore[arg-type]
            previous=history[-2] if len(history) > 1 else None,
            better="lower",
            sparkline=history,
        )

    return [
        card(
            "promotion_lag", "faster", "Median promotion lag", "median_promotion_lag_hours", "hours"
        ),
        card(
            "drifting", "consistent", "Services drifting unexpectedly", "drifting_services", "count"
        ),
    ]
