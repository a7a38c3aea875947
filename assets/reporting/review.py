"""The review meeting's parts of the weekly report: what to act on, teams side by side, and
one small story per service. Frames are aggregates or capped lists, never raw rows."""

from __future__ import annotations

import datetime as dt
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from assets.reporting.environment import report_frame
from assets.settings import Settings
from reports.model import ActOnThis, EnvironmentSection, ServiceDetail

#: a service fails repeatedly when change failures hit this many of the recent weeks
REPEATED_FAILURE_WEEKS = 2
RECENT_WEEKS = 4
INCIDENTS_PER_SERVICE = 10
LAGS_PER_SERVICE = 10
HOURS_PER_DAY = 24
#: pages per week at most (a few milliseconds each), so a huge organisation's report stays
#: quick to publish; a service named beyond the cap is plain text on the page
MAX_SERVICE_PAGES = 120
#: rows of a frame whose service names the page shows (a table's rows plus its folded rows)
NAMED_ROWS = 200


def named_services(*frames: pd.DataFrame) -> list[str]:
    """The services the weekly page names (and so links to a page of their own), in the order
    the frames give them; only the rows a page can show count."""
    names: dict[str, None] = {}
    for frame in frames:
        if not frame.empty and "service" in frame:
            for service in frame["service"].head(NAMED_ROWS):
                if isinstance(service, str):
                    names.setdefault(service, None)
    return list(names)


def service_teams(conn: duckdb.DuckDBPyConnection, week_start: dt.date) -> dict[str, str]:
    """Each service's owning team as of the week."""
    frame = report_frame(conn, "service_teams", {"week_start": week_start})
    return dict(zip(frame["service"], frame["team"], strict=True))


def overdue_drift(drift: pd.DataFrame, sla_hours: float, teams: dict[str, str]) -> pd.DataFrame:
    """Unexpected drift older than the promotion SLA, oldest first, with the owning team."""
    columns = ["service", "team", "drift_kind", "drift_age_days", "rule"]
    if drift.empty:
        return pd.DataFrame({column: [] for column in columns})
    expected = drift["expected"].fillna(False).astype(bool)
    age_hours = pd.to_numeric(drift["drift_age_days"], errors="coerce") * HOURS_PER_DAY
    late = drift[~expected & (age_hours >= sla_hours)]
    late = late.assign(team=[teams.get(service) for service in late["service"]])
    return late.sort_values(["drift_age_days", "service"], ascending=[False, True])[columns]


def act_on_this(
    conn: duckdb.DuckDBPyConnection,
    settings: Settings,
    week_start: dt.date,
    environment: EnvironmentSection,
    teams: dict[str, str],
    freeze_violations: pd.DataFrame | None = None,
) -> ActOnThis:
    """Overdue drift, services failing repeatedly, held files and freeze violations (from
    ``marts.freeze_violations`` unless given)."""
    sla = float(settings.drift.promotion_sla_hours)
    act = ActOnThis(
        drift=overdue_drift(environment.drift, sla, teams),
        failing=report_frame(
            conn,
            "repeat_failures",
            {"week_start": week_start, "recent": RECENT_WEEKS, "min_weeks": REPEATED_FAILURE_WEEKS},
        ),
        held=report_frame(conn, "held_files", {}),
        sla_hours=sla,
        recent_weeks=RECENT_WEEKS,
    )
    act.freeze_violations = (
        freeze_violations
        if freeze_violations is not None
        else report_frame(conn, "freeze_violations", {"week_start": week_start})
    )
    return act


def team_comparison(
    conn: duckdb.DuckDBPyConnection,
    week_start: dt.date,
    cadence: pd.DataFrame,
    overdue: pd.DataFrame,
    drift: pd.DataFrame,
    teams: dict[str, str],
) -> pd.DataFrame:
    """One row per team: the four keys and tiers over the trailing window, the cadence label
    of its last week, and the unexpected drift its services carry."""
    frame = report_frame(conn, "team_comparison", {"week_start": week_start})
    labels: dict[str, str] = {}
    if not cadence.empty:
        last = cadence.sort_values("week_start").groupby("team").tail(1)
        labels = dict(zip(last["team"], last["trend"], strict=True))
    owned: dict[str, int] = {}
    if not drift.empty:
        unexpected = drift[~drift["expected"].fillna(False).astype(bool)]
        for service in unexpected["service"]:
            team = teams.get(service)
            if team is not None:
                owned[team] = owned.get(team, 0) + 1
    return frame.assign(
        cadence_trend=[labels.get(team) for team in frame["team"]],
        drift_owned=[owned.get(team, 0) for team in frame["team"]],
    )


