"""The sample organisation: ~40 services in 6 teams, written as an inbox of input files.

The data tells the sample organisation's story — cadence rising as teams adopt frequent
releases, weekend release trains fading, big batches failing more, hotfixes straight to
production, services lagging in production, every inventory drift kind at the end, incidents
with and without a known deployment, and a few bad rows for quarantine — and is the same byte
for byte for the same ``(seed, weeks, scale, end)``: all randomness comes from generators
seeded with ``seed``, never from the wall clock.

Which service plays which drift story is listed in :data:`assets.sample.catalogue.DRIFT_ROLES`.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from assets.sample.actions import split_runs, write_runs
from assets.sample.calendar import write_calendar
from assets.sample.catalogue import build_catalogue
from assets.sample.clock import Clock
from assets.sample.history import simulate_history
from assets.sample.inbox import write_deployments, write_incidents, write_inventory
from assets.sample.inventory import inventory_snapshots

#: the scenarios are placed up to ~6.5 weeks before the end of history
MIN_WEEKS = 8


@dataclass(frozen=True)
class SampleSummary:
    """What :func:`write_sample_organisation` wrote.

    ``deployments`` and ``incidents`` count the valid records; ``bad_rows`` the broken ones
    added on top (each either rejected by the contract or, for exact repeats, counted as a
    duplicate), broken down in ``bad_row_kinds`` as ``<kind>:<defect>`` → count.
    """

    out_dir: Path
    services: int
    teams: int
    weeks: int
    deployments: int
    incidents: int
    inventory_rows: int
    bad_rows: int
    files: list[Path]
    bad_row_kinds: dict[str, int] = field(default_factory=dict)


def last_sunday(today: dt.date) -> dt.date:
    """The most recent Sunday strictly before ``today``: the end of the last complete week."""
    return today - dt.timedelta(days=(today.weekday() + 1) % 7 or 7)


def write_sample_organisation(
    out_dir: Path,
    *,
    weeks: int = 104,
    seed: int = 7,
    scale: int = 1,
    end: dt.date,
    actions_runs: bool = False,
) -> SampleSummary:
    """Write ``weeks`` weeks of history ending on ``end`` into the inbox ``out_dir``.

    Creates ``deployments/``, ``incidents/``, ``inventory/`` and ``calendar/`` under ``out_dir`` and
    overwrites files of the same names; other files there are left alone. ``scale``
    multiplies the services and teams (for benchmarks). Inventory covers the last 16 weeks.
    With ``actions_runs``, some staging deployments are written as GitHub Actions workflow
    runs instead (:mod:`assets.sample.actions`; reading them needs its ``DEPLOY_WORKFLOWS``).
    """
    if weeks < MIN_WEEKS:
        raise ValueError(f"weeks must be at least {MIN_WEEKS} (got {weeks})")
    if scale < 1:
        raise ValueError(f"scale must be at least 1 (got {scale})")
    out_dir = Path(out_dir)
    clock = Clock(end=end, weeks=weeks)
    services = build_catalogue(clock, seed, scale)
    history = simulate_history(services, clock, seed)

    rows, run_files = history.deployments, []
    if actions_runs:
        referenced = {id(row[5]) for row in history.incidents if row[5] is not None}
        rows, as_runs = split_runs(rows, referenced, seed)
        run_files = write_runs(out_dir / "deployments", as_runs)
    deployment_files, deployment_defects = write_deployments(
        out_dir / "deployments", rows, clock, seed
    )
    deployment_files += run_files
    incident_files, incident_defects = write_incidents(
        out_dir / "incidents", history.incidents, seed
    )
    inventory_files, inventory_rows = write_inventory(
        out_dir / "inventory", inventory_snapshots(history.services, clock)
    )
    calendar_files = write_calendar(out_dir / "calendar", history, clock)
    kinds = Counter(f"deployments:{d}" for d in deployment_defects)
    kinds.update(f"incidents:{d}" for d in incident_defects)
    return SampleSummary(
        out_dir=out_dir,
        services=len(services),
        teams=len({service.team for service in services}),
        weeks=weeks,
        deployments=len(history.deployments),
        incidents=len(history.incidents),
        inventory_rows=inventory_rows,
        bad_rows=sum(kinds.values()),
        files=sorted(deployment_files + incident_files + inventory_files + calendar_files),
        bad_row_kinds=dict(sorted(kinds.items())),
    )
