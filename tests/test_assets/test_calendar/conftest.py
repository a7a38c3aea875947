"""The small release calendar the calendar tests share: two weeks of March 2024."""

from __future__ import annotations

import datetime as dt

import pytest

from assets.delivery.marts import classify_change_failures
from assets.ingest.loader import ingest_file
from assets.weeks import WeekRange

# Week of Monday 2024-03-04 and the next one. Freeze: Wed 06 00:00 .. Fri 08 00:00 UTC for
# every service; a second freeze on Mon 11 .. Tue 12 names only "web".
DEPLOYMENTS = """deployment_id,service,environment,version,status,started_at,change_type
d1,api,prod,1.0,succeeded,2024-03-05T23:59:59Z,regular
d2,api,prod,1.1,succeeded,2024-03-06T00:00:00Z,regular
d3,web,prod,2.0,failed,2024-03-07T12:00:00Z,hotfix
d4,web,staging,2.1,succeeded,2024-03-07T13:00:00Z,regular
d5,api,prod,1.2,cancelled,2024-03-07T14:00:00Z,regular
d6,api,prod,1.3,succeeded,2024-03-08T00:00:00Z,regular
d7,web,prod,2.2,succeeded,2024-03-11T10:00:00Z,regular
d8,api,prod,1.4,succeeded,2024-03-11T11:00:00Z,regular
d9,web,prod,2.3,succeeded,2024-03-14T09:00:00Z,regular
"""
CALENDAR = """events:
  - event_id: spring-freeze
    summary: FREEZE for the audit
    starts_at: 2024-03-06T00:00:00Z
    ends_at: 2024-03-08T00:00:00Z
  - event_id: web-freeze
    categories: [FREEZE]
    services: [web]
    starts_at: 2024-03-11T00:00:00Z
    ends_at: 2024-03-12T00:00:00Z
  - event_id: train-10
    categories: [RELEASE]
    services: api@1.1, web
    starts_at: 2024-03-05T09:00:00Z
    ends_at: 2024-03-05T17:00:00Z
  - event_id: train-11
    categories: [RELEASE]
    services: [api, search]
    versions: {api: "1.4"}
    starts_at: 2024-03-11T09:00:00Z
    ends_at: 2024-03-11T10:00:00Z
"""
WEEKS = WeekRange(dt.date(2024, 3, 4), dt.date(2024, 3, 11))


@pytest.fixture
def loaded(warehouse, settings, write_input):
    for name, text, kind in (
        ("deploys.csv", DEPLOYMENTS, "deployments"),
        ("plan.yaml", CALENDAR, "calendar"),
    ):
        (report,) = ingest_file(warehouse, write_input(name, text, kind=kind), settings)
        assert report.status == "loaded", report.error
    classify_change_failures(warehouse, settings)
    return warehouse
