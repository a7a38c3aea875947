"""Delivery metrics on the hand-built organisation of conftest.py; every number by hand."""

import datetime as dt

import pytest

W01, W02, W03, W04 = (dt.date(2024, 1, 1) + dt.timedelta(weeks=i) for i in range(4))


def fetch(conn, sql: str, params: dict | None = None) -> list[dict]:
    cursor = conn.execute(sql, params or {})
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def one(conn, sql: str, params: dict | None = None) -> dict:
    (row,) = fetch(conn, sql, params)
    return row


def test_change_failures_and_their_reasons(organisation):
    outcomes = {
        r["deployment_id"]: (r["is_rollback"], r["is_change_failure"], r["failure_reason"])
        for r in fetch(organisation, "SELECT * FROM staging.deployments")
    }
    assert outcomes["a2"] == (False, True, "rolled_back_by_later_deploy")
    assert outcomes["a3"] == (True, False, None)  # the rollback itself leaves the denominator
    assert outcomes["a4"] == (False, True, "failed")
    assert outcomes["w2"] == (False, True, "incident_linked")  # two incidents, counted once
    assert outcomes["a6"] == (False, False, None)  # staging: never a change failure
    assert outcomes["a7"] == (False, False, None)  # cancelled
    assert sorted(k for k, v in outcomes.items() if v[1]) == ["a2", "a4", "w2"]


def test_incidents_attributed_to_the_same_service_within_the_window(organisation):
    attributed = {
        r["incident_id"]: r["attributed_deployment_id"]
        for r in fetch(organisation, "SELECT * FROM staging.incidents")
    }
    # i1 opened at 12:00 after api's a3 (11:05) and web's w2 (09:40): web's deploy is the cause
    assert attributed == {"i1": "w2", "i2": "w2", "i3": None}


def test_delivery_weekly_api_week_one(organisation):
    row = one(
        organisation,
        "SELECT * FROM marts.delivery_weekly WHERE service = 'api' AND week_start = $w",
        {"w": W01},
    )
    assert row["team"] == "core"
    assert row["deployments"] == 4  # a1 a2 a3 a4
    assert row["successful_deployments"] == 3
    assert row["failed_deployments"] == 1
    assert row["rollback_deployments"] == 1
    assert row["change_failures"] == 2  # a2 (rolled back by a3), a4 (failed)
    assert row["change_failure_rate"] == pytest.approx(2 / 3)  # rollback a3 left out: 2 / (4 - 1)
    assert row["deploy_days"] == 3  # Jan 1, 2 and 4 (a4 failed, so Jan 6 is no deploy day)
    assert row["median_lead_time_hours"] == pytest.approx(18.0)  # median(24, 12)
    # a2: 01-02 20:30 → next good api deploy a3 01-04 11:05 = 38 h 35 min
    # a4: 01-06 14:20 → a5 01-09 10:30 = 68 h 10 min; median = (38.5833 + 68.1667) / 2
    assert row["median_recovery_hours"] == pytest.approx((38 + 35 / 60 + 68 + 10 / 60) / 2)
    assert row["median_duration_seconds"] == pytest.approx(900.0)  # 300 600 1200 1800
    assert row["changes_shipped"] == 11  # 3 + 8 + 0 (a4 failed)
    assert row["median_change_count"] == pytest.approx(5.5)  # 0 3 8 25
    assert row["off_hours_deployments"] == 2  # a2 at 20:00, a4 on Saturday
    assert row["weekend_deployments"] == 1
    assert row["off_hours_change_failures"] == 2


def test_delivery_weekly_zero_week_and_span(organisation):
    weeks = fetch(
        organisation,
        "SELECT service, week_start, deployments, deploy_days, change_failure_rate,"
        " changes_shipped, lead_time_excluded, median_lead_time_hours"
        " FROM marts.delivery_weekly ORDER BY service, week_start",
    )
    assert [(r["service"], r["week_start"]) for r in weeks] == [
        ("api", W01),
        ("api", W02),
        ("api", W03),
        ("api", W04),
        ("web", W01),  # web's first and last week: no rows after it
    ]
    quiet = weeks[2]
    assert (quiet["deployments"], quiet["deploy_days"], quiet["changes_shipped"]) == (0, 0, 0)
    assert quiet["change_failure_rate"] is None
    last = weeks[3]  # a8: first commit after the finish → excluded and counted
    assert last["lead_time_excluded"] == 1
    assert last["median_lead_time_hours"] is None
    w02 = weeks[1]  # a5 + a5b (a7 cancelled counts nowhere)
    assert w02["deployments"] == 2
    assert w02["median_lead_time_hours"] == pytest.approx((1.5 + 65 / 60) / 2)


def test_delivery_weekly_web(organisation):
    row = one(organisation, "SELECT * FROM marts.delivery_weekly WHERE service = 'web'")
    assert row["change_failures"] == 1
    assert row["change_failure_rate"] == pytest.approx(1 / 3)
    assert row["median_recovery_hours"] == pytest.approx(30.5)  # 01-04 09:40 → 01-05 16:10
    assert row["off_hours_deployments"] == 0


