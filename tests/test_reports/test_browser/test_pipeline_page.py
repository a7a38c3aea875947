"""A report built end to end from input files whose names are hostile HTML."""

from __future__ import annotations

import datetime as dt
import html

from assets.reporting.build import build_weekly_report
from assets.settings import parse_settings
from reports.publish import publish_weekly

SERVICE = "<img src=x onerror=document.title='pwned'>"
TEAM = "</script><script>document.title='pwned'</script>"
WEEK = dt.date(2024, 3, 4)
DEPLOYMENTS = f"""\
deployment_id,service,team,environment,version,status,started_at,finished_at,change_count
d1,{SERVICE},{TEAM},staging,1.1.0,succeeded,2024-02-26T10:00:00Z,2024-02-26T10:05:00Z,2
d2,{SERVICE},{TEAM},prod,1.1.0,succeeded,2024-02-27T10:00:00Z,2024-02-27T10:05:00Z,2
d3,{SERVICE},{TEAM},staging,1.2.0,succeeded,2024-03-04T10:00:00Z,2024-03-04T10:05:00Z,3
d4,{SERVICE},{TEAM},prod,1.2.0,failed,2024-03-05T10:00:00Z,2024-03-05T10:05:00Z,3
d5,{SERVICE},{TEAM},prod,1.2.0,succeeded,2024-03-06T10:00:00Z,2024-03-06T10:05:00Z,3
d6,plain,{TEAM},prod,2.0.0,succeeded,2024-03-06T12:00:00Z,2024-03-06T12:05:00Z,1
"""
INVENTORY = f"""\
captured_at,environment,service,version
2024-03-08T06:00:00Z,staging,{SERVICE},1.3.0
2024-03-08T06:00:00Z,prod,{SERVICE},1.2.0
"""


def test_hostile_names_from_input_files_stay_text(tmp_path, warehouse_from_inbox, browser):
    inbox = tmp_path / "inbox"
    for kind, text in (("deployments", DEPLOYMENTS), ("inventory", INVENTORY)):
        (inbox / kind).mkdir(parents=True)
        (inbox / kind / f"{kind}.csv").write_text(text)
    settings = parse_settings(
        {
            "inbox_dir": str(inbox),
            "warehouse": str(tmp_path / "w.duckdb"),
            "reports_dir": str(tmp_path / "reports"),
        }
    )
    conn = warehouse_from_inbox(settings)
    (services,) = conn.execute("SELECT list(DISTINCT service) FROM staging.deployments").fetchone()
    assert SERVICE in services
    published = publish_weekly(build_weekly_report(conn, settings, WEEK), settings.reports_path)

    load = browser.load(published.path)

    assert load.summary.title == "Release health · 2024-W10"
    assert load.summary.images == 0
    assert load.console == []
    assert load.network == []
    assert html.escape(SERVICE, quote=False) in load.dom
    assert html.escape(TEAM, quote=False) in load.dom
    assert SERVICE in load.summary.chart_texts
    assert load.summary.declared_charts == len(load.summary.chart_slots) > 0
    assert set(load.summary.chart_slots) == load.summary.drawn_slots
    browser.screenshot(published.path, tmp_path / "hostile.png")
    assert (tmp_path / "hostile.png").stat().st_size > 10_000
