"""From a :class:`WeeklyReport` to what the weekly template shows: views, tables, figures.

All decisions about what appears (which charts exist, which rows survive the caps, how the
inputs are summed up) are made here so the template only loops, branches on flags and
applies the formatting filters.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import pandas as pd
import plotly.graph_objects as go
from markupsafe import Markup

from reports import charts, environment_charts
from reports.formatting import format_date, format_datetime, plural
from reports.model import KpiCard, WeeklyReport
from reports.paths import ARCHIVE_HREF_FROM_WEEK, DATA_DOCS_HREF_FROM_WEEK, week_href_from_week
from reports.review import ActView, act_view, service_link, team_table
from reports.sections import (
    ProblemServices,
    data_quality_tables,
    environment_tables,
    file_quality,
    problem_service_views,
    release_plan_summary,
    release_plan_table,
)
from reports.sparkline import sparkline_svg
from reports.tables import Table
from reports.theme import THEME, Theme

KPI_GROUPS = (
    ("smaller", "Smaller", "batch size"),
    ("faster", "Faster", "flow to production"),
    ("safer", "Safer", "failures and recovery"),
    ("consistent", "Consistent", "prod matches pre-prod"),
)
QUALITY_WORDS = {
    "failed": "failed",
    "rejections": "with rejected rows",
    "empty": "empty",
    "ok": "ok",
}
NO_DEPLOYMENTS = "No production deployments in this week."
#: a line over time needs two days; one snapshot would draw an empty chart with a silly axis
MIN_AGING_DAYS = 2


# A KPI group spans as many grid columns as it has cards, up to the width of the grid.
KPI_GRID_COLUMNS = 5


@dataclass(frozen=True)
class KpiView:
    """A card plus what the template cannot compute: its sparkline and badge class."""

    card: KpiCard
    sparkline: Markup
    tier_class: str
    #: the tier is judged over the trailing window, not this week alone: the badge says so
    tier_label: str = "tier"


@dataclass(frozen=True)
class KpiGroupView:
    key: str
    title: str
    subtitle: str
    cards: list[KpiView]

    @property
    def span(self) -> int:
        return min(len(self.cards), KPI_GRID_COLUMNS)


@dataclass(frozen=True)
class ChartView:
    id: str
    height: int
    label: str


@dataclass
class WeeklyPage:
    """Everything the weekly template needs, plus the figures behind its chart slots."""

    report: WeeklyReport
    title: str
    period: str
    generated: str
    freshness: str
    nav: dict[str, str | None]
    files_summary: str
    files_badge: tuple[str, str]
    #: the Data Docs index, when a file on this page went through the check of record
    data_docs: str | None
    kpi_groups: list[KpiGroupView]
    tables: dict[str, Table]
    problem_services: ProblemServices
    figures: dict[str, go.Figure] = field(default_factory=dict)
    notes: dict[str, str] = field(default_factory=dict)
    act: ActView = field(default_factory=ActView)
    #: the teams the filter offers
    teams: list[str] = field(default_factory=list)
    no_deployments: str = NO_DEPLOYMENTS
    #: planned vs shipped counted in one line, or a note that nothing was planned
    release_plan_summary: str = ""

    @property
    def charts(self) -> dict[str, ChartView]:
        return {
            key: ChartView(key, int(fig.layout.height or THEME.chart_height), _label(fig))
            for key, fig in self.figures.items()
        }


def _label(fig: go.Figure) -> str:
    title = fig.layout.title.text if fig.layout.title else None
    return str(title or "chart")


def tier_class(tier: str | None, theme: Theme = THEME) -> str:
    """The CSS class of a tier badge; unknown tiers share a neutral class."""
    name = (tier or "").lower()
    return f"tier-{name}" if name in theme.tiers else "tier-other"


def kpi_view(card: KpiCard, theme: Theme = THEME, trailing_weeks: int | None = None) -> KpiView:
    """A card with its sparkline and tier class (value and change are template filters)."""
    return KpiView(
        tier_label=f"{trailing_weeks}-week tier" if trailing_weeks else "tier",
        card=card,
        sparkline=sparkline_svg(
            card.sparkline, title=f"{card.label}, last 12 weeks", colour=theme.accent
        ),
        tier_class=tier_class(card.tier, theme),
    )


def kpi_groups(
    cards: list[KpiCard], theme: Theme = THEME, trailing_weeks: int | None = None
) -> list[KpiGroupView]:
    """Cards grouped smaller / faster / safer / consistent, empty groups dropped."""
    groups = []
    for key, title, subtitle in KPI_GROUPS:
        views = [kpi_view(card, theme, trailing_weeks) for card in cards if card.group == key]
        if views:
            groups.append(KpiGroupView(key, title, subtitle, views))
    return groups


def files_summary(files: pd.DataFrame) -> tuple[str, bool]:
    """One line about the inputs and whether any of them needs attention."""
    if files.empty:
        return "No input files recorded.", False
    quality = Counter(file_quality(row) for _, row in files.iterrows())
    parts = [plural(len(files), "input file")]
    parts.append(
        ", ".join(
            f"{quality[state]} {word}" for state, word in QUALITY_WORDS.items() if quality[state]
        )
    )

    def total(column: str) -> int:
        return int(pd.to_numeric(files[column], errors="coerce").fillna(0).sum())

    if {"rows_read", "rows_accepted", "rows_rejected", "rows_duplicate"} <= set(files.columns):
        parts.append(
            f"{total('rows_read'):,} rows read, {total('rows_accepted'):,} accepted, "
            f"{total('rows_rejected'):,} rejected, {total('rows_duplicate'):,} duplicate"
        )
    attention = any(state != "ok" for state in quality)
    return " · ".join(parts), attention


def services_with_pages(report: WeeklyReport) -> set[str]:
    """The services whose names link to a page of their own."""
    return {detail.service for detail in report.services}


def weekly_figures(report: WeeklyReport, theme: Theme = THEME) -> dict[str, go.Figure]:
    """The figures of a week in page order; a figure without data is left out, not empty."""
    if not report.has_deployments:
        return {}
    figures: dict[str, go.Figure] = {}
    weeks = report.org_weeks
    if not report.trend.empty:
        figures["deployments"] = charts.deployments_by_team(report.trend, report.trend_mean, theme)
    if not weeks.empty:
        figures["change-failure-rate"] = charts.change_failure_rate(weeks, report.cfr_bands, theme)
        duration_columns = [
            c for c in ("median_lead_time_hours", "median_recovery_hours") if c in weeks
        ]
        if weeks[duration_columns].notna().any().any():
            figures["durations"] = charts.lead_and_recovery_times(weeks, theme)
    if not report.calendar.empty:
        figures["calendar"] = charts.release_calendar(
            report.calendar, report.week_start, theme, report.calendar_events
        )
    if not report.cadence.empty:
        figures["cadence"] = charts.cadence_small_multiples(report.cadence, theme)
    if not report.release_windows.empty:
        figures["release-windows"] = charts.release_window_heatmap(report.release_windows, theme)
    if not weeks.empty:
        figures["window-shares"] = charts.release_window_shares(weeks, theme)
    if not report.batch_risk.empty:
        figures["batch-risk"] = charts.batch_risk(report.batch_risk, theme)
    env = report.environment
    if env.has_inventory:
        figures["environment-matrix"] = environment_charts.environment_matrix(
            env.matrix, env.environments, theme, service_link(services_with_pages(report))
        )
        if aging_days(env.aging) >= MIN_AGING_DAYS:
            figures["drift-aging"] = environment_charts.drift_aging(env.aging, theme)
        lags = env.promotion_lag
        if not lags.empty and pd.to_numeric(lags["lag_hours"], errors="coerce").notna().any():
            figures["promotion-lag"] = environment_charts.promotion_lag(lags, theme)
    return figures


def aging_days(aging: pd.DataFrame) -> int:
    """How many inventory days the drift-over-time chart would have."""
    return 0 if aging.empty or "as_of" not in aging else int(aging["as_of"].nunique())


def page_notes(report: WeeklyReport) -> dict[str, str]:
    """What stands in for a chart that has too little data to draw honestly."""
    notes = {}
    days = aging_days(report.environment.aging)
    if days == 1:
        notes["drift-aging"] = (
            "Only one inventory snapshot so far: drift over time needs at least two days."
        )
    return notes


def _checked(files: pd.DataFrame) -> bool:
    """Whether any of these files went through the Great Expectations check."""
    return "validation_id" in files and bool(files["validation_id"].notna().any())


def build_weekly_page(report: WeeklyReport, theme: Theme = THEME) -> WeeklyPage:
    """Turn a weekly report into the template's view of it (figures included)."""
    summary, attention = files_summary(report.input_files)
    link = service_link(services_with_pages(report))
    tables = data_quality_tables(report)
    tables["teams"] = team_table(report)
    tables["release_plan"] = release_plan_table(report, link)
    if report.has_deployments:
        tables.update(environment_tables(report.environment, report.timezone, link))
    return WeeklyPage(
        report=report,
        title=f"Release health · {report.week}",
        period=(
            f"{format_date(report.period_start)} – {format_date(report.period_end)} "
            f"({report.timezone})"
        ),
        generated=format_datetime(report.generated_at, report.timezone),
        freshness=format_datetime(report.data_freshness, report.timezone),
        nav={
            "previous": week_href_from_week(report.previous_week),
            "next": week_href_from_week(report.next_week),
            "archive": ARCHIVE_HREF_FROM_WEEK,
        },
        files_summary=summary,
        data_docs=DATA_DOCS_HREF_FROM_WEEK if _checked(report.input_files) else None,
        files_badge=("quality-rejections", "needs attention")
        if attention
        else ("quality-ok", "all good"),
        kpi_groups=kpi_groups(report.kpis, theme, report.trailing_weeks)
        if report.has_deployments
        else [],
        tables=tables,
        problem_services=(
            problem_service_views(report, link)
            if report.has_deployments
            else ProblemServices([], 0)
        ),
        figures=weekly_figures(report, theme),
        notes=page_notes(report),
        act=act_view(report.act, link, report.timezone, theme),
        release_plan_summary=release_plan_summary(report.release_plan),
        # a week without deployments has no team rows or charts to filter
        teams=sorted({str(t) for t in report.teams.get("team", pd.Series(dtype=object)).dropna()})
        if report.has_deployments
        else [],
    )
