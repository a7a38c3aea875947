"""Filling the weekly report model from the marts (small aggregates only)."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import duckdb
import pandas as pd

from assets.delivery.marts import BENCHMARKS_FILE, data_weeks, delivery_params
from assets.reporting.definitions import report_definitions
from assets.reporting.environment import build_environment_section, consistency_cards, report_frame
from assets.reporting.review import (
    act_on_this,
    named_services,
    service_details,
    service_teams,
    team_comparison,
)
from assets.settings import Settings
from assets.warehouse import read_sql, sql_file
from assets.weeks import (
    WEEK_LABEL,
    add_weeks,
    current_week,
    iso_week,
    neighbour,
    parse_iso_week,
    previous_week,
    week_of,
)
from reports.model import ArchiveEntry, KpiCard, TierBand, WeeklyReport

SPARKLINE_WEEKS = 12
TREND_WEEKS = 26
PROBLEM_SERVICES = 10
RECENT_DEPLOYS_PER_SERVICE = 5
#: freezes and planned services drawn on one week's calendar; a real week has a handful
MAX_CALENDAR_EVENTS = 60
#: complete and partial weeks are published; the others are refused with a reason
WeekState = Literal["complete", "partial", "unfinished", "future", "empty"]


def default_report_week(
    conn: duckdb.DuckDBPyConnection, settings: Settings, today: dt.date
) -> dt.date | None:
    """The week a Monday-morning reader wants: the last complete week, or the latest with data."""
    weeks = data_weeks(conn, settings)
    if weeks is None:
        return None
    return min(previous_week(today), weeks.last)


@dataclass(frozen=True)
class WeekCheck:
    """Whether a week's report may be published, and if not, why (one line for a person)."""

    week_start: dt.date
    state: WeekState
    message: str

    @property
    def publishable(self) -> bool:
        return self.state in ("complete", "partial")


def publishable_week(
    conn: duckdb.DuckDBPyConnection,
    settings: Settings,
    week_start: dt.date,
    today: dt.date,
    *,
    allow_partial: bool = False,
) -> WeekCheck:
    """The one rule for which weeks get a report page.

    A week that has not started is never published; a week outside the weeks that hold
    production deployments would be an empty page joining the archive, so it is refused; the
    week still under way is published only when asked (``allow_partial``), and then says so.
    """
    label = iso_week(week_start)
    current = week_of(today)
    if week_start > current:
        return WeekCheck(week_start, "future", f"week {label} has not started yet")
    span = data_weeks(conn, settings)
    if span is None:
        return WeekCheck(week_start, "empty", "the warehouse holds no production deployments yet")
    if not span.first <= week_start <= span.last:
        return WeekCheck(
            week_start,
            "empty",
            f"week {label} holds no data: production deployments span {span.label}",
        )
    if week_start == current:
        if allow_partial:
            return WeekCheck(
                week_start, "partial", f"week {label} is not over yet: its numbers are partial"
            )
        return WeekCheck(week_start, "unfinished", f"week {label} is not over yet")
    return WeekCheck(week_start, "complete", f"week {label}")


def _value(frame: pd.DataFrame, column: str, row: int = -1) -> float | None:
    if frame.empty or column not in frame:
        return None
    value = frame[column].iloc[row]
    return None if pd.isna(value) else float(value)


def _series(frame: pd.DataFrame, column: str) -> list[float | None]:
    return [None if pd.isna(v) else float(v) for v in frame[column].tolist()]


