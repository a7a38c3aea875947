"""One service's page: its deployments and failures over time, versions per environment,
drift history, promotion lag and recent incidents.

Published as ``reports_dir/<week>/services/<slug>.html`` next to the week it belongs to; the
chart is a small SVG of weekly counts (no script) and every list is capped, so a page stays
small whatever the history holds.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
from markupsafe import Markup, escape

from reports.formatting import format_datetime, format_duration
from reports.model import ServiceDetail, WeeklyReport
from reports.sections import DRIFT_KINDS, _as_date, _as_words, _expected
from reports.tables import ColumnSpec, Table, badge_class, build_table, format_count
from reports.theme import THEME, Theme

CHART_TITLE = "Production deployments per week (blue) and the change failures among them (red)"
SVG_WIDTH, SVG_HEIGHT = 720, 200
SVG_LEFT, SVG_RIGHT, SVG_TOP, SVG_BOTTOM = 36, 8, 10, 24
#: the share of a week's slot its bar fills
BAR_SHARE = 0.7
LIST_ROWS = 10
RELATIONS = ("in_sync", "behind", "ahead", "missing", "config", "dependency", "unordered")


@dataclass
class ServicePage:
    """What the service template shows, plus the figure behind its chart slot."""

    detail: ServiceDetail
    week: str
    title: str
    tables: dict[str, Table]
    chart: Markup | None = None
    failures: int = 0
    deployments: int = 0


def deployments_and_failures(
    weekly: pd.DataFrame, theme: Theme = THEME, axis: list[pd.Timestamp] | None = None
) -> Markup:
    """Weekly production deployments as bars, the change failures among them overlaid.

    A plain SVG drawn from the weekly counts: the page needs no script, stays a few
    kilobytes, and every bar names its week and counts in a tooltip. With ``axis`` (the
    report's weeks) a week without deployments is an empty slot, not a skipped one.
    """
    # plain values, one pass: a site draws this chart for every service it names
    counts: dict[pd.Timestamp, list[int]] = {}
    for week, count, failed in zip(
        pd.to_datetime(weekly["week_start"]).tolist(),
        _whole(weekly["deployments"]),
        _whole(weekly["change_failures"]),
        strict=True,
    ):
        total = counts.setdefault(week, [0, 0])
        total[0] += count
        total[1] += failed
    weeks = sorted(set(pd.to_datetime(axis).tolist()) if axis else counts)
    deployments = [counts.get(week, (0, 0))[0] for week in weeks]
    failures = [counts.get(week, (0, 0))[1] for week in weeks]
    top = max(max(deployments, default=0), 1)
    plot_width = SVG_WIDTH - SVG_LEFT - SVG_RIGHT
    plot_height = SVG_HEIGHT - SVG_TOP - SVG_BOTTOM
    step = plot_width / max(len(weeks), 1)
    bar = step * BAR_SHARE

    def y(value: int) -> float:
        return SVG_TOP + plot_height * (1 - value / top)

    parts = [
        f'<svg class="rh-service-chart" viewBox="0 0 {SVG_WIDTH} {SVG_HEIGHT}" role="img" '
        f'aria-label="{escape(CHART_TITLE)}"><title>{escape(CHART_TITLE)}</title>',
        f'<line x1="{SVG_LEFT}" y1="{y(0):.1f}" x2="{SVG_WIDTH - SVG_RIGHT}" y2="{y(0):.1f}" '
        f'stroke="{theme.muted}" stroke-width="1"/>',
        f'<text x="{SVG_LEFT - 6}" y="{y(top) + 4:.1f}" text-anchor="end" font-size="11" '
        f'fill="{theme.muted}">{top}</text>',
        f'<text x="{SVG_LEFT - 6}" y="{y(0) + 4:.1f}" text-anchor="end" font-size="11" '
        f'fill="{theme.muted}">0</text>',
    ]
    for index, (week, count, failed) in enumerate(zip(weeks, deployments, failures, strict=True)):
        x = SVG_LEFT + index * step + (step - bar) / 2
        tip = escape(
            f"week of {week:%d %b %Y}: {count} deployment{'s' if count != 1 else ''}, "
            f"{failed} change failure{'s' if failed != 1 else ''}"
        )
        parts.append(
            f'<g><title>{tip}</title><rect x="{x:.1f}" y="{y(count):.1f}" width="{bar:.1f}" '
            f'height="{y(0) - y(count):.1f}" fill="{theme.series_colour(0)}"/>'
            f'<rect x="{x:.1f}" y="{y(failed):.1f}" width="{bar:.1f}" '
            f'height="{y(0) - y(failed):.1f}" fill="{theme.failure}"/></g>'
        )
    if weeks:
        for week, anchor, x in (
            (weeks[0], "start", SVG_LEFT),
            (weeks[-1], "end", SVG_WIDTH - SVG_RIGHT),
        ):
            parts.append(
                f'<text x="{x}" y="{SVG_HEIGHT - 6}" text-anchor="{anchor}" font-size="11" '
                f'fill="{theme.muted}">{week:%d %b %Y}</text>'
            )
    parts.append("</svg>")
    return Markup("".join(parts))


def _whole(column: pd.Series) -> list[int]:
    """Counts as plain integers, missing ones as 0."""
    return pd.to_numeric(column, errors="coerce").fillna(0).astype("int64").tolist()


def _hours(value: object) -> str:
    return format_duration(value)  # type: ignore[arg-type]


def service_tables(detail: ServiceDetail, timezone: str) -> dict[str, Table]:
    """Versions per environment, drift history, promotion lag and incidents, capped."""

    def moment(value: object) -> str:
        return format_datetime(value, timezone)  # type: ignore[arg-type]

    kind = badge_class("kind", DRIFT_KINDS)
    return {
        "versions": build_table(
            detail.versions,
            [
                ColumnSpec("environment", "Environment", mono=True),
                ColumnSpec("version", "Version", mono=True),
                ColumnSpec(
                    "relation",
                    "Production compared",
                    _as_words,
                    badge=badge_class("kind", RELATIONS),
                ),
                ColumnSpec("since", "Since", _as_date),
            ],
            limit=LIST_ROWS,
            empty="No inventory records this service.",
            name="versions",
        ),
        "drift": build_table(
            detail.drift_runs,
            [
                ColumnSpec("drift_kind", "Kind", _as_words, badge=kind),
                ColumnSpec("expected", "Status", _expected),
                ColumnSpec("start", "From", _as_date),
                ColumnSpec("end", "To", _as_date),
                ColumnSpec("days", "Days", format_count, numeric=True),
            ],
            limit=LIST_ROWS,
            empty="No drift recorded in the last weeks.",
            name="drift-history",
        ),
        "promotion_lag": build_table(
            detail.promotion_lag,
            [
                ColumnSpec("version", "Version", mono=True),
                ColumnSpec("state", "State", _as_words),
                ColumnSpec("lag_hours", "Lag", _hours, numeric=True),
                ColumnSpec("baseline_at", "In the baseline", moment),
                ColumnSpec("production_at", "In production", moment),
            ],
            limit=LIST_ROWS,
            empty="No version was promoted in the last weeks.",
            name="promotion-lag",
        ),
        "incidents": build_table(
            detail.incidents,
            [
                ColumnSpec("incident_id", "Incident", mono=True),
                ColumnSpec("severity", "Severity"),
                ColumnSpec("opened_at", "Opened", moment),
                ColumnSpec("restore_hours", "Restored in", _hours, numeric=True),
                ColumnSpec("deployment_id", "Deployment", mono=True),
            ],
            limit=LIST_ROWS,
            empty="No production incidents recorded.",
            name="incidents",
        ),
    }


def _total(frame: pd.DataFrame, column: str) -> int:
    if frame.empty or column not in frame:
        return 0
    return int(pd.to_numeric(frame[column], errors="coerce").fillna(0).sum())


def build_service_page(
    detail: ServiceDetail, report: WeeklyReport, theme: Theme = THEME
) -> ServicePage:
    """The view of one service's page for the week of ``report``."""
    chart = None
    if not detail.weekly.empty and _total(detail.weekly, "deployments"):
        axis = [pd.Timestamp(w) for w in report.org_weeks.get("week_start", [])]
        chart = deployments_and_failures(detail.weekly, theme, axis)
    return ServicePage(
        detail=detail,
        week=report.week,
        title=f"{detail.service} · release health {report.week}",
        tables=service_tables(detail, report.timezone),
        chart=chart,
        failures=_total(detail.weekly, "change_failures"),
        deployments=_total(detail.weekly, "deployments"),
    )
