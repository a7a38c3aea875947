"""The tables of the weekly page: environment consistency, problem services, data quality.

Each builder sorts the frame the way a release review reads it, then hands it to
:func:`reports.tables.build_table`, which caps the rows.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from reports.formatting import (
    MISSING,
    format_datetime,
    format_hours,
    format_percent,
    is_missing,
    plural,
)
from reports.model import EnvironmentSection, WeeklyReport
from reports.paths import validation_href_from_week
from reports.tables import (
    ColumnSpec,
    Formatter,
    Link,
    Table,
    badge_class,
    build_table,
    csv_file_name,
    format_count,
    format_text,
)

MAX_PROBLEM_SERVICES = 8
RECENT_DEPLOYS_PER_SERVICE = 5
QUALITY_ORDER = ("failed", "rejections", "empty", "ok")
DEPLOY_STATUSES = ("succeeded", "failed", "rolled_back", "cancelled", "in_progress", "running")
#: planned-vs-shipped states, in the order the summary line names them
PLAN_STATES = ("on_time", "slipped", "unplanned", "pending")
NO_PLANNED_RELEASES = "No releases were planned on the release calendar for this week."
DRIFT_KINDS = (
    "behind",
    "ahead",
    "missing_in_production",
    "missing_in_baseline",
    "config",
    "dependency",
    "unordered",
    "mutable_tag",
)


def file_quality(row: pd.Series) -> str:
    """One word for a file's state: failed, rejections, empty or ok."""
    status = str(row.get("status", "") or "")
    if status == "failed":
        return "failed"
    rejected = pd.to_numeric(pd.Series([row.get("rows_rejected")]), errors="coerce").iloc[0]
    if not is_missing(rejected) and rejected > 0:
        return "rejections"
    return "empty" if status == "empty" else "ok"


def _as_date(value: object) -> str:
    # ISO dates keep table columns narrow and sort the way they read.
    return MISSING if is_missing(value) else f"{pd.Timestamp(value):%Y-%m-%d}"


def _datetime_in(timezone: str) -> Formatter:
    """A cell formatter showing moments in the reporting time zone."""
    return lambda value: format_datetime(value, timezone)  # type: ignore[arg-type]


def _as_words(value: object) -> str:
    """Lists of reasons (arrays from the warehouse) or single codes, readable."""
    if isinstance(value, (list, tuple, np.ndarray)):
        return ", ".join(str(v).replace("_", " ") for v in value) or MISSING
    return MISSING if is_missing(value) else str(value).replace("_", " ")


def _as_days(value: object) -> str:
    return MISSING if is_missing(value) else f"{float(value):,.0f} d"  # type: ignore[arg-type]


def _expected(value: object) -> str:
    return "expected" if value is True or value == 1 else "unexpected"


def _sorted(frame: pd.DataFrame, by: list[str], ascending: list[bool]) -> pd.DataFrame:
    keys = [(b, a) for b, a in zip(by, ascending, strict=True) if b in frame.columns]
    if not keys:
        return frame
    return frame.sort_values([k for k, _ in keys], ascending=[a for _, a in keys], kind="stable")


def _named(tables: dict[str, Table]) -> dict[str, Table]:
    """Each table's CSV download named after its key (``drift.csv``, ``files.csv``)."""
    return {key: replace(table, csv_name=csv_file_name(key)) for key, table in tables.items()}


