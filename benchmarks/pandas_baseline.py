"""The obvious alternative: a pandas script that re-reads the whole deployment CSV and computes
``marts.delivery_weekly`` by the same definitions (README: Metrics): production deployments that
were not cancelled; rollbacks detected from version history and left out of the change-failure
denominator; change failures from status and from being rolled back by a later deploy;
recovery to the next good deployment; lead time; deploy days; off-hours and weekend counts.
(The benchmark data has no incidents, so incident attribution is not needed.)

Usage: python -m benchmarks.pandas_baseline DEPLOYMENTS.csv [MORE.csv ...]
"""

from __future__ import annotations

import sys
import time

import numpy as np
import pandas as pd

BUSINESS_START, BUSINESS_END = 9, 18


def _rollbacks(frame: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """(is_rollback, rolled back by a later deploy) for every row of ``frame``."""
    ok = frame[frame["status"] == "succeeded"].sort_values(["started_at", "deployment_id"])
    keys = [ok["service"], ok["environment"]]
    position = ok.groupby(keys).cumcount()
    previous_version = ok.groupby(keys)["version"].shift()
    previous_id = ok.groupby(keys)["deployment_id"].shift()
    first = (
        ok.assign(position=position)
        .groupby(["service", "environment", "version"])["position"]
        .transform("min")
    )
    detected = (first < position) & (ok["version"] != previous_version)
    is_rollback = detected | (ok["change_type"] == "rollback")
    replaced = set(previous_id[is_rollback].dropna())
    rollback = frame["deployment_id"].isin(set(ok.loc[is_rollback, "deployment_id"]))
    return rollback, frame["deployment_id"].isin(replaced)


def delivery_weekly(frame: pd.DataFrame) -> pd.DataFrame:
    for column in ("started_at", "finished_at", "first_commit_at"):
        frame[column] = pd.to_datetime(frame[column], utc=True, format="ISO8601")
    frame["is_rollback"], replaced = _rollbacks(frame)
    prod = frame[(frame["environment"] == "prod") & (frame["status"] != "cancelled")].copy()
    replaced = replaced[prod.index]
    prod["change_failure"] = ~prod["is_rollback"] & (
        prod["status"].isin(["failed", "rolled_back"]) | replaced
    )
    prod["done_at"] = prod["finished_at"].fillna(prod["started_at"])
    good = prod.loc[
        (prod["status"] == "succeeded") & ~prod["change_failure"], ["service", "done_at"]
    ]
    failures = prod.loc[prod["change_failure"], ["service", "done_at"]].reset_index()
    recovered = pd.merge_asof(
        failures.sort_values("done_at"),
        good.rename(columns={"done_at": "recovered_at"}).sort_values("recovered_at"),
        left_on="done_at",
        right_on="recovered_at",
        by="service",
        direction="forward",
        allow_exact_matches=False,
    ).set_index("index")
    prod["recovery_hours"] = (
        recovered["recovered_at"] - recovered["done_at"]
    ).dt.total_seconds() / 3600
    local = prod["started_at"].dt.tz_localize(None)
    prod["week_start"] = local.dt.to_period("W-SUN").dt.start_time
    prod["succeeded"] = prod["status"] == "succeeded"
    prod["failed"] = prod["status"] == "failed"
    prod["success_day"] = local.dt.date.where(prod["succeeded"])
    weekday, hour = local.dt.day_of_week, local.dt.hour
    prod["weekend"] = weekday >= 5
    prod["off_hours"] = prod["weekend"] | (hour < BUSINESS_START) | (hour >= BUSINESS_END)
    lead = (prod["done_at"] - prod["first_commit_at"]).dt.total_seconds() / 3600
    prod["lead_time_hours"] = lead.where(prod["succeeded"] & (lead > 0))
    prod["shipped"] = prod["change_count"].where(prod["succeeded"])
    prod["duration"] = (prod["finished_at"] - prod["started_at"]).dt.total_seconds()
    prod["counted"] = ~prod["is_rollback"]
    weekly = (
        prod.groupby(["week_start", "service"])
        .agg(
            team=("team", "last"),
            deployments=("deployment_id", "size"),
            successful_deployments=("succeeded", "sum"),
            failed_deployments=("failed", "sum"),
            rollback_deployments=("is_rollback", "sum"),
            change_failures=("change_failure", "sum"),
            denominator=("counted", "sum"),
            deploy_days=("success_day", "nunique"),
            median_lead_time_hours=("lead_time_hours", "median"),
            median_recovery_hours=("recovery_hours", "median"),
            median_duration_seconds=("duration", "median"),
            changes_shipped=("shipped", "sum"),
            off_hours_deployments=("off_hours", "sum"),
            weekend_deployments=("weekend", "sum"),
        )
        .reset_index()
    )
    weekly["change_failure_rate"] = weekly["change_failures"] / weekly["denominator"].replace(
        0, np.nan
    )
    return weekly


def read_deployments(paths: list) -> pd.DataFrame:
    return pd.concat([pd.read_csv(path) for path in paths], ignore_index=True)


def main(paths: list[str]) -> None:
    started = time.perf_counter()
    weekly = delivery_weekly(read_deployments(paths))
    print(f"{len(weekly)} weekly rows in {time.perf_counter() - started:.2f} s")


if __name__ == "__main__":
    main(sys.argv[1:])