def kpi_cards(weeks: pd.DataFrame, week_start: dt.date) -> list[KpiCard]:
    """The KPI cards for ``week_start`` from the organisation's weekly rows (oldest first)."""
    recent = weeks[weeks["week_start"] <= pd.Timestamp(week_start)].tail(SPARKLINE_WEEKS)
    this = recent[recent["week_start"] == pd.Timestamp(week_start)]
    before = recent[recent["week_start"] == pd.Timestamp(add_weeks(week_start, -1))]

    def card(key, group, label, column, unit, better, tier_column=None) -> KpiCard:
        tier = None
        if tier_column in this and not this.empty and isinstance(this[tier_column].iloc[0], str):
            tier = this[tier_column].iloc[0]
        return KpiCard(
            key=key,
            group=group,
            label=label,
            value=_value(this, column) if not this.empty else None,
            unit=unit,
            previous=_value(before, column) if not before.empty else None,
            better=better,
            sparkline=_series(recent, column) if column in recent else [],
            tier=tier,
        )

    return [
        card(
            "median_changes",
            "smaller",
            "Median changes per release",
            "median_change_count",
            "changes",
            "lower",
        ),
        card("deployments", "faster", "Production deployments", "deployments", "count", "higher"),
        card("deploy_days", "faster", "Deploy days", "deploy_days", "days", "higher", "df_tier"),
        card(
            "lead_time",
            "faster",
            "Median lead time",
            "median_lead_time_hours",
            "hours",
            "lower",
            "lt_tier",
        ),
        card(
            "change_failure_rate",
            "safer",
            "Change failure rate",
            "change_failure_rate",
            "percent",
            "lower",
            "cfr_tier",
        ),
        card(
            "recovery",
            "safer",
            "Median recovery",
            "median_recovery_hours",
            "hours",
            "lower",
            "recovery_tier",
        ),
        card("off_hours", "safer", "Off-hours share", "off_hours_share", "percent", "lower"),
        card(
            "freeze_violations",
            "safer",
            "Freeze violations",
            "freeze_violations",
            "count",
            "lower",
        ),
    ]


def cfr_bands(benchmarks: dict[str, Any], benchmark: str) -> list[TierBand]:
    """Change-failure-rate tiers of the benchmark as bands (lower, upper]."""
    spec = benchmarks[benchmark]["metrics"]["change_failure_rate"]
    bands, lower = [], 0.0
    for (tier, bound), label in zip(spec["tiers"], spec["labels"], strict=True):
        bands.append(TierBand(tier, lower, float(bound), label))
        lower = float(bound)
    bands.append(TierBand("low", lower, None, "above"))
    return bands


def build_weekly_report(
    conn: duckdb.DuckDBPyConnection,
    settings: Settings,
    week_start: dt.date,
    *,
    now: dt.datetime | None = None,
    freeze_violations: pd.DataFrame | None = None,
) -> WeeklyReport:
    """The report model of one week from the marts and small staging aggregates.

    ``freeze_violations`` (service, team, started_at, freeze, why) fills that item of the
    "act on this" box; without it the item is empty.
    """
    benchmarks = json.loads(BENCHMARKS_FILE.read_text(encoding="utf-8"))
    params = {
        **delivery_params(settings),
        "week_start": week_start,
        "weeks": TREND_WEEKS,
        "limit": PROBLEM_SERVICES,
        "per_service": RECENT_DEPLOYS_PER_SERVICE,
        "events": MAX_CALENDAR_EVENTS,
        "chain": list(settings.environments.chain),
    }
    org_weeks = report_frame(conn, "org_weeks", params)
    this_week = org_weeks[org_weeks["week_start"] == pd.Timestamp(week_start)]
    deployments = int(this_week["deployments"].iloc[0]) if not this_week.empty else 0
    problems = report_frame(conn, "problem_services", params)
    recent = report_frame(
        conn, "recent_deploys", {**params, "services": problems["service"].tolist()}
    )
    span = data_weeks(conn, settings)
    made = now or dt.datetime.now(tz=dt.UTC)
    # the week is partial while it is under way in the reporting time zone
    partial = current_week(settings, made) == week_start
    (freshness,) = conn.execute(read_sql(sql_file(__file__, "freshness"))).fetchone()
    environment = build_environment_section(conn, settings, week_start, TREND_WEEKS)
    cadence = report_frame(conn, "cadence", params)
    teams = service_teams(conn, week_start)
    if not environment.drift.empty:
        # the owning team travels with each drift row, for the page's team filter
        environment.drift["team"] = [teams.get(s) for s in environment.drift["service"]]
    act = act_on_this(conn, settings, week_start, environment, teams, freeze_violations)
    return WeeklyReport(
        week=iso_week(week_start),
        week_start=week_start,
        timezone=settings.timezone,
        generated_at=made,
        benchmark=settings.metrics.benchmark,
        benchmark_title=benchmarks[settings.metrics.benchmark]["title"],
        trailing_weeks=settings.metrics.trailing_weeks,
        data_freshness=freshness,
        previous_week=neighbour(span, week_start, -1),
        next_week=neighbour(span, week_start, +1),
        has_deployments=deployments > 0,
        kpis=_ordered_cards(
            kpi_cards(org_weeks, week_start)
            + consistency_cards(conn, settings, week_start, SPARKLINE_WEEKS)
        ),
        input_files=_inbox_relative(report_frame(conn, "input_files", params), "path", settings),
        trend=report_frame(conn, "team_trend", params),
        trend_mean=org_weeks[["week_start", "rolling_4w_mean"]],
        org_weeks=org_weeks,
        cfr_bands=cfr_bands(benchmarks, settings.metrics.benchmark),
        calendar=report_frame(conn, "calendar", params),
        calendar_events=report_frame(conn, "calendar_events", params),
        release_plan=report_frame(conn, "release_plan", params),
        cadence=cadence,
        release_windows=_mart_week(conn, "release_windows", week_start),
        batch_risk=_mart_week(conn, "batch_risk", week_start),
        environment=environment,
        problem_services=problems,
        recent_deploys=recent,
        rejection_reasons=_inbox_relative(
            report_frame(conn, "rejection_reasons", params), "example", settings
        ),
        unknown_environments=report_frame(conn, "unknown_environments", params),
        lead_time_excluded=int(_value(this_week, "lead_time_excluded") or 0),
        definitions=report_definitions(settings, benchmarks),
        partial=partial,
        act=act,
        teams=team_comparison(conn, week_start, cadence, act.drift, environment.drift, teams),
        services=service_details(
            conn,
            settings,
            week_start,
            TREND_WEEKS,
            environment,
            teams,
            # every service the page names gets a page of its own, and no other
            named_services(
                act.drift,
                act.failing,
                act.freeze_violations,
                problems,
                environment.drift,
                environment.opened,
                environment.closed,
                environment.bypassed,
            ),
        ),
    )


