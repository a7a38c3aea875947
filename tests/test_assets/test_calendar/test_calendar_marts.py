"""marts.freeze_violations and marts.release_plan, hand-computed from small inputs."""

from __future__ import annotations

import datetime as dt

from assets.calendar.marts import rebuild_calendar_mart
from tests.test_assets.test_calendar.conftest import WEEKS


def test_freeze_violations_flag_production_deployments_inside_a_freeze(loaded, settings):
    assert rebuild_calendar_mart(loaded, "freeze_violations", WEEKS, settings) == 3
    rows = loaded.execute(
        "SELECT week_start, deployment_id, event_id, is_hotfix FROM marts.freeze_violations"
        " ORDER BY started_at"
    ).fetchall()
    # d1 one second before the freeze, d6 at its (exclusive) end, d4 not production, d5
    # cancelled, d8 api during the web-only freeze: none of them violate
    assert rows == [
        (dt.date(2024, 3, 4), "d2", "spring-freeze", False),
        (dt.date(2024, 3, 4), "d3", "spring-freeze", True),
        (dt.date(2024, 3, 11), "d7", "web-freeze", False),
    ]


def test_release_plan_matches_planned_releases_with_what_shipped(loaded, settings):
    assert rebuild_calendar_mart(loaded, "release_plan", WEEKS, settings) == 6
    rows = loaded.execute(
        "SELECT week_start, event_id, service, planned_version, deployment_id, state,"
        " round(slip_hours, 2) FROM marts.release_plan"
        " ORDER BY week_start, service, event_id NULLS LAST, deployment_id"
    ).fetchall()
    week1, week2 = dt.date(2024, 3, 4), dt.date(2024, 3, 11)
    assert rows == [
        # api 1.1 planned 05 09:00-17:00, shipped 06 00:00: within the 24 h tolerance
        (week1, "train-10", "api", "1.1", "d2", "on_time", 0.0),
        # d1 (1.0) and d6 are api deployments no plan claims in a week api was planned
        (week1, None, "api", None, "d1", "unplanned", None),
        (week1, None, "api", None, "d6", "unplanned", None),
        # web: its first success (d3 failed) is d7 on the 11th, 137 h after the window
        (week1, "train-10", "web", None, "d7", "slipped", 137.0),
        (week2, "train-11", "api", "1.4", "d8", "on_time", 0.0),
        # search never shipped; the data ends (d9, 14th 09:00) after its due time
        (week2, "train-11", "search", None, None, "slipped", 71.0),
    ]


def test_freeze_violations_reach_the_act_on_this_box_without_hotfixes(loaded, settings):
    from assets.reporting.review import act_on_this
    from reports.model import EnvironmentSection

    rebuild_calendar_mart(loaded, "freeze_violations", WEEKS, settings)
    environment = EnvironmentSection()

    first = act_on_this(loaded, settings, dt.date(2024, 3, 4), environment, {})
    second = act_on_this(loaded, settings, dt.date(2024, 3, 11), environment, {})

    # week 1: d2 violates the audit freeze; d3 is a hotfix, counted apart and not listed
    assert first.freeze_violations[["service", "freeze"]].values.tolist() == [
        ["api", "FREEZE for the audit"]
    ]
    assert second.freeze_violations[["service", "freeze"]].values.tolist() == [
        ["web", "web-freeze"]
    ]
    assert not first.empty


def test_freeze_violations_kpi_counts_the_week_and_compares_with_the_one_before():
    import pandas as pd

    from assets.reporting.build import kpi_cards

    weeks = pd.DataFrame(
        {
            "week_start": pd.to_datetime(["2024-03-04", "2024-03-11"]),
            "freeze_violations": [1, 3],
        }
    )

    (card,) = [c for c in kpi_cards(weeks, dt.date(2024, 3, 11)) if c.key == "freeze_violations"]

    assert (card.group, card.value, card.previous, card.better) == ("safer", 3.0, 1.0, "lower")
    assert card.sparkline == [1.0, 3.0]