def data_quality_tables(report: WeeklyReport) -> dict[str, Table]:
    """Input files (problems first), top rejection reasons, environments outside the chain."""
    files = report.input_files
    if not files.empty:
        quality = [file_quality(row) for _, row in files.iterrows()]
        files = files.assign(
            quality=quality, _rank=[QUALITY_ORDER.index(q) for q in quality]
        ).sort_values(["_rank", "path"] if "path" in files else ["_rank"], kind="stable")
    return _named(
        {
            "files": build_table(
                files,
                [
                    ColumnSpec("path", "File", mono=True),
                    ColumnSpec("kind", "Kind"),
                    ColumnSpec("format", "Format"),
                    ColumnSpec("quality", "Quality", badge=badge_class("quality", QUALITY_ORDER)),
                    ColumnSpec("rows_read", "Read", format_count, numeric=True),
                    ColumnSpec("rows_accepted", "Accepted", format_count, numeric=True),
                    ColumnSpec("rows_rejected", "Rejected", format_count, numeric=True),
                    ColumnSpec("rows_duplicate", "Duplicate", format_count, numeric=True),
                    ColumnSpec("error", "Note", lambda v: "" if is_missing(v) else format_text(v)),
                    ColumnSpec(
                        "validation_id",
                        "Contract check",
                        lambda v: "" if is_missing(v) else "Data Docs",
                        link=validation_href_from_week,
                    ),
                ],
                empty="No input files recorded.",
            ),
            "rejections": build_table(
                _sorted(report.rejection_reasons, ["rows"], [False]),
                [
                    ColumnSpec("reason", "Reason"),
                    ColumnSpec("rows", "Rows", format_count, numeric=True),
                    ColumnSpec("example", "Example", lambda v: format_text(v, 100), mono=True),
                ],
                limit=10,
                empty="No rows were rejected.",
            ),
            "unknown_environments": build_table(
                _sorted(report.unknown_environments, ["deployments"], [False]),
                [
                    ColumnSpec("environment", "Environment", mono=True),
                    ColumnSpec("deployments", "Deployments", format_count, numeric=True),
                ],
                limit=10,
                empty="Every environment seen is part of the promotion chain.",
            ),
        }
    )


def environment_tables(
    env: EnvironmentSection, timezone: str, link: Link | None = None
) -> dict[str, Table]:
    """Drift list (unexpected first, oldest first), opened/closed, bypassed baseline."""
    if not env.has_inventory:
        return {}
    drift = env.drift
    if not drift.empty:
        expected = drift["expected"].fillna(False).astype(bool) if "expected" in drift else False
        drift = drift.assign(_expected=expected)
        drift = _sorted(drift, ["_expected", "drift_age_days", "service"], [True, False, True])
    kind_badge = badge_class("kind", DRIFT_KINDS)
    service = ColumnSpec("service", "Service", link=link)
    moves = [
        service,
        ColumnSpec("drift_kind", "Kind", _as_words, badge=kind_badge),
        ColumnSpec("at", "On", _as_date),
    ]
    return _named(
        {
            "drift": build_table(
                drift,
                [
                    service,
                    ColumnSpec("drift_kind", "Kind", _as_words, badge=kind_badge),
                    ColumnSpec("baseline_version", f"{env.baseline} version", mono=True),
                    ColumnSpec("target_version", f"{env.production} version", mono=True),
                    ColumnSpec("versions_behind", "Versions behind", format_count, numeric=True),
                    ColumnSpec("pending_changes", "Pending changes", format_count, numeric=True),
                    ColumnSpec("drift_since", "Since", _as_date),
                    ColumnSpec("drift_age_days", "Age", _as_days, numeric=True),
                    ColumnSpec("expected", "Status", _expected),
                    ColumnSpec("rule", "Rule", _as_words, wide=True),
                ],
                empty="No service drifts between the baseline and production.",
                muted=lambda row: bool(row["_expected"]),
            ),
            "opened": build_table(
                _sorted(env.opened, ["at", "service"], [False, True]),
                moves,
                limit=10,
                empty="No drift opened this week.",
            ),
            "closed": build_table(
                _sorted(env.closed, ["at", "service"], [False, True]),
                moves,
                limit=10,
                empty="No drift closed this week.",
            ),
            "bypassed": build_table(
                _sorted(env.bypassed, ["production_at", "service"], [False, True]),
                [
                    service,
                    ColumnSpec("version", "Version", mono=True),
                    ColumnSpec("production_at", "In production since", _datetime_in(timezone)),
                ],
                empty="Every production version went through the baseline first.",
            ),
        }
    )


