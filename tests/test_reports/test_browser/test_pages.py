"""Published pages opened from disk in headless Chromium with no network at all."""

from __future__ import annotations

import html
from pathlib import Path

from reports.model import WeeklyReport
from reports.page import NO_DEPLOYMENTS
from reports.publish import publish_weekly

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def assert_all_charts_drawn(load) -> None:
    summary = load.summary
    assert summary.declared_charts == len(summary.chart_slots) > 0
    assert set(summary.chart_slots) == summary.plotly_slots == summary.drawn_slots


def test_published_page_draws_every_chart_offline(
    report: WeeklyReport, tmp_path: Path, browser
) -> None:
    published = publish_weekly(report, tmp_path / "site")

    load = browser.load(published.path)

    assert load.console == []
    assert load.network == []
    assert_all_charts_drawn(load)
    assert load.summary.declared_charts == published.charts == 11
    assert load.summary.title == "Release health · 2024-W10"
    shot = browser.screenshot(published.path, tmp_path / "page.png")
    data = shot.read_bytes()
    assert data.startswith(PNG_SIGNATURE) and len(data) > 10_000


def test_hostile_names_stay_text(
    hostile_report: WeeklyReport, hostile_names: dict[str, str], tmp_path: Path, browser
) -> None:
    published = publish_weekly(hostile_report, tmp_path / "site")

    load = browser.load(published.path)

    assert load.summary.title == "Release health · 2024-W10"
    assert load.summary.images == 0
    # Shown literally in the charts (legend, ticks), not interpreted as markup by plotly.
    for name in hostile_names.values():
        assert name in load.summary.chart_texts
    assert html.escape(hostile_names["service"], quote=False) in load.dom
    assert html.escape(hostile_names["team"], quote=False) in load.dom
    assert load.console == []
    assert_all_charts_drawn(load)


def test_self_contained_page_draws_without_assets(
    report: WeeklyReport, tmp_path: Path, browser
) -> None:
    site = tmp_path / "site"
    published = publish_weekly(report, site, self_contained=True)

    load = browser.load(published.path)

    assert not (site / "assets").exists()
    assert load.console == []
    assert load.network == []
    assert_all_charts_drawn(load)


def test_empty_week_page_says_so(empty_week: WeeklyReport, tmp_path: Path, browser) -> None:
    published = publish_weekly(empty_week, tmp_path / "site")

    load = browser.load(published.path)

    assert load.console == []
    assert NO_DEPLOYMENTS in load.dom
    assert load.summary.declared_charts == 0 == len(load.summary.chart_slots)
    assert 'id="data-quality"' in load.dom and 'id="definitions"' in load.dom
