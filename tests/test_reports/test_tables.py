"""Row caps with an "N more" line, sort orders, and badge classes that data cannot invent."""

from __future__ import annotations

import csv
import dataclasses
import io
import re
from urllib.parse import unquote

import pandas as pd

from reports.model import WeeklyReport
from reports.render import render_weekly
from reports.sections import MAX_PROBLEM_SERVICES, environment_tables, problem_service_views
from reports.tables import ColumnSpec, badge_class, build_table, format_count


def test_table_is_capped_with_a_count_of_the_rest() -> None:
    frame = pd.DataFrame({"service": [f"svc-{i}" for i in range(40)], "n": range(40)})

    table = build_table(
        frame, [ColumnSpec("service", "Service"), ColumnSpec("n", "N", format_count, True)]
    )

    assert len(table.rows) == 15 and table.more == 25 and table.total == 40
    assert [cell.text for cell in table.rows[14]] == ["svc-14", "14"]
    assert table.rows[0][1].numeric


def test_missing_columns_render_as_missing_values() -> None:
    table = build_table(pd.DataFrame({"a": [1]}), [ColumnSpec("b", "B")])
    assert table.rows[0][0].text == "–"


def test_page_prints_the_more_line(report: WeeklyReport) -> None:
    files = pd.DataFrame(
        {"path": [f"inbox/deployments/{i:02d}.csv" for i in range(30)], "kind": "deployments",
         "format": "csv", "status": "loaded", "rows_read": 10, "rows_accepted": 10,
         "rows_rejected": 0, "rows_duplicate": 0, "error": None}
    )  # fmt: skip

    page = render_weekly(dataclasses.replace(report, input_files=files))

    # the 15 rows past the cap fold open in place, and the download holds all 30
    folded = page[page.index('<details class="rh-more-rows">') :]
    folded = folded[: folded.index("</details>")]
    assert "<summary>Show 15 more rows (of 30)</summary>" in folded
    assert "inbox/deployments/15.csv" in folded and "inbox/deployments/29.csv" in folded
    assert "inbox/deployments/14.csv" not in folded
    assert "not shown" not in page
    match = re.search(r'href="(data:text/csv[^"]+)" download="files.csv"', page)
    rows = list(csv.reader(io.StringIO(unquote(match.group(1).split(",", 1)[1]))))
    assert rows[0][:2] == ["File", "Kind"] and len(rows) == 31
    assert rows[30][0] == "inbox/deployments/29.csv"


def test_badge_classes_come_from_a_fixed_list() -> None:
    rule = badge_class("kind", ["behind", "ahead"])
    assert rule("behind") == "kind-behind"
    assert rule('x" onmouseover="alert(1)') == "kind-other"
    assert rule(None) is None


def test_drift_list_unexpected_first_then_oldest(report: WeeklyReport) -> None:
    tables = environment_tables(report.environment, report.timezone)

    services = [row[0].text for row in tables["drift"].rows]
    assert services == ["search-api", "gateway", "payments-api"]
    assert tables["drift"].muted_rows == frozenset({2})  # the expected one
    assert [cell.badge for cell in tables["drift"].rows[0][:2]] == [None, "kind-ahead"]


def test_problem_services_capped_with_their_deploys(report: WeeklyReport) -> None:
    services = pd.DataFrame(
        {"service": [f"svc-{i}" for i in range(10)], "team": "t", "change_failures": range(10),
         "deployments": 20, "failure_reasons": [["failed"]] * 10}
    )  # fmt: skip
    deploys = pd.DataFrame(
        {"service": ["svc-9"] * 7, "started_at": pd.date_range("2024-03-04", periods=7),
         "version": [f"1.{i}" for i in range(7)], "status": "failed",
         "failure_reason": "failed", "change_count": 1}
    )  # fmt: skip

    views = problem_service_views(
        dataclasses.replace(report, problem_services=services, recent_deploys=deploys)
    )

    assert len(views.items) == MAX_PROBLEM_SERVICES and views.more == 2
    top = views.items[0]
    assert (top.service, top.summary) == ("svc-9", "9 change failures in 20 deployments (45 %)")
    assert [row[1].text for row in top.deploys.rows] == ["1.6", "1.5", "1.4", "1.3", "1.2"]
    assert top.deploys.more == 2
    assert top.deploys.rows[0][0].text == "2024-03-10 01:00 CET"  # UTC shown in Berlin time
