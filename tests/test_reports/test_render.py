"""The weekly and archive pages as HTML strings: structure, escaping, charts block."""

from __future__ import annotations

import dataclasses
import json
import re

import pytest
from jinja2 import UndefinedError

from reports.model import ArchiveEntry, WeeklyReport
from reports.page import NO_DEPLOYMENTS
from reports.render import _environment, render_archive, render_weekly

SECTION_IDS = [
    "kpis",
    "delivery",
    "calendar",
    "risk",
    "environments",
    "problems",
    "data-quality",
    "definitions",
]


def chart_slots(page: str) -> list[str]:
    return re.findall(r'<div class="rh-chart" data-chart="([^"]+)"', page)


def declared_charts(page: str) -> int:
    return int(re.search(r'<body data-chart-count="(\d+)">', page).group(1))


def charts_block(page: str) -> dict:
    match = re.search(r'<script type="application/json" id="rh-charts">(.*?)</script>', page, re.S)
    return json.loads(match.group(1))


def test_page_declares_and_embeds_every_chart(report: WeeklyReport) -> None:
    page = render_weekly(report)

    slots = chart_slots(page)
    assert declared_charts(page) == len(slots) == 11
    assert list(charts_block(page)) == slots
    assert page.count('id="rh-charts"') == 1
    assert '<script src="../assets/plotly.min.js"></script>' in page
    assert "Plotly.newPlot" in page and "responsive: true" in page and "displaylogo: false" in page


def test_sections_in_design_order(report: WeeklyReport) -> None:
    page = render_weekly(report)

    positions = [page.index(f'id="{section}"') for section in SECTION_IDS]
    assert positions == sorted(positions)
    assert page.index('data-chart="calendar"') < page.index('data-chart="cadence"')


def test_header_navigation_and_kpis(report: WeeklyReport) -> None:
    page = render_weekly(report)

    assert "<title>Release health · 2024-W10</title>" in page
    assert "Mon 4 Mar 2024 – Sun 10 Mar 2024 (Europe/Berlin)" in page
    assert "2024-03-10 18:45 CET" in page  # data freshness in the reporting time zone
    assert "3 input files · 1 failed, 1 with rejected rows, 1 ok" in page
    assert page.count('href="../2024-W09/index.html"') == 2  # top and bottom
    assert page.count('href="../index.html"') == 2
    assert 'rel="next"' not in page
    assert '<span class="rh-badge rh-tier-elite"' in page
    assert re.search(r'rh-tone-bad"[^>]*>\s*<span aria-hidden="true">▲</span> 2.5 pp', page)
    assert page.count('<article class="rh-kpi">') == 9


def test_self_contained_page_inlines_plotly(report: WeeklyReport) -> None:
    page = render_weekly(report, plotly_js="window.Plotly = {}; var s = '</script><!--';")

    assert "<script src" not in page
    assert "window.Plotly = {};" in page
    assert "<\\/script><\\!--" in page  # the library cannot end its own script element


def test_data_strings_cannot_break_out(
    hostile_report: WeeklyReport, hostile_names: dict[str, str]
) -> None:
    page = render_weekly(hostile_report)

    assert not any(name in page for name in hostile_names.values())
    assert "&lt;img src=x onerror=document.title=&#39;pwned&#39;&gt;" in page
    # The charts block closes exactly once: nothing inside it contains "</script".
    block = page.split('id="rh-charts">', 1)[1]
    assert block.index("</script>") == block.index("</script>\n")
    assert "<" not in block.split("</script>", 1)[0]
    figures = charts_block(page)
    assert len(figures) == declared_charts(page) == 11
    names = [trace.get("name") for trace in figures["deployments"]["data"]]
    assert "&lt;/script&gt;&lt;script&gt;document.title=&#x27;pwned&#x27;&lt;/script&gt;" in names


def test_without_inventory_one_sentence(no_inventory: WeeklyReport) -> None:
    page = render_weekly(no_inventory)

    assert "No environment inventory has been loaded yet" in page
    assert "environment-matrix" not in chart_slots(page)
    assert declared_charts(page) == len(chart_slots(page)) == 8


def test_empty_week_page(empty_week: WeeklyReport) -> None:
    page = render_weekly(empty_week)

    assert NO_DEPLOYMENTS in page
    assert declared_charts(page) == 0 and chart_slots(page) == []
    assert "<script" not in page  # no charts, so neither plotly nor the chart script
    assert 'id="kpis"' not in page
    assert 'id="data-quality"' in page and 'id="definitions"' in page
    assert "DORA 2023 performance levels (<code>dora_2023</code>)" in page


def test_invalid_neighbour_week_is_refused(report: WeeklyReport) -> None:
    with pytest.raises(ValueError, match="YYYY-Www"):
        render_weekly(dataclasses.replace(report, previous_week="../../etc"))