def drift_runs(days: pd.DataFrame) -> pd.DataFrame:
    """A service's daily drift kinds folded into runs of one kind: start, end, days."""
    columns = ["drift_kind", "expected", "start", "end", "days"]
    runs: list[dict[str, Any]] = []
    if not days.empty:
        ordered = days.sort_values("as_of")
        for as_of, kind, expected in zip(
            ordered["as_of"], ordered["drift_kind"], ordered["expected"], strict=True
        ):
            last = runs[-1] if runs else None
            if last is not None and (last["drift_kind"], last["expected"]) == (kind, expected):
                last["end"], last["days"] = as_of, last["days"] + 1
            else:
                runs.append(
                    {"drift_kind": kind, "expected": expected, "start": as_of, "end": as_of,
                     "days": 1}
                )  # fmt: skip
    return pd.DataFrame(runs[::-1], columns=columns)  # newest first


def service_details(
    conn: duckdb.DuckDBPyConnection,
    settings: Settings,
    week_start: dt.date,
    weeks: int,
    environment: EnvironmentSection,
    teams: dict[str, str],
    services: list[str],
) -> list[ServiceDetail]:
    """One detail per service in ``services`` (bulk queries, split here): the first
    MAX_SERVICE_PAGES of them, in name order."""
    # the first ones named are the ones to act on: they keep their pages when the cap bites
    names = sorted(list(dict.fromkeys(services))[:MAX_SERVICE_PAGES], key=str)
    if not names:
        return []
    params: dict[str, Any] = {
        "week_start": week_start,
        "weeks": weeks,
        "tz": settings.timezone,
        "production": settings.environments.production,
        "per_service": INCIDENTS_PER_SERVICE,
        "services": names,
    }
    weekly = report_frame(conn, "service_weeks", params)
    drift = report_frame(conn, "service_drift", params)
    incidents = report_frame(conn, "service_incidents", params)
    lags = report_frame(conn, "promotion_lag", {k: v for k, v in params.items() if k != "services"})
    lags = lags[lags["service"].isin(names)]
    matrix = environment.matrix
    if not matrix.empty:
        matrix = matrix[matrix["service"].isin(names)]

    def split(frame: pd.DataFrame) -> dict[str, pd.DataFrame]:
        # one sort, then a positional slice per service: far cheaper than a pandas group (or
        # a new frame) per service, and a backfill builds this for every week
        if frame.empty:
            return {}
        ordered = frame.sort_values("service", kind="stable").reset_index(drop=True)
        names = ordered["service"].astype(str).to_numpy()
        rest = ordered.drop(columns="service")
        starts = np.flatnonzero(np.r_[True, names[1:] != names[:-1]])
        ends = np.r_[starts[1:], len(names)]
        return {
            names[a]: rest.iloc[a:b].reset_index(drop=True)
            for a, b in zip(starts, ends, strict=True)
        }

    parts = {
        name: split(frame)
        for name, frame in (
            ("weekly", weekly),
            ("drift", drift),
            ("incidents", incidents),
            ("lags", lags),
            ("matrix", matrix),
        )
    }

    def own(name: str, service: str) -> pd.DataFrame:
        return parts[name].get(service, pd.DataFrame())

    details = []
    for service in names:
        service_lags = own("lags", service)
        if not service_lags.empty:
            service_lags = service_lags.iloc[::-1].head(LAGS_PER_SERVICE)  # newest first
        details.append(
            ServiceDetail(
                service=service,
                team=teams.get(service),
                weekly=own("weekly", service),
                versions=own("matrix", service),
                drift_runs=drift_runs(own("drift", service)),
                promotion_lag=service_lags,
                incidents=own("incidents", service),
            )
        )
    return details