def _as_slip(value: object) -> str:
    return MISSING if is_missing(value) else format_hours(float(value))  # type: ignore[arg-type]


def release_plan_summary(plan: pd.DataFrame) -> str:
    """One line counting the week's planned releases by outcome ("2 on time · 1 slipped ...").

    On time, slipped and unplanned are always named (a zero is news too); pending only when
    some release is not yet due. A week without plan rows gets a short note instead.
    """
    if plan.empty or "state" not in plan:
        return NO_PLANNED_RELEASES
    counts = plan["state"].value_counts()
    parts = [
        f"{int(counts.get(state, 0))} {state.replace('_', ' ')}"
        for state in PLAN_STATES
        if state != "pending" or counts.get(state, 0)
    ]
    return " · ".join(parts)


def release_plan_table(report: WeeklyReport, link: Link | None = None) -> Table:
    """Planned vs shipped this week (rows come ordered from the warehouse: slipped first)."""
    table = build_table(
        report.release_plan,
        [
            ColumnSpec("service", "Service", link=link),
            ColumnSpec("planned_version", "Planned version", mono=True),
            ColumnSpec("state", "State", _as_words, badge=badge_class("plan", PLAN_STATES)),
            ColumnSpec("deployment_id", "Shipped deployment", mono=True),
            ColumnSpec("shipped_version", "Shipped version", mono=True),
            ColumnSpec("shipped_at", "Shipped", _datetime_in(report.timezone)),
            ColumnSpec("slip_hours", "Slip", _as_slip, numeric=True),
            ColumnSpec("release", "Release"),
        ],
        empty=NO_PLANNED_RELEASES,
    )
    return replace(table, csv_name=csv_file_name("release_plan"))


@dataclass(frozen=True)
class ProblemServiceView:
    service: str
    team: str
    summary: str
    reasons: str
    deploys: Table
    href: str | None = None


@dataclass(frozen=True)
class ProblemServices:
    items: list[ProblemServiceView]
    more: int


def problem_service_views(report: WeeklyReport, link: Link | None = None) -> ProblemServices:
    """The services with most change failures this week, each with its recent deploys."""
    services = report.problem_services
    if services.empty:
        return ProblemServices([], 0)
    services = _sorted(
        services, ["change_failures", "deployments", "service"], [False, False, True]
    )
    recent = _sorted(report.recent_deploys, ["started_at"], [False])
    columns = [
        ColumnSpec("started_at", "Started", _datetime_in(report.timezone)),
        ColumnSpec("version", "Version", mono=True),
        ColumnSpec("status", "Status", _as_words, badge=badge_class("status", DEPLOY_STATUSES)),
        ColumnSpec("failure_reason", "Failure reason", _as_words),
        ColumnSpec("change_count", "Changes", format_count, numeric=True),
    ]
    items = []
    for _, row in services.head(MAX_PROBLEM_SERVICES).iterrows():
        own = recent[recent["service"] == row["service"]] if not recent.empty else recent
        failures, deployments = row.get("change_failures"), row.get("deployments")
        rate = (
            failures / deployments
            if not is_missing(failures) and not is_missing(deployments) and deployments
            else None
        )
        items.append(
            ProblemServiceView(
                service=format_text(row["service"]),
                team=format_text(row.get("team")),
                summary=(
                    f"{plural(int(failures or 0), 'change failure')} in "
                    f"{plural(int(deployments or 0), 'deployment')} "
                    f"({format_percent(rate, decimals=0)})"
                ),
                reasons=_as_words(row.get("failure_reasons")),
                deploys=build_table(
                    own,
                    columns,
                    limit=RECENT_DEPLOYS_PER_SERVICE,
                    empty="No recent deploys recorded.",
                    name=f"{row['service']} recent deploys",
                ),
                href=link(row["service"]) if link else None,
            )
        )
    return ProblemServices(items, max(len(services) - MAX_PROBLEM_SERVICES, 0))
