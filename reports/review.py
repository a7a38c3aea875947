"""The review meeting's views: the "act on this" box, teams side by side, and service links.

Frames in, plain view objects out; every string is escaped by the templates.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from markupsafe import Markup

from reports.formatting import (
    MISSING,
    format_datetime,
    format_duration,
    format_number,
    format_percent,
    is_missing,
    plural,
)
from reports.model import ActOnThis, WeeklyReport
from reports.paths import service_href_from_week
from reports.sparkline import sparkline_svg
from reports.tables import ColumnSpec, Link, Table, badge_class, build_table, format_count
from reports.theme import THEME, Theme

#: items per group of the box; the rest is counted and lives in the linked detail
MAX_ACT_ITEMS = 8
#: teams side by side; a larger organisation has the rest folded and in the CSV
MAX_TEAM_ROWS = 40
TIER_RANK = {"elite": 1, "high": 2, "medium": 3, "low": 4}
TRENDS = ("accelerating", "steady", "slowing")
TREND_WORDS = {"accelerating": "↗ accelerating", "steady": "→ steady", "slowing": "↘ slowing"}
HOURS_PER_DAY = 24.0


def service_link(services: set[str]) -> Link:
    """Links to the pages of ``services`` (a name without a page stays plain text)."""

    def link(value: object) -> str | None:
        name = None if is_missing(value) else str(value)
        return service_href_from_week(name) if name in services else None

    return link


@dataclass(frozen=True)
class ActItem:
    title: str
    why: str
    href: str | None
    team: str | None = None
    trend: Markup | None = None


@dataclass(frozen=True)
class ActGroup:
    key: str
    title: str
    items: list[ActItem]
    more: int
    empty: str


@dataclass(frozen=True)
class ActView:
    groups: list[ActGroup] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(len(group.items) + group.more for group in self.groups)


def _failures_trend(values: object) -> list[float]:
    if isinstance(values, (list, tuple, np.ndarray)):
        return [float(v) for v in values]
    return []


def _trend_words(counts: list[float]) -> str:
    """Oldest to newest, and whether the latest weeks fail more or less than the first."""
    text = " → ".join(format_number(c, 0) for c in counts)
    if len(counts) < 2:
        return text
    half = len(counts) // 2
    early, late = sum(counts[:half]), sum(counts[-half:])
    word = "rising" if late > early else "falling" if late < early else "flat"
    return f"{text} ({word})"


def _group(
    key: str, title: str, frame: pd.DataFrame, item: Callable[[pd.Series], ActItem], empty: str
) -> ActGroup:
    items = [item(row) for _, row in frame.head(MAX_ACT_ITEMS).iterrows()]
    return ActGroup(key, title, items, max(len(frame) - len(items), 0), empty)


def act_view(act: ActOnThis, link: Link, timezone: str, theme: Theme = THEME) -> ActView:
    """The four groups of the box, each item with why it is there and where to look."""
    sla = format_duration(act.sla_hours, "h")

    def drift_item(row: pd.Series) -> ActItem:
        age = row.get("drift_age_days")
        days = MISSING if is_missing(age) else format_duration(float(age) * HOURS_PER_DAY, "d")
        kind = str(row.get("drift_kind") or "").replace("_", " ")
        # "behind" already says all its rule would (behind for longer than the SLA)
        rule = (
            ""
            if is_missing(row.get("rule")) or row.get("drift_kind") == "behind"
            else f": {row.get('rule')}"
        )
        return ActItem(
            title=str(row["service"]),
            why=f"{kind} for {days}, past the {sla} promotion SLA{rule}",
            href=link(row["service"]),
            team=None if is_missing(row.get("team")) else str(row.get("team")),
        )

    def failing_item(row: pd.Series) -> ActItem:
        counts = _failures_trend(row.get("weekly_failures"))
        weeks = int(row.get("failing_weeks") or 0)
        return ActItem(
            title=str(row["service"]),
            why=(
                f"change failures in {weeks} of the last {act.recent_weeks} weeks "
                f"({plural(int(row.get('change_failures') or 0), 'failure')} in "
                f"{plural(int(row.get('deployments') or 0), 'deployment')}); per week "
                f"{_trend_words(counts)}"
            ),
            href=link(row["service"]),
            team=None if is_missing(row.get("team")) else str(row.get("team")),
            trend=sparkline_svg(
                counts,
                title=f"Change failures per week, last {act.recent_weeks} weeks",
                colour=theme.failure,
            ),
        )

    def held_item(row: pd.Series) -> ActItem:
        error = "" if is_missing(row.get("error")) else str(row.get("error"))
        since = format_datetime(row.get("ingested_at"), timezone)
        return ActItem(
            title=str(row["path"]),
            why=f"held since {since}: {error}" if error else f"held since {since}",
            href="#data-quality",
        )

    def freeze_item(row: pd.Series) -> ActItem:
        when = format_datetime(row.get("started_at"), timezone)
        freeze = "" if is_missing(row.get("freeze")) else f" during {row.get('freeze')}"
        why = "" if is_missing(row.get("why")) else f": {row.get('why')}"
        return ActItem(
            title=str(row["service"]),
            why=f"deployed to production {when}{freeze}{why}",
            href=link(row["service"]) or "#calendar",
            team=None if is_missing(row.get("team")) else str(row.get("team")),
        )

    return ActView(
        [
            _group(
                "drift",
                "Drift past its SLA",
                act.drift,
                drift_item,
                "No unexpected drift older than the SLA.",
            ),
            _group(
                "failing",
                "Services failing repeatedly",
                act.failing,
                failing_item,
                f"No service failed in several of the last {act.recent_weeks} weeks.",
            ),
            _group("held", "Held files", act.held, held_item, "No file is held by its contract."),
            _group(
                "freeze",
                "Freeze violations",
                act.freeze_violations,
                freeze_item,
                "No production deployment during a change freeze.",
            ),
        ]
    )


def _tier_rank(value: object) -> float | None:
    return None if is_missing(value) else TIER_RANK.get(str(value).lower())


def _number(value: object) -> float | None:
    return None if is_missing(value) else float(value)  # type: ignore[arg-type]


def _hours(value: object) -> str:
    return format_duration(value)  # type: ignore[arg-type]


def team_table(report: WeeklyReport) -> Table:
    """One row per team: the four keys over the trailing window, tiers, cadence, drift owned;
    every column sorts (tiers by rank, numbers as numbers)."""
    tier = badge_class("tier", TIER_RANK)
    frame = report.teams
    if not frame.empty:
        frame = frame.sort_values("team", kind="stable")
    return build_table(
        frame,
        [
            ColumnSpec("team", "Team", sort=lambda v: None if is_missing(v) else str(v).lower()),
            ColumnSpec("deployments", "Deploys this week", format_count, True, sort=_number),
            ColumnSpec(
                "trailing_deploy_days_median",
                "Deploy days per week",
                lambda v: format_number(v),  # type: ignore[arg-type]
                True,
                sort=_number,
                tag_key="df_tier",
                tag_badge=tier,
            ),
            ColumnSpec(
                "trailing_lead_time_hours",
                "Lead time",
                _hours,
                True,
                sort=_number,
                tag_key="lt_tier",
                tag_badge=tier,
            ),
            ColumnSpec(
                "trailing_change_failure_rate",
                "Change failure rate",
                lambda v: format_percent(v),  # type: ignore[arg-type]
                True,
                sort=_number,
                tag_key="cfr_tier",
                tag_badge=tier,
            ),
            ColumnSpec(
                "trailing_recovery_hours",
                "Recovery",
                _hours,
                True,
                sort=_number,
                tag_key="recovery_tier",
                tag_badge=tier,
            ),
            ColumnSpec("overall_tier", "Overall", badge=tier, sort=_tier_rank),
            ColumnSpec(
                "cadence_trend",
                "Cadence",
                lambda v: MISSING if is_missing(v) else TREND_WORDS.get(str(v), str(v)),
                sort=lambda v: None if is_missing(v) else TRENDS.index(v) if v in TRENDS else 9,
            ),
            ColumnSpec("drift_owned", "Drifting services", format_count, True, sort=_number),
        ],
        limit=MAX_TEAM_ROWS,
        empty="No team deployed to production in the trailing window.",
        name="teams",
        team_column="team",
    )