def test_delivery_summary_org_week_one(organisation):
    row = one(
        organisation,
        "SELECT * FROM marts.delivery_summary WHERE scope = 'org' AND week_start = $w",
        {"w": W01},
    )
    assert row["deployments"] == 7
    assert row["deployment_frequency"] == 6
    assert row["deploy_days"] == 4  # Jan 1, 2, 4, 5
    assert row["change_failures"] == 3
    assert row["change_failure_rate"] == pytest.approx(0.5)  # 3 / (7 - 1 rollback)
    assert row["median_lead_time_hours"] == pytest.approx(24.0)  # 24 12 24
    assert row["median_recovery_hours"] == pytest.approx(38 + 35 / 60)  # 38.58 68.17 30.5
    assert row["incidents"] == 2
    assert row["median_incident_restore_hours"] == pytest.approx(2.5)  # 2 h and 3 h


def test_tiers_over_the_trailing_window_include_zero_weeks(organisation):
    row = one(
        organisation,
        "SELECT * FROM marts.delivery_summary WHERE scope = 'org' AND week_start = $w",
        {"w": W04},
    )
    # weekly deploy days 4, 2, 0, 1: median with the zero week 1.5 (without it: 2)
    assert row["trailing_deploy_days_median"] == pytest.approx(1.5)
    assert row["df_tier"] == "high"  # ≥ 1 a week, < 5
    # lead times 24 12 24 1.5 1.083 (a8 excluded): median 12 h < 1 day
    assert row["trailing_lead_time_hours"] == pytest.approx(12.0)
    assert row["lt_tier"] == "elite"
    # 3 failures / 9 non-rollback deployments
    assert row["trailing_change_failure_rate"] == pytest.approx(1 / 3)
    assert row["cfr_tier"] == "low"
    assert row["trailing_recovery_hours"] == pytest.approx(38 + 35 / 60)
    assert row["recovery_tier"] == "medium"
    assert row["overall_tier"] == "low"  # the lowest of the four
    quiet = one(
        organisation,
        "SELECT * FROM marts.delivery_summary WHERE scope = 'org' AND week_start = $w",
        {"w": W03},
    )
    assert quiet["deployments"] == 0 and quiet["deploy_days"] == 0


def test_team_scopes(organisation):
    scopes = {
        r["scope"]: r
        for r in fetch(
            organisation,
            "SELECT * FROM marts.delivery_summary WHERE week_start = $w",
            {"w": W01},
        )
    }
    assert set(scopes) == {"org", "team:core", "team:shop"}
    assert scopes["team:core"]["change_failure_rate"] == pytest.approx(2 / 3)
    assert scopes["team:shop"]["deploy_days"] == 3


def test_cadence(organisation):
    core = one(
        organisation,
        "SELECT * FROM marts.cadence WHERE team = 'core' AND week_start = $w",
        {"w": W04},
    )
    # successful per week 3, 2, 0, 1: mean 1.5; slope Σ(x−x̄)(y−ȳ)/Σ(x−x̄)² = −4 / 5
    assert core["rolling_4w_mean"] == pytest.approx(1.5)
    assert core["trend_per_week"] == pytest.approx(-0.8)
    assert core["trend"] == "slowing"
    shop = one(
        organisation,
        "SELECT * FROM marts.cadence WHERE team = 'shop' AND week_start = $w",
        {"w": W04},
    )
    assert shop["successful_deployments"] == 0  # zero weeks are rows
    assert shop["rolling_4w_mean"] == pytest.approx(0.75)  # 3 0 0 0
    assert shop["trend_per_week"] == pytest.approx(-0.9)  # −4.5 / 5


def test_release_windows(organisation):
    cells = {
        (r["weekday"], r["hour"]): r
        for r in fetch(
            organisation, "SELECT * FROM marts.release_windows WHERE week_start = $w", {"w": W01}
        )
    }
    assert set(cells) == {(1, 10), (1, 15), (2, 20), (4, 9), (4, 11), (5, 16), (6, 14)}
    assert cells[(2, 20)]["change_failures"] == 1  # a2
    assert cells[(6, 14)]["change_failure_rate"] == pytest.approx(1.0)  # a4
    assert cells[(4, 11)]["change_failure_rate"] is None  # only the rollback a3


def test_batch_risk(organisation):
    buckets = {
        r["bucket"]: (r["deployments"], r["change_failures"])
        for r in fetch(
            organisation, "SELECT * FROM marts.batch_risk WHERE week_start = $w", {"w": W01}
        )
    }
    # a3 (0 changes) is a rollback and leaves the bucket's denominator
    assert buckets == {"1": (1, 0), "2-5": (3, 1), "6-20": (1, 1), "21+": (1, 1)}
