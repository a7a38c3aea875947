"""Every chart function on the hand-made week: traces, categories and values."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from reports import charts, environment_charts
from reports.model import WeeklyReport
from reports.page import weekly_figures

LAST_WEEK = "2024-03-04"


def test_deployments_stacked_by_team_with_org_mean(report: WeeklyReport) -> None:
    fig = charts.deployments_by_team(report.trend, report.trend_mean)

    bars = [t for t in fig.data if t.type == "bar"]
    # Largest total first so it sits at the bottom: platform 141, search 103, payments 65.
    assert [t.name for t in bars] == ["platform", "search", "payments"]
    assert [sum(t.y) for t in bars] == [141, 103, 65]
    assert [t.y[-1] for t in bars] == [5, 4, 3]
    assert bars[0].x[-1] == LAST_WEEK and len(bars[0].x) == 26
    (mean,) = [t for t in fig.data if t.type == "scatter"]
    assert mean.name == "4-week mean (all teams)" and mean.y[-1] == pytest.approx(12.0)
    assert fig.layout.barmode == "stack"


def test_many_teams_fold_into_other(large_report: WeeklyReport) -> None:
    fig = charts.deployments_by_team(large_report.trend, large_report.trend_mean)

    bars = [t for t in fig.data if t.type == "bar"]
    assert len(bars) == charts.MAX_TEAM_SERIES and bars[-1].name == "other teams"
    weekly_total = large_report.trend.groupby("week_start")["successful_deployments"].sum()
    assert sum(t.y[-1] for t in bars) == weekly_total.iloc[-1]


def test_change_failure_rate_over_tier_bands(report: WeeklyReport) -> None:
    fig = charts.change_failure_rate(report.org_weeks, report.cfr_bands)

    bar, line = fig.data
    assert bar.type == "bar" and list(bar.y[:4]) == pytest.approx([0.0, 0.04, 0.08, 0.12])
    assert line.name == "trailing window" and set(line.y) == {0.06}
    assert len(fig.layout.shapes) == 4
    assert [a.text for a in fig.layout.annotations] == ["elite", "high", "medium", "low"]
    assert fig.layout.yaxis.range == pytest.approx((0, 0.15 * 1.15))


def test_lead_time_recovery_and_restore(report: WeeklyReport) -> None:
    fig = charts.lead_and_recovery_times(report.org_weeks)

    assert [t.name for t in fig.data] == [
        "lead time for changes",
        "failed deployment recovery",
        "incident restore",
    ]
    assert fig.data[0].customdata[0] == "20 h" and fig.data[0].y[4] == 60.0
    assert fig.data[2].y[0] is None  # a week without incidents stays a gap
    assert fig.layout.yaxis.type == "log"  # 1.5 h to 60 h


def test_release_calendar_lays_out_days_by_team(report: WeeklyReport) -> None:
    fig = charts.release_calendar(report.calendar, report.week_start)

    heatmap, failures = fig.data
    assert fig.layout.shapes == () and fig.layout.annotations == ()  # no calendar events given
    assert list(fig.layout.yaxis.ticktext) == ["payments", "platform", "search"]
    assert fig.layout.xaxis.ticktext[0] == "Mon 4 Mar" and fig.layout.xaxis.ticktext[6] == (
        "Sun 10 Mar"
    )
    assert list(heatmap.z[0]) == [2, 0, 3, 0, 0, 0, 0]
    assert list(heatmap.z[2]) == [0, 1, 0, 0, 0, 1, 0]
    # One mark per cell with change failures: search on Tuesday, payments on Wednesday.
    assert [round(x) for x in failures.x] == [2, 1] and list(failures.text) == ["1", "1"]


def test_release_calendar_shades_freezes_and_marks_planned_releases(
    report: WeeklyReport,
) -> None:
    fig = charts.release_calendar(report.calendar, report.week_start, events=report.calendar_events)

    heatmap, failures, planned = fig.data
    # the audit freeze covers the Wednesday and Thursday columns (2 and 3)
    (band,) = fig.layout.shapes
    assert (band.x0, band.x1, band.layer) == (1.5, 3.5, "above")
    (label,) = fig.layout.annotations
    assert (label.text, label.hovertext, label.x) == ("❄ freeze", "Quarter-end audit freeze", 2.5)
    # train 10 plans two services on Tuesday: side by side in the "planned" row above the teams
    assert [round(x, 2) for x in planned.x] == [0.8, 1.2] and list(planned.y) == [-1, -1]
    assert list(planned.text) == ["checkout 1.0.3", "search-api"]
    assert list(planned.customdata) == ["Release train 10"] * 2
    assert planned.mode == "markers"  # two on one day: names in the hover only
    assert list(fig.layout.yaxis.tickvals) == [-1, 0, 1, 2]
    assert list(fig.layout.yaxis.ticktext) == ["planned", "payments", "platform", "search"]
    assert list(heatmap.z[0]) == [2, 0, 3, 0, 0, 0, 0] and len(failures.x) == 2


def test_release_calendar_events_are_escaped_and_clipped_to_the_week(
    report: WeeklyReport, hostile_names: dict[str, str]
) -> None:
    events = pd.DataFrame(
        {
            "kind": ["freeze", "freeze", "release"],
            "event_id": ["year-end", "web-only", "train-11"],
            "summary": ["<script>alert('x')</script> freeze", None, "train <b>11</b>"],
            # the year-end freeze began the week before and runs past Sunday
            "first_day": [dt.date(2024, 2, 26), dt.date(2024, 3, 10), dt.date(2024, 3, 8)],
            "last_day": [dt.date(2024, 3, 17), dt.date(2024, 3, 10), dt.date(2024, 3, 8)],
            "services": ["", "web", hostile_names["service"]],
            "service": [None, None, hostile_names["service"]],
            "version": [None, None, "1.0<i>"],
        }
    )

    fig = charts.release_calendar(report.calendar, report.week_start, events=events)

    assert [(shape.x0, shape.x1) for shape in fig.layout.shapes] == [(-0.5, 6.5), (5.5, 6.5)]
    texts = [(a.text, a.hovertext) for a in fig.layout.annotations]
    assert texts == [
        ("❄ freeze", "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; freeze"),
        ("❄ freeze (web)", "web-only"),  # no summary: the event's id
    ]
    planned = fig.data[2]
    assert list(planned.text) == [
        "&lt;img src=x onerror=document.title=&#x27;pwned&#x27;&gt; 1.0&lt;i&gt;"
    ]
    assert planned.mode == "markers+text" and list(planned.x) == [4.0]
    text = fig.to_json()
    assert "<script" not in text and "<img" not in text and "<b>" not in text
    assert "pwned" not in planned.hovertemplate


def test_cadence_panels_carry_trend_labels(report: WeeklyReport) -> None:
    fig = charts.cadence_small_multiples(report.cadence)

    titles = [a.text for a in fig.layout.annotations]
    assert titles == ["platform · ↘ slowing", "search · → steady", "payments · ↗ accelerating"]
    assert len(fig.data) == 6 and {t.type for t in fig.data} == {"bar", "scatter"}


def test_cadence_caps_panels() -> None:
    weeks = [dt.date(2024, 1, 1), dt.date(2024, 1, 8)]
    frame = pd.DataFrame(
        [
            {"week_start": w, "team": f"t{i:02d}", "successful_deployments": i,
             "rolling_4w_mean": i, "trend": "steady"}
            for i in range(14) for w in weeks
        ]
    )  # fmt: skip

    fig = charts.cadence_small_multiples(frame)

    assert len(fig.layout.annotations) == charts.MAX_CADENCE_PANELS
    assert fig.layout.annotations[0].text.startswith("t13")
    assert "12 of 14 teams" in fig.layout.title.text


def test_release_window_heatmap_has_rate_in_hover(report: WeeklyReport) -> None:
    fig = charts.release_window_heatmap(report.release_windows)

    (heatmap,) = fig.data
    assert list(heatmap.y) == ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
    assert len(heatmap.x) == 24 and heatmap.z[0][10] == 5 and heatmap.z[5][22] == 2
    assert list(heatmap.customdata[5][22]) == ["50.0 %", "1"]
    assert list(heatmap.customdata[6][0]) == ["–", "0"]
    assert "change failure rate" in heatmap.hovertemplate


def test_release_window_shares(report: WeeklyReport) -> None:
    fig = charts.release_window_shares(report.org_weeks)

    assert [(t.name, t.yaxis) for t in fig.data] == [
        ("off-hours", "y"),
        ("weekend", "y"),
        ("off-hours", "y2"),
        ("business hours", "y2"),
    ]
    assert fig.data[3].y[0] == 0.05


def test_batch_risk_buckets_in_size_order(report: WeeklyReport) -> None:
    fig = charts.batch_risk(report.batch_risk)

    (bar,) = fig.data
    assert list(bar.x) == ["1", "2-5", "6-20", "21+", "unknown"]
    assert list(bar.y) == [0.025, 0.08, 0.2, 0.5, 0.0]
    assert list(bar.text) == ["n=40", "n=25", "n=10", "n=4", "n=3"]


def test_environment_matrix_drifting_services_first(report: WeeklyReport) -> None:
    env = report.environment
    fig = environment_charts.environment_matrix(env.matrix, env.environments)

    heatmap = fig.data[0]
    assert list(heatmap.x) == ["dev", "test", "staging", "prod"]
    assert list(heatmap.y) == ["gateway", "indexer", "payments-api", "search-api", "checkout"]
    assert list(heatmap.text[0]) == ["1.3.0", "1.3.1", "1.3.2", "1.3.3"]
    assert heatmap.text[1][3] == "—"  # indexer has no version in prod
    legend = [t.name for t in fig.data[1:]]
    assert legend == ["in sync", "behind", "ahead", "missing", "config", "not compared"]


def test_environment_matrix_caps_services(large_report: WeeklyReport) -> None:
    env = large_report.environment
    fig = environment_charts.environment_matrix(env.matrix, env.environments)

    assert len(fig.data[0].y) == environment_charts.MAX_MATRIX_SERVICES
    assert "40 of 96 services" in fig.layout.title.text


def test_drift_aging_stacks_kinds(report: WeeklyReport) -> None:
    fig = environment_charts.drift_aging(report.environment.aging)

    assert [t.name for t in fig.data] == ["ahead", "config"]
    assert {t.stackgroup for t in fig.data} == {"drift"}
    assert list(fig.data[1].y) == [0, 0, 1, 1, 1, 1, 1]


def test_promotion_lag_boxes_from_quartiles(report: WeeklyReport) -> None:
    fig = environment_charts.promotion_lag(report.environment.promotion_lag)

    boxes = [t for t in fig.data if t.type == "box"]
    assert [b.y[0] for b in boxes] == ["promoted (n=5)", "in flight (n=2)"]
    promoted = boxes[0]
    assert (promoted.q1[0], promoted.median[0], promoted.q3[0]) == (4.0, 6.0, 30.0)
    assert (promoted.lowerfence[0], promoted.upperfence[0]) == (2.0, 80.0)


def test_hostile_names_are_escaped_in_every_figure(hostile_report: WeeklyReport) -> None:
    figures = weekly_figures(hostile_report)

    assert len(figures) == 11
    for key, fig in figures.items():
        text = fig.to_json()
        assert "<img" not in text and "<script" not in text and "</script" not in text, key
        for trace in fig.data:
            template = getattr(trace, "hovertemplate", None) or ""
            assert "pwned" not in template, key
    legend = [t.name for t in figures["deployments"].data]
    assert "&lt;/script&gt;&lt;script&gt;document.title=&#x27;pwned&#x27;&lt;/script&gt;" in (
        legend
    )


def test_empty_week_has_no_figures(empty_week: WeeklyReport) -> None:
    assert weekly_figures(empty_week) == {}