def test_templates_fail_on_missing_values() -> None:
    environment = _environment()
    assert environment.autoescape is True
    with pytest.raises(UndefinedError):
        environment.from_string("{{ nothing_here }}").render()


def test_archive_newest_first_with_links(archive_entries: list[ArchiveEntry]) -> None:
    page = render_archive(archive_entries, title="Release health <org>")

    weeks = re.findall(r'<a href="(\d{4}-W\d{2})/index.html">', page)
    assert weeks == ["2024-W10", "2024-W09", "2024-W08"]
    assert "<title>Release health &lt;org&gt;</title>" in page
    assert "3 weeks, 2024-W08 to 2024-W10" in page
    assert 'data-chart-count="0"' in page and "<script" not in page
    assert '<span class="rh-badge rh-tier-elite">elite</span>' in page


@pytest.mark.parametrize("href", ["javascript:alert(1)", "https://example.com/x", "../x", "/x"])
def test_archive_refuses_links_off_site(archive_entries: list[ArchiveEntry], href: str) -> None:
    entries = [dataclasses.replace(archive_entries[0], href=href)]
    with pytest.raises(ValueError, match="relative"):
        render_archive(entries)


def test_environment_and_problem_sections(report: WeeklyReport) -> None:
    page = render_weekly(report)

    environments = page[page.index('id="environments"') : page.index('id="problems"')]
    assert "Production (prod) compared with the baseline (staging) as of Sun 10 Mar 2024." in (
        environments
    )
    drift = [environments.index(s) for s in ("search-api", "gateway", "payments-api")]
    assert drift == sorted(drift)  # unexpected first, oldest first
    assert "Drift opened this week" in environments and "2024-03-06" in environments
    assert "1.2.9" in environments and "2024-03-07 23:15 CET" in environments  # bypassed
    problems = page[page.index('id="problems"') : page.index('id="data-quality"')]
    assert "2 change failures in 5 deployments (40 %)" in problems
    assert "1 change failure in 3 deployments (33 %)" in problems
    assert problems.index("checkout") < problems.index("search-api")


def test_kpi_tier_badge_says_it_judges_the_trailing_window(report: WeeklyReport) -> None:
    page = render_weekly(report)

    weeks = report.trailing_weeks
    # this week's value stands beside a tier of the trailing window: the badge names the window
    assert re.search(
        rf'<span class="rh-kpi__tier-label">{weeks}-week tier</span> '
        r'<span class="rh-badge rh-tier-elite">elite</span>',
        page,
    )
    assert page.count(f"{weeks}-week tier") == sum(1 for card in report.kpis if card.tier)


def test_one_inventory_snapshot_shows_a_note_instead_of_an_empty_chart(
    report: WeeklyReport,
) -> None:
    env = report.environment
    one_day = env.aging[env.aging["as_of"] == env.aging["as_of"].max()]
    page = render_weekly(
        dataclasses.replace(report, environment=dataclasses.replace(env, aging=one_day))
    )

    assert 'data-chart="drift-aging"' not in page
    assert "drift-aging" not in charts_block(page)
    assert "Only one inventory snapshot so far: drift over time needs at least two days." in page
    assert 'data-chart="environment-matrix"' in page  # the rest of the section stays


def test_a_week_under_way_says_its_numbers_are_partial(report: WeeklyReport) -> None:
    partial = render_weekly(dataclasses.replace(report, partial=True))
    complete = render_weekly(report)

    assert 'id="partial-week"' in partial and "every number on this page is partial" in partial
    assert 'id="partial-week"' not in complete


def test_calendar_section_shows_planned_vs_shipped(report: WeeklyReport) -> None:
    page = render_weekly(report)

    calendar = page[page.index('id="calendar"') : page.index('id="risk"')]
    assert "Planned vs shipped" in calendar
    assert "1 on time · 1 slipped · 1 unplanned" in calendar
    plan = calendar[calendar.index('id="release-plan"') :]
    # slipped first, then unplanned, then on time (the order the warehouse gives)
    rows = [plan.index(d) for d in ("deploy-0042", "deploy-0040", "deploy-0039")]
    assert rows == sorted(rows)
    assert "rh-plan-slipped" in plan and "rh-plan-on_time" in plan
    assert "2024-03-07 05:30 CET" in plan  # shipped, in the reporting time zone
    assert 'download="release-plan.csv"' in plan
    assert plan.index("Planned vs shipped") < calendar.index('data-chart="cadence"')


def test_a_week_without_planned_releases_says_so(report: WeeklyReport) -> None:
    page = render_weekly(dataclasses.replace(report, release_plan=report.release_plan.head(0)))

    calendar = page[page.index('id="calendar"') : page.index('id="risk"')]
    assert "No releases were planned on the release calendar for this week." in calendar
    assert "release-plan.csv" not in calendar
