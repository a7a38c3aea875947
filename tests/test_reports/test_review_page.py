"""The review meeting on the page: act on this, teams side by side, service pages and links."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from reports.model import ActOnThis, WeeklyReport
from reports.paths import service_slug
from reports.publish import publish_weekly
from reports.render import render_weekly

#: a service page's size at most: weekly counts and capped lists only
MAX_SERVICE_PAGE_BYTES = 120_000


def act_box(page: str) -> str:
    start = page.index('<section class="rh-section rh-section--first rh-act"')
    return page[start : page.index("</section>\n\n", start)]


def test_act_on_this_comes_first_with_why_and_links(report: WeeklyReport) -> None:
    page = render_weekly(report)
    box = act_box(page)

    assert page.index('id="act"') < page.index('id="kpis"')
    drift_service = report.act.drift["service"].iloc[0]
    failing_service = report.act.failing["service"].iloc[0]
    assert f'href="services/{service_slug(drift_service)}.html"' in box
    assert "ahead for 19 d, past the 168 h promotion SLA" in box
    assert f'href="services/{service_slug(failing_service)}.html"' in box
    assert "change failures in 3 of the last 4 weeks (6 failures in 20 deployments)" in box
    assert "per week 1 → 0 → 2 → 3 (rising)" in box
    assert 'href="#data-quality"' in box and "deployments/2024-03-08.csv" in box
    assert "contract_failed: 40 % of rows rejected" in box
    assert "No production deployment during a change freeze." in box  # the empty slot
    assert box.count("rh-act__count") == 4


def test_an_empty_box_says_so(report: WeeklyReport) -> None:
    page = render_weekly(dataclasses.replace(report, act=ActOnThis()))

    assert 'id="act-nothing"' in page
    assert "Nothing to act on this week" in act_box(page)


def test_teams_side_by_side_one_sortable_row_per_team(report: WeeklyReport) -> None:
    page = render_weekly(report)
    start = page.index('<table class="rh-table rh-table--teams" data-sortable="true">')
    table = page[start : page.index("</table>", start)]

    rows = re.findall(r'<tr data-team="([^"]+)">', table)
    assert rows == sorted(report.teams["team"])
    assert table.count('<button type="button" class="rh-sort"') == 9
    # the overall tier sorts by rank (elite 1 .. low 4); a metric by its value, its tier beside
    assert '<td class="" data-sort="4"><span class="rh-badge rh-tier-low">low</span>' in table
    assert (
        '<td class="rh-num" data-sort="20.0">20 h <span class="rh-badge rh-tier-medium">'
        "medium</span></td>"
    ) in table
    assert "↗ accelerating" in table and "↘ slowing" in table
    assert 'download="teams.csv"' in page


def test_team_filter_lists_every_team(report: WeeklyReport) -> None:
    page = render_weekly(report)

    options = re.findall(r'<option value="([^"]*)">', page)
    assert options == ["", *sorted(report.teams["team"])]
    assert 'document.getElementById("rh-team-filter")' in page


def test_every_service_name_links_to_its_page(report: WeeklyReport, tmp_path: Path) -> None:
    published = publish_weekly(report, tmp_path / "site")
    page = published.path.read_text(encoding="utf-8")

    links = set(re.findall(r'href="(services/[^"]+)"', page))
    assert links  # drift table, opened/closed, bypassed, problem services, act on this
    for href in links:
        assert (published.path.parent / href).is_file()
    assert len(published.service_pages) == len(report.services)
    for detail in report.services:
        # a service name in a table cell or a heading is always a link
        assert f'<td class="">{detail.service}</td>' not in page
        assert f"<h3>{detail.service} " not in page


def test_service_page_tells_the_service_story(report: WeeklyReport, tmp_path: Path) -> None:
    published = publish_weekly(report, tmp_path / "site")
    detail = report.services[0]
    path = published.path.parent / "services" / f"{service_slug(detail.service)}.html"
    page = path.read_text(encoding="utf-8")

    assert f"<h1>{detail.service}</h1>" in page
    assert "78 production deployments and 6 change failures in the last 26 weeks" in page
    # 26 weekly bars with their counts in tooltips, drawn without any script
    assert page.count("<g><title>week of ") == 26
    assert "week of 04 Mar 2024: 3 deployments, 1 change failure" in page
    assert "<script" not in page
    assert 'href="../index.html"' in page  # back to the week
    for heading in ("Versions per environment", "Drift history", "Promotion lag", "incidents"):
        assert heading in page
    assert "INC-1" in page and "d-42" in page
    assert page.count('class="rh-csv"') == 4
    assert len(page.encode("utf-8")) < MAX_SERVICE_PAGE_BYTES


@pytest.mark.parametrize(
    "name",
    ["../../etc/passwd", "..", ".hidden", "a/b", "<img src=x>", "API", "api", "", "名前"],
)
def test_service_slugs_never_leave_their_folder(name: str, tmp_path: Path) -> None:
    slug = service_slug(name)
    assert re.fullmatch(r"[a-z0-9][a-z0-9-]*-[0-9a-f]{8}", slug)
    assert service_slug("API") != service_slug("api")


def test_hostile_service_pages_stay_inside_and_escaped(
    hostile_report: WeeklyReport, hostile_names: dict[str, str], tmp_path: Path
) -> None:
    site = tmp_path / "site"
    published = publish_weekly(hostile_report, site)

    services = published.path.parent / "services"
    assert {p.parent for p in published.service_pages} == {services}
    for path in published.service_pages:
        text = path.read_text(encoding="utf-8")
        assert not any(name in text for name in hostile_names.values())
    assert sorted(p.name for p in site.iterdir()) == ["2024-W10", "assets"]


def test_a_week_without_deployments_keeps_its_slot_in_the_service_chart() -> None:
    import pandas as pd

    from reports.service_page import deployments_and_failures

    axis = [pd.Timestamp("2024-01-01") + pd.Timedelta(weeks=k) for k in range(4)]
    weekly = pd.DataFrame(
        {"week_start": [axis[0], axis[3]], "deployments": [2, 1], "change_failures": [1, 0]}
    )
    svg = str(deployments_and_failures(weekly, axis=axis))
    assert svg.count("<g><title>") == 4
    assert "week of 08 Jan 2024: 0 deployments, 0 change failures" in svg
    assert "week of 22 Jan 2024: 1 deployment, 0 change failures" in svg


def test_matrix_row_labels_link_to_service_pages(report: WeeklyReport) -> None:
    from reports.page import weekly_figures

    figure = weekly_figures(report)["environment-matrix"]
    labels = list(figure.layout.yaxis.ticktext)
    first = figure.layout.yaxis.tickvals[0]
    assert labels[0] == f'<a href="services/{service_slug(first)}.html" target="_self">{first}</a>'
    assert len(labels) == len(figure.layout.yaxis.tickvals)


def test_hostile_matrix_labels_stay_escaped(hostile_report: WeeklyReport, hostile_names) -> None:
    from reports.page import weekly_figures

    labels = " ".join(weekly_figures(hostile_report)["environment-matrix"].layout.yaxis.ticktext)
    assert hostile_names["service"] not in labels
    assert "&lt;img src=x onerror=document.title=&#x27;pwned&#x27;&gt;</a>" in labels
