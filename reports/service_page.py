"""One service's page: its deployments and failures over time, versions per environment,
drift history, promotion lag and recent incidents.

Published as ``reports_dir/<week>/services/<slug>.html`` next to the week it belongs to; the
figure is drawn from weekly counts and every list is capped, so a page stays small whatever
the history holds.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd
import plotly.graph_objects as go

from reports.chart_parts import DATE_HOVER, base_layout, floats, iso_dates
from reports.formatting import format_datetime, format_duration
from reports.model import ServiceDetail, WeeklyReport
from reports.sections import DRIFT_KINDS, _as_date, _as_words, _expected
from reports.tables import ColumnSpec, Table, badge_class, build_table, format_count
from reports.theme import THEME, Theme

SERVICE_CHART_HEIGHT = 300
LIST_ROWS = 10
RELATIONS = ("in_sync", "behind", "ahead", "missing", "config", "dependency", "unordered")


@dataclass
class ServicePage:
    """What the service template shows, plus the figure behind its chart slot."""

    detail: ServiceDetail
    week: str
    title: str
    tables: dict[str, Table]
    figures: dict[str, go.Figure] = field(default_factory=dict)
    failures: int = 0
    deployments: int = 0


def deployments_and_failures(weekly: pd.DataFrame, theme: Theme = THEME) -> go.Figure:
    """Weekly production deployments with the change failures among them."""
    frame = weekly.sort_values("week_start")
    x = iso_dates(frame["week_start"])
    fig = go.Figure(
        layout=base_layout(
            theme,
            "Production deployments and change failures per week",
            height=SERVICE_CHART_HEIGHT,
        )
    )
    fig.add_bar(
        x=x,
        y=floats(frame["deployments"]),
        name="deployments",
        marker_color=theme.series_colour(0),
        hovertemplate="%{y:,.0f} deployments<extra></extra>",
    )
    fig.add_bar(
        x=x,
        y=floats(frame["change_failures"]),
        name="change failures",
        marker_color=theme.failure,
        hovertemplate="%{y:,.0f} change failures<extra></extra>",
    )
    fig.update_layout(barmode="overlay", hovermode="x unified", yaxis_title="deployments")
    fig.update_xaxes(type="date", hoverformat=DATE_HOVER)
    fig.update_yaxes(rangemode="tozero")
    return fig


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
    figures = {}
    if not detail.weekly.empty and _total(detail.weekly, "deployments"):
        figures["service-deployments"] = deployments_and_failures(detail.weekly, theme)
    return ServicePage(
        detail=detail,
        week=report.week,
        title=f"{detail.service} · release health {report.week}",
        tables=service_tables(detail, report.timezone),
        figures=figures,
        failures=_total(detail.weekly, "change_failures"),
        deployments=_total(detail.weekly, "deployments"),
    )
