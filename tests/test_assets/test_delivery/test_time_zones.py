"""Weeks, days and business hours in the reporting time zone across a DST change.

Europe/London moves from GMT (UTC+0) to BST (UTC+1) at 01:00 UTC on Sunday 31 March 2024.
Business hours are the defaults, Mon–Fri 09:00–18:00 local time.

  d1 2024-03-31 00:30Z  Sun 00:30 GMT  week of 03-25  weekend, off-hours
  d2 2024-03-31 23:30Z  Mon 00:30 BST  week of 04-01  off-hours (the UTC date is still Sunday)
  d3 2024-03-25 08:30Z  Mon 08:30 GMT  week of 03-25  off-hours (before 09:00)
  d4 2024-04-02 08:30Z  Tue 09:30 BST  week of 04-01  business hours (08:30 in UTC)
  d5 "2024-04-03 17:30" naive, read in Europe/London → 16:30Z; Wed 17:30 BST, business hours
"""

import datetime as dt

W13, W14 = dt.date(2024, 3, 25), dt.date(2024, 4, 1)
DEPLOYMENTS = """\
deployment_id,service,environment,version,status,started_at
d1,api,prod,1.0.1,succeeded,2024-03-31T00:30:00Z
d2,api,prod,1.0.2,succeeded,2024-03-31T23:30:00Z
d3,api,prod,1.0.0,succeeded,2024-03-25T08:30:00Z
d4,api,prod,1.0.3,succeeded,2024-04-02T08:30:00Z
d5,api,prod,1.0.4,succeeded,2024-04-03 17:30:00
"""
LONDON = {"timezone": "Europe/London", "source_timezone": "Europe/London"}


def test_weeks_and_release_windows_across_the_march_change(marts_builder):
    conn, _ = marts_builder(DEPLOYMENTS, **LONDON)
    weekly = {
        week: (deployments, deploy_days, off_hours, weekend)
        for week, deployments, deploy_days, off_hours, weekend in conn.execute(
            "SELECT week_start, deployments, deploy_days, off_hours_deployments,"
            " weekend_deployments FROM marts.delivery_weekly ORDER BY week_start"
        ).fetchall()
    }
    assert weekly == {W13: (2, 2, 2, 1), W14: (3, 3, 1, 0)}
    cells = {
        (weekday, hour)
        for weekday, hour in conn.execute(
            "SELECT weekday, hour FROM marts.release_windows WHERE week_start = $w", {"w": W14}
        ).fetchall()
    }
    assert cells == {(7, 0), (1, 0), (1, 8), (2, 9), (3, 17)}
    (naive,) = conn.execute(
        "SELECT started_at FROM staging.deployments WHERE deployment_id = 'd5'"
    ).fetchone()
    assert naive == dt.datetime(2024, 4, 3, 16, 30, tzinfo=dt.UTC)


def test_the_same_log_in_utc_cuts_weeks_differently(marts_builder):
    conn, _ = marts_builder(DEPLOYMENTS)  # UTC reporting, naive read as UTC
    weekly = dict(
        conn.execute(
            "SELECT week_start, deployments FROM marts.delivery_weekly ORDER BY week_start"
        ).fetchall()
    )
    assert weekly == {W13: 3, W14: 2}  # d2 (Sunday 23:30 UTC) stays in the week of 03-25
