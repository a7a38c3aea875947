"""Hand-made weekly reports for the renderer tests, and the system browser they need.

Week 2024-W10 (Mon 4 – Sun 10 March 2024) of a small organisation: three teams, five
services, 26 weeks of history and four environments. Every number is written out or follows
a simple formula so tests can assert concrete values.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
from pathlib import Path

import pandas as pd
import pytest

from reports.model import (
    ActOnThis,
    ArchiveEntry,
    Definition,
    EnvironmentSection,
    KpiCard,
    ServiceDetail,
    TierBand,
    WeeklyReport,
)

WEEK = "2024-W10"
WEEK_START = dt.date(2024, 3, 4)
HISTORY_WEEKS = 26
WEEKS = [WEEK_START - dt.timedelta(weeks=k) for k in range(HISTORY_WEEKS - 1, -1, -1)]
TEAMS = ("payments", "search", "platform")
SERVICES = {
    "payments": ("checkout", "payments-api"),
    "search": ("search-api",),
    "platform": ("gateway", "indexer"),
}
TREND_LABELS = {"payments": "accelerating", "search": "steady", "platform": "slowing"}
ENVIRONMENTS = ["dev", "test", "staging", "prod"]
HOSTILE_SERVICE = "<img src=x onerror=document.title='pwned'>"
HOSTILE_TEAM = "</script><script>document.title='pwned'</script>"
# Markup plotly itself would interpret (bold) if a name reached a figure unescaped.
HOSTILE_MARKUP = "<b>platform</b>"
DEFAULT_CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ENV = "RELEASE_HEALTH_CHROMIUM"


def team_weekly(team_index: int, week_index: int) -> int:
    """Successful deployments of a team in a week: a simple, different pattern per team."""
    return 2 + team_index + (week_index % (team_index + 2))


def kpi_cards() -> list[KpiCard]:
    spark = [float(v) for v in range(1, 13)]
    return [
        KpiCard(
            "batch", "smaller", "Median changes per release", 3.0, "changes", 4.0, "lower", spark
        ),
        KpiCard(
            "deployments", "faster", "Production deployments", 14.0, "count", 11.0, "higher", spark
        ),
        KpiCard(
            "deploy_days", "faster", "Deploy days", 5.0, "days", 5.0, "higher", spark, tier="elite"
        ),
        KpiCard(
            "lead_time",
            "faster",
            "Median lead time",
            30.0,
            "hours",
            20.0,
            "lower",
            [None, None, *spark[2:]],
            tier="high",
        ),
        KpiCard(
            "promotion_lag", "faster", "Median promotion lag", 6.5, "hours", None, "lower", spark
        ),
        KpiCard(
            "cfr",
            "safer",
            "Change failure rate",
            0.125,
            "percent",
            0.10,
            "lower",
            spark,
            tier="medium",
        ),
        KpiCard(
            "recovery", "safer", "Median recovery", 2.5, "hours", 4.0, "lower", spark, tier="high"
        ),
        KpiCard("off_hours", "safer", "Off-hours share", 0.2, "percent", 0.25, "lower", spark),
        KpiCard(
            "drifting",
            "consistent",
            "Services drifting unexpectedly",
            2.0,
            "count",
            1.0,
            "lower",
            spark,
            note="of 5 services",
        ),
    ]


def environment_section(services: list[str]) -> EnvironmentSection:
    relations = ["in_sync", "behind", "ahead", "config", "missing"]
    matrix = []
    for index, service in enumerate(services):
        relation = relations[index % len(relations)]
        for environment in ENVIRONMENTS:
            matrix.append(
                {
                    "service": service,
                    "environment": environment,
                    "version": ""
                    if relation == "missing" and environment == "prod"
                    else f"1.{index}.{ENVIRONMENTS.index(environment)}",
                    "relation": "not_compared" if environment == "prod" else relation,
                    "since": dt.date(2024, 3, 1),
                }
            )
    as_of = [WEEK_START + dt.timedelta(days=d) for d in range(7)]
    return EnvironmentSection(
        environments=list(ENVIRONMENTS),
        baseline="staging",
        production="prod",
        as_of=dt.date(2024, 3, 10),
        matrix=pd.DataFrame(matrix),
        drift=pd.DataFrame(
            {
                "service": services[1:4],
                "drift_kind": ["behind", "ahead", "config"],
                "baseline_version": ["1.1.2", "1.2.2", "1.3.2"],
                "target_version": ["1.1.0", "1.2.9", "1.3.2"],
                "versions_behind": [2, 0, 0],
                "pending_changes": [7, 0, 0],
                "drift_since": [dt.date(2024, 3, 8), dt.date(2024, 2, 20), dt.date(2024, 3, 1)],
                "drift_age_days": [2, 19, 9],
                "expected": [True, False, False],
                "rule": ["within_promotion_sla", None, None],
            }
        ),
        aging=pd.DataFrame(
            {
                "as_of": as_of * 2,
                "drift_kind": ["ahead"] * 7 + ["config"] * 7,
                "services": [1] * 7 + [0, 0, 1, 1, 1, 1, 1],
            }
        ),
        opened=pd.DataFrame(
            {"service": [services[3]], "drift_kind": ["config"], "at": [dt.date(2024, 3, 6)]}
        ),
        closed=pd.DataFrame(
            {"service": [services[0]], "drift_kind": ["behind"], "at": [dt.date(2024, 3, 5)]}
        ),
        promotion_lag=pd.DataFrame(
            {
                "service": [services[i % len(services)] for i in range(8)],
                "version": [f"1.0.{i}" for i in range(8)],
                "lag_hours": [2.0, 4.0, 6.0, 30.0, 80.0, None, 1.0, 3.0],
                "state": ["promoted"] * 5 + ["bypassed_baseline", "in_flight", "in_flight"],
            }
        ),
        bypassed=pd.DataFrame(
            {
                "service": [services[2]],
                "version": ["1.2.9"],
                "production_at": [dt.datetime(2024, 3, 7, 22, 15)],
            }
        ),
    )


def build_report(
    *,
    teams: tuple[str, ...] = TEAMS,
    services: dict[str, tuple[str, ...]] | None = None,
    has_deployments: bool = True,
    with_environment: bool = True,
) -> WeeklyReport:
    """A complete weekly report; ``teams``/``services`` rename or scale the organisation."""
    services = services or {team: SERVICES.get(team, (f"{team}-svc",)) for team in teams}
    flat = [svc for team in teams for svc in services[team]]
    trend = pd.DataFrame(
        [
            {"week_start": w, "team": t, "successful_deployments": team_weekly(ti, wi)}
            for wi, w in enumerate(WEEKS)
            for ti, t in enumerate(teams)
        ]
    )
    totals = trend.groupby("week_start")["successful_deployments"].sum()
    org = pd.DataFrame(
        {
            "week_start": WEEKS,
            "deployments": totals.to_numpy(),
            "change_failure_rate": [0.04 * (i % 4) for i in range(HISTORY_WEEKS)],
            "trailing_change_failure_rate": [0.06] * HISTORY_WEEKS,
            "median_recovery_hours": [1.5 + i % 3 for i in range(HISTORY_WEEKS)],
            "median_lead_time_hours": [20.0 + 10 * (i % 5) for i in range(HISTORY_WEEKS)],
            "median_incident_restore_hours": [None, *([5.0] * (HISTORY_WEEKS - 1))],
            "off_hours_share": [0.2] * HISTORY_WEEKS,
            "weekend_share": [0.05] * HISTORY_WEEKS,
            "off_hours_cfr": [0.15] * HISTORY_WEEKS,
            "business_hours_cfr": [0.05] * HISTORY_WEEKS,
        }
    )
    t0, t1, t2 = (teams * 3)[:3]
    first, second = flat[0], flat[min(2, len(flat) - 1)]
    started = [dt.datetime(2024, 3, 6, 9, 30), dt.datetime(2024, 3, 5, 22, 10)]
    report = WeeklyReport(
        week=WEEK,
        week_start=WEEK_START,
        timezone="Europe/Berlin",
        generated_at=dt.datetime(2024, 3, 11, 6, 0, tzinfo=dt.UTC),
        benchmark="dora_2023",
        benchmark_title="DORA 2023 performance levels",
        trailing_weeks=12,
        data_freshness=dt.datetime(2024, 3, 10, 17, 45, tzinfo=dt.UTC),
        previous_week="2024-W09",
        next_week=None,
        has_deployments=has_deployments,
        kpis=kpi_cards(),
        input_files=pd.DataFrame(
            {
                "path": [
                    "inbox/deployments/week10.csv",
                    "inbox/incidents/march.jsonl",
                    "inbox/inventory/broken.yaml",
                ],
                "kind": ["deployments", "incidents", "inventory"],
                "format": ["csv", "jsonl", "yaml"],
                "status": ["loaded", "loaded", "failed"],
                "rows_read": [120, 8, 0],
                "rows_accepted": [117, 8, 0],
                "rows_rejected": [2, 0, 0],
                "rows_duplicate": [1, 0, 0],
                "ingested_at": [dt.datetime(2024, 3, 11, 5, 0)] * 3,
                "error": [None, None, "line 3: mapping values are not allowed here"],
            }
        ),
        trend=trend,
        trend_mean=pd.DataFrame(
            {
                "week_start": WEEKS,
                "rolling_4w_mean": totals.rolling(4, min_periods=1).mean().to_numpy(),
            }
        ),
        org_weeks=org,
        cfr_bands=[
            TierBand("elite", None, 0.05, "elite ≤ 5 %"),
            TierBand("high", 0.05, 0.10, "high ≤ 10 %"),
            TierBand("medium", 0.10, 0.15, "medium ≤ 15 %"),
            TierBand("low", 0.15, None, "low"),
        ],
        calendar=pd.DataFrame(
            {
                "day": [dt.date(2024, 3, d) for d in (4, 5, 6, 7, 9)],
                "team": [t0, t1, t0, t2, t1],
                "deployments": [2, 1, 3, 1, 1],
                "change_failures": [0, 1, 1, 0, 0],
            }
        ),
        # an audit freeze on Wednesday and Thursday; a release train planned for Tuesday
        calendar_events=pd.DataFrame(
            {
                "kind": ["freeze", "release", "release"],
                "event_id": ["audit-freeze", "train-10", "train-10"],
                "summary": ["Quarter-end audit freeze", "Release train 10", "Release train 10"],
                "first_day": [dt.date(2024, 3, 6), dt.date(2024, 3, 5), dt.date(2024, 3, 5)],
                "last_day": [dt.date(2024, 3, 7), dt.date(2024, 3, 5), dt.date(2024, 3, 5)],
                "services": ["", f"{first}, {second}", f"{first}, {second}"],
                "service": [None, first, second],
                "version": [None, "1.0.3", None],
            }
        ),
        release_plan=pd.DataFrame(
            {
                "service": [second, first, first],
                "planned_version": [None, "1.0.3", None],
                "state": ["slipped", "unplanned", "on_time"],
                "deployment_id": ["deploy-0042", "deploy-0040", "deploy-0039"],
                "shipped_version": ["2.1.0", "1.0.2", "1.0.3"],
                "shipped_at": [
                    dt.datetime(2024, 3, 7, 4, 30, tzinfo=dt.UTC),
                    dt.datetime(2024, 3, 8, 9, 0, tzinfo=dt.UTC),
                    dt.datetime(2024, 3, 5, 15, 0, tzinfo=dt.UTC),
                ],
                "slip_hours": [35.5, None, 0.0],
                "release": ["Release train 10", None, "Release train 10"],
            }
        ),
        cadence=pd.DataFrame(
            [
                {
                    "week_start": w,
                    "team": t,
                    "successful_deployments": team_weekly(ti, wi),
                    "rolling_4w_mean": float(team_weekly(ti, wi)),
                    "trend": TREND_LABELS.get(t, "steady"),
                }
                for wi, w in enumerate(WEEKS)
                for ti, t in enumerate(teams)
            ]
        ),
        release_windows=pd.DataFrame(
            {
                "weekday": [1, 2, 6, 3],
                "hour": [10, 14, 22, 9],
                "deployments": [5, 3, 2, 4],
                "change_failures": [1, 0, 1, 0],
                "change_failure_rate": [0.2, 0.0, 0.5, 0.0],
            }
        ),
        batch_risk=pd.DataFrame(
            {
                "bucket": ["21+", "1", "unknown", "2-5", "6-20"],
                "deployments": [4, 40, 3, 25, 10],
                "change_failures": [2, 1, 0, 2, 2],
                "change_failure_rate": [0.5, 0.025, 0.0, 0.08, 0.2],
            }
        ),
        environment=environment_section(flat) if with_environment else EnvironmentSection(),
        problem_services=pd.DataFrame(
            {
                "service": [second, first],
                "team": [t1, t0],
                "change_failures": [1, 2],
                "deployments": [3, 5],
                "failure_reasons": [["failed"], ["rolled_back_by_later_deploy", "incident"]],
            }
        ),
        recent_deploys=pd.DataFrame(
            {
                "service": [first, second],
                "started_at": started,
                "version": ["1.0.3", "2.1.0"],
                "status": ["rolled_back", "failed"],
                "failure_reason": ["incident", "failed"],
                "change_count": [4, 12],
            }
        ),
        rejection_reasons=pd.DataFrame(
            {
                "reason": ["finished_at before started_at", "unknown status"],
                "rows": [1, 1],
                "example": ['{"service": "checkout", "finished_at": "2024-03-01"}', "status=done"],
            }
        ),
        unknown_environments=pd.DataFrame({"environment": ["qa-sandbox"], "deployments": [4]}),
        lead_time_excluded=3,
        definitions=[
            Definition("Production deployment", "A deployment to prod that was not cancelled."),
            Definition("Change failure rate", "Change failures / production deployments."),
        ],
        act=review_items(teams, services),
        teams=team_rows(teams),
        services=service_details(teams, services),
    )
    return report


def review_items(teams: tuple[str, ...], services: dict[str, tuple[str, ...]]) -> ActOnThis:
    """One overdue drift, one service failing in 3 of 4 weeks, one held file; no freeze."""
    first_team, last_team = teams[0], teams[-1]
    return ActOnThis(
        drift=pd.DataFrame(
            {
                "service": [services[last_team][0]],
                "team": [last_team],
                "drift_kind": ["ahead"],
                "drift_age_days": [19.0],
                "rule": ["production runs a version the baseline never had"],
            }
        ),
        failing=pd.DataFrame(
            {
                "service": [services[first_team][0]],
                "team": [first_team],
                "weekly_failures": [[1, 0, 2, 3]],
                "change_failures": [6],
                "deployments": [20],
                "failing_weeks": [3],
            }
        ),
        held=pd.DataFrame(
            {
                "path": ["deployments/2024-03-08.csv"],
                "kind": ["deployments"],
                "error": ["contract_failed: 40 % of rows rejected"],
                "ingested_at": [dt.datetime(2024, 3, 8, 7, 0, tzinfo=dt.UTC)],
            }
        ),
        sla_hours=168.0,
    )


TEAM_TIERS = ("elite", "high", "medium", "low")


def team_rows(teams: tuple[str, ...]) -> pd.DataFrame:
    """Teams side by side: team i has 5 - i deploy days, (i + 1) * 10 h lead time, ..."""
    n = len(teams)
    return pd.DataFrame(
        {
            "team": list(teams),
            "deployments": [10 + i for i in range(n)],
            "trailing_deploy_days_median": [float(5 - i % 5) for i in range(n)],
            "trailing_lead_time_hours": [10.0 * (i + 1) for i in range(n)],
            "trailing_change_failure_rate": [0.05 * (i % 4) for i in range(n)],
            "trailing_recovery_hours": [0.5 + i for i in range(n)],
            "df_tier": [TEAM_TIERS[i % 4] for i in range(n)],
            "lt_tier": [TEAM_TIERS[(i + 1) % 4] for i in range(n)],
            "cfr_tier": [TEAM_TIERS[(i + 2) % 4] for i in range(n)],
            "recovery_tier": [TEAM_TIERS[(i + 3) % 4] for i in range(n)],
            "overall_tier": [TEAM_TIERS[3] for _ in range(n)],
            "cadence_trend": [TREND_LABELS.get(t, "steady") for t in teams],
            "drift_owned": [i % 3 for i in range(n)],
        }
    )


def service_details(
    teams: tuple[str, ...], services: dict[str, tuple[str, ...]]
) -> list[ServiceDetail]:
    """Every service: 26 weeks of 3 deployments with a failure every 5th week, two versions,
    a drift run, a promoted version and one incident."""
    details = []
    for team in teams:
        for service in services[team]:
            details.append(
                ServiceDetail(
                    service=service,
                    team=team,
                    weekly=pd.DataFrame(
                        {
                            "week_start": WEEKS,
                            "deployments": [3] * HISTORY_WEEKS,
                            "change_failures": [int(i % 5 == 0) for i in range(HISTORY_WEEKS)],
                        }
                    ),
                    versions=pd.DataFrame(
                        {
                            "environment": ["staging", "prod"],
                            "version": ["1.1.2", "1.1.0"],
                            "relation": ["behind", "in_sync"],
                            "since": [dt.date(2024, 3, 1), dt.date(2024, 2, 20)],
                        }
                    ),
                    drift_runs=pd.DataFrame(
                        {
                            "drift_kind": ["behind"],
                            "expected": [True],
                            "start": [dt.date(2024, 3, 8)],
                            "end": [dt.date(2024, 3, 10)],
                            "days": [3],
                        }
                    ),
                    promotion_lag=pd.DataFrame(
                        {
                            "version": ["1.1.0"],
                            "state": ["promoted"],
                            "lag_hours": [30.0],
                            "baseline_at": [dt.datetime(2024, 2, 19, 6, tzinfo=dt.UTC)],
                            "production_at": [dt.datetime(2024, 2, 20, 12, tzinfo=dt.UTC)],
                        }
                    ),
                    incidents=pd.DataFrame(
                        {
                            "incident_id": ["INC-1"],
                            "severity": ["sev2"],
                            "opened_at": [dt.datetime(2024, 3, 6, 10, tzinfo=dt.UTC)],
                            "resolved_at": [dt.datetime(2024, 3, 6, 12, tzinfo=dt.UTC)],
                            "restore_hours": [2.0],
                            "deployment_id": ["d-42"],
                        }
                    ),
                )
            )
    return details


@pytest.fixture
def report() -> WeeklyReport:
    """The standard week: deployments, history, environments."""
    return build_report()


@pytest.fixture
def empty_week() -> WeeklyReport:
    """A week without production deployments."""
    return dataclasses.replace(
        build_report(has_deployments=False),
        week="2024-W11",
        week_start=dt.date(2024, 3, 11),
        previous_week=WEEK,
    )


@pytest.fixture
def no_inventory() -> WeeklyReport:
    """Deployments but no environment inventory."""
    return build_report(with_environment=False)


@pytest.fixture
def hostile_report() -> WeeklyReport:
    """Names crafted to break out of HTML and script contexts."""
    return build_report(
        teams=("payments", HOSTILE_TEAM, HOSTILE_MARKUP),
        services={
            "payments": (HOSTILE_SERVICE, "payments-api"),
            HOSTILE_TEAM: ("search-api",),
            HOSTILE_MARKUP: ("gateway", "indexer"),
        },
    )


@pytest.fixture
def hostile_names() -> dict[str, str]:
    """The names used by ``hostile_report``, by role."""
    return {"service": HOSTILE_SERVICE, "team": HOSTILE_TEAM, "markup": HOSTILE_MARKUP}


@pytest.fixture
def large_report() -> WeeklyReport:
    """Twelve teams of eight services: more than every chart and table cap."""
    teams = tuple(f"team-{i:02d}" for i in range(12))
    return build_report(
        teams=teams, services={t: tuple(f"{t}-svc-{j}" for j in range(8)) for t in teams}
    )


@pytest.fixture
def archive_entries() -> list[ArchiveEntry]:
    """Three weeks, deliberately not in date order."""
    starts = {
        "2024-W09": dt.date(2024, 2, 26),
        "2024-W10": dt.date(2024, 3, 4),
        "2024-W08": dt.date(2024, 2, 19),
    }
    return [
        ArchiveEntry(
            week,
            start,
            f"{week}/index.html",
            10 + i,
            4,
            0.1 * i,
            24.0 * (i + 1),
            ["high", "elite", "medium"][i],
            i,
        )
        for i, (week, start) in enumerate(starts.items())
    ]


@pytest.fixture(scope="session")
def chromium() -> Path:
    """The system Chromium; a clear failure (never a skip) when it is not installed."""
    path = Path(os.environ.get(CHROMIUM_ENV) or DEFAULT_CHROMIUM)
    if not path.is_file() or not os.access(path, os.X_OK):
        pytest.fail(
            f"Chromium not found at {path}. Install the Debian package 'chromium' "
            f"(`make` installs it) or point {CHROMIUM_ENV} at a Chromium binary.",
            pytrace=False,
        )
    return path
