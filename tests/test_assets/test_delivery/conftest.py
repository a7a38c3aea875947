"""A small hand-built organisation whose every metric was worked out by hand.

Times are UTC and the reporting time zone is UTC; business hours are the defaults
(Mon–Fri 09:00–18:00). Weeks: W01 = 2024-01-01, W02 = 01-08, W03 = 01-15 (no deployments),
W04 = 01-22.

api (team core), production unless noted:
  a1  Mon 01-01 10:00–10:10 1.0.0 succeeded cc 3  first commit 12-31 10:10 → lead 24 h
  a2  Tue 01-02 20:00–20:30 1.1.0 succeeded cc 8  first commit 01-02 08:30 → lead 12 h, off-hours
  a3  Thu 01-04 11:00–11:05 1.0.0 succeeded cc 0  back to 1.0.0 after 1.1.0 → rollback; a2 failed
  a4  Sat 01-06 14:00–14:20 1.2.0 failed    cc 25 weekend, off-hours
  a6  staging Mon 01-08 09:00 1.2.1 (not production)
  a5  Tue 01-09 10:00–10:30 1.2.1 succeeded cc 2  first commit 01-09 09:00 → lead 1.5 h
  a5b Wed 01-10 10:00–10:05 1.2.2 succeeded cc 1  first commit 01-10 09:00 → lead 65 min
  a7  Thu 01-11 10:00       1.2.3 cancelled (counts nowhere)
  a8  Tue 01-23 10:00–10:10 1.3.0 succeeded cc 1  first commit 01-23 10:20 → negative, excluded
web (team shop):
  w1  Mon 01-01 15:00–15:10 2.0 succeeded cc 1
  w2  Thu 01-04 09:30–09:40 2.1 succeeded cc 4  first commit 01-03 09:40 → lead 24 h
  w3  Fri 01-05 16:00–16:10 2.2 succeeded cc 2
incidents (production):
  i1 web opened 01-04 12:00 resolved 14:00, no deployment → attributed to w2 (not to api's a3,
     which finished later, at 11:05, but is another service)
  i2 web opened 01-04 13:00 resolved 16:00, deployment_id w2 → linked; w2 counts once
  i3 web opened 01-20 10:00 resolved 11:30 → w3 finished 14 days earlier (> 72 h): unattributed
"""

import datetime as dt

import pytest

from assets.delivery.marts import (
    WEEKLY_MARTS,
    classify_change_failures,
    load_benchmarks,
    rebuild_mart,
)
from assets.ingest.loader import ingest_file
from assets.settings import parse_settings
from assets.warehouse import connect
from assets.weeks import WeekRange

DEPLOYMENTS = """\
deployment_id,service,team,environment,version,status,started_at,finished_at,change_count,first_commit_at
a1,api,core,prod,1.0.0,succeeded,2024-01-01T10:00:00Z,2024-01-01T10:10:00Z,3,2023-12-31T10:10:00Z
a2,api,core,prod,1.1.0,succeeded,2024-01-02T20:00:00Z,2024-01-02T20:30:00Z,8,2024-01-02T08:30:00Z
a3,api,core,prod,1.0.0,succeeded,2024-01-04T11:00:00Z,2024-01-04T11:05:00Z,0,
a4,api,core,prod,1.2.0,failed,2024-01-06T14:00:00Z,2024-01-06T14:20:00Z,25,
a6,api,core,staging,1.2.1,succeeded,2024-01-08T09:00:00Z,2024-01-08T09:10:00Z,2,
a5,api,core,prod,1.2.1,succeeded,2024-01-09T10:00:00Z,2024-01-09T10:30:00Z,2,2024-01-09T09:00:00Z
a5b,api,core,prod,1.2.2,succeeded,2024-01-10T10:00:00Z,2024-01-10T10:05:00Z,1,2024-01-10T09:00:00Z
a7,api,core,prod,1.2.3,cancelled,2024-01-11T10:00:00Z,,1,
a8,api,core,prod,1.3.0,succeeded,2024-01-23T10:00:00Z,2024-01-23T10:10:00Z,1,2024-01-23T10:20:00Z
w1,web,shop,prod,2.0,succeeded,2024-01-01T15:00:00Z,2024-01-01T15:10:00Z,1,
w2,web,shop,prod,2.1,succeeded,2024-01-04T09:30:00Z,2024-01-04T09:40:00Z,4,2024-01-03T09:40:00Z
w3,web,shop,prod,2.2,succeeded,2024-01-05T16:00:00Z,2024-01-05T16:10:00Z,2,
"""
INCIDENTS = """\
incident_id,service,opened_at,resolved_at,deployment_id
i1,web,2024-01-04T12:00:00Z,2024-01-04T14:00:00Z,
i2,web,2024-01-04T13:00:00Z,2024-01-04T16:00:00Z,w2
i3,web,2024-01-20T10:00:00Z,2024-01-20T11:30:00Z,
"""
W01, W02, W03, W04 = (dt.date(2024, 1, 1) + dt.timedelta(weeks=i) for i in range(4))


def build_marts(tmp_path, deployments: str, incidents: str = "", **config):
    """Ingest the given logs into a fresh warehouse and build every weekly mart."""
    settings = parse_settings({"warehouse": str(tmp_path / "w.duckdb"), **config})
    conn = connect(settings.warehouse_path)
    for kind, text in (("deployments", deployments), ("incidents", incidents)):
        if text:
            path = tmp_path / f"{kind}.csv"
            path.write_text(text)
            ingest_file(conn, path, settings, kind=kind)
    load_benchmarks(conn)
    classify_change_failures(conn, settings)
    first, last = conn.execute(
        "SELECT min(rh_week(started_at, $tz)), max(rh_week(started_at, $tz))"
        " FROM staging.deployments",
        {"tz": settings.timezone},
    ).fetchone()
    for table in WEEKLY_MARTS:
        rebuild_mart(conn, table, WeekRange(first, last), settings)
    return conn, settings


@pytest.fixture
def organisation(tmp_path):
    conn, _ = build_marts(tmp_path, DEPLOYMENTS, INCIDENTS)
    yield conn
    conn.close()


@pytest.fixture
def marts_builder(tmp_path):
    """Build marts from other hand-made logs: ``build(deployments, incidents, **config)``."""
    opened = []

    def build(deployments: str, incidents: str = "", **config):
        conn, settings = build_marts(tmp_path, deployments, incidents, **config)
        opened.append(conn)
        return conn, settings

    yield build
    for conn in opened:
        conn.close()
