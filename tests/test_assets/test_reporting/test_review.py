"""The review meeting's model from a real warehouse: services failing repeatedly with their
trend, held files, overdue drift, teams side by side and one detail per service."""

import datetime as dt

import pandas as pd

from assets.reporting.build import build_weekly_report
from assets.reporting.review import drift_runs, overdue_drift

HEADER = "deployment_id,service,team,environment,version,status,started_at,finished_at\n"
# api (team core) fails in 2024-W02 and 2024-W04; web (team shop) only in 2024-W04
DEPLOYMENTS = (
    HEADER
    + "\n".join(
        [
            "a1,api,core,prod,1.0.0,succeeded,2024-01-02T10:00:00Z,2024-01-02T10:10:00Z",
            "a2,api,core,prod,1.1.0,failed,2024-01-09T10:00:00Z,2024-01-09T10:10:00Z",
            "a3,api,core,prod,1.1.1,succeeded,2024-01-16T10:00:00Z,2024-01-16T10:10:00Z",
            "a4,api,core,prod,1.2.0,failed,2024-01-23T10:00:00Z,2024-01-23T10:10:00Z",
            "a5,api,core,prod,1.2.1,succeeded,2024-01-24T10:00:00Z,2024-01-24T10:10:00Z",
            "w1,web,shop,prod,2.0,succeeded,2024-01-03T10:00:00Z,2024-01-03T10:10:00Z",
            "w2,web,shop,prod,2.1,failed,2024-01-24T10:00:00Z,2024-01-24T10:10:00Z",
        ]
    )
    + "\n"
)
INCIDENTS = (
    "incident_id,service,opened_at,resolved_at\n"
    "i1,api,2024-01-23T11:00:00Z,2024-01-23T14:00:00Z\n"
    "i2,api,2024-02-05T11:00:00Z,2024-02-05T12:00:00Z\n"  # after the week: not on its page
)
WEEK = dt.date(2024, 1, 22)  # 2024-W04
NOW = dt.datetime(2024, 2, 1, tzinfo=dt.UTC)


def test_review_parts_from_the_warehouse(
    make_settings, write_input, warehouse_from_inbox, tmp_path
):
    settings = make_settings(warehouse=str(tmp_path / "w.duckdb"))
    write_input("deployments.csv", DEPLOYMENTS)
    write_input("incidents.csv", INCIDENTS, kind="incidents")
    conn = warehouse_from_inbox(settings)
    conn.execute(
        "INSERT INTO raw.ingested_files (file_sha256, path, kind, ingested_at, status, error)"
        " VALUES ('ab', 'deployments/late.csv', 'deployments', $at, 'held', $error)",
        {"at": NOW, "error": "contract_failed: 3 of 4 rows rejected"},
    )

    report = build_weekly_report(conn, settings, WEEK, now=NOW)

    failing = report.act.failing
    assert failing["service"].tolist() == ["api"]  # web failed in one week only
    row = failing.iloc[0]
    assert list(row["weekly_failures"]) == [0, 1, 0, 1]  # W01 .. W04, oldest first
    assert (row["team"], row["change_failures"], row["deployments"], row["failing_weeks"]) == (
        "core",
        2,
        5,
        2,
    )
    assert report.act.held[["path", "error"]].values.tolist() == [
        ["deployments/late.csv", "contract_failed: 3 of 4 rows rejected"]
    ]
    assert report.act.freeze_violations.empty
    assert list(report.act.freeze_violations.columns) == [
        "service", "team", "started_at", "freeze", "why"
    ]  # fmt: skip
    assert report.teams["team"].tolist() == ["core", "shop"]
    assert report.teams["deployments"].tolist() == [2, 1]  # this week's production deployments
    services = {detail.service: detail for detail in report.services}
    assert sorted(services) == ["api", "web"]
    api = services["api"]
    assert api.team == "core"
    assert api.weekly["deployments"].sum() == 5 and api.weekly["change_failures"].sum() == 2
    assert api.incidents["incident_id"].tolist() == ["i1"]
    assert api.incidents["restore_hours"].tolist() == [3.0]


def test_a_freeze_violation_frame_fills_its_slot(
    make_settings, write_input, warehouse_from_inbox, tmp_path
):
    settings = make_settings(warehouse=str(tmp_path / "w.duckdb"))
    write_input("deployments.csv", DEPLOYMENTS)
    conn = warehouse_from_inbox(settings)
    violations = pd.DataFrame(
        {
            "service": ["web"],
            "team": ["shop"],
            "started_at": [pd.Timestamp("2024-01-24T10:00:00Z")],
            "freeze": ["year-end freeze"],
            "why": ["not a hotfix"],
        }
    )

    report = build_weekly_report(conn, settings, WEEK, now=NOW, freeze_violations=violations)

    assert report.act.freeze_violations["service"].tolist() == ["web"]


def test_overdue_drift_is_unexpected_and_older_than_the_sla():
    drift = pd.DataFrame(
        {
            "service": ["a", "b", "c", "d"],
            "drift_kind": ["behind", "behind", "config", "ahead"],
            "drift_age_days": [8.0, 3.0, 10.0, 7.0],
            "expected": [False, True, True, False],
            "rule": ["late", "in flight", "ignored keys", "prod ahead"],
        }
    )
    late = overdue_drift(drift, sla_hours=168, teams={"a": "core"})
    # b and c are expected; d is exactly 168 h old, which is past the SLA
    assert late["service"].tolist() == ["a", "d"]
    assert late["team"].iloc[0] == "core" and pd.isna(late["team"].iloc[1])


def test_drift_days_fold_into_runs_newest_first():
    days = pd.DataFrame(
        {
            "as_of": pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-03", "2024-01-04"]),
            "drift_kind": ["behind", "behind", "in_sync", "behind"],
            "expected": [True, False, True, False],
        }
    )
    runs = drift_runs(days)
    assert runs[["drift_kind", "expected", "days"]].values.tolist() == [
        ["behind", False, 1],
        ["in_sync", True, 1],
        ["behind", False, 1],
        ["behind", True, 1],
    ]


def test_service_pages_are_capped_keeping_the_first_named(
    make_settings, write_input, warehouse_from_inbox, tmp_path, monkeypatch
):
    from assets.reporting import review
    from reports.model import EnvironmentSection

    settings = make_settings(warehouse=str(tmp_path / "w.duckdb"))
    write_input("deployments.csv", DEPLOYMENTS)
    conn = warehouse_from_inbox(settings)
    monkeypatch.setattr(review, "MAX_SERVICE_PAGES", 1)

    details = review.service_details(
        conn, settings, WEEK, 26, EnvironmentSection(), {}, ["web", "api", "web"]
    )

    assert [detail.service for detail in details] == ["web"]  # named first, kept


def test_named_services_in_page_order_without_repeats():
    from assets.reporting.review import named_services

    first = pd.DataFrame({"service": ["b", "a"]})
    second = pd.DataFrame({"service": ["a", "c", None]})
    assert named_services(first, pd.DataFrame(), second) == ["b", "a", "c"]