def _inbox_relative(frame: pd.DataFrame, column: str, settings: Settings) -> pd.DataFrame:
    """Paths inside the inbox shown relative to it: shorter, and no machine layout on the page."""
    prefix = f"{settings.inbox_path.resolve()}/"
    frame[column] = [
        value.replace(prefix, "") if isinstance(value, str) else value for value in frame[column]
    ]
    return frame


def _ordered_cards(cards: list[KpiCard]) -> list[KpiCard]:
    """Cards in reading order: smaller, faster, safer, consistent (stable within a group)."""
    groups = ("smaller", "faster", "safer", "consistent")
    return sorted(cards, key=lambda card: groups.index(card.group))


def _mart_week(conn: duckdb.DuckDBPyConnection, table: str, week_start: dt.date) -> pd.DataFrame:
    return (
        conn.execute(
            f"SELECT * EXCLUDE (week_start) FROM marts.{table} WHERE week_start = $week",
            {"week": week_start},
        )
        .to_arrow_table()
        .to_pandas(date_as_object=False)
    )


def _present(row: pd.Series, column: str) -> Any:
    """A value of a row, None when the row or the value is missing."""
    value = row.get(column)
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    return value.item() if hasattr(value, "item") else value


def archive_entries(
    conn: duckdb.DuckDBPyConnection, reports_dir: Path, today: dt.date | None = None
) -> list[ArchiveEntry]:
    """One entry per published week folder that has started, with its headline numbers,
    newest first (a page left over for a future week does not join the archive)."""
    published = {}
    last_started = week_of(today or dt.date.today())
    for folder in reports_dir.glob("*-W*"):
        if not ((folder / "index.html").is_file() and WEEK_LABEL.fullmatch(folder.name)):
            continue
        try:
            monday = parse_iso_week(folder.name)
        except ValueError:
            continue  # a folder named like a week that does not exist
        if monday <= last_started:
            published[monday] = folder.name
    if not published:
        return []
    rows = report_frame(conn, "archive", {"weeks": sorted(published)})
    by_week = {row["week_start"].date(): row for _, row in rows.iterrows()}
    entries = []
    for week_start in sorted(published, reverse=True):
        row = by_week.get(week_start, pd.Series(dtype=object))
        entries.append(
            ArchiveEntry(
                week=published[week_start],
                week_start=week_start,
                href=f"{published[week_start]}/index.html",
                deployments=int(_present(row, "deployments") or 0),
                deploy_days=int(_present(row, "deploy_days") or 0),
                change_failure_rate=_present(row, "change_failure_rate"),
                median_lead_time_hours=_present(row, "median_lead_time_hours"),
                overall_tier=_present(row, "overall_tier"),
                drifting_services=_present(row, "drifting_services"),
            )
        )
    return entries
