"""Conformance with Apache DevLake's DORA fixture (tests/fixtures/peer_fixtures/devlake_dora).

DevLake's `derived/` folder re-expresses one of its e2e fixtures as a deployment log and an
incident log, with numbers derived by hand from DevLake's dashboard rules: for project1, five
production deployments, a change failure rate of 2 / 5 = 40 %, and deploy days per
Monday-start UTC week of 3 (week of 2022-09-12) and 2 (week of 2022-09-19).

How the logs are turned into ours, following DevLake's dashboards: one deployment per DevLake
deployment id of project1 (its rows are per repository), successful when any production row
succeeded, and dated — start and finish — by its latest row's finish, as DevLake dates it.
Incidents carry DevLake's own incident→deployment link as `deployment_id`.

Where our definitions differ, and why (each asserted below):

1. Dating. We date a deployment by its start (the week a team shipped it, which is when a
   release manager plans it); DevLake's dashboards date it by its latest finish. By start, all
   five deployments began on 2022-09-10 or 09-13: 1 deploy day in each of the weeks of 09-05
   and 09-12.
2. Median. Our medians interpolate: the median weekly deploy days of [3, 2] is 2.5, where
   DevLake's percent_rank rule picks 2.
3. Attribution by time. DevLake links an incident to the latest successful production
   deployment row of the project, with no service match and no time limit. We match the
   service and stop at attribution_window_hours (72 h): the November incidents come two months
   after pipeline7 and stay unattributed, and the 09-15 01:56 incident falls while pipeline2
   was still finishing (its last row finished at 06:51), so it goes to pipeline1 (finished
   09-12 06:51, 67 h before). Change failure rate by time alone: 1 / 5 = 20 %.
"""

import csv
import datetime as dt
from collections import defaultdict
from pathlib import Path

import pytest

DERIVED = Path(__file__).parents[2] / "fixtures" / "peer_fixtures" / "devlake_dora" / "derived"
WEEK_0905, WEEK_0912, WEEK_0919 = dt.date(2022, 9, 5), dt.date(2022, 9, 12), dt.date(2022, 9, 19)
HEADER = "deployment_id,service,environment,version,status,started_at,finished_at,commit_sha"


def devlake_deployments(dated_by: str) -> str:
    """project1's DevLake deployments as our log; ``dated_by`` 'finish' (DevLake) or 'start'."""
    rows = defaultdict(list)
    with (DERIVED / "incident_scenario_deployment_log.csv").open() as handle:
        for row in csv.DictReader(handle):
            if row["project"] == "project1":
                rows[row["deployment_id"]].append(row)
    lines = [HEADER]
    for deployment_id, parts in rows.items():
        succeeded = [p for p in parts if p["status"] == "SUCCESS"]
        status = "SUCCESS" if succeeded else "FAILURE"
        done = max(p["finished_at"] for p in succeeded or parts)
        start = min(p["started_at"] for p in parts) if dated_by == "start" else done
        commit = max(succeeded or parts, key=lambda p: p["finished_at"])["commit_sha"]
        lines.append(
            f"{deployment_id},project1,{parts[0]['environment']},{commit},{status},{start},{done},"
            f"{commit}"
        )
    return "\n".join(lines) + "\n"


def devlake_incidents(linked: bool) -> str:
    """project1's incidents; with ``linked``, DevLake's expected link as our deployment_id."""
    lines = ["incident_id,service,opened_at,resolved_at,deployment_id"]
    with (DERIVED / "incident_scenario_incidents.csv").open() as handle:
        for row in csv.DictReader(handle):
            if row["project"] == "project1":
                link = row["expected_caused_by_deployment_id"] if linked else ""
                lines.append(f"{row['incident_id']},project1,{row['created_at']},,{link}")
    return "\n".join(lines) + "\n"


def summary(conn, week: dt.date) -> dict:
    cursor = conn.execute(
        "SELECT * FROM marts.delivery_summary WHERE scope = 'org' AND week_start = $w", {"w": week}
    )
    return dict(zip([d[0] for d in cursor.description], cursor.fetchone(), strict=True))


def test_devlake_numbers_with_devlake_dating_and_links(marts_builder):
    conn, _ = marts_builder(devlake_deployments("finish"), devlake_incidents(linked=True))
    failures = dict(
        conn.execute(
            "SELECT deployment_id, failure_reason FROM staging.deployments"
            " WHERE is_change_failure ORDER BY ALL"
        ).fetchall()
    )
    # pipeline7 has five incidents and counts once
    assert failures == {"pipeline2": "incident_linked", "pipeline7": "incident_linked"}
    assert summary(conn, WEEK_0912)["deploy_days"] == 3  # Mon 12, Thu 15, Sat 17
    last = summary(conn, WEEK_0919)
    assert last["deploy_days"] == 2  # Wed 21, Sat 24
    assert last["trailing_change_failure_rate"] == pytest.approx(2 / 5)
    assert last["trailing_deploy_days_median"] == pytest.approx(2.5)  # DevLake: 2 (difference 2)
    assert last["weekend_deployments"] == 1  # Sat 24 (and Sat 17 the week before)


def test_our_start_dating_differs_from_devlake(marts_builder):
    conn, _ = marts_builder(devlake_deployments("start"), devlake_incidents(linked=True))
    weeks = dict(
        conn.execute(
            "SELECT week_start, deploy_days FROM marts.delivery_summary WHERE scope = 'org'"
        ).fetchall()
    )
    assert weeks == {WEEK_0905: 1, WEEK_0912: 1}  # difference 1: every start is 09-10 or 09-13


def test_our_time_attribution_differs_from_devlake(marts_builder):
    conn, _ = marts_builder(devlake_deployments("finish"), devlake_incidents(linked=False))
    attributed = dict(
        conn.execute(
            "SELECT incident_id, attributed_deployment_id FROM staging.incidents"
        ).fetchall()
    )
    assert attributed["github:GithubIssue:1:1373792478"] == "pipeline1"  # difference 3
    november = [v for k, v in attributed.items() if k != "github:GithubIssue:1:1373792478"]
    assert november == [None] * 5  # two months after pipeline7: beyond 72 h
    assert summary(conn, WEEK_0919)["trailing_change_failure_rate"] == pytest.approx(1 / 5)
