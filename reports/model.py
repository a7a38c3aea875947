"""What a weekly report shows, as plain data: the contract between the warehouse and the page.

The reporting assets fill these objects from the marts; the renderer turns them into HTML.
Frames are small aggregates (never raw rows), so the page does not grow with the data.
Every string in them may come from input files and is escaped by the renderer.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Literal

import pandas as pd

Better = Literal["higher", "lower", "neutral"]
KpiGroup = Literal["smaller", "faster", "safer", "consistent"]
Unit = Literal["count", "days", "hours", "percent", "changes"]


@dataclass(frozen=True)
class KpiCard:
    """One headline number with its change against last week and its 12-week history."""

    key: str
    group: KpiGroup
    label: str
    value: float | None
    unit: Unit
    previous: float | None
    better: Better
    sparkline: list[float | None]
    tier: str | None = None
    note: str | None = None


@dataclass(frozen=True)
class TierBand:
    """A benchmark tier as a range of a metric (for bands behind a chart)."""

    tier: str
    lower: float | None
    upper: float | None
    label: str


@dataclass(frozen=True)
class Definition:
    term: str
    text: str


@dataclass
class EnvironmentSection:
    """Pre-production versus production (README: The weekly report). Empty frames when no
    inventory exists.

    * ``matrix``: service, environment, version, relation (in_sync | behind | ahead | missing
      | config | dependency | unordered | mutable_tag | not_compared), since (date)
    * ``environments``: the chain, in order, as matrix columns
    * ``drift``: service, drift_kind, baseline_version, target_version, versions_behind,
      pending_changes, drift_since (date), drift_age_days, expected (bool), rule, team (the
      owning team, for the page's team filter)
    * ``aging``: as_of (date), drift_kind, services (unexpected drift only)
    * ``opened`` / ``closed``: service, drift_kind, at (date) — drift opened or closed this week
    * ``promotion_lag``: service, version, lag_hours, state
    * ``bypassed``: service, version, production_at
    """

    environments: list[str] = field(default_factory=list)
    baseline: str = "staging"
    production: str = "prod"
    as_of: dt.date | None = None
    matrix: pd.DataFrame = field(default_factory=pd.DataFrame)
    drift: pd.DataFrame = field(default_factory=pd.DataFrame)
    aging: pd.DataFrame = field(default_factory=pd.DataFrame)
    opened: pd.DataFrame = field(default_factory=pd.DataFrame)
    closed: pd.DataFrame = field(default_factory=pd.DataFrame)
    promotion_lag: pd.DataFrame = field(default_factory=pd.DataFrame)
    bypassed: pd.DataFrame = field(default_factory=pd.DataFrame)

    @property
    def has_inventory(self) -> bool:
        return not self.matrix.empty


def _frame(columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame({column: [] for column in columns})


#: what a freeze violation row carries (from marts.freeze_violations, hotfixes apart)
FREEZE_VIOLATION_COLUMNS = ["service", "team", "started_at", "freeze", "why"]


@dataclass
class ActOnThis:
    """What the review meeting should act on; each frame may be empty.

    * ``drift``: service, team, drift_kind, drift_age_days, rule (unexpected drift older than
      the promotion SLA)
    * ``failing``: service, team, weekly_failures (list, oldest first), change_failures,
      deployments, failing_weeks (change failures in several of the recent weeks)
    * ``held``: path, kind, error, ingested_at (files held back by their contract)
    * ``freeze_violations``: service, team, started_at, freeze, why (production deployments
      during a change freeze, hotfixes apart)
    """

    drift: pd.DataFrame = field(default_factory=pd.DataFrame)
    failing: pd.DataFrame = field(default_factory=pd.DataFrame)
    held: pd.DataFrame = field(default_factory=pd.DataFrame)
    freeze_violations: pd.DataFrame = field(
        default_factory=lambda: _frame(FREEZE_VIOLATION_COLUMNS)
    )
    sla_hours: float = 168.0
    recent_weeks: int = 4

    @property
    def empty(self) -> bool:
        return all(
            frame.empty for frame in (self.drift, self.failing, self.held, self.freeze_violations)
        )


@dataclass
class ServiceDetail:
    """One service's own page (frames are small: weekly aggregates and capped lists).

    * ``weekly``: week_start, deployments, change_failures
    * ``versions``: environment, version, relation, since
    * ``drift_runs``: drift_kind, expected, start (date), end (date), days
    * ``promotion_lag``: version, state, lag_hours, baseline_at, production_at
    * ``incidents``: incident_id, severity, opened_at, resolved_at, restore_hours, deployment_id
    """

    service: str
    team: str | None
    weekly: pd.DataFrame = field(default_factory=pd.DataFrame)
    versions: pd.DataFrame = field(default_factory=pd.DataFrame)
    drift_runs: pd.DataFrame = field(default_factory=pd.DataFrame)
    promotion_lag: pd.DataFrame = field(default_factory=pd.DataFrame)
    incidents: pd.DataFrame = field(default_factory=pd.DataFrame)


@dataclass
class WeeklyReport:
    """Everything on one weekly page (README: The weekly report), in section order.

    Frame columns:

    * ``input_files``: path, kind, format, status, rows_read, rows_accepted, rows_rejected,
      rows_duplicate, ingested_at, error, validation_id (its Great Expectations check)
    * ``trend``: week_start, team, successful_deployments (26 weeks ending this week)
    * ``trend_mean``: week_start, rolling_4w_mean (organisation)
    * ``org_weeks``: week_start, deployments, change_failure_rate,
      trailing_change_failure_rate, median_recovery_hours, median_lead_time_hours,
      median_incident_restore_hours, off_hours_share, weekend_share, off_hours_cfr,
      business_hours_cfr (26 weeks)
    * ``calendar``: day (date), team, deployments, change_failures (this week)
    * ``calendar_events``: kind (freeze | release), event_id, summary, first_day, last_day
      (local dates clipped to the week), services (text, empty: every service), service and
      version (a planned release's service and its planned version; null for a freeze)
    * ``release_plan``: service, planned_version, state (on_time | slipped | pending |
      unplanned), deployment_id, shipped_version, shipped_at, slip_hours, release
    * ``cadence``: week_start, team, successful_deployments, rolling_4w_mean, trend (the label
      of the team in this week is the label of its last row)
    * ``release_windows``: weekday (1 = Mon), hour, deployments, change_failures,
      change_failure_rate (trailing window)
    * ``batch_risk``: bucket, deployments, change_failures, change_failure_rate
    * ``problem_services``: service, team, change_failures, deployments, failure_reasons
    * ``recent_deploys``: service, started_at, version, status, failure_reason, change_count
    * ``rejection_reasons``: reason, rows, example
    * ``unknown_environments``: environment, deployments
    """

    week: str
    week_start: dt.date
    timezone: str
    generated_at: dt.datetime
    benchmark: str
    benchmark_title: str
    trailing_weeks: int
    data_freshness: dt.datetime | None
    previous_week: str | None
    next_week: str | None
    has_deployments: bool
    kpis: list[KpiCard] = field(default_factory=list)
    input_files: pd.DataFrame = field(default_factory=pd.DataFrame)
    trend: pd.DataFrame = field(default_factory=pd.DataFrame)
    trend_mean: pd.DataFrame = field(default_factory=pd.DataFrame)
    org_weeks: pd.DataFrame = field(default_factory=pd.DataFrame)
    cfr_bands: list[TierBand] = field(default_factory=list)
    calendar: pd.DataFrame = field(default_factory=pd.DataFrame)
    calendar_events: pd.DataFrame = field(default_factory=pd.DataFrame)
    release_plan: pd.DataFrame = field(default_factory=pd.DataFrame)
    cadence: pd.DataFrame = field(default_factory=pd.DataFrame)
    release_windows: pd.DataFrame = field(default_factory=pd.DataFrame)
    batch_risk: pd.DataFrame = field(default_factory=pd.DataFrame)
    environment: EnvironmentSection = field(default_factory=EnvironmentSection)
    problem_services: pd.DataFrame = field(default_factory=pd.DataFrame)
    recent_deploys: pd.DataFrame = field(default_factory=pd.DataFrame)
    rejection_reasons: pd.DataFrame = field(default_factory=pd.DataFrame)
    unknown_environments: pd.DataFrame = field(default_factory=pd.DataFrame)
    lead_time_excluded: int = 0
    definitions: list[Definition] = field(default_factory=list)
    #: the week was still under way when the page was made: its numbers are partial
    partial: bool = False
    act: ActOnThis = field(default_factory=ActOnThis)
    #: team, deployments, trailing_deploy_days_median, trailing_lead_time_hours,
    #: trailing_change_failure_rate, trailing_recovery_hours, df_tier, lt_tier, cfr_tier,
    #: recovery_tier, overall_tier, cadence_trend, drift_owned
    teams: pd.DataFrame = field(default_factory=pd.DataFrame)
    services: list[ServiceDetail] = field(default_factory=list)

    @property
    def period_start(self) -> dt.date:
        return self.week_start

    @property
    def period_end(self) -> dt.date:
        return self.week_start + dt.timedelta(days=6)


@dataclass(frozen=True)
class ArchiveEntry:
    """One week on the archive page, with its headline numbers."""

    week: str
    week_start: dt.date
    href: str
    deployments: int
    deploy_days: int
    change_failure_rate: float | None
    median_lead_time_hours: float | None
    overall_tier: str | None
    drifting_services: int | None = None


@dataclass(frozen=True)
class ValidationEntry:
    """One Great Expectations validation on the Data Docs index."""

    validation_id: str
    validated_at: dt.datetime
    kind: str
    suite: str
    success: bool
    files: list[str]
